// The collaborative document authority: rebasing one update at a time, never applying a resend
// twice, and refusing bad pushes without changing anything.
#include <catch2/catch.hpp>

#include "domain/document.hpp"

using namespace mockroom::domain;

namespace {

using parts = std::vector<change_set::part>;
change_set changes(const parts& p) {
    return change_set::from_parts(p);
}
change_set insert_at(std::size_t pos, std::u16string text, std::size_t length) {
    return changes({change_set::keep{pos}, change_set::replace{0, std::move(text)},
                    change_set::keep{length - pos}});
}
change_set erase(std::size_t from, std::size_t to, std::size_t length) {
    return changes({change_set::keep{from}, change_set::replace{to - from, u""},
                    change_set::keep{length - to}});
}

collab_document with_text(const std::u16string& text) {
    collab_document doc(1 << 20, 100);
    auto result = doc.push(0, {{"setup", changes({change_set::replace{0, text}})}});
    REQUIRE(std::holds_alternative<push_accepted>(result));
    return doc;
}

const push_accepted& accepted(const std::variant<push_refused, push_accepted>& result) {
    if (auto* refused = std::get_if<push_refused>(&result)) FAIL("refused: " << refused->message);
    return std::get<push_accepted>(result);
}

}  // namespace

TEST_CASE("regression: ab -> 2Xb (rebase one update at a time, never compose first)") {
    // doc "ab"; A inserts "X" at 0, its push in flight; B deletes "a" (accepted), then inserts
    // "2" at 0 (accepted); A's push arrives based on the old version. Everyone ends with "2Xb".
    auto doc = with_text(u"ab");
    const std::size_t a_base = doc.version();
    accepted(doc.push(a_base, {{"B", erase(0, 1, 2)}}));
    accepted(doc.push(a_base + 1, {{"B", insert_at(0, u"2", 1)}}));
    auto result = accepted(doc.push(a_base, {{"A", insert_at(0, u"X", 2)}}));
    CHECK(doc.text() == u"2Xb");
    REQUIRE(result.accepted.size() == 1);
    CHECK(result.from == a_base + 2);

    // Client A receives B's updates one at a time and rebases its pending X over each: the same.
    change_set pending = insert_at(0, u"X", 2);
    pending = pending.map(erase(0, 1, 2)).map(insert_at(0, u"2", 1));
    CHECK(pending.apply(u"2b") == u"2Xb");
    CHECK(pending == result.accepted[0].changes);
}

TEST_CASE("a push based on the head is applied as it is") {
    auto doc = with_text(u"hello");
    auto result = accepted(doc.push(1, {{"A", insert_at(5, u" world", 5)}}));
    CHECK(result.from == 1);
    CHECK(doc.text() == u"hello world");
    CHECK(doc.version() == 2);
}

TEST_CASE("a resend after a lost confirmation is never applied twice") {
    auto doc = with_text(u"abc");
    auto x = insert_at(1, u"X", 3);                         // A: aXbc
    accepted(doc.push(1, {{"A", x}}));                      // accepted; the confirmation is lost
    accepted(doc.push(2, {{"B", insert_at(0, u"B", 4)}}));  // B: BaXbc
    // A reconnects holding version 1 and resends X plus a new Y made on top of X.
    auto y = insert_at(4, u"Y", 4);  // aXbcY in A's view
    auto result = accepted(doc.push(1, {{"A", x}, {"A", y}}));
    CHECK(doc.text() == u"BaXbcY");
    REQUIRE(result.accepted.size() == 1);  // only Y is new
    CHECK(result.from == 3);

    // Resending everything again changes nothing at all.
    auto again = accepted(doc.push(1, {{"A", x}, {"A", y}}));
    CHECK(again.accepted.empty());
    CHECK(doc.text() == u"BaXbcY");
    CHECK(doc.version() == 4);
}

TEST_CASE("own updates interleaved with others' in the log are skipped in place") {
    auto doc = with_text(u"0123");
    auto a1 = insert_at(4, u"A", 4);                        // 0123A
    auto a2 = insert_at(0, u"a", 5);                        // a0123A
    accepted(doc.push(1, {{"B", erase(1, 2, 4)}}));         // B1: 023
    accepted(doc.push(1, {{"A", a1}}));                     // A1 rebased: 023A
    accepted(doc.push(3, {{"B", insert_at(0, u"b", 4)}}));  // B2: b023A
    // A lost both confirmations and resends A1, A2 from version 1.
    auto result = accepted(doc.push(1, {{"A", a1}, {"A", a2}}));
    REQUIRE(result.accepted.size() == 1);
    CHECK(doc.text() == u"ba023A");
    // Client A's view: apply A1, A2 locally, then receive B1, A1 (its own), B2.
    change_set pending = a2;
    pending = pending.map(erase(1, 2, 4).map(a1, true));  // B1 as seen after A1
    CHECK(pending.apply(u"023A") == u"a023A");
}

