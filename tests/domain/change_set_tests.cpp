// domain::change_set on small hand-made cases. Expected sections are what @codemirror/state
// 6.7.6 gives for the same calls (tests/protocol/change_differential_tests.cpp compares with the
// library on 100,000 random cases).
#include "domain/change_set.hpp"

#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <variant>
#include <vector>

namespace {

using mockroom::domain::change_set;
using keep = change_set::keep;
using replace = change_set::replace;

// UTF-16 -> UTF-8, a lone surrogate as \uXXXX: for readable expectations and failure output.
std::string utf8(std::u16string_view text) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char32_t code = text[i];
        const bool high = code >= 0xD800 && code <= 0xDBFF;
        if (high && i + 1 < text.size() && text[i + 1] >= 0xDC00 && text[i + 1] <= 0xDFFF) {
            code = 0x10000 + ((code - 0xD800) << 10) + (text[++i] - 0xDC00u);
        } else if (code >= 0xD800 && code <= 0xDFFF) {
            out += "\\u";
            for (int shift = 12; shift >= 0; shift -= 4) out += hex[(code >> shift) & 0xF];
            continue;
        }
        if (code < 0x80) {
            out += static_cast<char>(code);
        } else if (code < 0x800) {
            out += static_cast<char>(0xC0 | (code >> 6));
            out += static_cast<char>(0x80 | (code & 0x3F));
        } else if (code < 0x10000) {
            out += static_cast<char>(0xE0 | (code >> 12));
            out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (code & 0x3F));
        } else {
            out += static_cast<char>(0xF0 | (code >> 18));
            out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (code & 0x3F));
        }
    }
    return out;
}

// The JSON form (ChangeSet.toJSON), strings unescaped except for '"' and line breaks.
std::string json(const change_set& set) {
    std::string out = "[";
    for (const auto& part : set.parts()) {
        if (out.size() > 1) out += ',';
        if (const auto* k = std::get_if<keep>(&part)) {
            out += std::to_string(k->length);
            continue;
        }
        const auto& r = std::get<replace>(part);
        out += '[' + std::to_string(r.deleted);
        if (!r.inserted.empty()) {
            out += ",\"";
            for (const char c : utf8(r.inserted))
                out += c == '\n' ? std::string("\",\"") : std::string(1, c);
            out += '"';
        }
        out += ']';
    }
    return out + "]";
}

struct spec {
    std::size_t from = 0;
    std::size_t to = 0;
    std::u16string insert;
};

// ChangeSet.of(specs, length) for sorted, non-overlapping specs.
change_set of(const std::vector<spec>& specs, std::size_t length) {
    std::vector<change_set::part> parts;
    std::size_t pos = 0;
    for (const auto& s : specs) {
        parts.emplace_back(keep{s.from - pos});
        parts.emplace_back(replace{s.to - s.from, s.insert});
        pos = s.to;
    }
    parts.emplace_back(keep{length - pos});
    return change_set::from_parts(parts);
}

}  // namespace

namespace Catch {
template <>
struct StringMaker<std::u16string> {
    static std::string convert(const std::u16string& text) { return '"' + utf8(text) + '"'; }
};
template <>
struct StringMaker<change_set> {
    static std::string convert(const change_set& set) { return json(set); }
};
}  // namespace Catch

TEST_CASE("change_set: from_parts normalizes as CodeMirror builds sections") {
    SECTION("empty pieces vanish, neighbours of a kind merge") {
        const auto set = change_set::from_parts({keep{0}, keep{2}, keep{3}, replace{0, u""},
                                                 replace{1, u""}, replace{2, u""}, keep{0}});
        CHECK(json(set) == "[5,[3]]");
        CHECK(set.length() == 8);
        CHECK(set.new_length() == 5);
    }
    SECTION("insertions at one point merge; an insertion and a deletion stay apart") {
        CHECK(json(change_set::from_parts({replace{0, u"a"}, replace{0, u"b\n"},
                                           replace{0, u"c"}})) == R"([[0,"ab","c"]])");
        CHECK(json(change_set::from_parts({replace{2, u""}, replace{0, u"x"}, replace{0, u"y"},
                                           replace{1, u""}, replace{1, u""}, keep{1}})) ==
              R"([[2],[0,"xy"],[2],1])");
        // A replacement followed by an insertion is not merged (CodeMirror: only onto a pure
        // insertion), nor an insertion followed by a replacement.
        CHECK(json(change_set::from_parts({replace{1, u"a"}, replace{0, u"b"}})) ==
              R"([[1,"a"],[0,"b"]])");
        CHECK(json(change_set::from_parts({keep{1}, replace{0, u"a"}, replace{1, u"b"},
                                           keep{1}})) == R"([1,[0,"a"],[1,"b"],1])");
    }
    SECTION("parts() reads back what from_parts built") {
        const std::vector<change_set::part> parts = {keep{1}, replace{2, u"é\n😀"}, replace{0, u""},
                                                     keep{3}, replace{1, u""}};
        const auto set = change_set::from_parts(parts);
        CHECK(set.parts() == std::vector<change_set::part>{keep{1}, replace{2, u"é\n😀"}, keep{3},
                                                           replace{1, u""}});
        CHECK(change_set::from_parts(set.parts()) == set);
    }
    SECTION("nothing at all") {
        const change_set none;
        CHECK(none.empty());
        CHECK(none.length() == 0);
        CHECK(none.new_length() == 0);
        CHECK(json(none) == "[]");
        CHECK(change_set::from_parts({keep{0}, replace{0, u""}}) == none);
        CHECK(change_set::from_parts({keep{4}}).empty());
        CHECK_FALSE(change_set::from_parts({replace{0, u"x"}}).empty());
        CHECK_FALSE(change_set::from_parts({keep{1}, replace{1, u""}}).empty());
    }
}

