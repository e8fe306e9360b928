// The reader without a DOM for notes.push and cursor (protocol/hot_parse.hpp) against the DOM
// reader (parse_client_message_dom): whenever it answers, its answer is exactly the DOM's, and it
// does answer for the shapes clients send. Random messages and mutations come from fixed seeds.
#include "protocol/hot_parse.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "domain/utf8.hpp"
#include "protocol/change_json.hpp"
#include "protocol/codec.hpp"

namespace {

using namespace mockroom;
using namespace mockroom::protocol;
using domain::change_set;

const limits bounds{};

// "" when the two are the same message, else what differs.
std::string difference(const parsed_message& hot, const parsed_message& dom) {
    if (hot.ref != dom.ref) return "ref: " + hot.ref + " vs " + dom.ref;
    const auto* hot_command = std::get_if<domain::command>(&hot.message);
    const auto* dom_command = std::get_if<domain::command>(&dom.message);
    if (hot_command == nullptr || dom_command == nullptr) return "not a command";
    if (hot_command->index() != dom_command->index()) return "another command";
    if (const auto* h = std::get_if<domain::notes_push>(hot_command)) {
        const auto& d = std::get<domain::notes_push>(*dom_command);
        if (h->doc != d.doc) return "doc";
        if (h->version != d.version) return "version";
        if (h->updates.size() != d.updates.size()) return "number of updates";
        for (std::size_t i = 0; i < h->updates.size(); ++i) {
            if (h->updates[i].client_id != d.updates[i].client_id) {
                return "clientID of update " + std::to_string(i);
            }
            if (!(h->updates[i].changes == d.updates[i].changes)) {
                return "changes of update " + std::to_string(i) + ": " +
                       change_set_to_json(h->updates[i].changes).dump() + " vs " +
                       change_set_to_json(d.updates[i].changes).dump();
            }
        }
        return {};
    }
    if (const auto* h = std::get_if<domain::cursor_update>(hot_command)) {
        const auto& d = std::get<domain::cursor_update>(*dom_command);
        if (h->doc != d.doc) return "doc";
        if (h->version != d.version) return "version";
        if (h->ranges != d.ranges) return "ranges";
        return {};
    }
    return "neither notes.push nor cursor";
}

enum class verdict { declined, same, wrong };

// Holds the fast reader to the DOM reader on one text: `wrong` when it answers differently.
verdict check(std::string_view text, std::string* why = nullptr) {
    // From a buffer of exactly the text's size (no terminating NUL after it), so that a read
    // past the end is one under AddressSanitizer.
    const std::vector<char> exact(text.begin(), text.end());
    const auto hot = parse_hot_message(std::string_view(exact.data(), exact.size()), bounds);
    if (!hot) return verdict::declined;
    const auto dom = parse_client_message_dom(text, bounds);
    std::string problem;
    if (const auto* error = std::get_if<protocol_error>(&dom)) {
        problem = "accepted, but the DOM path says: " + error->message;
    } else {
        problem = difference(*hot, std::get<parsed_message>(dom));
    }
    if (problem.empty()) return verdict::same;
    if (why != nullptr) *why = problem;
    return verdict::wrong;
}

std::string printable(std::string_view text) {
    std::string out;
    for (char c : text) {
        const auto b = static_cast<unsigned char>(c);
        if (b < 0x20 || b >= 0x7f) {
            static constexpr char digits[] = "0123456789abcdef";
            out += "<";
            out += digits[b >> 4];
            out += digits[b & 15];
            out += ">";
        } else {
            out += c;
        }
    }
    return out;
}

// ---- a generator of well-formed (or nearly) notes.push and cursor texts -------------------

using mockroom::domain::append_utf8;

// Code points for texts: quotes, backslashes, controls, C1, the BMP's edges, astral ones.
constexpr char32_t text_pool[] = {U'a',   U'b',   U'z',   U'A',   U'0',    U'9',    U' ',    U'"',
                                  U'\\',  U'/',   U'\t',  U'\b',  U'\f',   0x01,    0x1f,    0x7f,
                                  0x00,   0xe9,   0x85,   0x7ff,  0x800,   0x2028,  0x4e2d,  0xd7ff,
                                  0xe000, 0xfffd, 0xfeff, 0xffff, 0x10000, 0x1f600, 0x10ffff};

struct generator {
    std::mt19937_64 rng;
    double whitespace_rate = 0;
    double edge_rate = 0;     // how often to try what the fast reader declines or the DOM refuses
    bool must_accept = true;  // nothing declined was used: the fast reader must answer

    explicit generator(std::uint64_t seed) : rng(seed) {}

    std::size_t below(std::size_t n) {
        return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
    }
    bool chance(double p) { return std::bernoulli_distribution(p)(rng); }
    bool edge() { return chance(edge_rate); }
    void declined() { must_accept = false; }

    std::string ws() {
        std::string out;
        if (chance(whitespace_rate)) {
            for (std::size_t n = 1 + below(3); n > 0; --n) out.push_back(" \t\n\r"[below(4)]);
        }
        return out;
    }

