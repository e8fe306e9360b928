// Pieces for writing JSON text straight into one std::string, for the messages sent so often
// that building an nlohmann DOM (a std::map per object, a string per value) and dumping it would
// cost more than the rest of the work (notes.updates, cursor, the journal's notes entries).
//
// Every writer here produces exactly the bytes nlohmann's
// dump(-1, ' ', false, json::error_handler_t::replace) produces for the same value, so a
// message does not change when it moves from the DOM path to a direct writer. The callers write
// an object's keys in sorted order themselves (nlohmann's objects are std::maps).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mockroom::protocol {

// `text` as a JSON string, quotes included, as nlohmann writes it: '"' and '\\' escaped,
// \b \f \n \r \t as short escapes, the other bytes below 0x20 as \u00xx (lowercase hex), DEL and
// valid UTF-8 as they are. Invalid UTF-8 becomes U+FFFD, one per maximal invalid subpart (a
// stray or impossible byte is one; a valid beginning of a sequence cut short is one, and the
// byte that cut it is read again), as nlohmann's replace handler does.
void append_json_string(std::string& out, std::string_view text);

// UTF-16 text as the JSON string of domain::utf16_to_utf8(text) (a lone surrogate becomes
// U+FFFD), without building the UTF-8 copy.
void append_json_string(std::string& out, std::u16string_view text);

// A non-negative integer in decimal, as nlohmann writes unsigned numbers.
void append_unsigned(std::string& out, std::uint64_t value);

}  // namespace mockroom::protocol