TEST_CASE("change_set: apply counts UTF-16 code units") {
    SECTION("empty documents") {
        CHECK(change_set().apply(u"") == u"");
        CHECK(of({{0, 0, u"hi\n"}}, 0).apply(u"") == u"hi\n");
        CHECK(of({{0, 3, u""}}, 3).apply(u"abc") == u"");
    }
    SECTION("both ends") {
        CHECK(of({{0, 0, u"<"}, {3, 3, u">"}}, 3).apply(u"abc") == u"<abc>");
        CHECK(of({{0, 1, u""}, {2, 3, u"Z"}}, 3).apply(u"abc") == u"bZ");
    }
    SECTION("a surrogate pair is two units, é and \\n one") {
        const std::u16string doc = u"a😀é\nb";
        REQUIRE(doc.size() == 6);
        CHECK(of({{1, 3, u""}}, 6).apply(doc) == u"aé\nb");
        CHECK(of({{3, 5, u"-"}}, 6).apply(doc) == u"a😀-b");
        // CodeMirror lets a change split a pair; so does change_set.
        const auto half = of({{2, 2, u"x"}}, 6).apply(doc);
        CHECK(half == std::u16string{u'a', 0xD83D, u'x', 0xDE00, u'é', u'\n', u'b'});
    }
    SECTION("a ZWJ sequence is one glyph of five units") {
        const std::u16string coder = u"👩‍💻";
        REQUIRE(coder.size() == 5);
        const auto set = of({{0, 5, u"\n"}}, 5);
        CHECK(json(set) == R"([[5,"",""]])");
        CHECK(set.apply(coder) == u"\n");
        CHECK(of({{2, 3, u""}}, 5).apply(coder) == u"👩💻");  // the joiner alone
    }
    SECTION("a document of the wrong length is refused") {
        CHECK_THROWS_AS(of({{0, 1, u""}}, 2).apply(u"abc"), std::invalid_argument);
    }
}