    void append_hex4(std::string& out, unsigned value) {
        out += "\\u";
        const bool upper = chance(0.5);
        for (int shift = 12; shift >= 0; shift -= 4) {
            const unsigned digit = (value >> shift) & 15;
            out.push_back(
                static_cast<char>(digit < 10 ? '0' + digit : (upper ? 'A' : 'a') + digit - 10));
        }
    }

    // One code point inside a JSON string, raw or escaped at random (escaped where JSON must).
    void append_code_point(std::string& out, char32_t code) {
        const bool escape = chance(0.25);
        switch (code) {
            case U'"':
                out += escape ? "\\u0022" : "\\\"";
                return;
            case U'\\':
                out += escape ? "\\u005c" : "\\\\";
                return;
            case U'/':
                out += escape ? "\\/" : "/";
                return;
            case U'\b':
                out += escape ? "\\u0008" : "\\b";
                return;
            case U'\f':
                out += escape ? "\\u000C" : "\\f";
                return;
            case U'\t':
                out += escape ? "\\u0009" : "\\t";
                return;
            case U'\n':
                out += escape ? "\\u000a" : "\\n";
                return;
            case U'\r':
                out += escape ? "\\u000D" : "\\r";
                return;
            default:
                break;
        }
        if (code < 0x20) {
            append_hex4(out, static_cast<unsigned>(code));
        } else if (!escape) {
            append_utf8(out, code);
        } else if (code < 0x10000) {
            append_hex4(out, static_cast<unsigned>(code));
        } else {
            const char32_t v = code - 0x10000;
            append_hex4(out, static_cast<unsigned>(0xD800 + (v >> 10)));
            append_hex4(out, static_cast<unsigned>(0xDC00 + (v & 0x3FF)));
        }
    }

    std::string quoted(const std::u32string& text) {
        std::string out = "\"";
        for (char32_t c : text) append_code_point(out, c);
        out += "\"";
        return out;
    }

    std::u32string random_text(std::size_t max_length) {
        std::u32string text;
        for (std::size_t n = below(max_length + 1); n > 0; --n) {
            text.push_back(text_pool[below(std::size(text_pool))]);
        }
        return text;
    }

    // A key: plain, or (declined) with an escape, which JSON allows.
    std::string key(std::string_view name) {
        if (!name.empty() && edge()) {
            declined();
            std::string out = "\"";
            append_hex4(out, static_cast<unsigned char>(name[0]));
            out.append(name.substr(1));
            return out + "\"";
        }
        return "\"" + std::string(name) + "\"";
    }

    std::string object(std::vector<std::pair<std::string, std::string>> entries) {
        std::shuffle(entries.begin(), entries.end(), rng);
        std::string out = ws() + "{" + ws();
        for (std::size_t i = 0; i < entries.size(); ++i) {
            if (i > 0) out += "," + ws();
            out += entries[i].first + ws() + ":" + ws() + entries[i].second + ws();
        }
        return out + "}" + ws();
    }

    std::string array(const std::vector<std::string>& items) {
        std::string out = "[" + ws();
        for (std::size_t i = 0; i < items.size(); ++i) {
            if (i > 0) out += ws() + "," + ws();
            out += items[i];
        }
        return out + ws() + "]";
    }

    std::uint64_t count() {
        switch (below(6)) {
            case 0:
                return 0;
            case 1:
                return below(100);
            case 2:
                return rng();
            case 3:
                return std::numeric_limits<std::uint64_t>::max();
            case 4:
                return (std::uint64_t{1} << 32) + below(3);
            default:
                return below(100000);
        }
    }

    // A non-negative integer where nlohmann has number_unsigned, or (declined) something near.
    std::string count_text(std::uint64_t value) {
        if (edge()) {
            declined();
            static const char* const odd[] = {"18446744073709551616",
                                              "99999999999999999999999",
                                              "1.0",
                                              "-0",
                                              "-1",
                                              "1e2",
                                              "2E0",
                                              "0.5",
                                              "\"1\"",
                                              "null",
                                              "true",
                                              "[]",
                                              "{}"};
            return odd[below(std::size(odd))];
        }
        return std::to_string(value);
    }

    std::string doc() {
        if (chance(0.1)) return chance(0.5) ? "\"\\u0073hared\"" : "\"priv\\u0061te\"";
        if (edge()) {
            declined();
            return chance(0.5) ? "\"public\"" : "1";
        }
        return chance(0.5) ? "\"shared\"" : "\"private\"";
    }

    std::string type(std::string_view name) {
        if (chance(0.05)) {  // escaped: read by both
            std::string out = "\"";
            append_hex4(out, static_cast<unsigned char>(name[0]));
            return out + std::string(name.substr(1)) + "\"";
        }
        return "\"" + std::string(name) + "\"";
    }

