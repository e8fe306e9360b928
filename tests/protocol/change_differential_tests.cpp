// domain::change_set against @codemirror/state itself: every case of the vectors file written by
// tests/ot/make_vectors.mjs (path in MOCKROOM_OT_VECTORS) must give the library's results
// byte for byte: the same JSON text for every set (so the same sections and texts), the same
// documents unit by unit, and the same mapped positions.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "protocol/change_json.hpp"

using namespace mockroom;
using domain::change_set;
using nlohmann::json;

namespace {

bool is_surrogate(char16_t unit) {
    return unit >= 0xD800 && unit <= 0xDFFF;
}
bool is_high(char16_t unit) {
    return unit >= 0xD800 && unit <= 0xDBFF;
}
bool is_low(char16_t unit) {
    return unit >= 0xDC00 && unit <= 0xDFFF;
}

bool has_lone_surrogate(std::u16string_view text) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (is_high(text[i]) && i + 1 < text.size() && is_low(text[i + 1])) {
            ++i;
        } else if (is_surrogate(text[i])) {
            return true;
        }
    }
    return false;
}

// JSON.stringify of a string, from its UTF-16 units: what the vectors hold even where a lone
// surrogate (escaped as \udxxx) keeps nlohmann from writing it.
void append_js_string(std::string& out, std::u16string_view text) {
    static constexpr char hex[] = "0123456789abcdef";
    auto escape_unit = [&](char16_t unit) {
        out += "\\u";
        for (int shift = 12; shift >= 0; shift -= 4) out += hex[(unit >> shift) & 0xF];
    };
    out += '"';
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char16_t unit = text[i];
        switch (unit) {
            case u'"':
                out += "\\\"";
                break;
            case u'\\':
                out += "\\\\";
                break;
            case u'\b':
                out += "\\b";
                break;
            case u'\f':
                out += "\\f";
                break;
            case u'\n':
                out += "\\n";
                break;
            case u'\r':
                out += "\\r";
                break;
            case u'\t':
                out += "\\t";
                break;
            default:
                if (unit < 0x20) {
                    escape_unit(unit);
                } else if (unit < 0x80) {
                    out += static_cast<char>(unit);
                } else if (is_high(unit) && i + 1 < text.size() && is_low(text[i + 1])) {
                    out += protocol::utf16_to_utf8(text.substr(i, 2));
                    ++i;
                } else if (is_surrogate(unit)) {
                    escape_unit(unit);
                } else {
                    out += protocol::utf16_to_utf8(text.substr(i, 1));
                }
        }
    }
    out += '"';
}

std::string js_string(std::u16string_view text) {
    std::string out;
    append_js_string(out, text);
    return out;
}

// JSON.stringify(set.toJSON()), written independently of change_set_to_json.
std::string js_stringify(const change_set& set) {
    std::string out = "[";
    bool first = true;
    for (const auto& part : set.parts()) {
        if (!first) out += ',';
        first = false;
        if (const auto* k = std::get_if<change_set::keep>(&part)) {
            out += std::to_string(k->length);
            continue;
        }
        const auto& r = std::get<change_set::replace>(part);
        out += '[' + std::to_string(r.deleted);
        if (!r.inserted.empty()) {
            std::u16string_view rest = r.inserted;
            for (;;) {
                const auto newline = rest.find(u'\n');
                out += ',';
                append_js_string(out, rest.substr(0, newline));
                if (newline == std::u16string_view::npos) break;
                rest.remove_prefix(newline + 1);
            }
        }
        out += ']';
    }
    return out + "]";
}

bool has_lone_surrogate(const change_set& set) {
    for (const auto& part : set.parts()) {
        if (const auto* r = std::get_if<change_set::replace>(&part)) {
            if (has_lone_surrogate(r->inserted)) return true;
        }
    }
    return false;
}