TEST_CASE("change_set: map orders insertions at one position by `before`") {
    SECTION("in an empty document") {
        const auto a = of({{0, 0, u"x"}}, 0);
        const auto b = of({{0, 0, u"y"}}, 0);
        CHECK(json(a.map(b)) == R"([1,[0,"x"]])");
        CHECK(json(a.map(b, true)) == R"([[0,"x"],1])");
        CHECK(a.map(b).apply(b.apply(u"")) == u"yx");
        CHECK(a.map(b, true).apply(b.apply(u"")) == u"xy");
        CHECK(json(a.compose(b.map(a))) == R"([[0,"xy"]])");
        CHECK(json(b.compose(a.map(b, true))) == R"([[0,"xy"]])");
    }
    SECTION("at both ends") {
        const auto a = of({{0, 0, u"<"}, {3, 3, u">"}}, 3);
        const auto b = of({{0, 1, u""}, {3, 3, u"!"}}, 3);
        CHECK(json(a.map(b)) == R"([[0,"<"],3,[0,">"]])");
        CHECK(json(a.map(b, true)) == R"([[0,"<"],2,[0,">"],1])");
        CHECK(json(b.map(a)) == R"([1,[1],3,[0,"!"]])");
        CHECK(json(a.compose(b.map(a))) == R"([[0,"<"],[1],2,[0,">!"]])");
        CHECK(a.compose(b.map(a)).apply(u"abc") == u"<bc>!");
    }
    SECTION("an insertion inside a replaced range survives it") {
        const auto a = of({{1, 4, u"R"}}, 5);
        const auto b = of({{2, 2, u"I"}}, 5);
        CHECK(json(a.map(b)) == R"([1,[1,"R"],1,[2],1])");
        CHECK(json(a.map(b, true)) == R"([1,[1,"R"],1,[2],1])");
        CHECK(json(b.map(a)) == R"([2,[0,"I"],1])");
        CHECK(json(a.compose(b.map(a))) == R"([1,[3,"R"],[0,"I"],1])");
    }
    SECTION("an insertion where a replacement starts goes before it either way") {
        const auto a = of({{1, 1, u"A"}}, 4);
        const auto b = of({{1, 3, u"B"}}, 4);
        CHECK(json(a.map(b)) == R"([1,[0,"A"],2])");
        CHECK(json(a.map(b, true)) == R"([1,[0,"A"],2])");
        CHECK(json(b.map(a)) == R"([2,[2,"B"],1])");
        CHECK(json(b.map(a, true)) == R"([2,[2,"B"],1])");
    }
    SECTION("overlapping deletions delete once") {
        const auto a = of({{1, 4, u""}}, 6);
        const auto b = of({{2, 5, u""}}, 6);
        CHECK(json(a.map(b)) == R"([1,[1],1])");
        CHECK(json(b.map(a)) == R"([1,[1],1])");
        CHECK(a.compose(b.map(a)).apply(u"abcdef") == u"af");
    }
    SECTION("around a surrogate pair") {
        // "a😀b": a deletes the emoji, b inserts "é" between its halves.
        const auto a = of({{1, 3, u""}}, 4);
        const auto b = of({{2, 2, u"é"}}, 4);
        CHECK(json(a.map(b)) == R"([1,[1],1,[1],1])");
        CHECK(json(b.map(a)) == R"([1,[0,"é"],1])");
        CHECK(json(a.compose(b.map(a))) == R"([1,[2],[0,"é"],1])");
        CHECK(a.compose(b.map(a)).apply(u"a😀b") == u"aéb");
    }
    SECTION("over nothing, a set is itself") {
        const auto a = of({{1, 2, u"x"}}, 3);
        CHECK(a.map(change_set::from_parts({keep{3}})) == a);
        CHECK(change_set::from_parts({keep{3}}).map(a) == change_set::from_parts({keep{3}}));
    }
    SECTION("sets of different lengths are refused") {
        CHECK_THROWS_AS(of({}, 2).map(of({{0, 0, u"x"}}, 3)), std::invalid_argument);
    }
}

TEST_CASE("change_set: compose") {
    SECTION("a later deletion of part of an insertion joins the insertion's section") {
        const auto a = of({{1, 2, u"XYZ"}}, 4);
        const auto c = of({{2, 5, u""}}, 6);
        CHECK(json(a.compose(c)) == R"([1,[2,"X"],1])");
        CHECK(a.compose(c).apply(u"abcd") == u"aXd");
    }
    SECTION("a deletion then an insertion at its place stay two sections") {
        const auto a = of({{1, 3, u""}}, 4);
        const auto c = of({{1, 1, u"Q"}}, 2);
        CHECK(json(a.compose(c)) == R"([1,[2],[0,"Q"],1])");
    }
    SECTION("deleting half of an inserted pair leaves a lone surrogate, as in CodeMirror") {
        const auto a = of({{0, 0, u"😀"}}, 1);
        const auto c = of({{1, 2, u""}}, 3);
        const auto both = a.compose(c);
        CHECK(both.parts() ==
              std::vector<change_set::part>{replace{0, std::u16string(1, 0xD83D)}, keep{1}});
    }
    SECTION("an empty side gives the other one untouched") {
        const auto a = of({{0, 1, u"é"}}, 2);
        const auto nothing = of({}, 2);
        CHECK(nothing.compose(a) == a);
        CHECK(a.compose(nothing) == a);
    }
    SECTION("(a then b).apply(d) == b.apply(a.apply(d))") {
        const std::u16string doc = u"a😀é\n👩‍💻z";  // 1 + 2 + 1 + 1 + 5 + 1 units
        REQUIRE(doc.size() == 11);
        const std::vector<change_set> firsts = {
            of({}, 11),
            of({{0, 0, u"\n"}}, 11),
            of({{0, 3, u""}, {11, 11, u"!"}}, 11),
            of({{1, 3, u"中文"}, {4, 5, u""}, {5, 10, u"👩‍💻👩‍💻"}}, 11),
            of({{2, 2, u"x"}}, 11),  // splits the pair
        };
        for (const auto& a : firsts) {
            const std::u16string middle = a.apply(doc);
            const std::size_t n = middle.size();
            const std::vector<change_set> seconds = {
                of({}, n),
                of({{0, n, u""}}, n),
                of({{0, 0, u"^"}, {n, n, u"$"}}, n),
                of({{0, n / 2, u"é\n"}, {n / 2, n / 2, u"😀"}, {n / 2, n, u""}}, n),
                of({{1, 1, u"\n"}, {n - 1, n, u"end"}}, n),
            };
            for (const auto& b : seconds) {
                INFO("a = " << json(a) << ", b = " << json(b));
                const auto both = a.compose(b);
                CHECK(both.length() == doc.size());
                CHECK(both.new_length() == b.new_length());
                CHECK(both.apply(doc) == b.apply(middle));
            }
            // The OT square: both orders of mapping reach one document.
            for (const auto& other : firsts) {
                INFO("a = " << json(a) << ", other = " << json(other));
                CHECK(a.compose(other.map(a)).apply(doc) ==
                      other.compose(a.map(other, true)).apply(doc));
            }
        }
    }
    SECTION("sets that do not chain are refused") {
        CHECK_THROWS_AS(of({{0, 1, u""}}, 2).compose(of({}, 2)), std::invalid_argument);
    }
}

