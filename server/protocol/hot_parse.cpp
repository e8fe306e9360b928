#include "protocol/hot_parse.hpp"

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "domain/change_set.hpp"
#include "domain/document.hpp"
#include "domain/utf8.hpp"
#include "protocol/change_json.hpp"

namespace mockroom::protocol {
namespace {

using domain::append_utf16;
using domain::append_utf8;
using domain::change_set;
using domain::is_high_surrogate;
using domain::is_low_surrogate;

// As codec.cpp's read_ref: a string "id" is at most this many bytes.
constexpr std::size_t max_ref_bytes = 64;
// Nesting of the values of unknown keys that is read (and ignored); deeper ones are declined.
constexpr int max_skip_depth = 32;
// An integer with at most this many digits is far below DBL_MAX, so nlohmann (which reads
// integers above 2^64-1 as doubles, and refuses infinite doubles) accepts it.
constexpr std::size_t max_skipped_digits = 300;

// size_t positions are read as nlohmann's number_unsigned.
static_assert(sizeof(std::size_t) == sizeof(std::uint64_t));

unsigned char byte_of(char c) {
    return static_cast<unsigned char>(c);
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// Bytes copied as they are inside a JSON string: printable ASCII and DEL, but not '"' or '\'.
bool is_plain(char c) {
    const auto b = byte_of(c);
    return b >= 0x20 && b < 0x80 && c != '"' && c != '\\';
}

// What a string's contents go to. Each gets: runs of plain bytes, single valid multi-byte UTF-8
// sequences (with their code point), and the code points of escapes (a surrogate pair as one
// code point; never a lone surrogate). Returning false declines the message.

// Only checks (values of unknown keys).
struct skip_sink {
    bool run(const char*, const char*) { return true; }
    bool sequence(const char*, std::size_t, char32_t) { return true; }
    bool escaped(char32_t) { return true; }
};

// Keys and string ids, taken as their raw bytes: no escapes.
struct raw_sink {
    bool run(const char*, const char*) { return true; }
    bool sequence(const char*, std::size_t, char32_t) { return true; }
    bool escaped(char32_t) { return false; }
};

// The decoded UTF-8, as nlohmann's string, of at most `max` bytes.
struct utf8_sink {
    std::string& out;
    std::size_t max;
    bool run(const char* begin, const char* end) {
        if (static_cast<std::size_t>(end - begin) > max - out.size()) return false;
        out.append(begin, end);
        return true;
    }
    bool sequence(const char* begin, std::size_t size, char32_t) {
        if (size > max - out.size()) return false;
        out.append(begin, size);
        return true;
    }
    bool escaped(char32_t code) {
        append_utf8(out, code);
        return out.size() <= max;
    }
};

// One line of an insertion, appended in UTF-16. A line never holds '\r' or '\n'
// (change_set_from_json refuses them).
struct line_sink {
    std::u16string& out;
    bool run(const char* begin, const char* end) {
        for (const char* p = begin; p != end; ++p) out.push_back(static_cast<char16_t>(*p));
        return true;
    }
    bool sequence(const char*, std::size_t, char32_t code) {
        append_utf16(out, code);
        return true;
    }
    bool escaped(char32_t code) {
        if (code == U'\n' || code == U'\r') return false;
        append_utf16(out, code);
        return true;
    }
};

class reader {
  public:
    explicit reader(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}

    std::optional<parsed_message> message(const limits& bounds);

  private:
    const char* p_;
    const char* end_;

    void skip_whitespace() {
        while (p_ != end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
    }
    // The next character after whitespace, '\0' at the end (a NUL byte is never valid where a
    // token is expected, so the two need not be told apart).
    char peek() {
        skip_whitespace();
        return p_ == end_ ? '\0' : *p_;
    }
    bool eat(char c) {
        if (peek() != c) return false;
        ++p_;
        return true;
    }

    bool hex4(char32_t& out) {
        if (end_ - p_ < 4) return false;
        out = 0;
        for (int i = 0; i < 4; ++i) {
            const char c = *p_++;
            char32_t digit = 0;
            if (c >= '0' && c <= '9') {
                digit = static_cast<char32_t>(c - '0');
            } else if (c >= 'a' && c <= 'f') {
                digit = static_cast<char32_t>(c - 'a' + 10);
            } else if (c >= 'A' && c <= 'F') {
                digit = static_cast<char32_t>(c - 'A' + 10);
            } else {
                return false;
            }
            out = out * 16 + digit;
        }
        return true;
    }

    // After the backslash. nlohmann refuses a lone surrogate, and a high one not followed by a
    // \u escape of a low one.
    bool escape(char32_t& code) {
        if (p_ == end_) return false;
        switch (*p_++) {
            case '"':
                code = U'"';
                return true;
            case '\\':
                code = U'\\';
                return true;
            case '/':
                code = U'/';
                return true;
            case 'b':
                code = U'\b';
                return true;
            case 'f':
                code = U'\f';
                return true;
            case 'n':
                code = U'\n';
                return true;
            case 'r':
                code = U'\r';
                return true;
            case 't':
                code = U'\t';
                return true;
            case 'u':
                break;
            default:
                return false;
        }
        char32_t first = 0;
        if (!hex4(first) || is_low_surrogate(first)) return false;
        if (!is_high_surrogate(first)) {
            code = first;
            return true;
        }
        if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') return false;
        p_ += 2;
        char32_t second = 0;
        if (!hex4(second) || !is_low_surrogate(second)) return false;
        code = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
        return true;
    }

    // The well-formed UTF-8 sequence at p_ (not consumed): nlohmann's check, which is also
    // utf8_to_utf16's (no overlong forms, no surrogates, nothing above U+10FFFF).
    bool utf8_sequence(char32_t& code, std::size_t& size) const {
        const auto lead = byte_of(*p_);
        unsigned char low = 0x80;  // the range of the second byte
        unsigned char high = 0xBF;
        if (lead >= 0xC2 && lead <= 0xDF) {
            size = 2;
            code = lead & 0x1Fu;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            size = 3;
            code = lead & 0x0Fu;
            if (lead == 0xE0) low = 0xA0;
            if (lead == 0xED) high = 0x9F;
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            size = 4;
            code = lead & 0x07u;
            if (lead == 0xF0) low = 0x90;
            if (lead == 0xF4) high = 0x8F;
        } else {
            return false;
        }
        if (static_cast<std::size_t>(end_ - p_) < size) return false;
        for (std::size_t k = 1; k < size; ++k) {
            const auto next = byte_of(p_[k]);
            const bool ok = k == 1 ? (next >= low && next <= high) : (next >= 0x80 && next <= 0xBF);
            if (!ok) return false;
            code = (code << 6) | (next & 0x3Fu);
        }
        return true;
    }

    // After the opening quote, through the closing one.
    template <class Sink>
    bool string_body(Sink& sink) {
        for (;;) {
            const char* run = p_;
            while (p_ != end_ && is_plain(*p_)) ++p_;
            if (p_ != run && !sink.run(run, p_)) return false;
            if (p_ == end_) return false;
            if (*p_ == '"') {
                ++p_;
                return true;
            }
            if (*p_ == '\\') {
                ++p_;
                char32_t code = 0;
                if (!escape(code) || !sink.escaped(code)) return false;
                continue;
            }
            char32_t code = 0;
            std::size_t size = 0;
            if (!utf8_sequence(code, size) || !sink.sequence(p_, size, code)) return false;
            p_ += size;  // (a control character fails utf8_sequence)
        }
    }
    template <class Sink>
    bool string(Sink& sink) {
        return eat('"') && string_body(sink);
    }

    // A key without escapes, as its raw bytes, and the colon after it.
    bool key(std::string_view& name) {
        if (!eat('"')) return false;
        const char* begin = p_;
        raw_sink sink;
        if (!string_body(sink)) return false;
        name = std::string_view(begin, static_cast<std::size_t>(p_ - 1 - begin));
        return eat(':');
    }

    // A number nlohmann reads as number_unsigned: no sign, fraction or exponent, below 2^64.
    bool unsigned_number(std::uint64_t& out) {
        skip_whitespace();
        if (p_ == end_ || !is_digit(*p_)) return false;
        out = 0;
        if (*p_ == '0') {
            ++p_;
            if (p_ != end_ && is_digit(*p_)) return false;  // a leading zero: invalid JSON
        } else {
            constexpr auto max = std::numeric_limits<std::uint64_t>::max();
            while (p_ != end_ && is_digit(*p_)) {
                const auto digit = static_cast<std::uint64_t>(*p_ - '0');
                if (out > (max - digit) / 10) return false;  // nlohmann makes it a double
                out = out * 10 + digit;
                ++p_;
            }
        }
        return p_ == end_ || (*p_ != '.' && *p_ != 'e' && *p_ != 'E');
    }

    bool literal(std::string_view word) {
        if (static_cast<std::size_t>(end_ - p_) < word.size() ||
            std::string_view(p_, word.size()) != word) {
            return false;
        }
        p_ += word.size();
        return true;
    }

    // -?(0|[1-9][0-9]*)(\.[0-9]+)? of at most max_skipped_digits integer digits (finite as a
    // double); exponents are declined.
    bool skip_number() {
        if (p_ != end_ && *p_ == '-') ++p_;
        if (p_ == end_ || !is_digit(*p_)) return false;
        if (*p_ == '0') {
            ++p_;  // a digit after it is invalid JSON, refused by what follows the value
        } else {
            const char* begin = p_;
            while (p_ != end_ && is_digit(*p_)) ++p_;
            if (static_cast<std::size_t>(p_ - begin) > max_skipped_digits) return false;
        }
        if (p_ != end_ && *p_ == '.') {
            ++p_;
            if (p_ == end_ || !is_digit(*p_)) return false;
            while (p_ != end_ && is_digit(*p_)) ++p_;
        }
        return p_ == end_ || (*p_ != 'e' && *p_ != 'E');
    }

    // Any JSON value, checked as nlohmann checks it, and ignored.
    bool skip_value(int depth) {
        const char c = peek();
        if (c == '"') {
            ++p_;
            skip_sink sink;
            return string_body(sink);
        }
        if (c == '{' || c == '[') {
            if (depth >= max_skip_depth) return false;
            ++p_;
            const char close = c == '{' ? '}' : ']';
            if (eat(close)) return true;
            for (;;) {
                if (c == '{') {
                    skip_sink sink;
                    if (!string(sink) || !eat(':')) return false;
                }
                if (!skip_value(depth + 1)) return false;
                if (eat(',')) continue;
                return eat(close);
            }
        }
        if (c == 't') return literal("true");
        if (c == 'f') return literal("false");
        if (c == 'n') return literal("null");
        return skip_number();
    }

    // read_ref: a non-negative integer, or a string without escapes (so that its raw JSON is
    // what dump() writes) of at most max_ref_bytes.
    bool id(std::string& ref) {
        const char c = peek();
        const char* begin = p_;
        if (c == '"') {
            ++p_;
            raw_sink sink;
            if (!string_body(sink)) return false;
            if (static_cast<std::size_t>(p_ - begin) - 2 > max_ref_bytes) return false;
        } else {
            std::uint64_t ignored = 0;
            if (!unsigned_number(ignored)) return false;
        }
        ref.assign(begin, p_);
        return true;
    }

    bool doc(domain::doc_id& out) {
        std::string name;
        utf8_sink sink{name, 7};
        if (!string(sink)) return false;
        if (name == "shared") {
            out = domain::doc_id::shared;
        } else if (name == "private") {
            out = domain::doc_id::private_notes;
        } else {
            return false;
        }
        return true;
    }

    // change_set_from_json on the array ahead. `parts` is scratch space, reused across the
    // updates of a push.
    bool changes(change_set& out, std::vector<change_set::part>& parts) {
        parts.clear();
        if (!eat('[')) return false;
        if (!eat(']')) {
            std::size_t length = 0;      // of the document before
            std::size_t new_length = 0;  // and after
            for (;;) {
                if (peek() == '[') {
                    ++p_;
                    std::uint64_t deleted = 0;
                    if (!unsigned_number(deleted) || deleted > max_change_units) return false;
                    change_set::replace r{static_cast<std::size_t>(deleted), {}};
                    bool first = true;
                    while (eat(',')) {
                        if (!first) r.inserted.push_back(u'\n');
                        first = false;
                        line_sink sink{r.inserted};
                        if (!string(sink) || r.inserted.size() > max_change_units) return false;
                    }
                    if (!eat(']')) return false;
                    length += r.deleted;
                    new_length += r.inserted.size();
                    parts.emplace_back(std::move(r));
                } else {
                    std::uint64_t kept = 0;
                    if (!unsigned_number(kept) || kept > max_change_units) return false;
                    parts.emplace_back(change_set::keep{static_cast<std::size_t>(kept)});
                    length += static_cast<std::size_t>(kept);
                    new_length += static_cast<std::size_t>(kept);
                }
                // Each step adds at most max_change_units: no overflow before this check.
                if (length > max_change_units || new_length > max_change_units) return false;
                if (eat(',')) continue;
                if (!eat(']')) return false;
                break;
            }
        }
        out = change_set::from_parts(parts);
        return true;
    }

    bool update(domain::text_update& out, std::vector<change_set::part>& parts,
                const limits& bounds) {
        if (!eat('{')) return false;
        bool has_client = false;
        bool has_changes = false;
        for (;;) {
            std::string_view name;
            if (!key(name)) return false;
            if (name == "clientID") {
                if (has_client) return false;
                has_client = true;
                utf8_sink sink{out.client_id, bounds.max_client_id_bytes};
                if (!string(sink)) return false;
            } else if (name == "changes") {
                if (has_changes) return false;
                has_changes = true;
                if (!changes(out.changes, parts)) return false;
            } else if (!skip_value(0)) {
                return false;
            }
            if (eat(',')) continue;
            if (!eat('}')) return false;
            return has_client && has_changes;
        }
    }

    bool updates(std::vector<domain::text_update>& out, const limits& bounds) {
        if (!eat('[')) return false;
        if (eat(']')) return true;
        std::vector<change_set::part> parts;
        for (;;) {
            domain::text_update parsed;
            if (!update(parsed, parts, bounds)) return false;
            out.push_back(std::move(parsed));
            if (eat(',')) continue;
            return eat(']');
        }
    }

    bool ranges(domain::cursor_ranges& out) {
        if (!eat('[')) return false;
        if (eat(']')) return true;
        for (;;) {
            std::uint64_t anchor = 0;
            std::uint64_t head = 0;
            if (!eat('[') || !unsigned_number(anchor) || !eat(',') || !unsigned_number(head) ||
                !eat(']')) {
                return false;
            }
            out.emplace_back(anchor, head);
            if (eat(',')) continue;
            return eat(']');
        }
    }
};

std::optional<parsed_message> reader::message(const limits& bounds) {
    enum class kind { other, notes_push, cursor };
    kind type = kind::other;
    std::string ref;
    domain::doc_id doc = domain::doc_id::shared;
    std::uint64_t version = 0;
    std::vector<domain::text_update> pushed;
    domain::cursor_ranges cursor_ranges;
    // Each known key at most once: nlohmann would keep the last, this reader declines.
    bool has_type = false;
    bool has_id = false;
    bool has_doc = false;
    bool has_version = false;
    bool has_updates = false;
    bool has_ranges = false;
    const auto once = [](bool& seen) { return !std::exchange(seen, true); };

    if (!eat('{')) return std::nullopt;
    for (;;) {
        std::string_view name;
        if (!key(name)) return std::nullopt;
        bool ok = true;
        if (name == "type") {
            std::string text;
            utf8_sink sink{text, 10};  // as long as "notes.push"
            ok = once(has_type) && string(sink);
            if (text == "notes.push") {
                type = kind::notes_push;
            } else if (text == "cursor") {
                type = kind::cursor;
            } else {
                ok = false;
            }
        } else if (name == "id") {
            ok = once(has_id) && id(ref);
        } else if (name == "doc") {
            ok = once(has_doc) && this->doc(doc);
        } else if (name == "version") {
            ok = once(has_version) && unsigned_number(version);
        } else if (name == "updates") {
            // Read (and checked) in a cursor message too, where the DOM path ignores it.
            ok = once(has_updates) && updates(pushed, bounds);
        } else if (name == "ranges") {
            ok = once(has_ranges) && ranges(cursor_ranges);
        } else {
            ok = skip_value(0);
        }
        if (!ok) return std::nullopt;
        if (eat(',')) continue;
        if (eat('}')) break;
        return std::nullopt;
    }
    skip_whitespace();
    if (p_ != end_ || !has_type || !has_doc || !has_version) return std::nullopt;
    const auto count = static_cast<std::size_t>(version);
    if (type == kind::notes_push) {
        if (!has_updates) return std::nullopt;
        return parsed_message{domain::command{domain::notes_push{doc, count, std::move(pushed)}},
                              std::move(ref)};
    }
    if (!has_ranges) return std::nullopt;
    return parsed_message{
        domain::command{domain::cursor_update{doc, count, std::move(cursor_ranges)}},
        std::move(ref)};
}

}  // namespace

std::optional<parsed_message> parse_hot_message(std::string_view text, const limits& bounds) {
    try {
        return reader(text).message(bounds);
    } catch (...) {  // only std::bad_alloc could come here
        return std::nullopt;
    }
}

}  // namespace mockroom::protocol