// A JSON string literal as JSON.stringify writes it, to UTF-16 units: unlike nlohmann, this
// accepts the \udxxx escape of a lone surrogate. Throws on anything else.
std::u16string decode_js_string(std::string_view literal) {
    auto bad = [&] { return std::invalid_argument("bad string literal: " + std::string(literal)); };
    if (literal.size() < 2 || literal.front() != '"' || literal.back() != '"') throw bad();
    literal = literal.substr(1, literal.size() - 2);
    std::u16string text;
    while (!literal.empty()) {
        const auto escape = literal.find('\\');
        const auto plain = protocol::utf8_to_utf16(literal.substr(0, escape));
        if (!plain) throw bad();
        text += *plain;
        if (escape == std::string_view::npos) break;
        if (escape + 1 >= literal.size()) throw bad();
        const char kind = literal[escape + 1];
        literal.remove_prefix(escape + 2);
        switch (kind) {
            case '"':
                text += u'"';
                break;
            case '\\':
                text += u'\\';
                break;
            case '/':
                text += u'/';
                break;
            case 'b':
                text += u'\b';
                break;
            case 'f':
                text += u'\f';
                break;
            case 'n':
                text += u'\n';
                break;
            case 'r':
                text += u'\r';
                break;
            case 't':
                text += u'\t';
                break;
            case 'u': {
                if (literal.size() < 4) throw bad();
                char16_t unit = 0;
                for (const char digit : literal.substr(0, 4)) {
                    const auto value =
                        std::string_view("0123456789abcdef")
                            .find(static_cast<char>(digit | 0x20));  // either letter case
                    if (value == std::string_view::npos) throw bad();
                    unit = static_cast<char16_t>(unit * 16 + value);
                }
                text += unit;
                literal.remove_prefix(4);
                break;
            }
            default:
                throw bad();
        }
    }
    return text;
}

// The first difference found in one case, described compactly.
struct mismatch {
    std::string what;
    std::string expected;
    std::string got;
};

class case_checker {
  public:
    explicit case_checker(const json& c) : case_(c) {}

    std::optional<mismatch> run() {
        const std::u16string doc = decode_js_string(expected("doc"));
        change_set a;
        change_set b;
        change_set c;
        if (!parse("a", a) || !parse("b", b) || !parse("c", c)) return failure_;
        if (a.length() != doc.size() || b.length() != doc.size()) {
            return mismatch{"length", std::to_string(doc.size()), std::to_string(a.length())};
        }
        if (!same_text("a.apply(doc)", a.apply(doc), "a_doc")) return failure_;
        if (!same_text("b.apply(doc)", b.apply(doc), "b_doc")) return failure_;

        if (!same_set("a.map(b)", a.map(b), "a_map_b")) return failure_;
        if (!same_set("a.map(b, true)", a.map(b, true), "a_map_b_before")) return failure_;
        const change_set b_map_a = b.map(a);
        if (!same_set("b.map(a)", b_map_a, "b_map_a")) return failure_;

        const change_set a_b = a.compose(b_map_a);
        if (!same_set("a.compose(b.map(a))", a_b, "a_b")) return failure_;
        if (!same_text("a.compose(b.map(a)).apply(doc)", a_b.apply(doc), "a_b_doc")) {
            return failure_;
        }
        if (!same_text("b.map(a).apply(a.apply(doc))", b_map_a.apply(a.apply(doc)), "a_b_doc")) {
            return failure_;
        }
        const change_set b_a = b.compose(a.map(b, true));
        if (!same_set("b.compose(a.map(b, true))", b_a, "b_a")) return failure_;
        if (!same_text("b.compose(a.map(b, true)).apply(doc)", b_a.apply(doc), "a_b_doc")) {
            return failure_;
        }

        const change_set a_c = a.compose(c);
        if (!same_set("a.compose(c)", a_c, "a_c")) return failure_;
        if (!same_text("a.compose(c).apply(doc)", a_c.apply(doc), "a_c_doc")) return failure_;
        if (!same_text("c.apply(a.apply(doc))", c.apply(a.apply(doc)), "a_c_doc")) {
            return failure_;
        }

        for (const auto& entry : case_.at("map_pos")) {
            const auto pos = entry.at(0).get<std::size_t>();
            const int assoc = entry.at(1).get<int>();
            const auto want = entry.at(2).get<std::size_t>();
            const std::size_t got = a.map_pos(pos, assoc);
            if (got != want) {
                return mismatch{
                    "a.map_pos(" + std::to_string(pos) + ", " + std::to_string(assoc) + ")",
                    std::to_string(want), std::to_string(got)};
            }
        }
        return std::nullopt;
    }

