// The JSON codec: client text -> typed message or protocol error (never an exception);
// server event -> bytes for one recipient role (redaction happens here, by projection).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "domain/limits.hpp"
#include "domain/room.hpp"

namespace mockroom::protocol {

struct protocol_error {
    domain::error_code code = domain::error_code::bad_request;
    std::string message;
    std::string ref;  // the request's "id" as raw JSON when it could be read, else ""
};

struct hello {
    std::string room;
    std::string token;
    std::string name;
    std::string client;
    domain::held_versions notes;  // for resuming the notes after a reconnect
};

struct ping {
    std::string id;  // raw JSON of the client's id (echoed as "id")
    std::string t0;  // the client's clock as raw JSON, echoed byte for byte
};

using client_message = std::variant<hello, ping, domain::command>;

struct parsed_message {
    client_message message;
    std::string ref;  // raw JSON of "id", or ""
};

// Reads one client message. The hot messages (notes.push, cursor) in their usual shape go
// through a reader without a DOM (protocol/hot_parse.hpp); everything else, and anything unusual
// about those, through parse_client_message_dom, which gives every error its message.
std::variant<protocol_error, parsed_message> parse_client_message(std::string_view text,
                                                                  const limits& bounds);
// The general reader (nlohmann's DOM). Tests hold the fast reader to it.
std::variant<protocol_error, parsed_message> parse_client_message_dom(std::string_view text,
                                                                      const limits& bounds);

// Encodes an event as the given role may see it. Only interviewers' copies carry the bank and
// sample answers: the candidate and observer encoders have no code path to them. Returns ""
// for an event the role may not see at all (anything about the private notes): the caller
// sends nothing.
std::string encode(const domain::event& e, domain::role recipient);

// True when encode() may give different roles different bytes (or nothing to some): a broadcast
// of any other event is encoded once and the same frame goes to every role.
bool encoding_depends_on_role(const domain::event& e);

std::string encode_error(domain::error_code code, std::string_view message, std::string_view ref);
std::string encode_pong(std::string_view id, std::string_view t0, std::int64_t t1, std::int64_t t2);

// HTTP bodies
struct create_room_request {
    std::string bank;
    std::string title;
    domain::timing_settings timing;  // interview_ms, warn_ms
};
std::variant<protocol_error, create_room_request> parse_create_room(std::string_view body,
                                                                    const limits& bounds);
std::string http_error_body(domain::error_code code, std::string_view message);

}  // namespace mockroom::protocol
