// UTF-8 <-> UTF-16, the two encodings the server speaks: JSON on the wire is UTF-8, while
// CodeMirror measures documents in UTF-16 code units.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mockroom::domain {

// nullopt for anything that is not valid UTF-8: overlong forms, encoded surrogates, code
// points over U+10FFFF, truncated sequences.
std::optional<std::u16string> utf8_to_utf16(std::string_view utf8);
// A lone surrogate (never in a valid document) is written as U+FFFD.
std::string utf16_to_utf8(std::u16string_view utf16);

// One code point (at most U+10FFFF, not a surrogate) appended in each encoding.
void append_utf8(std::string& out, char32_t code);
void append_utf16(std::u16string& out, char32_t code);
inline bool is_high_surrogate(char32_t unit) {
    return unit >= 0xD800 && unit <= 0xDBFF;
}
inline bool is_low_surrogate(char32_t unit) {
    return unit >= 0xDC00 && unit <= 0xDFFF;
}
inline bool is_valid_utf8(std::string_view text) {
    return utf8_to_utf16(text).has_value();
}

}  // namespace mockroom::domain