    bool had_lone_surrogates() const { return lone_surrogates_; }

  private:
    const std::string& expected(const char* key) const {
        return case_.at(key).get_ref<const std::string&>();
    }

    bool fail(std::string what, std::string want, std::string got) {
        failure_ = mismatch{std::move(what), std::move(want), std::move(got)};
        return false;
    }

    // The library's JSON must parse, and serialize back to the same bytes.
    bool parse(const char* key, change_set& out) {
        auto parsed = protocol::change_set_from_json(json::parse(expected(key)));
        if (const auto* error = std::get_if<std::string>(&parsed)) {
            return fail(std::string("change_set_from_json(") + key + ")", expected(key), *error);
        }
        out = std::get<change_set>(std::move(parsed));
        return same_set(std::string("change_set_to_json(") + key + ")", out, key);
    }

    bool same_set(const std::string& what, const change_set& got, const char* key) {
        const std::string& want = expected(key);
        // The server's own serializer, byte for byte.
        std::string dumped = protocol::change_set_to_json(got).dump();
        if (dumped != want) {
            // Unless the set holds a lone surrogate, which change_set_to_json cannot write
            // (U+FFFD instead): then compare through the model of JSON.stringify.
            if (!has_lone_surrogate(got)) return fail(what, want, dumped);
            lone_surrogates_ = true;
            if (std::string js = js_stringify(got); js != want) return fail(what, want, js);
        }
        // Sections already in CodeMirror's form: the normalization change_set_from_json applies
        // to what clients send leaves them alone.
        if (const auto again = change_set::from_parts(got.parts()); !(again == got)) {
            return fail(what + " renormalized", want, js_stringify(again));
        }
        return true;
    }

    // Documents compare as their JSON.stringify text: equal unit by unit.
    bool same_text(const std::string& what, const std::u16string& got, const char* key) {
        const std::string& want = expected(key);
        if (std::string js = js_string(got); js != want) return fail(what, want, js);
        return true;
    }

    const json& case_;
    std::optional<mismatch> failure_;
    bool lone_surrogates_ = false;
};

std::string vectors_path() {
    const char* path = std::getenv("MOCKROOM_OT_VECTORS");
    if (path == nullptr || *path == '\0') {
        FAIL(
            "MOCKROOM_OT_VECTORS is not set: run tests/ot/make_vectors.mjs (the CTest fixture "
            "'ot: generate CodeMirror vectors') and point it at the .jsonl file");
    }
    return path;
}

// One case line, checked; a description of the first difference, if any.
std::optional<std::string> check_line(const std::string& line, bool& lone_surrogates) {
    try {
        const json c = json::parse(line);
        case_checker checker(c);
        const auto wrong = checker.run();
        lone_surrogates = checker.had_lone_surrogates();
        if (!wrong) return std::nullopt;
        std::ostringstream report;
        report << wrong->what << "\n"
               << "  doc:      " << c.at("doc").get<std::string>() << "\n"
               << "  a:        " << c.at("a").get<std::string>() << "\n"
               << "  b:        " << c.at("b").get<std::string>() << "\n"
               << "  c:        " << c.at("c").get<std::string>() << "\n"
               << "  expected: " << wrong->expected << "\n"
               << "  got:      " << wrong->got;
        return report.str();
    } catch (const std::exception& e) {
        return std::string("unreadable case or exception: ") + e.what() + "\n  line: " + line;
    }
}

// Checks a batch of case lines on every core, worker w taking every workers-th line. Each
// worker stops at its first mismatch, and at any line past the first mismatch found so far, so
// the result is always about the first failing line of the batch: its index and report.
struct batch_result {
    std::optional<std::pair<std::size_t, std::string>> first_failure;
    std::size_t with_lone_surrogates = 0;
};

