// The direct JSON writers (protocol/json_writer.hpp, and their users: notes.updates and cursor in
// encode(), the journal's notes entries, append_change_set_json) against the nlohmann DOM
// builders they replaced, kept below as the reference: what goes on the wire and into the
// journal must not change by a byte. Random inputs come from fixed seeds.
#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "domain/utf8.hpp"
#include "protocol/change_json.hpp"
#include "protocol/codec.hpp"
#include "protocol/journal_json.hpp"
#include "protocol/json_writer.hpp"

using namespace mockroom;
using namespace mockroom::domain;
using nlohmann::json;
using protocol::append_change_set_json;
using protocol::append_json_string;
using protocol::append_unsigned;
using protocol::journal_from_json;
using protocol::journal_to_json;

namespace {

// ---- the reference: the DOM builders as they were before the direct writers ----------------

std::string dom_dump(const json& j) {
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

json dom_change_set(const change_set& changes) {
    json result = json::array();
    for (const auto& part : changes.parts()) {
        if (const auto* k = std::get_if<change_set::keep>(&part)) {
            result.push_back(k->length);
            continue;
        }
        const auto& r = std::get<change_set::replace>(part);
        json replaced = json::array({r.deleted});
        if (!r.inserted.empty()) {
            std::u16string_view rest = r.inserted;
            for (;;) {
                const auto newline = rest.find(u'\n');
                replaced.push_back(utf16_to_utf8(rest.substr(0, newline)));
                if (newline == std::u16string_view::npos) break;
                rest.remove_prefix(newline + 1);
            }
        }
        result.push_back(std::move(replaced));
    }
    return result;
}

json dom_updates(const std::vector<text_update>& updates) {
    json list = json::array();
    for (const auto& update : updates) {
        list.push_back(
            {{"clientID", update.client_id}, {"changes", dom_change_set(update.changes)}});
    }
    return list;
}

json dom_ranges(const cursor_ranges& ranges) {
    json list = json::array();
    for (const auto& [anchor, head] : ranges) list.push_back({anchor, head});
    return list;
}

bool dom_may_see(doc_id doc, role recipient) {
    return doc == doc_id::shared || recipient == role::interviewer;
}

std::string dom_encode(const notes_updates_event& ev, role recipient) {
    if (!dom_may_see(ev.doc, recipient)) return {};
    return dom_dump({{"type", "notes.updates"},
                     {"doc", to_string(ev.doc)},
                     {"from", ev.from},
                     {"updates", dom_updates(ev.updates)}});
}

std::string dom_encode(const cursor_event& ev, role recipient) {
    if (!dom_may_see(ev.doc, recipient)) return {};
    return dom_dump({{"type", "cursor"},
                     {"doc", to_string(ev.doc)},
                     {"participant", ev.participant},
                     {"version", ev.version},
                     {"ranges", dom_ranges(ev.ranges)}});
}

std::string dom_journal(const notes_accepted& e) {
    return dom_dump(
        {{"kind", "notes"}, {"doc", to_string(e.doc)}, {"updates", dom_updates(e.updates)}});
}

// ---- helpers ----------------------------------------------------------------------------

std::string json_string(std::string_view text) {
    std::string out;
    append_json_string(out, text);
    return out;
}

std::string json_string(std::u16string_view text) {
    std::string out;
    append_json_string(out, text);
    return out;
}

std::string change_set_text(const change_set& changes) {
    std::string out;
    append_change_set_json(out, changes);
    return out;
}

std::string hex(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string result;
    for (char c : bytes) {
        const auto byte = static_cast<unsigned char>(c);
        result.push_back(digits[byte >> 4]);
        result.push_back(digits[byte & 0xf]);
        result.push_back(' ');
    }
    return result;
}

// Catch is slow per assertion: the exhaustive checks assert only when the writers differ.
struct string_checker {
    std::size_t checked = 0;
    std::size_t failed = 0;

    void bytes(std::string_view text) {
        ++checked;
        const auto expected = dom_dump(json(std::string(text)));
        const auto actual = json_string(text);
        if (actual != expected && ++failed <= 10) {
            CAPTURE(hex(text), hex(expected), hex(actual));
            CHECK(actual == expected);
        }
    }

    void units(std::u16string_view text) {
        ++checked;
        const auto expected = dom_dump(json(utf16_to_utf8(text)));
        const auto actual = json_string(text);
        if (actual != expected && ++failed <= 10) {
            CAPTURE(hex(utf16_to_utf8(text)), hex(expected), hex(actual));
            CHECK(actual == expected);
        }
    }
};

using random_engine = std::mt19937_64;

std::uint64_t below(random_engine& rng, std::uint64_t n) {  // 0 .. n - 1
    return std::uniform_int_distribution<std::uint64_t>(0, n - 1)(rng);
}

bool one_in(random_engine& rng, std::uint64_t n) {
    return below(rng, n) == 0;
}

// A code point (never a surrogate) of 1 to 4 UTF-8 bytes; `multibyte`: 2 to 4.
char32_t random_scalar(random_engine& rng, bool multibyte = false) {
    switch (below(rng, multibyte ? 3 : 4)) {
        case 0:
            return static_cast<char32_t>(0x80 + below(rng, 0x780));
        case 1: {
            auto code = static_cast<char32_t>(0x800 + below(rng, 0xf800));
            while (code >= 0xd800 && code <= 0xdfff) {
                code = static_cast<char32_t>(0x800 + below(rng, 0xf800));
            }
            return code;
        }
        case 2:
            return static_cast<char32_t>(0x10000 + below(rng, 0x100000));
        default:
            return static_cast<char32_t>(0x20 + below(rng, 0x60));
    }
}

using mockroom::domain::append_utf16;

std::string utf8_of(char32_t code) {
    std::u16string units;
    append_utf16(units, code);
    return utf16_to_utf8(units);
}

// Inserted text: every control character, quotes, backslashes, DEL, line breaks at the start,
// the end and in between (several in a row make empty lines), any code point, non-BMP pairs.
// `wild` adds lone surrogates and '\r', which the journal cannot give back unchanged.
std::u16string random_text(random_engine& rng, bool wild) {
    const auto length =
        static_cast<std::size_t>(one_in(rng, 12) ? below(rng, 800) : below(rng, 12));
    std::u16string text;
    if (one_in(rng, 4)) text.push_back(u'\n');
    while (text.size() < length) {
        switch (below(rng, 10)) {
            case 0:
                text.push_back(u'\n');
                break;
            case 1: {
                auto control = static_cast<char16_t>(below(rng, 0x20));
                if (control == u'\r' && !wild) control = u'\t';
                text.push_back(control);
                break;
            }
            case 2:
                text.push_back(one_in(rng, 2) ? u'"' : u'\\');
                break;
            case 3:
                text.push_back(u'\x7f');
                break;
            case 4:
            case 5:
                append_utf16(text, random_scalar(rng));
                break;
            case 6:
                if (wild) {
                    text.push_back(static_cast<char16_t>(0xd800 + below(rng, 0x800)));
                } else {
                    text.push_back(u'\xfffd');
                }
                break;
            default:
                text.push_back(static_cast<char16_t>(0x20 + below(rng, 0x5f)));
                break;
        }
    }
    if (one_in(rng, 4)) text.push_back(u'\n');
    return text;
}

// Lengths; `wild` ones go beyond what the journal reads back (max_change_units).
std::size_t random_length(random_engine& rng, bool wild) {
    if (wild && one_in(rng, 6)) return static_cast<std::size_t>(below(rng, std::uint64_t{1} << 40));
    return one_in(rng, 5) ? 0 : static_cast<std::size_t>(below(rng, 2000));
}

change_set random_changes(random_engine& rng, bool wild) {
    std::vector<change_set::part> parts;
    const auto count = below(rng, 8);
    for (std::uint64_t i = 0; i < count; ++i) {
        switch (below(rng, 4)) {
            case 0:
                parts.emplace_back(change_set::keep{random_length(rng, wild)});
                break;
            case 1:
                parts.emplace_back(change_set::replace{random_length(rng, wild), {}});
                break;
            default:
                parts.emplace_back(change_set::replace{
                    one_in(rng, 2) ? 0 : random_length(rng, wild), random_text(rng, wild)});
                break;
        }
    }
    return change_set::from_parts(parts);
}

// Client and participant ids. hello admits only [A-Za-z0-9_-], but a notes.push clientID is any
// JSON string (so any valid UTF-8, control characters included) and the encoders must not
// depend on where a string came from: `wild` adds bytes that are not UTF-8 at all (stray
// continuation bytes, cut sequences, overlong forms, encoded surrogates, code points above
// U+10FFFF, F5..FF).
std::string random_id(random_engine& rng, bool wild) {
    const auto length =
        static_cast<std::size_t>(one_in(rng, 16) ? below(rng, 1500) : below(rng, 16));
    static constexpr char plain[] = "abcXYZ019-_";
    static const char* const invalid[] = {"\xC0\x80",
                                          "\xC1\xBF",
                                          "\xE0\x80\x80",
                                          "\xE0\x9F\xBF",
                                          "\xED\xA0\x80",
                                          "\xED\xBF\xBF",
                                          "\xF0\x80\x80\x80",
                                          "\xF0\x8F\xBF\xBF",
                                          "\xF4\x90\x80\x80",
                                          "\xF5\x80\x80\x80",
                                          "\xF8\x88\x80\x80",
                                          "\xFE",
                                          "\xFF",
                                          "\x80",
                                          "\xBF",
                                          "\xC2"};
    std::string id;
    while (id.size() < length) {
        switch (below(rng, wild ? 8 : 4)) {
            case 0:
                id.push_back(plain[below(rng, sizeof plain - 1)]);
                break;
            case 1: {
                const auto which = below(rng, 0x23);
                id.push_back(which < 0x20    ? static_cast<char>(which)
                             : which == 0x20 ? '"'
                             : which == 0x21 ? '\\'
                                             : '\x7f');
                break;
            }
            case 2:
            case 3:
                id += utf8_of(random_scalar(rng));
                break;
            case 4:
                id.push_back(static_cast<char>(0x80 + below(rng, 0x80)));
                break;
            case 5: {  // a valid sequence cut short
                const auto bytes = utf8_of(random_scalar(rng, true));
                id += bytes.substr(0, static_cast<std::size_t>(1 + below(rng, bytes.size() - 1)));
                break;
            }
            case 6:
                id += invalid[below(rng, std::size(invalid))];
                break;
            default:
                for (auto n = 1 + below(rng, 4); n > 0; --n) {
                    id.push_back(static_cast<char>(below(rng, 256)));
                }
                break;
        }
    }
    return id;
}

std::size_t random_number(random_engine& rng) {
    switch (below(rng, 5)) {
        case 0:
            return 0;
        case 1:
            return static_cast<std::size_t>(below(rng, 1000));
        case 2:
            return std::numeric_limits<std::size_t>::max() -
                   static_cast<std::size_t>(below(rng, 3));
        default:
            return static_cast<std::size_t>(rng() >> below(rng, 64));
    }
}

doc_id random_doc(random_engine& rng) {
    return one_in(rng, 2) ? doc_id::shared : doc_id::private_notes;
}

std::vector<text_update> random_updates(random_engine& rng, bool wild) {
    std::vector<text_update> updates;
    const auto count = one_in(rng, 8) ? below(rng, 12) : below(rng, 4);
    for (std::uint64_t i = 0; i < count; ++i) {
        updates.push_back({random_id(rng, wild), random_changes(rng, wild)});
    }
    return updates;
}

cursor_ranges random_ranges(random_engine& rng) {
    cursor_ranges ranges;
    const auto count = one_in(rng, 4) ? 0 : below(rng, 6);
    for (std::uint64_t i = 0; i < count; ++i) {
        ranges.push_back({random_number(rng), random_number(rng)});  // braces: in order
    }
    return ranges;
}

constexpr role roles[] = {role::interviewer, role::candidate, role::observer};

}  // namespace

TEST_CASE("fast encode: golden texts show the format") {
    const auto changes = change_set::from_parts(
        {change_set::keep{5}, change_set::replace{2, u"a\n\"b\"\n"}, change_set::keep{3}});
    CHECK(change_set_text(changes) == R"([5,[2,"a","\"b\"",""],3])");
    CHECK(change_set_text(change_set{}) == "[]");
    CHECK(change_set_text(change_set::from_parts({change_set::replace{4, u""}})) == "[[4]]");
    CHECK(change_set_text(change_set::from_parts({change_set::replace{0, u"\n"}})) ==
          R"([[0,"",""]])");

    const notes_updates_event updates{doc_id::shared, 7, {{"abc", changes}, {"x\"y", {}}}};
    const std::string updates_text =
        R"({"doc":"shared","from":7,"type":"notes.updates","updates":[)"
        R"({"changes":[5,[2,"a","\"b\"",""],3],"clientID":"abc"},{"changes":[],"clientID":"x\"y"}]})";
    for (role recipient : roles) CHECK(protocol::encode(updates, recipient) == updates_text);
    CHECK(protocol::encode(notes_updates_event{doc_id::shared, 0, {}}, role::candidate) ==
          R"({"doc":"shared","from":0,"type":"notes.updates","updates":[]})");

    const cursor_event cursor{doc_id::private_notes, "p1", 12, {{1, 4}, {6, 6}}};
    CHECK(
        protocol::encode(cursor, role::interviewer) ==
        R"({"doc":"private","participant":"p1","ranges":[[1,4],[6,6]],"type":"cursor","version":12})");
    CHECK(protocol::encode(cursor, role::candidate).empty());  // the private notes
    CHECK(protocol::encode(cursor, role::observer).empty());
    CHECK(
        protocol::encode(cursor_event{doc_id::shared, "p2", 18446744073709551615u, {}},
                         role::observer) ==
        R"({"doc":"shared","participant":"p2","ranges":[],"type":"cursor","version":18446744073709551615})");

    CHECK(
        journal_to_json(notes_accepted{doc_id::private_notes, {{"c-1", changes}}}) ==
        R"({"doc":"private","kind":"notes","updates":[{"changes":[5,[2,"a","\"b\"",""],3],"clientID":"c-1"}]})");

    // Escapes: nlohmann's, lowercase hex, DEL and UTF-8 as they are.
    static constexpr char controls[] = "q\"b\\\b\f\n\r\t\x01\x1f\x7f\0é😀";
    CHECK(json_string(std::string_view(controls, sizeof controls - 1)) ==
          "\"q\\\"b\\\\\\b\\f\\n\\r\\t\\u0001\\u001f\x7f\\u0000é😀\"");
    // Invalid UTF-8: one U+FFFD per maximal invalid subpart; the byte that cuts a sequence
    // short is read again.
    CHECK(json_string("\xff") == "\"\xEF\xBF\xBD\"");
    CHECK(json_string("a\xE2\x82") == "\"a\xEF\xBF\xBD\"");            // cut by the end
    CHECK(json_string("\xE2\x82(") == "\"\xEF\xBF\xBD(\"");            // cut by '('
    CHECK(json_string("\xC3\"") == "\"\xEF\xBF\xBD\\\"\"");            // cut by a quote
    CHECK(json_string("\xE0\x80") == "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");  // overlong
    CHECK(json_string("\xED\xA0\x80") == "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");  // surrogate
    CHECK(json_string(u"a\xd800"
                      u"b\xdc00") ==
          "\"a\xEF\xBF\xBD"
          "b\xEF\xBF\xBD\"");
    CHECK(json_string(u"\xd83d\xde00\n") == "\"😀\\n\"");
}