    // An "id" value, or "" for none.
    std::string id() {
        switch (below(8)) {
            case 0:
            case 1:
                return "";
            case 2:
                return std::to_string(below(1000));
            case 3:
                return std::to_string(count());
            case 4: {
                std::string raw;  // printable ASCII and raw UTF-8, no escapes
                for (std::size_t n = below(20); n > 0; --n) {
                    char32_t c = text_pool[below(std::size(text_pool))];
                    if (c < 0x20 || c == U'"' || c == U'\\') c = U'x';
                    append_utf8(raw, c);
                }
                if (chance(0.1)) raw = std::string(64, 'r');  // the longest
                return "\"" + raw + "\"";
            }
            case 5:
                return "\"req-" + std::to_string(below(100)) + "\"";
            default:
                if (!edge()) return std::to_string(below(50));
                declined();
                static const char* const odd[] = {
                    "-5",
                    "1.5",
                    "null",
                    "true",
                    "\"\\u0041\"",
                    "\"a\\\"b\"",
                    "[]",
                    "18446744073709551616",
                    "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\""};
                return odd[below(std::size(odd))];
        }
    }

    // Any JSON value (what unknown keys carry).
    std::string any_value(int depth) {
        switch (below(depth < 3 ? 9 : 6)) {
            case 0:
                return quoted(random_text(6));
            case 1:
                return std::to_string(static_cast<std::int64_t>(rng()));
            case 2: {
                static const char* const numbers[] = {
                    "0", "-0", "12.5", "-0.25", "0.0", "123456789012345678901234567890"};
                return numbers[below(std::size(numbers))];
            }
            case 3:
                return chance(0.5) ? "true" : "false";
            case 4:
                return "null";
            case 5:
                if (edge()) {
                    declined();
                    // finite ones, and ones nlohmann refuses (overflowing a double)
                    static const std::string odd[] = {"1e5", "-2.5E-3", "1e400", "-1E+999",
                                                      std::string(400, '9')};
                    return odd[below(std::size(odd))];
                }
                return "7";
            case 6:
            case 7: {
                std::vector<std::string> items;
                for (std::size_t n = below(4); n > 0; --n) items.push_back(any_value(depth + 1));
                return array(items);
            }
            default: {
                std::vector<std::pair<std::string, std::string>> entries;
                for (std::size_t n = below(4); n > 0; --n) {
                    static const char* const names[] = {"a", "type", "doc", "", "k\xc3\xa9"};
                    entries.emplace_back(std::string("\"") + names[below(5)] + "\"",
                                         any_value(depth + 1));
                }
                return object(entries);
            }
        }
    }

    void add_unknown(std::vector<std::pair<std::string, std::string>>& entries,
                     const std::vector<const char*>& names) {
        for (std::size_t n = chance(0.3) ? 1 + below(2) : 0; n > 0; --n) {
            entries.emplace_back(key(names[below(names.size())]), any_value(0));
        }
    }

    // A change set's JSON, within the limits unless an edge is tried.
    std::string changes() {
        std::vector<std::string> parts;
        for (std::size_t n = below(6); n > 0; --n) {
            if (chance(0.4)) {
                std::uint64_t kept = below(50);
                if (edge()) {
                    declined();  // the document would be too long, or this number is
                    kept = chance(0.5) ? max_change_units + 1 : max_change_units;
                }
                parts.push_back(chance(0.03) ? count_text(kept) : std::to_string(kept));
                continue;
            }
            std::vector<std::string> items{std::to_string(below(chance(0.2) ? 1000 : 5))};
            for (std::size_t lines = below(4); lines > 0; --lines) {
                std::u32string line = random_text(6);
                if (edge()) {
                    declined();  // a line break, or a lone surrogate
                    if (chance(0.5)) {
                        line.insert(
                            line.begin() + static_cast<std::ptrdiff_t>(below(line.size() + 1)),
                            chance(0.5) ? U'\n' : U'\r');
                        items.push_back(quoted(line));
                    } else {
                        std::string text = quoted(line);
                        text.insert(1, chance(0.5) ? "\\ud800" : "\\uDC00x");
                        items.push_back(text);
                    }
                    continue;
                }
                items.push_back(quoted(line));
            }
            parts.push_back(array(items));
        }
        return array(parts);
    }

    std::string client_id() {
        if (chance(0.1)) return quoted(random_text(8));  // any string is a clientID
        if (chance(0.05)) return "\"" + std::string(bounds.max_client_id_bytes, 'c') + "\"";
        if (edge()) {
            declined();
            return chance(0.5) ? "\"" + std::string(bounds.max_client_id_bytes + 1, 'c') + "\""
                               : "7";
        }
        static const char* const ids[] = {"c-4f1e2d", "tab_1", "Zx-9", "a"};
        return std::string("\"") + ids[below(std::size(ids))] + "\"";
    }

    std::string update() {
        std::vector<std::pair<std::string, std::string>> entries{{key("clientID"), client_id()},
                                                                 {key("changes"), changes()}};
        add_unknown(entries, {"type", "id", "doc", "version", "x", ""});
        return object(entries);
    }

    std::string ranges() {
        std::vector<std::string> items;
        for (std::size_t n = below(5); n > 0; --n) {
            items.push_back(array({count_text(count()), count_text(count())}));
        }
        return array(items);
    }

    std::string notes_push() {
        std::vector<std::string> updates;
        for (std::size_t n = below(4); n > 0; --n) updates.push_back(update());
        std::vector<std::pair<std::string, std::string>> entries{
            {key("type"), type("notes.push")},
            {key("doc"), doc()},
            {key("version"), count_text(count())},
            {key("updates"), array(updates)}};
        if (chance(0.05)) entries.emplace_back(key("ranges"), ranges());  // ignored by the DOM
        return finish(std::move(entries));
    }