batch_result check_batch(const std::vector<std::string>& lines, std::size_t workers) {
    std::atomic<std::size_t> first_failure{lines.size()};
    std::vector<std::string> reports(workers);
    std::vector<std::size_t> lone_counts(workers, 0);
    std::vector<std::thread> threads;
    for (std::size_t w = 0; w < workers; ++w) {
        threads.emplace_back([&, w] {
            for (std::size_t i = w; i < lines.size() && i < first_failure.load(); i += workers) {
                bool lone = false;
                if (auto report = check_line(lines[i], lone)) {
                    reports[w] = std::move(*report);
                    std::size_t known = first_failure.load();
                    while (i < known && !first_failure.compare_exchange_weak(known, i)) {
                    }
                    return;
                }
                if (lone) ++lone_counts[w];
            }
        });
    }
    for (auto& t : threads) t.join();

    batch_result result;
    for (const std::size_t n : lone_counts) result.with_lone_surrogates += n;
    if (const std::size_t i = first_failure.load(); i < lines.size()) {
        result.first_failure.emplace(i, std::move(reports[i % workers]));
    }
    return result;
}

}  // namespace

TEST_CASE("change_set gives @codemirror/state's results on every vector") {
    const std::string path = vectors_path();
    std::ifstream in(path, std::ios::binary);
    if (!in.is_open()) FAIL("cannot open the vectors file " << path);
    const auto started = std::chrono::steady_clock::now();

    std::string line;
    REQUIRE(std::getline(in, line));
    const json meta = json::parse(line).at("meta");

    const std::size_t workers = std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 8);
    constexpr std::size_t batch_size = 4096;  // lines in memory at once
    std::size_t checked = 0;
    std::size_t with_lone_surrogates = 0;
    std::vector<std::string> batch;
    for (bool more = true; more;) {
        batch.clear();
        while (batch.size() < batch_size && (more = static_cast<bool>(std::getline(in, line)))) {
            if (!line.empty()) batch.push_back(std::move(line));
        }
        auto result = check_batch(batch, workers);
        if (result.first_failure) {
            const auto& [index, report] = *result.first_failure;
            FAIL("case " << checked + index + 1 << ": " << report << "\n(vectors " << path
                         << ", seed " << meta.at("seed").dump() << ")");
        }
        checked += batch.size();
        with_lone_surrogates += result.with_lone_surrogates;
    }
    const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    std::cout << "change_set differential: " << checked
              << " cases checked against @codemirror/state "
              << meta.at("codemirror_state").get<std::string>() << " (" << with_lone_surrogates
              << " with a lone surrogate in a set) in " << elapsed.count() << " ms on " << workers
              << " threads\n";
    REQUIRE(checked > 0);
    // A truncated file must not pass as a smaller run.
    REQUIRE(checked == meta.at("count").get<std::size_t>());
}

// ---- change_json on its own (no vectors needed) ---------------------------------------------

namespace {

change_set require_set(const json& j) {
    auto parsed = protocol::change_set_from_json(j);
    if (const auto* error = std::get_if<std::string>(&parsed)) FAIL(j.dump() << ": " << *error);
    return std::get<change_set>(std::move(parsed));
}

std::string require_error(const json& j) {
    auto parsed = protocol::change_set_from_json(j);
    if (std::holds_alternative<change_set>(parsed)) FAIL(j.dump() << " was accepted");
    return std::get<std::string>(parsed);
}

}  // namespace

TEST_CASE("change_json: CodeMirror's JSON form both ways") {
    const char* samples[] = {
        "[]",
        "[5]",
        R"([[0,"a","b"]])",
        R"([[0,"",""]])",
        R"([3,[2],[0,"é😀"],[1,"👩‍💻","中文"],4])",
        R"([[2],[0,"xy"],[2],1])",
        R"([1,[0,"a"],[1,"b"],1])",
        R"([[0,"\"\\\t\u0001"]])",  // escapes: nlohmann writes them as JSON.stringify does
    };
    for (const char* text : samples) {
        INFO(text);
        const auto set = require_set(json::parse(text));
        CHECK(protocol::change_set_to_json(set).dump() == text);
    }
    const auto set = require_set(json::parse(R"([1,[2,"a","","b"],3])"));
    CHECK(set.parts() == std::vector<change_set::part>{change_set::keep{1},
                                                       change_set::replace{2, u"a\n\nb"},
                                                       change_set::keep{3}});
    CHECK(set.length() == 6);
    CHECK(set.new_length() == 8);
}

