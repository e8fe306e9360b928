// Notes in a room: who may read and write which document, what each joiner is sent, cursors.
#include <catch2/catch.hpp>

#include "domain/room.hpp"

using namespace mockroom;
using namespace mockroom::domain;

namespace {

constexpr millis t0 = 1'764'000'000'000;

struct fixture {
    limits bounds;
    room r;
    fixture() : r(make_info(), bounds) {}
    static room_info make_info() {
        auto b = std::make_shared<bank>();
        b->id = "b";
        b->title = "B";
        return room_info{"room1", "Mock", b, t0, {}};
    }
    // Interviewer on connection 1 (client "i"), candidate on 2 ("c"), observer on 3 ("o").
    void seat_everyone() {
        r.join(1, role::interviewer, "Grace", "i", t0);
        r.join(2, role::candidate, "Ada", "c", t0);
        r.join(3, role::observer, "Alan", "o", t0);
    }
};

change_set insert(std::size_t pos, std::u16string text, std::size_t length) {
    return change_set::from_parts({change_set::keep{pos}, change_set::replace{0, std::move(text)},
                                   change_set::keep{length - pos}});
}

notes_push push_to(doc_id d, std::size_t version, std::string client, change_set c) {
    return notes_push{d, version, {{std::move(client), std::move(c)}}};
}

template <class Event>
std::vector<std::pair<audience, Event>> events_of(const outcome& out) {
    std::vector<std::pair<audience, Event>> found;
    for (const auto& o : out) {
        if (auto* e = std::get_if<Event>(&o.what)) found.emplace_back(o.to, *e);
    }
    return found;
}

error_code only_error(const outcome& out) {
    REQUIRE(out.size() == 1);
    REQUIRE(std::holds_alternative<error_event>(out[0].what));
    return std::get<error_event>(out[0].what).code;
}

}  // namespace

TEST_CASE("shared notes: interviewer and candidate write, everyone reads, pusher confirmed") {
    fixture f;
    f.seat_everyone();
    auto out = f.r.apply(2, push_to(doc_id::shared, 0, "c", insert(0, u"def f():", 0)), "", t0);
    auto updates = events_of<notes_updates_event>(out);
    REQUIRE(updates.size() == 1);
    CHECK(updates[0].first.to == audience::kind::everyone);
    CHECK(updates[0].first.connection == 0);  // the pusher too: its confirmation
    CHECK_FALSE(updates[0].first.interviewers_only);
    CHECK(updates[0].second.from == 0);
    CHECK(f.r.document(doc_id::shared).text() == u"def f():");

    auto more = f.r.apply(1, push_to(doc_id::shared, 1, "i", insert(8, u" pass", 8)), "", t0);
    CHECK(events_of<notes_updates_event>(more).size() == 1);
    CHECK(f.r.document(doc_id::shared).text() == u"def f(): pass");
}

TEST_CASE("private notes: interviewers only, and nobody else is even told they changed") {
    fixture f;
    f.seat_everyone();
    auto out =
        f.r.apply(1, push_to(doc_id::private_notes, 0, "i", insert(0, u"secret", 0)), "", t0);
    auto updates = events_of<notes_updates_event>(out);
    REQUIRE(updates.size() == 1);
    CHECK(updates[0].first.interviewers_only);

    const auto before = f.r.document(doc_id::private_notes).text();
    CHECK(only_error(f.r.apply(2, push_to(doc_id::private_notes, 1, "c", insert(0, u"x", 6)), "",
                               t0)) == error_code::forbidden);
    CHECK(only_error(f.r.apply(3, push_to(doc_id::shared, 0, "o", insert(0, u"x", 0)), "", t0)) ==
          error_code::forbidden);
    CHECK(only_error(f.r.apply(2, notes_pull{doc_id::private_notes, 0}, "", t0)) ==
          error_code::forbidden);
    CHECK(only_error(f.r.apply(2, cursor_update{doc_id::private_notes, 0, {{0, 0}}}, "", t0)) ==
          error_code::forbidden);
    CHECK(f.r.document(doc_id::private_notes).text() == before);
    CHECK(f.r.document(doc_id::shared).version() == 0);
}

TEST_CASE("an update with another clientID than the hello's is forbidden") {
    fixture f;
    f.seat_everyone();
    CHECK(only_error(f.r.apply(2, push_to(doc_id::shared, 0, "i", insert(0, u"x", 0)), "7", t0)) ==
          error_code::forbidden);
    CHECK(f.r.document(doc_id::shared).version() == 0);
}

