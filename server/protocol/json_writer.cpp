#include "protocol/json_writer.hpp"

#include <charconv>
#include <cstddef>

namespace mockroom::protocol {
namespace {

// An ASCII byte (below 0x80) that goes out as it is.
constexpr bool plain_ascii(unsigned code) {
    return code >= 0x20 && code != '"' && code != '\\';
}

// The escape of an ASCII byte that is not plain_ascii, written at `at`; returns its length
// (at most 6). nlohmann uses snprintf("\\u%04x"): lowercase hex.
std::size_t write_escape(char* at, unsigned code) {
    at[0] = '\\';
    switch (code) {
        case '"':
            at[1] = '"';
            return 2;
        case '\\':
            at[1] = '\\';
            return 2;
        case '\b':
            at[1] = 'b';
            return 2;
        case '\f':
            at[1] = 'f';
            return 2;
        case '\n':
            at[1] = 'n';
            return 2;
        case '\r':
            at[1] = 'r';
            return 2;
        case '\t':
            at[1] = 't';
            return 2;
        default: {
            static constexpr char hex[] = "0123456789abcdef";
            at[1] = 'u';
            at[2] = '0';
            at[3] = '0';
            at[4] = hex[(code >> 4) & 0xfu];
            at[5] = hex[code & 0xfu];
            return 6;
        }
    }
}

struct utf8_sequence {
    std::size_t length;  // bytes it takes (when invalid: the bytes one U+FFFD replaces)
    bool valid;
};

// The sequence that starts with the non-ASCII byte text[i]. Valid sequences are those of
// RFC 3629 (no overlong forms, no surrogates, nothing above U+10FFFF); the second byte's range
// depends on the lead byte as in Bjoern Hoehrmann's decoder, which nlohmann uses. When the
// sequence is invalid, `length` is its maximal valid beginning (at least 1): nlohmann drops
// those bytes, writes one U+FFFD and reads the byte that broke the sequence again, while a byte
// that cannot begin any sequence (a continuation byte, C0, C1, F5..FF) is replaced by itself.
utf8_sequence read_sequence(std::string_view text, std::size_t i) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t size = 0;
    unsigned low = 0x80;  // range of the second byte
    unsigned high = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) {
        size = 2;
    } else if (lead >= 0xe0 && lead <= 0xef) {
        size = 3;
        if (lead == 0xe0) low = 0xa0;   // else overlong
        if (lead == 0xed) high = 0x9f;  // else a surrogate
    } else if (lead >= 0xf0 && lead <= 0xf4) {
        size = 4;
        if (lead == 0xf0) low = 0x90;   // else overlong
        if (lead == 0xf4) high = 0x8f;  // else above U+10FFFF
    } else {
        return {1, false};
    }
    for (std::size_t k = 1; k < size; ++k) {
        if (i + k >= text.size()) return {k, false};  // cut short by the end of the text
        const auto next = static_cast<unsigned char>(text[i + k]);
        if (next < low || next > high) return {k, false};
        low = 0x80;
        high = 0xbf;
    }
    return {size, true};
}

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
    out.push_back('"');
    const char* data = text.data();
    std::size_t pending = 0;  // start of the bytes that go out as they are, not yet appended
    std::size_t i = 0;
    while (i < text.size()) {
        const auto byte = static_cast<unsigned char>(data[i]);
        if (byte >= 0x80) {
            const auto sequence = read_sequence(text, i);
            if (!sequence.valid) {
                out.append(data + pending, i - pending);
                out.append("\xEF\xBF\xBD");
                pending = i + sequence.length;
            }
            i += sequence.length;
        } else if (plain_ascii(byte)) {
            ++i;
        } else {
            out.append(data + pending, i - pending);
            char escape[6];
            out.append(escape, write_escape(escape, byte));
            pending = ++i;
        }
    }
    out.append(data + pending, text.size() - pending);
    out.push_back('"');
}

void append_json_string(std::string& out, std::u16string_view text) {
    // Written through a small buffer: one append per 256 bytes rather than one per unit.
    char buffer[256];
    std::size_t used = 0;
    buffer[used++] = '"';
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (sizeof buffer - used < 8) {  // one unit writes at most 6 bytes, the end quote 1
            out.append(buffer, used);
            used = 0;
        }
        char32_t code = text[i];
        if (code < 0x80) {
            if (plain_ascii(code)) {
                buffer[used++] = static_cast<char>(code);
            } else {
                used += write_escape(buffer + used, code);
            }
            continue;
        }
        // As domain::utf16_to_utf8 does it.
        if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.size() && text[i + 1] >= 0xdc00 &&
            text[i + 1] <= 0xdfff) {
            code = 0x10000 + ((code - 0xd800) << 10) + (text[i + 1] - 0xdc00u);
            ++i;
        } else if (code >= 0xd800 && code <= 0xdfff) {
            code = 0xfffd;
        }
        if (code < 0x800) {
            buffer[used++] = static_cast<char>(0xc0 | (code >> 6));
            buffer[used++] = static_cast<char>(0x80 | (code & 0x3f));
        } else if (code < 0x10000) {
            buffer[used++] = static_cast<char>(0xe0 | (code >> 12));
            buffer[used++] = static_cast<char>(0x80 | ((code >> 6) & 0x3f));
            buffer[used++] = static_cast<char>(0x80 | (code & 0x3f));
        } else {
            buffer[used++] = static_cast<char>(0xf0 | (code >> 18));
            buffer[used++] = static_cast<char>(0x80 | ((code >> 12) & 0x3f));
            buffer[used++] = static_cast<char>(0x80 | ((code >> 6) & 0x3f));
            buffer[used++] = static_cast<char>(0x80 | (code & 0x3f));
        }
    }
    buffer[used++] = '"';
    out.append(buffer, used);
}

void append_unsigned(std::string& out, std::uint64_t value) {
    char digits[20];  // 18446744073709551615
    const auto result = std::to_chars(digits, digits + sizeof digits, value);
    out.append(digits, result.ptr);
}

}  // namespace mockroom::protocol