TEST_CASE("fast encode: numbers are written as nlohmann writes them") {
    std::vector<std::uint64_t> values = {0, std::numeric_limits<std::uint64_t>::max()};
    for (std::uint64_t power = 1; power <= 10'000'000'000'000'000'000u; power *= 10) {
        values.push_back(power - 1);
        values.push_back(power);
        values.push_back(power + 1);
        if (power > std::numeric_limits<std::uint64_t>::max() / 10) break;
    }
    for (std::uint64_t value : values) {
        std::string out = "x";
        append_unsigned(out, value);
        CHECK(out == "x" + json(value).dump());
    }
}

TEST_CASE("fast encode: strings are escaped exactly as nlohmann's replace handler does") {
    string_checker check;
    // Every string of one and two bytes.
    for (unsigned first = 0; first < 256; ++first) {
        const char one[] = {static_cast<char>(first)};
        check.bytes(std::string_view(one, 1));
        for (unsigned second = 0; second < 256; ++second) {
            const char two[] = {static_cast<char>(first), static_cast<char>(second)};
            check.bytes(std::string_view(two, 2));
        }
    }
    // Every string of three and four bytes over the bytes where UTF-8 validity changes.
    static constexpr unsigned char edges[] = {0x00, 0x0a, 0x1f, 0x22, 0x5c, 0x41, 0x7f, 0x80, 0x8f,
                                              0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0,
                                              0xe1, 0xed, 0xef, 0xf0, 0xf3, 0xf4, 0xf5, 0xff};
    for (unsigned char a : edges) {
        for (unsigned char b : edges) {
            for (unsigned char c : edges) {
                const char three[] = {static_cast<char>(a), static_cast<char>(b),
                                      static_cast<char>(c)};
                check.bytes(std::string_view(three, 3));
                for (unsigned char d : edges) {
                    const char four[] = {static_cast<char>(a), static_cast<char>(b),
                                         static_cast<char>(c), static_cast<char>(d)};
                    check.bytes(std::string_view(four, 4));
                }
            }
        }
    }
    // Long random ones (nlohmann writes through a 512-byte buffer; ours through none).
    random_engine rng(1);
    for (int i = 0; i < 2'000; ++i) {
        check.bytes(random_id(rng, true));
        std::string text(static_cast<std::size_t>(500 + below(rng, 20)), 'a');
        text += random_id(rng, true);
        check.bytes(text);
    }
    // UTF-16: every unit alone, every three units over the edges, long random texts.
    for (unsigned unit = 0; unit < 0x10000; ++unit) {
        const char16_t one[] = {static_cast<char16_t>(unit)};
        check.units(std::u16string_view(one, 1));
    }
    static constexpr char16_t unit_edges[] = {0x00,   0x0a,   0x1f,   u'"',   u'\\',  u'a',
                                              0x7f,   0x80,   0x7ff,  0x800,  0xd7ff, 0xd800,
                                              0xdbff, 0xdc00, 0xdfff, 0xe000, 0xfffd, 0xffff};
    for (char16_t a : unit_edges) {
        for (char16_t b : unit_edges) {
            for (char16_t c : unit_edges) {
                const char16_t three[] = {a, b, c};
                check.units(std::u16string_view(three, 3));
            }
        }
    }
    for (int i = 0; i < 2'000; ++i) {
        check.units(random_text(rng, true));
        std::u16string text(static_cast<std::size_t>(250 + below(rng, 10)), u'a');
        text += random_text(rng, true);
        check.units(text);
    }
    CHECK(check.checked > 500'000);
    CHECK(check.failed == 0);
}

TEST_CASE("fast encode: change sets are written as change_set_to_json dumped them") {
    random_engine rng(2);
    for (int i = 0; i < 3'000; ++i) {
        const auto changes = random_changes(rng, i % 2 == 1);
        const auto expected = dom_dump(dom_change_set(changes));
        REQUIRE(change_set_text(changes) == expected);
        REQUIRE(dom_dump(protocol::change_set_to_json(changes)) == expected);  // still the same
        std::string out = "[1,";  // appends, keeping what is there
        append_change_set_json(out, changes);
        REQUIRE(out == "[1," + expected);
    }
}

TEST_CASE("fast encode: notes.updates and cursor are byte-identical to the DOM encoding") {
    random_engine rng(3);
    std::size_t sent = 0;
    std::size_t withheld = 0;
    for (int i = 0; i < 3'000; ++i) {
        const bool wild = i % 2 == 1;
        const notes_updates_event updates{random_doc(rng), random_number(rng),
                                          random_updates(rng, wild)};
        const cursor_event cursor{random_doc(rng), random_id(rng, wild), random_number(rng),
                                  random_ranges(rng)};
        const event updates_event = updates;
        const event cursor_message = cursor;
        for (role recipient : roles) {
            const auto expected_updates = dom_encode(updates, recipient);
            REQUIRE(protocol::encode(updates_event, recipient) == expected_updates);
            const auto expected_cursor = dom_encode(cursor, recipient);
            REQUIRE(protocol::encode(cursor_message, recipient) == expected_cursor);
            (expected_updates.empty() ? withheld : sent) += 1;
            (expected_cursor.empty() ? withheld : sent) += 1;
        }
    }
    CHECK(sent > 10'000);
    CHECK(withheld > 2'000);  // the private notes, to candidates and observers
}

TEST_CASE("fast encode: journal notes entries are byte-identical to the DOM form and round-trip") {
    random_engine rng(4);
    std::size_t round_trips = 0;
    for (int i = 0; i < 3'000; ++i) {
        const bool wild = i % 2 == 1;
        const notes_accepted accepted{random_doc(rng), random_updates(rng, wild)};
        const auto text = journal_to_json(accepted);
        REQUIRE(text == dom_journal(accepted));
        if (wild) continue;  // invalid UTF-8, lone surrogates, '\r', huge lengths don't
        const auto parsed = journal_from_json(text);
        REQUIRE(std::holds_alternative<journal_entry>(parsed));
        const auto* back = std::get_if<notes_accepted>(&std::get<journal_entry>(parsed));
        REQUIRE(back != nullptr);
        CHECK(back->doc == accepted.doc);
        CHECK(back->updates == accepted.updates);
        CHECK(journal_to_json(std::get<journal_entry>(parsed)) == text);
        ++round_trips;
    }
    CHECK(round_trips == 1'500);
}