TEST_CASE("refused pushes change nothing") {
    auto doc = with_text(u"abc");
    const auto text = doc.text();
    const auto version = doc.version();
    auto refused = [&](std::size_t base, std::vector<text_update> updates) {
        auto result = doc.push(base, updates);
        REQUIRE(std::holds_alternative<push_refused>(result));
        CHECK(doc.text() == text);
        CHECK(doc.version() == version);
        return std::get<push_refused>(result).why;
    };
    using reason = push_refused::reason;
    CHECK(refused(2, {{"A", insert_at(0, u"x", 3)}}) == reason::version_ahead);
    CHECK(refused(1, {{"A", insert_at(0, u"x", 4)}}) == reason::bad_length);
    // The second update must start where the first ends.
    CHECK(refused(1, {{"A", insert_at(0, u"x", 3)}, {"A", insert_at(0, u"y", 3)}}) ==
          reason::bad_length);
    // Based on version 0 (empty document) a change must have length 0.
    CHECK(refused(0, {{"A", insert_at(0, u"x", 3)}}) == reason::bad_length);

    collab_document small(10, 2);
    CHECK(std::holds_alternative<push_refused>(
        small.push(0, {{"A", changes({change_set::replace{0, u"01234567890"}})}})));
    CHECK(small.version() == 0);
    auto three = std::vector<text_update>{{"A", changes({change_set::replace{0, u"a"}})},
                                          {"A", insert_at(0, u"b", 1)},
                                          {"A", insert_at(0, u"c", 2)}};
    CHECK(std::get<push_refused>(small.push(0, three)).why == reason::too_many_updates);
    // All or nothing: the second update would overflow, so the first is not kept either.
    auto overflow = std::vector<text_update>{{"A", changes({change_set::replace{0, u"01234"}})},
                                             {"A", insert_at(5, u"567890", 5)}};
    CHECK(std::get<push_refused>(small.push(0, overflow)).why == reason::too_large);
    CHECK(small.text().empty());
}

TEST_CASE("positions map from an old version to the head") {
    auto doc = with_text(u"hello");
    accepted(doc.push(1, {{"B", insert_at(0, u">> ", 5)}}));
    CHECK(doc.map_to_head(0, 1, -1) == 0);
    CHECK(doc.map_to_head(0, 1, 1) == 3);
    CHECK(doc.map_to_head(5, 1, -1) == 8);
    CHECK(doc.map_to_head(99, 1, -1) == 8);  // clamped to the document it named
    CHECK(doc.length_at(1) == 5);
    CHECK(doc.length_at(2) == 8);
    CHECK(doc.updates_since(1).size() == 1);
    CHECK(doc.updates_since(2).empty());
}

TEST_CASE("a push too far behind is refused without work; after catching up it goes through") {
    collab_document doc(1 << 20, 100, /*max_rebase_work=*/50);
    accepted(doc.push(0, {{"setup", changes({change_set::replace{0, u"x"}})}}));
    for (std::size_t v = 1; v <= 10; ++v) accepted(doc.push(v, {{"B", insert_at(0, u"b", v)}}));
    // 10 versions behind x 6 updates = 60 maps > 50: refused, nothing changed.
    std::vector<text_update> six;
    for (std::size_t i = 0; i < 6; ++i) six.push_back({"A", insert_at(0, u"a", 1 + i)});
    auto result = doc.push(1, six);
    REQUIRE(std::holds_alternative<push_refused>(result));
    CHECK(std::get<push_refused>(result).why == push_refused::reason::too_far_behind);
    CHECK(doc.version() == 11);
    // 10 x 5 = 50 is within the bound.
    six.pop_back();
    accepted(doc.push(1, six));
    CHECK(doc.text() == u"bbbbbbbbbbaaaaax");
}

TEST_CASE("the log keeps the newest updates: older versions are no longer served or rebased") {
    // Keep 3: when the log holds 6 updates, the oldest 3 are dropped.
    collab_document doc(1 << 20, 100, 20'000, 3);
    for (std::size_t i = 0; i < 5; ++i) accepted(doc.push(i, {{"A", insert_at(i, u"x", i)}}));
    CHECK(doc.first_version() == 0);
    accepted(doc.push(5, {{"A", insert_at(5, u"y", 5)}}));
    CHECK(doc.version() == 6);
    CHECK(doc.first_version() == 3);
    CHECK(doc.log().size() == 3);
    CHECK(doc.text() == u"xxxxxy");
    CHECK_FALSE(doc.knows_version(2));
    CHECK(doc.knows_version(3));
    CHECK(doc.knows_version(6));
    CHECK_FALSE(doc.knows_version(7));
    CHECK(doc.length_at(3) == 3);
    CHECK(doc.updates_since(4).size() == 2);

    // A push based on a dropped version cannot be rebased: the client catches up first.
    auto old = doc.push(2, {{"B", insert_at(0, u"z", 2)}});
    REQUIRE(std::holds_alternative<push_refused>(old));
    CHECK(std::get<push_refused>(old).why == push_refused::reason::too_far_behind);
    CHECK(doc.version() == 6);

    // A push based on a kept version is rebased over the kept updates.
    const auto result = doc.push(3, {{"B", insert_at(0, u"z", 3)}});
    const auto& rebased = accepted(result);
    CHECK(rebased.from == 6);
    CHECK(doc.text() == u"zxxxxxy");
    // Positions from a kept version map to the head; from a dropped one they are clamped.
    CHECK(doc.map_to_head(3, 3, -1) == 4);
    CHECK(doc.map_to_head(99, 1, -1) == doc.text().size());
}

TEST_CASE("restore: a snapshot's text and kept updates, checked before anything changes") {
    collab_document doc(1 << 20, 100, 20'000, 3);
    const text_update first{"A", insert_at(0, u"ab", 0)};
    const text_update second{"B", insert_at(2, u"c", 2)};
    CHECK_THROWS_AS(doc.restore(10, u"abcd", {first, second}), std::invalid_argument);
    CHECK_THROWS_AS(doc.restore(10, u"abc", {second, first}), std::invalid_argument);
    CHECK(doc.version() == 0);
    CHECK(doc.text().empty());
    doc.restore(10, u"abc", {first, second});
    CHECK(doc.version() == 12);
    CHECK(doc.first_version() == 10);
    CHECK(doc.length_at(11) == 2);
    // It goes on as if it had never stopped.
    accepted(doc.push(11, {{"C", insert_at(0, u"x", 2)}}));
    CHECK(doc.text() == u"xabc");
    CHECK(doc.version() == 13);
}