TEST_CASE("change_set: map_pos") {
    SECTION("around an insertion and a deletion") {
        // "ab|cd[ef]gh": insert "xy" at 2, delete 4..6.
        const auto set = of({{2, 2, u"xy"}, {4, 6, u""}}, 8);
        const std::vector<std::tuple<std::size_t, std::size_t, std::size_t>> expected = {
            {0, 0, 0}, {2, 2, 4}, {3, 5, 5}, {4, 6, 6}, {5, 6, 6}, {6, 6, 6}, {8, 8, 8}};
        for (const auto& [pos, before, after] : expected) {
            INFO("pos " << pos);
            CHECK(set.map_pos(pos) == before);  // assoc defaults to -1
            CHECK(set.map_pos(pos, -1) == before);
            CHECK(set.map_pos(pos, 1) == after);
            CHECK(set.map_pos(pos, 0) == after);  // CodeMirror: only a negative assoc is "before"
        }
    }
    SECTION("inside a replacement: its start for assoc < 0, its end otherwise") {
        const auto set = of({{2, 4, u"xyz"}}, 6);
        CHECK(set.map_pos(2, -1) == 2);
        CHECK(set.map_pos(2, 1) == 2);
        CHECK(set.map_pos(3, -1) == 2);
        CHECK(set.map_pos(3, 1) == 5);
        CHECK(set.map_pos(4, -1) == 5);
        CHECK(set.map_pos(4, 1) == 5);
    }
    SECTION("empty documents and both ends") {
        CHECK(change_set().map_pos(0) == 0);
        const auto set = of({{0, 0, u"😀"}}, 0);
        CHECK(set.map_pos(0, -1) == 0);
        CHECK(set.map_pos(0, 1) == 2);
        const auto ends = of({{0, 0, u"<"}, {3, 3, u">"}}, 3);
        CHECK(ends.map_pos(3, -1) == 4);
        CHECK(ends.map_pos(3, 1) == 5);
    }
    SECTION("a position past the end is refused") {
        CHECK_THROWS_AS(of({}, 3).map_pos(4), std::out_of_range);
    }
}

TEST_CASE("change_set: apply_in_place gives what apply gives, on random change sets") {
    std::uint32_t state = 12345;  // a small LCG: deterministic, no <random> needed
    auto next = [&state](std::uint32_t bound) {
        state = state * 1664525u + 1013904223u;
        return (state >> 8) % bound;
    };
    static const std::u16string pieces[] = {u"", u"a", u"xyz", u"😀", u"\n", u"longer text"};
    for (int round = 0; round < 2'000; ++round) {
        std::u16string doc;
        const std::uint32_t length = next(30);
        for (std::uint32_t i = 0; i < length; ++i) doc += static_cast<char16_t>(u'a' + next(26));
        std::vector<change_set::part> parts;
        std::size_t left = doc.size();
        while (left > 0 || next(3) == 0) {
            const std::size_t n = left == 0 ? 0 : 1 + next(static_cast<std::uint32_t>(left));
            // Built from named parts: GCC 12 at -O2 wrongly warns (maybe-uninitialized) on a
            // variant moved in from a temporary here.
            const change_set::part kept = change_set::keep{n};
            const change_set::part replaced = change_set::replace{n, pieces[next(6)]};
            parts.push_back(next(2) == 0 ? kept : replaced);
            left -= n;
            if (left == 0 && next(2) == 0) break;
        }
        const change_set changes = change_set::from_parts(parts);
        REQUIRE(changes.length() == doc.size());
        std::u16string in_place = doc;
        changes.apply_in_place(in_place);
        CHECK(in_place == changes.apply(doc));
    }
    std::u16string wrong = u"abc";
    CHECK_THROWS_AS(change_set::from_parts({change_set::keep{2}}).apply_in_place(wrong),
                    std::invalid_argument);
    CHECK(wrong == u"abc");
}