    std::string cursor() {
        std::vector<std::pair<std::string, std::string>> entries{
            {key("type"), type("cursor")},
            {key("doc"), doc()},
            {key("version"), count_text(count())},
            {key("ranges"), ranges()}};
        if (chance(0.05)) entries.emplace_back(key("updates"), array({update()}));  // ignored
        return finish(std::move(entries));
    }

    std::string finish(std::vector<std::pair<std::string, std::string>> entries) {
        if (auto value = id(); !value.empty()) entries.emplace_back(key("id"), value);
        add_unknown(entries, {"t", "seq", "clientID", "changes", "x\xc3\xa9", ""});
        return object(std::move(entries));
    }

    // A fresh message; must_accept tells whether the fast reader has to answer for it.
    std::string message(double whitespace, double edges) {
        whitespace_rate = whitespace;
        edge_rate = edges;
        must_accept = true;
        return chance(0.5) ? notes_push() : cursor();
    }
};

// ---- mutations ------------------------------------------------------------------------------

constexpr char interesting_bytes[] = {
    '"',    '\\',   ']',    '[',    '{',    '}',    ',',    ':',  '-',    '.',   'e',
    'E',    '0',    '9',    'u',    ' ',    '\n',   '\t',   'a',  'n',    't',   '\x80',
    '\xbf', '\xc0', '\xc3', '\xed', '\xf4', '\xf5', '\xff', '\0', '\x7f', '\x1f'};

void mutate(std::string& text, generator& g) {
    const auto position = [&](bool end_ok) { return g.below(text.size() + (end_ok ? 1 : 0)); };
    switch (g.below(9)) {
        case 0:
            if (!text.empty()) text.erase(position(false), 1 + g.below(3));
            break;
        case 1:
            text.insert(text.begin() + static_cast<std::ptrdiff_t>(position(true)),
                        interesting_bytes[g.below(std::size(interesting_bytes))]);
            break;
        case 2:
            if (!text.empty()) {
                text[position(false)] = interesting_bytes[g.below(std::size(interesting_bytes))];
            }
            break;
        case 3:
            text.resize(g.below(text.size() + 1));
            break;
        case 4: {  // a key again (or a new one) right after an opening brace
            static const char* const fragments[] = {"\"version\":7,",
                                                    "\"doc\":\"private\",",
                                                    "\"type\":\"cursor\",",
                                                    "\"type\":\"notes.push\",",
                                                    "\"id\":1,",
                                                    "\"clientID\":\"x\",",
                                                    "\"changes\":[],",
                                                    "\"updates\":[],",
                                                    "\"ranges\":[],",
                                                    "\"ranges\":[[1,2]],"};
            std::vector<std::size_t> braces;
            for (std::size_t i = 0; i < text.size(); ++i) {
                if (text[i] == '{') braces.push_back(i);
            }
            if (braces.empty()) break;
            text.insert(braces[g.below(braces.size())] + 1,
                        fragments[g.below(std::size(fragments))]);
            break;
        }
        case 5: {  // a number becomes something else
            static const char* const replacements[] = {"\"1\"",
                                                       "true",
                                                       "null",
                                                       "1.0",
                                                       "-1",
                                                       "1e2",
                                                       "[]",
                                                       "{}",
                                                       "-0",
                                                       "01",
                                                       "0",
                                                       "18446744073709551616",
                                                       "18446744073709551615",
                                                       "2147483648",
                                                       "2147483649",
                                                       "[1]",
                                                       "[0,\"a\"]"};
            std::vector<std::size_t> digits;
            for (std::size_t i = 0; i < text.size(); ++i) {
                if (text[i] >= '0' && text[i] <= '9') digits.push_back(i);
            }
            if (digits.empty()) break;
            std::size_t begin = digits[g.below(digits.size())];
            std::size_t end = begin + 1;
            while (begin > 0 && text[begin - 1] >= '0' && text[begin - 1] <= '9') --begin;
            while (end < text.size() && text[end] >= '0' && text[end] <= '9') ++end;
            text.replace(begin, end - begin, replacements[g.below(std::size(replacements))]);
            break;
        }
        case 6: {  // an escape sequence, likely inside a string
            static const char* const escapes[] = {
                "\\u0041", "\\ud83d", "\\udc00", "\\ud83d\\ude00", "\\n",  "\\u000a", "\\u000D",
                "\\/",     "\\x",     "\\u12",   "\\uD800\\u0041", "\\\"", "\\\\",    "\\u0000",
                "\\U0041"};
            text.insert(position(true), escapes[g.below(std::size(escapes))]);
            break;
        }
        case 7: {  // a piece again
            if (text.empty()) break;
            const std::size_t begin = position(false);
            const std::string piece = text.substr(begin, 1 + g.below(12));
            text.insert(position(true), piece);
            break;
        }
        default:
            if (text.size() >= 2) {
                const std::size_t i = position(false);
                const std::size_t j = position(false);
                std::swap(text[i], text[j]);
            }
            break;
    }
}

// What web/src sends (JSON.stringify of notesPush / cursorMessage, protocol.ts) and the
// examples: the fast reader must take these.
const char* const client_shapes[] = {
    R"({"type":"notes.push","id":12,"doc":"shared","version":3,"updates":[{"clientID":"c-4f1e2d","changes":[3,[0,"x"],4]}]})",
    R"({"type":"notes.push","doc":"private","version":0,"updates":[{"clientID":"tab_1","changes":[[0,"hello"]]}]})",
    R"({"type":"notes.push","id":7,"doc":"shared","version":41,"updates":[{"clientID":"c1","changes":[10,[0,"",""],5]},{"clientID":"c1","changes":[11,[0,"    x = \"a\\\\b\""],5]}]})",
    R"({"type":"notes.push","id":8,"doc":"shared","version":9,"updates":[{"clientID":"c1","changes":[2,[3],[0,"caf\u00e9 \ud83d\ude00 \t tab"],1]}]})",
    R"({"type":"notes.push","id":9,"doc":"shared","version":9,"updates":[{"clientID":"c1","changes":[2,[1,"café 😀 中"]]}]})",
    R"({"type":"notes.push","id":10,"doc":"shared","version":9,"updates":[]})",
    R"({"type":"cursor","doc":"shared","version":12,"ranges":[[5,5],[8,12]]})",
    R"({"type":"cursor","doc":"private","version":0,"ranges":[]})",
    R"({"type":"cursor","doc":"shared","version":18446744073709551615,"ranges":[[18446744073709551615,0]]})",
    R"({"type":"notes.push","id":"req-1","doc":"shared","version":3,"updates":[{"clientID":"a","changes":[]}]})",
};

