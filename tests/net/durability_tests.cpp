// Durability over real sockets and a real SQLite file: what a client was told is stored before
// it is told; a restarted server has every room exactly as it was; a full disk fails only the
// change that could not be stored, and the room goes back to what is stored.
#include <catch2/catch.hpp>

#include "loopback.hpp"
#include "net/server_clock.hpp"
#include "store/event_store.hpp"

using namespace mockroom;
using namespace mockroom::test;

namespace {

json notes_push(const std::string& doc, std::size_t version, const std::string& client,
                json changes, json id = nullptr) {
    json j = {{"type", "notes.push"},
              {"doc", doc},
              {"version", version},
              {"updates", json::array({{{"clientID", client}, {"changes", changes}}})}};
    if (!id.is_null()) j["id"] = id;
    return j;
}

// An insertion of `text` at `at` in a document of `length` units (ASCII only).
json insert_at(std::size_t at, const std::string& text, std::size_t length) {
    json changes = json::array();
    if (at > 0) changes.push_back(at);
    json inserted = json::array({0});
    std::size_t start = 0;
    for (std::size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
        inserted.push_back(text.substr(start, end - start));  // lines, as CodeMirror writes them
    }
    inserted.push_back(text.substr(start));
    changes.push_back(inserted);
    if (length > at) changes.push_back(length - at);
    return changes;
}

json expect_notes(ws_client& client, const std::string& doc) {
    for (;;) {
        json message = client.expect("notes.updates");
        if (message["doc"] == doc) return message;
    }
}

json expect_snapshot(ws_client& client, const std::string& doc) {
    for (;;) {
        json message = client.expect("notes.snapshot");
        if (message["doc"] == doc) return message;
    }
}

json timer_of(ws_client& client, const std::string& which) {
    for (;;) {
        json message = client.expect("timer");
        if (message["timer"] == which) return message;
    }
}

}  // namespace

TEST_CASE("durability: a confirmed edit is already in the database") {
    running_server server;
    auto room = create_room(server.port());
    ws_client candidate(server.port());
    candidate.join(room.id, room.candidate, "Ada", "c");
    expect_snapshot(candidate, "shared");
    std::size_t length = 0;
    for (int i = 0; i < 20; ++i) {
        const std::string word = "w" + std::to_string(i) + " ";
        candidate.send(notes_push("shared", static_cast<std::size_t>(i), "c",
                                  insert_at(length, word, length)));
        expect_notes(candidate, "shared");  // the confirmation
        length += word.size();
        // A second, independent reader of the same file sees it at this moment.
        store::event_store reader(server.data_dir());
        auto stored = reader.load_room(room.id);
        REQUIRE(stored.has_value());
        std::size_t notes_events = 0;
        for (const auto& e : stored->events) {
            if (e.find("\"kind\":\"notes\"") != std::string::npos) ++notes_events;
        }
        CHECK(notes_events == static_cast<std::size_t>(i) + 1);
    }
}

