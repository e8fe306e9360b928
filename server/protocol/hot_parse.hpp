// A reader without a DOM for the two messages sent on every keystroke: notes.push and cursor.
//
// It reads the JSON text in one pass, building the change sets' UTF-16 insertions directly, and
// answers only when it is sure: for a message it returns a value, that value is exactly what
// parse_client_message_dom(text, bounds) returns (same command, same fields, same ref). For
// anything else it returns nullopt and the caller uses parse_client_message_dom, which also
// gives every error its message. Declined (nullopt), besides every invalid message:
// - any other type, and a top-level key given twice (a key of an update given twice too);
// - a key written with an escape (JSON allows "\u0074ype" for "type");
// - negative numbers, fractions and exponents where a count, length or position is expected;
//   integers above 2^64-1; an "id" that is not a non-negative integer or a string without
//   escapes (its raw JSON must be what nlohmann's dump() writes);
// - among the values of unknown keys (which are read, checked and ignored): exponents, integer
//   parts over 300 digits, nesting deeper than 32;
// - a byte order mark, and anything after the closing brace (nlohmann stops at a NUL byte).
// Never throws, and reads nothing outside `text`.
#pragma once

#include <optional>
#include <string_view>

#include "domain/limits.hpp"
#include "protocol/codec.hpp"

namespace mockroom::protocol {

std::optional<parsed_message> parse_hot_message(std::string_view text, const limits& bounds);

}  // namespace mockroom::protocol
