#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "frame_scan.hpp"

using namespace mockroom::load;

TEST_CASE("the members a load client needs are found in any order") {
    frame_fields f;
    REQUIRE(scan_frame(
        R"({"doc":"shared","from":12,"type":"notes.updates","updates":[{"changes":[[0,"~5.1;"],3],"clientID":"a"}]})",
        f));
    CHECK(unquote(f.type) == "notes.updates");
    CHECK(unquote(f.doc) == "shared");
    CHECK(to_integer(f.from) == 12);
    CHECK(f.updates == R"([{"changes":[[0,"~5.1;"],3],"clientID":"a"}])");

    REQUIRE(scan_frame(R"( { "type" : "cursor", "participant":"p2", "ranges" : [[6,6],[9,13]],
        "nested": {"type":"x", "s":"a\"}]"}, "version":14 } )",
                       f));
    CHECK(unquote(f.type) == "cursor");
    CHECK(unquote(f.participant) == "p2");
    CHECK(f.ranges == "[[6,6],[9,13]]");
    CHECK(to_integer(f.version) == 14);
    CHECK(f.from.empty());
}

TEST_CASE("malformed frames are refused") {
    frame_fields f;
    CHECK_FALSE(scan_frame("", f));
    CHECK_FALSE(scan_frame("[1,2]", f));
    CHECK_FALSE(scan_frame(R"({"type":"x")", f));
    CHECK_FALSE(scan_frame(R"({"type":"x})", f));
    CHECK_FALSE(scan_frame(R"({"type" "x"})", f));
    CHECK(scan_frame("{}", f));
}

TEST_CASE("change sets give their lengths and tokens") {
    std::vector<latency_token> tokens;
    auto collect = [&](const latency_token& t) { tokens.push_back(t); };

    auto lengths = walk_changes(R"([[0,"~123.4;"],57])", collect);
    REQUIRE(lengths);
    CHECK(lengths->before == 57);
    CHECK(lengths->after == 57 + 7);
    REQUIRE(tokens.size() == 1);
    CHECK(tokens[0].scheduled_us == 123);
    CHECK(tokens[0].typist == 4);

    tokens.clear();
    lengths = walk_changes(R"([3,[2],[1,"ab","~9.0;x~10.1;"],4])", collect);
    REQUIRE(lengths);
    CHECK(lengths->before == 3 + 2 + 1 + 4);
    CHECK(lengths->after == 3 + (2 + 1 + 12) + 4);  // "ab" and a 12-unit line joined by "\n"
    REQUIRE(tokens.size() == 2);
    CHECK(tokens[1].scheduled_us == 10);

    tokens.clear();
    lengths = walk_changes(R"([[0,"~12;","~.3;","~1.2"]])", collect);
    REQUIRE(lengths);
    CHECK(tokens.empty());  // not tokens

    CHECK(walk_changes("[]", collect)->after == 0);
    CHECK_FALSE(walk_changes(R"([[]])", collect));
    CHECK_FALSE(walk_changes(R"(["x"])", collect));
}

TEST_CASE("UTF-16 lengths of raw JSON string contents") {
    CHECK(utf16_length("abc") == 3);
    CHECK(utf16_length(R"(a\nb\"c)") == 5);
    CHECK(utf16_length(R"(\u00e9)") == 1);
    CHECK(utf16_length(R"(\ud83d\ude00)") == 2);
    CHECK(utf16_length("\xc3\xa9") == 1);          // é
    CHECK(utf16_length("\xe2\x82\xac") == 1);      // €
    CHECK(utf16_length("\xf0\x9f\x98\x80") == 2);  // an emoji: a surrogate pair
}