TEST_CASE("refused pushes map to error codes and change nothing") {
    fixture f;
    f.seat_everyone();
    CHECK(only_error(f.r.apply(2, push_to(doc_id::shared, 3, "c", insert(0, u"x", 0)), "", t0)) ==
          error_code::conflict);
    CHECK(only_error(f.r.apply(2, push_to(doc_id::shared, 0, "c", insert(0, u"x", 5)), "", t0)) ==
          error_code::bad_request);
    notes_push many{doc_id::shared, 0, {}};
    for (std::size_t i = 0; i <= f.bounds.max_updates_per_push; ++i) {
        many.updates.push_back({"c", insert(0, u"x", i)});
    }
    CHECK(only_error(f.r.apply(2, many, "", t0)) == error_code::too_large);
    CHECK(f.r.document(doc_id::shared).version() == 0);
}

TEST_CASE("a fresh joiner gets snapshots; a reconnecting one gets the updates it lacks") {
    fixture f;
    f.seat_everyone();
    f.r.apply(1, push_to(doc_id::shared, 0, "i", insert(0, u"one", 0)), "", t0);
    f.r.apply(1, push_to(doc_id::shared, 1, "i", insert(3, u" two", 3)), "", t0);
    f.r.apply(1, push_to(doc_id::private_notes, 0, "i", insert(0, u"p", 0)), "", t0);

    SECTION("fresh candidate: a snapshot of the shared notes, nothing of the private ones") {
        auto out = f.r.join(10, role::candidate, "Ada", "c2", t0);
        auto snapshots = events_of<notes_snapshot_event>(out);
        REQUIRE(snapshots.size() == 1);
        CHECK(snapshots[0].second.doc == doc_id::shared);
        CHECK(snapshots[0].second.text == u"one two");
        CHECK(snapshots[0].second.version == 2);
        CHECK(snapshots[0].first.connection == 10);
        CHECK(events_of<notes_updates_event>(out).empty());
    }
    SECTION("fresh interviewer: both documents") {
        auto snapshots =
            events_of<notes_snapshot_event>(f.r.join(10, role::interviewer, "G", "i2", t0));
        REQUIRE(snapshots.size() == 2);
        CHECK(snapshots[1].second.doc == doc_id::private_notes);
        CHECK(snapshots[1].second.text == u"p");
    }
    SECTION("a reconnect that holds version 1 gets update 1 only, never a snapshot") {
        auto out = f.r.join(10, role::candidate, "Ada", "c", t0, held_versions{1, std::nullopt});
        CHECK(events_of<notes_snapshot_event>(out).empty());
        auto updates = events_of<notes_updates_event>(out);
        REQUIRE(updates.size() == 1);
        CHECK(updates[0].second.from == 1);
        CHECK(updates[0].second.updates.size() == 1);
    }
    SECTION("a version the server never had gets a snapshot") {
        auto out = f.r.join(10, role::candidate, "Ada", "c", t0, held_versions{99, std::nullopt});
        CHECK(events_of<notes_snapshot_event>(out).size() == 1);
    }
    SECTION("pull: the updates since a version, or a snapshot when ahead") {
        auto out = f.r.apply(2, notes_pull{doc_id::shared, 0}, "", t0);
        REQUIRE(events_of<notes_updates_event>(out).size() == 1);
        CHECK(events_of<notes_updates_event>(out)[0].second.updates.size() == 2);
        CHECK(events_of<notes_snapshot_event>(f.r.apply(2, notes_pull{doc_id::shared, 7}, "", t0))
                  .size() == 1);
    }
}

TEST_CASE("the language of the shared pad is a room setting") {
    fixture f;
    f.seat_everyone();
    auto out = f.r.apply(2, set_language{language::python}, "", t0);
    auto changed = events_of<language_event>(out);
    REQUIRE(changed.size() == 1);
    CHECK(changed[0].second.by == "p2");
    CHECK(f.r.notes_language() == language::python);
    CHECK(only_error(f.r.apply(3, set_language{language::markdown}, "", t0)) ==
          error_code::forbidden);
    CHECK(f.r.notes_language() == language::python);
    auto welcome = events_of<welcome_event>(f.r.join(9, role::observer, "Z", "z", t0));
    CHECK(welcome[0].second.state.notes_language == language::python);
}