std::string example(const char* name) {
    const auto path =
        std::filesystem::path(MOCKROOM_SOURCE_DIR) / "shared" / "protocol" / "examples" / name;
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in.good());
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

TEST_CASE("hot parse: the shapes clients send are read, as the DOM path reads them",
          "[hot_parse]") {
    std::vector<std::string> texts(std::begin(client_shapes), std::end(client_shapes));
    texts.push_back(example("c2s.notes.push.json"));
    texts.push_back(example("c2s.cursor.json"));
    for (const auto& text : texts) {
        INFO(text);
        std::string why;
        const auto result = check(text, &why);
        INFO(why);
        CHECK(result == verdict::same);
    }

    // And the values are the expected ones (not only the DOM's).
    const auto push = parse_hot_message(client_shapes[3], bounds);
    REQUIRE(push);
    CHECK(push->ref == "8");
    const auto& p = std::get<domain::notes_push>(std::get<domain::command>(push->message));
    CHECK(p.doc == domain::doc_id::shared);
    CHECK(p.version == 9);
    REQUIRE(p.updates.size() == 1);
    CHECK(p.updates[0].client_id == "c1");
    CHECK(p.updates[0].changes ==
          change_set::from_parts({change_set::keep{2}, change_set::replace{3, u""},
                                  change_set::replace{0, u"caf\u00e9 \U0001F600 \t tab"},
                                  change_set::keep{1}}));

    const auto with_id = parse_hot_message(client_shapes[9], bounds);
    REQUIRE(with_id);
    CHECK(with_id->ref == "\"req-1\"");

    const auto cursor = parse_hot_message(client_shapes[8], bounds);
    REQUIRE(cursor);
    CHECK(cursor->ref.empty());
    const auto& c = std::get<domain::cursor_update>(std::get<domain::command>(cursor->message));
    CHECK(c.version == std::numeric_limits<std::size_t>::max());
    CHECK(c.ranges == domain::cursor_ranges{{std::numeric_limits<std::size_t>::max(), 0}});
}