TEST_CASE("durability: after a restart every room is exactly as it was") {
    const auto dir = fresh_temp_dir();
    created_room room;
    json before;
    domain::millis stopped_at = 0;
    {
        running_server first({}, {}, dir);
        room = create_room(first.port());
        ws_client interviewer(first.port());
        interviewer.join(room.id, room.interviewer, "Grace", "i");
        ws_client candidate(first.port());
        candidate.join(room.id, room.candidate, "Ada", "c");
        interviewer.send({{"type", "question.push"}, {"question", "q3"}, {"budget_ms", 600'000}});
        json question_timer = timer_of(interviewer, "question");
        json interview_timer = timer_of(interviewer, "interview");
        interviewer.send({{"type", "question.push"},
                          {"custom",
                           {{
                                "text",
                                "Explain the GIL.",
                            },
                            {"difficulty", "hard"}}}});
        question_timer = timer_of(interviewer, "question");
        candidate.send(notes_push("shared", 0, "c", insert_at(0, "def f():", 0)));
        expect_notes(candidate, "shared");
        CHECK(expect_notes(interviewer, "shared")["from"] == 0);
        interviewer.send(notes_push("shared", 1, "i", insert_at(8, "\n    pass", 8)));
        CHECK(expect_notes(interviewer, "shared")["from"] == 1);
        interviewer.send(notes_push("private", 0, "i", insert_at(0, "strong on basics", 0)));
        expect_notes(interviewer, "private");
        interviewer.send({{"type", "notes.language"}, {"language", "python"}});
        interviewer.expect("notes.language");
        interviewer.send({{"type", "timer.command"},
                          {"timer", "interview"},
                          {"command", "pause"},
                          {"expect_rev", interview_timer["rev"]}});
        timer_of(interviewer, "interview");
        interviewer.send({{"type", "timer.command"},
                          {"timer", "question"},
                          {"command", "add"},
                          {"ms", 90'000},
                          {"expect_rev", question_timer["rev"]}});
        timer_of(interviewer, "question");
        ws_client observer(first.port());
        observer.join(room.id, room.observer, "Linus", "o");

        // The state as a newly joining interviewer sees it, just before the server stops.
        ws_client look(first.port());
        before = look.join(room.id, room.interviewer, "Grace", "i");
        stopped_at = net::server_clock::now();
    }
    running_server second({}, {}, dir);
    CHECK(second.rooms_loaded() == 1);
    ws_client look(second.port());
    json after = look.join(room.id, room.interviewer, "Grace", "i");
    const domain::millis elapsed = after["now"].get<domain::millis>() - stopped_at;

    // Nobody is connected after a restart but the one who just came back.
    for (auto* state : {&before, &after}) {
        for (auto& p : (*state)["state"]["participants"]) p.erase("connected");
    }
    CHECK(after["state"]["participants"] == before["state"]["participants"]);
    CHECK(after["state"]["language"] == "python");
    CHECK(after["state"]["bank"] == before["state"]["bank"]);
    CHECK(after["you"] == before["you"]);
    // The current question's time spent grows while its timer runs; the rest is identical.
    for (auto* state : {&before, &after}) {
        (*state)["state"]["history"].back().erase("time_spent_ms");
        (*state)["state"]["current"].erase("time_spent_ms");
    }
    CHECK(after["state"]["history"] == before["state"]["history"]);
    CHECK(after["state"]["current"] == before["state"]["current"]);
    // The paused timer holds exactly what it held; the running one keeps its deadline.
    CHECK(after["state"]["timers"]["interview"] == before["state"]["timers"]["interview"]);
    const json& q_before = before["state"]["timers"]["question"];
    const json& q_after = after["state"]["timers"]["question"];
    CHECK(q_after["deadline"] == q_before["deadline"]);
    CHECK(q_after["rev"] == q_before["rev"]);
    CHECK(q_after["duration_ms"] == 900'000 + 90'000);
    CHECK(q_after["remaining_ms"].get<domain::millis>() <=
          q_before["remaining_ms"].get<domain::millis>() - elapsed + 1);

    // Both documents, their versions included.
    json shared = expect_snapshot(look, "shared");
    CHECK(shared["version"] == 2);
    CHECK(shared["text"] == "def f():\n    pass");
    json private_notes = expect_snapshot(look, "private");
    CHECK(private_notes["version"] == 1);
    CHECK(private_notes["text"] == "strong on basics");

    // The old links still work, and the room goes on from where it was.
    ws_client candidate(second.port());
    const json welcome = candidate.join(room.id, room.candidate, "Ada", "c");
    CHECK(welcome["state"]["history"].size() == 2);
    candidate.send(notes_push("shared", 2, "c", insert_at(0, "# ", 17)));
    CHECK(expect_notes(look, "shared")["from"] == 2);
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
}

TEST_CASE("durability: a reconnect after a restart resumes the notes without a duplicate") {
    const auto dir = fresh_temp_dir();
    created_room room;
    {
        running_server first({}, {}, dir);
        room = create_room(first.port());
        ws_client candidate(first.port());
        candidate.join(room.id, room.candidate, "Ada", "c");
        candidate.send(notes_push("shared", 0, "c", insert_at(0, "abc", 0)));
        expect_notes(candidate, "shared");
    }
    running_server second({}, {}, dir);
    // The candidate held version 1 and resends its (already accepted) update, as after a lost
    // confirmation: it is recognised and not applied twice.
    ws_client candidate(second.port());
    candidate.send({{"type", "hello"},
                    {"room", room.id},
                    {"token", room.candidate},
                    {"name", "Ada"},
                    {"client", "c"},
                    {"notes", {{"shared", 0}}}});
    json caught_up = expect_notes(candidate, "shared");
    CHECK(caught_up["from"] == 0);
    CHECK(caught_up["updates"].size() == 1);
    candidate.send(notes_push("shared", 0, "c", insert_at(0, "abc", 0)));
    ws_client reader(second.port());
    reader.join(room.id, room.observer, "Linus", "o");
    json snapshot = expect_snapshot(reader, "shared");
    CHECK(snapshot["text"] == "abc");
    CHECK(snapshot["version"] == 1);
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
}

TEST_CASE("durability: a full disk fails the change it cannot store, and nothing else breaks") {
    // 64 pages of 4 KiB: the schema and two rooms fit, a few large notes pushes do not.
    running_server server({}, {}, {}, 64);
    auto full = create_room(server.port());
    auto other = create_room(server.port());
    ws_client bystander(server.port());
    bystander.join(other.id, other.interviewer, "Barbara", "b");

    ws_client candidate(server.port());
    candidate.join(full.id, full.candidate, "Ada", "c");
    expect_snapshot(candidate, "shared");
    const std::string block(40'000, 'x');
    std::size_t version = 0, length = 0;
    json refused;
    for (int attempt = 0; attempt < 20 && refused.is_null(); ++attempt) {
        candidate.send(
            notes_push("shared", version, "c", insert_at(length, block, length), attempt));
        for (;;) {
            auto message = candidate.next();
            REQUIRE(message.has_value());
            if ((*message)["type"] == "notes.updates") {
                ++version;
                length += block.size();
                break;
            }
            if ((*message)["type"] == "error") {
                refused = *message;
                break;
            }
        }
    }
    REQUIRE_FALSE(refused.is_null());
    INFO(refused.dump());
    CHECK(refused["code"] == "internal");
    CHECK(refused["message"].get<std::string>().find("could not save") != std::string::npos);
    CHECK(refused.contains("ref"));
    // The room goes back to what is stored: its sockets are closed, clients reconnect.
    CHECK(candidate.wait_for_close() == 1011);

    // The server still serves: HTTP, the other room's socket, a fresh join of the full room.
    CHECK(http_request(server.port(), "GET", "/healthz").status == 200);
    bystander.send({{"type", "ping"}, {"id", 1}, {"t0", 1}});
    CHECK(bystander.expect("pong")["id"] == 1);
    ws_client back(server.port());
    back.join(full.id, full.candidate, "Ada", "c");
    json snapshot = expect_snapshot(back, "shared");
    // Exactly the acknowledged pushes, none of the refused one.
    CHECK(snapshot["version"] == version);
    CHECK(snapshot["text"].get<std::string>().size() == length);
    // And what is stored agrees.
    store::event_store reader(server.data_dir());
    CHECK(reader.integrity_check() == "ok");
}

TEST_CASE("ending: after the end a candidate's edit is refused, also after a restart") {
    const auto dir = fresh_temp_dir();
    created_room room;
    {
        running_server first({}, {}, dir);
        room = create_room(first.port());
        ws_client interviewer(first.port());
        interviewer.join(room.id, room.interviewer, "Grace", "i");
        ws_client candidate(first.port());
        candidate.join(room.id, room.candidate, "Ada", "c");
        candidate.send(notes_push("shared", 0, "c", insert_at(0, "my answer", 0)));
        expect_notes(candidate, "shared");
        interviewer.send({{"type", "room.end"}, {"id", "end"}});
        const json ended = candidate.expect("ended");
        CHECK(ended["by"] == "p1");
        candidate.send(notes_push("shared", 1, "c", insert_at(9, " (edited later)", 9), 5));
        const json refused = candidate.expect("error");
        CHECK(refused["code"] == "forbidden");
        CHECK(refused["ref"] == 5);
        // Even an interviewer cannot change the shared notes any more.
        interviewer.send(notes_push("shared", 1, "i", insert_at(0, "x", 9), 6));
        CHECK(interviewer.expect("error")["code"] == "forbidden");
    }
    running_server second({}, {}, dir);
    ws_client candidate(second.port());
    const json welcome = candidate.join(room.id, room.candidate, "Ada", "c");
    CHECK(welcome["state"]["ended_at"].is_number_integer());
    const json shared = expect_snapshot(candidate, "shared");
    CHECK(shared["text"] == "my answer");
    CHECK(shared["version"] == 1);
    candidate.send(notes_push("shared", 1, "c", insert_at(0, "x", 9), 7));
    CHECK(candidate.expect("error")["code"] == "forbidden");
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
}

TEST_CASE("durability: a restart loads the latest snapshot and the events after it") {
    const auto dir = fresh_temp_dir();
    limits bounds;
    bounds.snapshot_every_events = 5;  // a snapshot every few edits
    bounds.kept_note_updates = 4;      // and documents that drop old updates
    created_room room;
    std::string expected;
    constexpr std::size_t edits = 23;
    {
        running_server first(bounds, {}, dir);
        room = create_room(first.port());
        ws_client interviewer(first.port());
        interviewer.join(room.id, room.interviewer, "Grace", "i");
        interviewer.send({{"type", "question.push"}, {"question", "q1"}});
        interviewer.expect("question");
        ws_client candidate(first.port());
        candidate.join(room.id, room.candidate, "Ada", "c");
        for (std::size_t v = 0; v < edits; ++v) {
            const std::string piece = std::to_string(v % 10);
            candidate.send(
                notes_push("shared", v, "c", insert_at(expected.size(), piece, expected.size())));
            expected += piece;
            expect_notes(candidate, "shared");  // confirmed: durable
        }
    }
    {
        // The store holds a snapshot, and every event (the log stays the record).
        store::event_store reader(dir);
        const auto stored = reader.load_room(room.id);
        REQUIRE(stored);
        REQUIRE(stored->snapshot);
        CHECK(stored->snapshot_seq > 10);
        CHECK(stored->events.size() < 10);
    }
    running_server second(bounds, {}, dir);
    ws_client observer(second.port());
    observer.join(room.id, room.observer, "Linus", "o");
    json snapshot = expect_snapshot(observer, "shared");
    CHECK(snapshot["text"] == expected);
    CHECK(snapshot["version"] == edits);
    // A client holding a recent version gets the updates it lacks; one holding a version the
    // room no longer keeps gets a snapshot.
    ws_client recent(second.port());
    recent.send({{"type", "hello"},
                 {"room", room.id},
                 {"token", room.candidate},
                 {"name", "Ada"},
                 {"client", "c"},
                 {"notes", {{"shared", edits - 2}}}});
    json caught_up = expect_notes(recent, "shared");
    CHECK(caught_up["from"] == edits - 2);
    CHECK(caught_up["updates"].size() == 2);
    ws_client old(second.port());
    old.send({{"type", "hello"},
              {"room", room.id},
              {"token", room.candidate},
              {"name", "Ada"},
              {"client", "c"},
              {"notes", {{"shared", 1}}}});
    CHECK(expect_snapshot(old, "shared")["text"] == expected);
    // And the room goes on: an edit after the restart is accepted at the next version.
    recent.send(notes_push("shared", edits, "c", insert_at(0, "!", expected.size())));
    json next = expect_notes(recent, "shared");
    CHECK(next["from"] == edits);
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
}