TEST_CASE("cursors are mapped to the head, relayed to the others, and dropped when they go") {
    fixture f;
    f.seat_everyone();
    f.r.apply(1, push_to(doc_id::shared, 0, "i", insert(0, u"hello", 0)), "", t0);
    f.r.apply(1, push_to(doc_id::shared, 1, "i", insert(0, u">> ", 5)), "", t0);
    // The candidate placed its cursor at the end of "hello" before seeing ">> "; a caret at
    // an insertion point stays before the insertion (assoc -1).
    auto out = f.r.apply(2, cursor_update{doc_id::shared, 1, {{5, 5}, {0, 2}}}, "", t0);
    auto moved = events_of<cursor_event>(out);
    REQUIRE(moved.size() == 1);
    CHECK(moved[0].first.connection == 2);  // everyone but the sender
    CHECK(moved[0].second.participant == "p2");
    CHECK(moved[0].second.version == 2);
    CHECK(moved[0].second.ranges == cursor_ranges{{8, 8}, {0, 5}});

    // A newcomer sees it; bad cursors are refused.
    auto cursors = events_of<cursor_event>(f.r.join(20, role::observer, "N", "n", t0 + 1));
    REQUIRE(cursors.size() == 1);
    CHECK(cursors[0].second.ranges == cursor_ranges{{8, 8}, {0, 5}});
    CHECK(only_error(f.r.apply(2, cursor_update{doc_id::shared, 1, {{6, 6}}}, "", t0 + 100)) ==
          error_code::bad_request);
    CHECK(only_error(f.r.apply(2, cursor_update{doc_id::shared, 5, {{0, 0}}}, "", t0 + 100)) ==
          error_code::conflict);
    CHECK(only_error(f.r.apply(3, cursor_update{doc_id::shared, 2, {{0, 0}}}, "", t0 + 100)) ==
          error_code::forbidden);

    // Disconnecting its last socket removes the cursor for everyone.
    auto gone = events_of<cursor_event>(f.r.disconnect(2, t0 + 200));
    REQUIRE(gone.size() == 1);
    CHECK(gone[0].second.participant == "p2");
    CHECK(gone[0].second.ranges.empty());
    CHECK(events_of<cursor_event>(f.r.join(21, role::observer, "M", "m", t0 + 300)).empty());
}

TEST_CASE("cursor messages over the rate are dropped, not answered") {
    fixture f;
    f.seat_everyone();
    int relayed = 0;
    // 200 messages within one second: at most the burst plus one second's worth get through.
    for (int i = 0; i < 200; ++i) {
        auto out = f.r.apply(1, cursor_update{doc_id::shared, 0, {{0, 0}}}, "", t0 + i * 5);
        CHECK(events_of<error_event>(out).empty());
        relayed += static_cast<int>(events_of<cursor_event>(out).size());
    }
    CHECK(relayed >= f.bounds.cursor_messages_per_second);
    CHECK(relayed <=
          f.bounds.cursor_messages_per_second + f.bounds.cursor_messages_per_second / 4 + 1);
}

TEST_CASE("a client behind the kept log gets a snapshot; its stale cursor is dropped") {
    limits bounds;
    bounds.kept_note_updates = 2;
    room r(fixture::make_info(), bounds);
    r.join(1, role::interviewer, "Grace", "i", t0);
    r.join(2, role::candidate, "Ada", "c", t0);
    for (std::size_t v = 0; v < 4; ++v) {
        r.apply(1, push_to(doc_id::shared, v, "i", insert(v, u"x", v)), "", t0);
    }
    REQUIRE(r.document(doc_id::shared).first_version() == 2);

    // Resuming from a dropped version: a snapshot (there are no updates to send from it).
    auto out = r.join(3, role::candidate, "Ada", "c", t0, held_versions{1, std::nullopt});
    CHECK(events_of<notes_updates_event>(out).empty());
    auto snapshots = events_of<notes_snapshot_event>(out);
    REQUIRE(snapshots.size() == 1);
    CHECK(snapshots[0].second.version == 4);
    CHECK(snapshots[0].second.text == u"xxxx");
    // From a kept version: the updates, as before.
    out = r.join(4, role::candidate, "Ada", "c", t0, held_versions{2, std::nullopt});
    CHECK(events_of<notes_snapshot_event>(out).empty());
    CHECK(events_of<notes_updates_event>(out).size() == 1);
    // A pull from a dropped version: a snapshot.
    CHECK(
        events_of<notes_snapshot_event>(r.apply(2, notes_pull{doc_id::shared, 1}, "", t0)).size() ==
        1);
    // A push from a dropped version: conflict (pull first), nothing changed.
    CHECK(only_error(r.apply(2, push_to(doc_id::shared, 1, "c", insert(0, u"y", 1)), "", t0)) ==
          error_code::conflict);
    CHECK(r.document(doc_id::shared).text() == u"xxxx");
    // A cursor at a dropped version: dropped silently (a newer one follows).
    CHECK(r.apply(2, cursor_update{doc_id::shared, 1, {{0, 0}}}, "", t0).empty());
}