TEST_CASE("hot parse: what it also reads, as the DOM path does", "[hot_parse]") {
    const char* const texts[] = {
        // whitespace everywhere JSON allows it
        " \r\n\t{ \"type\" : \"cursor\" ,\n\"doc\"\t:\"shared\",\"version\":1 , \"ranges\" : [ [ 1 "
        ", 2 ] ] } \n",
        // any key order; the type last
        R"({"ranges":[[1,2]],"version":1,"doc":"shared","type":"cursor"})",
        // unknown keys with any values are ignored (also known names of the other level)
        R"({"type":"cursor","x":{"a":[1,-2,0.5,"s\u00e9",true,false,null,{}],"a":[]},"doc":"shared","version":1,"ranges":[],"changes":7})",
        R"({"type":"notes.push","doc":"shared","version":1,"updates":[{"doc":1,"clientID":"a","id":[{}],"changes":[1]}]})",
        // the key names of the other message are read and ignored
        R"({"type":"cursor","doc":"shared","version":1,"ranges":[],"updates":[{"clientID":"a","changes":[]}]})",
        R"({"type":"notes.push","doc":"shared","version":1,"updates":[],"ranges":[[1,2]]})",
        // escapes in type and doc, and in clientID (any string of at most 64 bytes)
        R"({"type":"notes\u002epush","doc":"\u0073hared","version":1,"updates":[{"clientID":"a\nb\u0000\ud83d\ude00","changes":[]}]})",
        // every escape in a line, and the surrogate pair in both cases
        R"({"type":"notes.push","doc":"shared","version":1,"updates":[{"clientID":"a","changes":[[0,"\"\\\/\b\f\t\u0041\u00e9\uD83D\uDE00\ud83d\ude00\u0000\u001f\u2028"]]}]})",
        // empty lines and line breaks between lines
        R"({"type":"notes.push","doc":"shared","version":1,"updates":[{"clientID":"a","changes":[[0,"","",""],2,[0,""],[3]]}]})",
        // ids: raw UTF-8 and DEL in a string id; 64 bytes; 0 and 2^64-1
        "{\"type\":\"cursor\",\"id\":\"caf\xc3\xa9\x7f\",\"doc\":\"shared\",\"version\":1,"
        "\"ranges\":[]}",
        R"({"type":"cursor","id":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx","doc":"shared","version":1,"ranges":[]})",
        R"({"type":"cursor","id":0,"doc":"shared","version":1,"ranges":[]})",
        R"({"type":"cursor","id":18446744073709551615,"doc":"shared","version":1,"ranges":[]})",
        // lengths up to max_change_units (2^31)
        R"({"type":"notes.push","doc":"shared","version":1,"updates":[{"clientID":"a","changes":[2147483648]}]})",
        R"({"type":"notes.push","doc":"shared","version":1,"updates":[{"clientID":"a","changes":[[2147483648]]}]})",
        // unknown values: big integers (nlohmann: a double), long fractions
        R"({"type":"cursor","doc":"shared","version":1,"ranges":[],"t":123456789012345678901234567890,"u":-0.000000001})",
    };
    for (const char* text : texts) {
        INFO(printable(text));
        std::string why;
        const auto result = check(text, &why);
        INFO(why);
        CHECK(result == verdict::same);
    }
}