TEST_CASE("change_json: normalizes what CodeMirror would not have written") {
    CHECK(protocol::change_set_to_json(require_set(json::parse(R"([0,2,3,[0],[1],[1,""],[0,""]])")))
              .dump() == "[5,[2]]");
    // 2.0 is 2 in JavaScript.
    CHECK(protocol::change_set_to_json(require_set(json::parse("[2.0,[1.0]]"))).dump() ==
          "[2,[1]]");
    // Built in code rather than parsed: signed integers.
    CHECK(protocol::change_set_to_json(require_set(json::array({json(std::int64_t{3})}))).dump() ==
          "[3]");
}

TEST_CASE("change_json: rejects what CodeMirror could not have produced") {
    const char* bad[] = {
        "{}",
        "3",
        R"("abc")",
        "null",
        "[-1]",
        "[1.5]",
        "[true]",
        "[null]",
        R"(["3"])",
        "[{}]",
        "[[]]",
        "[[-1]]",
        "[[1.5]]",
        R"([["a"]])",
        "[[null]]",
        "[[0, 1]]",
        R"([[0, "a", null]])",
        R"([[0, ["a"]]])",
        R"([[0, "a\r"]])",
        R"([[0, "a\rb"]])",
        R"([[0, "a\nb"]])",
        "[2147483649]",
        "[[2147483649]]",
        "[18446744073709551616]",
        "[1e300]",
        "[2147483648, 1]",
        "[[2147483648], 1]",
    };
    for (const char* text : bad) {
        INFO(text);
        CHECK_FALSE(require_error(json::parse(text)).empty());
    }
    // 2^31 itself is allowed.
    CHECK(require_set(json::parse("[2147483648]")).length() == 2147483648u);
    CHECK(require_set(json::parse("[[2147483648]]")).new_length() == 0);

    // Strings nlohmann holds but that are not valid UTF-8: built in code, as a parser would not
    // produce them.
    const std::string invalid[] = {
        "\xff",              // never valid
        "\x80",              // a lone continuation byte
        "\xc3",              // truncated
        "\xc0\xaf",          // overlong '/'
        "\xe0\x80\xaf",      // overlong
        "\xed\xa0\x80",      // an encoded high surrogate (CESU-8)
        "\xed\xbf\xbf",      // an encoded low surrogate
        "\xf4\x90\x80\x80",  // above U+10FFFF
    };
    for (const auto& text : invalid) {
        std::string bytes;
        for (const char byte : text)
            bytes += std::to_string(static_cast<unsigned char>(byte)) + ' ';
        INFO("bytes " << bytes);
        CHECK(require_error(json::array({json::array({0, text})})).find("UTF-8") !=
              std::string::npos);
        CHECK_FALSE(protocol::utf8_to_utf16(text));
    }
    // nlohmann itself refuses a lone surrogate escape, before change_set_from_json is reached.
    CHECK_THROWS(json::parse(R"([[0,"\ud83d"]])"));
}

TEST_CASE("change_json: UTF-8 and UTF-16") {
    CHECK(protocol::utf8_to_utf16("") == u"");
    CHECK(protocol::utf8_to_utf16("aé中😀") == u"aé中😀");
    CHECK(protocol::utf8_to_utf16("\xf4\x8f\xbf\xbf") == std::u16string{0xDBFF, 0xDFFF});
    CHECK(protocol::utf8_to_utf16("\xef\xbf\xbd") == std::u16string{0xFFFD});
    CHECK(protocol::utf16_to_utf8(u"aé中😀👩‍💻") == "aé中😀👩‍💻");
    CHECK(protocol::utf16_to_utf8(std::u16string{u'a', 0xD83D}) == "a\xef\xbf\xbd");
    CHECK(protocol::utf16_to_utf8(std::u16string{0xDE00, u'b'}) ==
          "\xef\xbf\xbd"
          "b");
    CHECK(protocol::utf16_to_utf8(std::u16string{0xDE00, 0xD83D}) == "\xef\xbf\xbd\xef\xbf\xbd");
    // A lone surrogate made by compose is written as U+FFFD: valid JSON, never an exception.
    const auto half = change_set::from_parts({change_set::replace{0, std::u16string{0xD83D}}});
    CHECK(protocol::change_set_to_json(half).dump() == "[[0,\"\xef\xbf\xbd\"]]");
}
