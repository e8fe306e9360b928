#include "frame_scan.hpp"

#include <charconv>

namespace mockroom::load::detail {

std::size_t skip_space(std::string_view text, std::size_t at) {
    while (at < text.size() &&
           (text[at] == ' ' || text[at] == '\n' || text[at] == '\t' || text[at] == '\r'))
        ++at;
    return at;
}

namespace {

std::size_t skip_string(std::string_view text, std::size_t at) {
    // text[at] is the opening quote.
    for (std::size_t i = at + 1; i < text.size(); ++i) {
        if (text[i] == '\\') {
            ++i;  // the escaped character, whatever it is (a \uXXXX's digits are plain)
        } else if (text[i] == '"') {
            return i + 1;
        }
    }
    return std::string_view::npos;
}

}  // namespace

std::size_t skip_value(std::string_view text, std::size_t at) {
    at = skip_space(text, at);
    if (at >= text.size()) return std::string_view::npos;
    const char c = text[at];
    if (c == '"') return skip_string(text, at);
    if (c == '{' || c == '[') {
        int depth = 0;
        for (std::size_t i = at; i < text.size(); ++i) {
            const char d = text[i];
            if (d == '"') {
                i = skip_string(text, i);
                if (i == std::string_view::npos) return i;
                --i;  // the loop's ++i moves past the closing quote
            } else if (d == '{' || d == '[') {
                ++depth;
            } else if (d == '}' || d == ']') {
                if (--depth == 0) return i + 1;
            }
        }
        return std::string_view::npos;
    }
    // A number, true, false or null: up to the next delimiter.
    std::size_t i = at;
    while (i < text.size() && text[i] != ',' && text[i] != '}' && text[i] != ']' &&
           text[i] != ' ' && text[i] != '\n' && text[i] != '\t' && text[i] != '\r')
        ++i;
    return i == at ? std::string_view::npos : i;
}

}  // namespace mockroom::load::detail

namespace mockroom::load {

bool scan_frame(std::string_view frame, frame_fields& out) {
    out = frame_fields{};
    return for_each_member(frame, [&out](std::string_view key, std::string_view value) {
        // Switch on length first: most keys are told apart without a comparison.
        switch (key.size()) {
            case 3:
                if (key == "doc") out.doc = value;
                if (key == "you") out.you = value;
                break;
            case 4:
                if (key == "type") out.type = value;
                if (key == "from") out.from = value;
                if (key == "code") out.code = value;
                if (key == "text") out.text = value;
                break;
            case 6:
                if (key == "ranges") out.ranges = value;
                break;
            case 7:
                if (key == "version") out.version = value;
                if (key == "updates") out.updates = value;
                break;
            case 11:
                if (key == "participant") out.participant = value;
                break;
            default:
                break;
        }
    });
}

std::string_view unquote(std::string_view raw) {
    if (raw.size() >= 2 && raw.front() == '"' && raw.back() == '"')
        return raw.substr(1, raw.size() - 2);
    return raw;
}

std::optional<std::int64_t> to_integer(std::string_view raw) {
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), value);
    if (ec != std::errc{} || end != raw.data() + raw.size()) return std::nullopt;
    return value;
}

std::int64_t utf16_length(std::string_view contents) {
    std::int64_t units = 0;
    for (std::size_t i = 0; i < contents.size(); ++i) {
        const auto byte = static_cast<unsigned char>(contents[i]);
        if (byte == '\\') {
            // \uXXXX is one unit (a pair is written as two escapes); \n, \" ... are one.
            i += (i + 1 < contents.size() && contents[i + 1] == 'u') ? std::size_t{5}
                                                                     : std::size_t{1};
            ++units;
        } else if (byte < 0x80 || (byte >= 0xC0 && byte < 0xF0)) {
            ++units;  // ASCII, or the lead byte of a 2- or 3-byte sequence (BMP)
        } else if (byte >= 0xF0) {
            units += 2;  // a 4-byte sequence is a surrogate pair
        }                // continuation bytes add nothing
    }
    return units;
}

}  // namespace mockroom::load