TEST_CASE("hot parse: declines what it does not handle, and every error", "[hot_parse]") {
    struct sample {
        std::string text;
        bool dom_accepts;  // what the DOM path (which then reads it) makes of it
    };
    const std::string cursor_tail = R"("doc":"shared","version":1,"ranges":[])";
    const std::string push_head = R"({"type":"notes.push","doc":"shared","version":1,"updates":)";
    const auto changes = [&](const std::string& json) {
        return push_head + R"([{"clientID":"a","changes":)" + json + "}]}";
    };
    const auto cursor_with = [&](const std::string& extra) {
        return R"({"type":"cursor",)" + extra + cursor_tail + "}";
    };
    const std::vector<sample> samples{
        // other messages, and not messages
        {R"({"type":"notes.pull","doc":"shared","version":1})", true},
        {R"({"type":"ping","id":1,"t0":5})", true},
        {R"({"type":"Cursor","doc":"shared","version":1,"ranges":[]})", false},
        {R"({"type":1,"doc":"shared","version":1,"ranges":[]})", false},
        {"", false},
        {"[]", false},
        {"{}", false},
        {"null", false},
        // a key given twice (nlohmann keeps the last one)
        {cursor_with(R"("doc":"private",)"), true},
        {cursor_with(R"("type":"cursor",)"), true},
        {cursor_with(R"("id":1,"id":2,)"), true},
        {changes(R"([],"changes":[1])"), true},
        {push_head + R"([{"clientID":"a","clientID":"b","changes":[]}]})", true},
        // a key with an escape
        {cursor_with(R"("\u0069d":1,)"), true},
        {R"({"\u0074ype":"cursor",)" + cursor_tail + "}", true},
        // ids: escapes, negative, float, null, other types, too long, too large
        {cursor_with(R"("id":"a\"b",)"), true},
        {cursor_with(R"("id":"\u0041",)"), true},
        {cursor_with(R"("id":-1,)"), true},
        {cursor_with(R"("id":1.0,)"), false},
        {cursor_with(R"("id":null,)"), false},
        {cursor_with(R"("id":[1],)"), false},
        {cursor_with(R"("id":18446744073709551616,)"), false},
        {cursor_with(R"("id":")" + std::string(65, 'x') + "\","), false},
        // counts and positions: negative (-0 too), floats, exponents, too large, leading zeros
        {R"({"type":"cursor","doc":"shared","version":-0,"ranges":[]})", false},
        {R"({"type":"cursor","doc":"shared","version":1.0,"ranges":[]})", false},
        {R"({"type":"cursor","doc":"shared","version":1e0,"ranges":[]})", false},
        {R"({"type":"cursor","doc":"shared","version":18446744073709551616,"ranges":[]})", false},
        {R"({"type":"cursor","doc":"shared","version":01,"ranges":[]})", false},
        {R"({"type":"cursor","doc":"shared","version":"1","ranges":[]})", false},
        {R"({"type":"cursor","doc":"shared","version":1,"ranges":[[1,-0]]})", false},
        {R"({"type":"cursor","doc":"shared","version":1,"ranges":[[1,2,3]]})", false},
        {R"({"type":"cursor","doc":"shared","version":1,"ranges":[[1]]})", false},
        {R"({"type":"cursor","doc":"shared","version":1,"ranges":[[1,2.0]]})", false},
        {R"({"type":"cursor","doc":"shared","version":1,"ranges":[[1,18446744073709551616]]})",
         false},
        {changes("[2.0]"), true},  // change_set_from_json takes integral floats; declined
        {changes("[-0]"), true},   // and -0
        {changes("[[1.0]]"), true},
        {changes("[1e1]"), true},
        {changes("[-1]"), false},
        {changes("[2147483649]"), false},
        {changes("[2147483648,1]"), false},
        {changes("[[2147483648],[1]]"), false},
        {changes("[]]"), false},
        {changes("[[]]"), false},
        {changes("[[0,1]]"), false},
        {changes("[\"a\"]"), false},
        {changes("{}"), false},
        // lines: breaks (escaped or not), lone surrogates, invalid UTF-8, raw controls
        {changes(R"([[0,"a\nb"]])"), false},
        {changes(R"([[0,"a\rb"]])"), false},
        {changes(R"([[0,"a\u000Ab"]])"), false},
        {changes(R"([[0,"a\u000db"]])"), false},
        {changes(R"([[0,"\ud800"]])"), false},
        {changes(R"([[0,"\ud800x"]])"), false},
        {changes(R"([[0,"\ud800\u0041"]])"), false},
        {changes(R"([[0,"\udc00"]])"), false},
        {changes(R"([[0,"\ud83d\ud83d"]])"), false},
        {changes(R"([[0,"\u12"]])"), false},
        {changes(R"([[0,"\u12g4"]])"), false},
        {changes(R"([[0,"\x"]])"), false},
        {changes(R"([[0,"\U0041"]])"), false},
        {changes("[[0,\"a\x01\"]]"), false},
        {changes("[[0,\"a\tb\"]]"), false},
        {changes("[[0,\"\x80\"]]"), false},
        {changes("[[0,\"\xc3\"]]"), false},
        {changes("[[0,\"\xc0\xaf\"]]"), false},          // overlong
        {changes("[[0,\"\xe0\x80\xaf\"]]"), false},      // overlong
        {changes("[[0,\"\xed\xa0\x80\"]]"), false},      // an encoded surrogate
        {changes("[[0,\"\xf4\x90\x80\x80\"]]"), false},  // above U+10FFFF
        {changes("[[0,\"\xf5\x80\x80\x80\"]]"), false},
        {changes("[[0,\"\xff\"]]"), false},
        // clientID: too long, not a string, missing; the update not an object
        {push_head + R"([{"clientID":")" + std::string(65, 'c') + R"(","changes":[]}]})", false},
        {push_head + R"([{"clientID":")" + std::string(63, 'c') + R"(\u00e9","changes":[]}]})",
         false},  // 65 bytes once decoded
        {push_head + R"([{"clientID":5,"changes":[]}]})", false},
        {push_head + R"([{"changes":[]}]})", false},
        {push_head + R"([{"clientID":"a"}]})", false},
        {push_head + R"([[]]})", false},
        {push_head + R"({}})", false},
        // missing fields, wrong doc
        {R"({"type":"cursor","doc":"shared","version":1})", false},
        {R"({"type":"cursor","doc":"shared","ranges":[]})", false},
        {R"({"type":"cursor","version":1,"ranges":[]})", false},
        {R"({"type":"notes.push","doc":"shared","version":1})", false},
        {R"({"type":"cursor","doc":"Shared","version":1,"ranges":[]})", false},
        {R"({"type":"cursor","doc":null,"version":1,"ranges":[]})", false},
        // unknown values with exponents, or nested deeper than 32: declined
        {cursor_with(R"("t":1e3,)"), true},
        {cursor_with(R"("t":)" + std::string(40, '[') + std::string(40, ']') + ","), true},
        {cursor_with(R"("t":)" + std::string(301, '9') + ","), true},
        {cursor_with(R"("t":-)" + std::string(301, '9') + ".5,"), true},
        {cursor_with(R"("t":1e400,)"), false},  // infinite: nlohmann refuses the number
        {cursor_with(R"("t":)" + std::string(310, '9') + ","), false},
        {cursor_with(R"("t":-)" + std::string(310, '9') + ","), false},
        // ...or invalid
        {cursor_with(R"("t":01,)"), false},
        {cursor_with(R"("t":-,)"), false},
        {cursor_with(R"("t":1.,)"), false},
        {cursor_with(R"("t":.5,)"), false},
        {cursor_with(R"("t":tru,)"), false},
        {cursor_with(R"("t":[1,],)"), false},
        {cursor_with(R"("t":{"a"},)"), false},
        {cursor_with(R"("t":"\ud800",)"), false},
        {cursor_with("\"t\":\"\xff\","), false},
        {cursor_with("\"\xff\":1,"), false},
        // structure: trailing commas, garbage after, a byte order mark
        {R"({"type":"cursor","doc":"shared","version":1,"ranges":[],})", false},
        {R"({"type":"cursor","doc":"shared","version":1,"ranges":[]}x)", false},
        {R"({"type":"cursor","doc":"shared","version":1,"ranges":[]}{})", false},
        {R"({"type":"cursor","doc":"shared","version":1,"ranges":[])", false},
        {"\xef\xbb\xbf{\"type\":\"cursor\"," + cursor_tail + "}", true},
        // nlohmann ends the input at a NUL byte (after the value): declined
        {std::string("{\"type\":\"cursor\",") + cursor_tail + "}" + std::string(1, '\0') + "junk",
         true},
        {std::string("{\"type\":\"cursor\",") + cursor_tail + std::string(1, '\0') + "}", false},
        // whitespace JSON does not allow
        {std::string("{\"type\":\"cursor\",\f") + cursor_tail + "}", false},
        {std::string("{\"type\":\"cursor\",\v") + cursor_tail + "}", false},
    };
    for (const auto& s : samples) {
        INFO(printable(s.text));
        CHECK_FALSE(parse_hot_message(s.text, bounds));
        const auto dom = parse_client_message_dom(s.text, bounds);
        CHECK(std::holds_alternative<parsed_message>(dom) == s.dom_accepts);
    }
}

TEST_CASE("hot parse: random messages read as the DOM path reads them", "[hot_parse]") {
    generator g(20240611);
    std::size_t cases = 0;
    std::size_t required = 0;
    std::size_t accepted = 0;
    std::size_t failures = 0;
    for (int round = 0; round < 40'000; ++round) {
        // Compact (as JSON.stringify writes) or spaced; plain, or trying edges now and then.
        const double whitespace = round % 3 == 0 ? 0.3 : 0.0;
        const double edges = round % 4 == 0 ? 0.0 : 0.04;
        const std::string text = g.message(whitespace, edges);
        ++cases;
        std::string why;
        const auto result = check(text, &why);
        if (result == verdict::same) ++accepted;
        bool ok = result != verdict::wrong;
        if (g.must_accept) {
            ++required;
            if (result != verdict::same) {
                ok = false;
                if (why.empty()) {
                    const auto dom = parse_client_message_dom(text, bounds);
                    why = std::holds_alternative<parsed_message>(dom)
                              ? "declined"
                              : "the generator made an invalid message: " +
                                    std::get<protocol_error>(dom).message;
                }
            }
        }
        if (!ok && ++failures <= 5) {
            INFO(printable(text));
            INFO(why);
            CHECK(ok);
        }
    }
    CHECK(failures == 0);
    INFO(cases << " cases, " << required << " of the shapes it must read, " << accepted << " read");
    CHECK(required > 20'000);
    CHECK(accepted >= required);
    WARN("random messages: " << cases << " cases, " << required << " must be read, " << accepted
                             << " read");
}

TEST_CASE("hot parse: mutated messages are declined or read as the DOM path reads them",
          "[hot_parse]") {
    generator g(777);
    std::size_t cases = 0;
    std::size_t accepted = 0;
    std::size_t failures = 0;
    for (int round = 0; round < 50'000; ++round) {
        const std::string base = g.message(round % 2 == 0 ? 0.2 : 0.0, round % 5 == 0 ? 0.05 : 0);
        for (int variant = 0; variant < 3; ++variant) {
            std::string text = base;
            for (std::size_t edits = 1 + g.below(3); edits > 0; --edits) mutate(text, g);
            ++cases;
            std::string why;
            const auto result = check(text, &why);
            if (result == verdict::same) ++accepted;
            if (result == verdict::wrong && ++failures <= 5) {
                INFO(printable(text));
                INFO(why);
                CHECK(result != verdict::wrong);
            }
        }
    }
    CHECK(failures == 0);
    CHECK(cases >= 100'000);
    CHECK(accepted > 1'000);  // mutations that keep the message valid (digits, whitespace...)
    WARN("mutations: " << cases << " cases, " << accepted << " read");
}

TEST_CASE("hot parse: every prefix and every one-byte edit of the client shapes", "[hot_parse]") {
    std::vector<std::string> texts(std::begin(client_shapes), std::end(client_shapes));
    texts.push_back(example("c2s.notes.push.json"));
    texts.push_back(example("c2s.cursor.json"));
    std::size_t cases = 0;
    std::size_t accepted = 0;
    std::size_t failures = 0;
    const auto run = [&](const std::string& text) {
        ++cases;
        std::string why;
        const auto result = check(text, &why);
        if (result == verdict::same) ++accepted;
        if (result == verdict::wrong && ++failures <= 5) {
            INFO(printable(text));
            INFO(why);
            CHECK(result != verdict::wrong);
        }
    };
    for (const auto& text : texts) {
        for (std::size_t size = 0; size < text.size(); ++size) run(text.substr(0, size));
        for (std::size_t at = 0; at < text.size(); ++at) {
            std::string edited = text;
            edited.erase(at, 1);
            run(edited);
            for (char byte : interesting_bytes) {
                edited = text;
                edited[at] = byte;
                run(edited);
                edited = text;
                edited.insert(edited.begin() + static_cast<std::ptrdiff_t>(at), byte);
                run(edited);
            }
        }
    }
    CHECK(failures == 0);
    CHECK(accepted > 100);
    WARN("one-byte edits: " << cases << " cases, " << accepted << " read");
}
