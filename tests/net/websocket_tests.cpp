// WebSocket over a real loopback socket: joining by role, pushing questions, redaction at the
// wire, presence, and every kind of bad input.
#include <catch2/catch.hpp>

#include "loopback.hpp"

using namespace mockroom;
using namespace mockroom::test;

namespace {

// Distinctive pieces of an answer: its start, middle and end, 40 bytes each.
std::vector<std::string> answer_fingerprints(const std::string& answer) {
    const std::size_t n = 40;
    return {answer.substr(0, n), answer.substr(answer.size() / 2, n),
            answer.substr(answer.size() - n)};
}

void require_no_sample_answers(const std::string& bytes, const domain::bank& bank) {
    REQUIRE(bytes.find("sample_answer") == std::string::npos);
    REQUIRE(bytes.find(canary) == std::string::npos);
    for (const auto& q : bank.questions) {
        for (const auto& piece : answer_fingerprints(q.sample_answer)) {
            INFO("question " << q.number << ": " << piece);
            REQUIRE(bytes.find(piece) == std::string::npos);
        }
    }
}

json push_bank_question(const std::string& id, int ref) {
    return {{"type", "question.push"}, {"id", ref}, {"question", id}};
}

}  // namespace

TEST_CASE("every question of the bank reaches every role; only interviewers see answers") {
    running_server server;
    auto room = create_room(server.port());
    ws_client interviewer(server.port()), candidate(server.port()), observer(server.port());

    auto welcome_i = interviewer.join(room.id, room.interviewer, "Grace", "tab-i");
    REQUIRE(welcome_i["role"] == "interviewer");
    REQUIRE(welcome_i["state"]["bank"]["questions"].size() == 10);
    REQUIRE(welcome_i["state"]["bank"]["questions"][2]["sample_answer"] ==
            seed_bank()->questions[2].sample_answer);
    auto welcome_c = candidate.join(room.id, room.candidate, "Ada", "tab-c");
    REQUIRE(welcome_c["role"] == "candidate");
    REQUIRE(!welcome_c["state"].contains("bank"));
    auto welcome_o = observer.join(room.id, room.observer, "Alan", "tab-o");
    REQUIRE(welcome_o["role"] == "observer");

    const auto& bank = *seed_bank();
    for (const auto& q : bank.questions) interviewer.send(push_bank_question(q.id, q.number));
    for (const auto& q : bank.questions) {
        auto for_interviewer = interviewer.expect("question")["question"];
        auto for_candidate = candidate.expect("question")["question"];
        auto for_observer = observer.expect("question")["question"];
        REQUIRE(for_interviewer["id"] == q.id);
        REQUIRE(for_interviewer["seq"] == q.number);
        REQUIRE(for_interviewer["sample_answer"] == q.sample_answer);
        for (auto* copy : {&for_candidate, &for_observer}) {
            REQUIRE((*copy)["id"] == q.id);
            REQUIRE((*copy)["text"] == q.text);
            REQUIRE((*copy)["difficulty"] == std::string(domain::to_string(q.level)));
            REQUIRE((*copy)["pushed_at"].is_number_integer());
            REQUIRE(!copy->contains("sample_answer"));
        }
    }
    // A late joiner and a reconnect get the whole history, projected for their role.
    ws_client late(server.port());
    auto welcome_late = late.join(room.id, room.candidate, "Ada", "tab-c");
    REQUIRE(welcome_late["you"] == welcome_c["you"]);  // same tab, same participant
    REQUIRE(welcome_late["state"]["history"].size() == 10);
    REQUIRE(welcome_late["state"]["current"]["id"] == "q10");

    require_no_sample_answers(candidate.all_bytes(), bank);
    require_no_sample_answers(observer.all_bytes(), bank);
    require_no_sample_answers(late.all_bytes(), bank);
    REQUIRE(interviewer.all_bytes().find(bank.questions[0].sample_answer.substr(0, 40)) !=
            std::string::npos);
}

TEST_CASE("a canary in every sample answer never reaches a candidate or observer socket") {
    running_server server;
    auto room = create_room(server.port(), "canary");
    ws_client interviewer(server.port()), candidate(server.port()), observer(server.port());
    interviewer.join(room.id, room.interviewer, "Grace", "i1");
    candidate.join(room.id, room.candidate, "Ada", "c1");
    observer.join(room.id, room.observer, "Alan", "o1");

    for (int n = 1; n <= 3; ++n) interviewer.send(push_bank_question("q" + std::to_string(n), n));
    interviewer.send({{"type", "question.push"},
                      {"custom", {{"text", "What is a GIL?"}, {"difficulty", "easy"}}}});
    for (int n = 1; n <= 4; ++n) {
        candidate.expect("question");
        observer.expect("question");
        interviewer.expect("question");
    }
    // Errors are a path too: a candidate asking for a question gets no answer text back.
    candidate.send(push_bank_question("q1", 99));
    auto error = candidate.expect("error");
    REQUIRE(error["code"] == "forbidden");
    REQUIRE(error["ref"] == 99);
    // Reconnects and late joins: welcome with history.
    ws_client again(server.port());
    again.join(room.id, room.candidate, "Ada", "c1");
    ws_client observer_again(server.port());
    observer_again.join(room.id, room.observer, "Alan", "o2");

    for (auto* client : {&candidate, &observer, &again, &observer_again}) {
        REQUIRE(client->all_bytes().find(canary) == std::string::npos);
        REQUIRE(client->all_bytes().find("sample_answer") == std::string::npos);
    }
    REQUIRE(interviewer.all_bytes().find(canary) != std::string::npos);
}

TEST_CASE("forbidden and invalid pushes change nothing") {
    running_server server;
    auto room = create_room(server.port());
    ws_client interviewer(server.port()), candidate(server.port()), observer(server.port());
    interviewer.join(room.id, room.interviewer, "Grace", "i");
    candidate.join(room.id, room.candidate, "Ada", "c");
    observer.join(room.id, room.observer, "Alan", "o");

    candidate.send(push_bank_question("q1", 1));
    REQUIRE(candidate.expect("error")["code"] == "forbidden");
    observer.send({{"type", "question.push"},
                   {"id", "x"},
                   {"custom", {{"text", "sneaky"}, {"difficulty", "easy"}}}});
    auto observer_error = observer.expect("error");
    REQUIRE(observer_error["code"] == "forbidden");
    REQUIRE(observer_error["ref"] == "x");
    interviewer.send(push_bank_question("q99", 2));
    REQUIRE(interviewer.expect("error")["code"] == "not_found");
    interviewer.send(
        {{"type", "question.push"}, {"custom", {{"text", "   "}, {"difficulty", "easy"}}}});
    REQUIRE(interviewer.expect("error")["code"] == "bad_request");
    interviewer.send({{"type", "question.push"},
                      {"custom", {{"text", std::string(10'001, 'x')}, {"difficulty", "easy"}}}});
    REQUIRE(interviewer.expect("error")["code"] == "too_large");

    // Nobody received a question, and a newcomer sees an empty history.
    ws_client second(server.port());
    auto welcome = second.join(room.id, room.interviewer, "Linus", "i2");
    REQUIRE(welcome["state"]["history"].empty());
    REQUIRE(welcome["state"]["current"].is_null());
    for (auto* client : {&interviewer, &candidate, &observer}) {
        REQUIRE(client->all_bytes().find("\"type\":\"question\"") == std::string::npos);
    }
    // Several interviewers can join with the interviewer link, and either can push.
    second.send(push_bank_question("q2", 3));
    REQUIRE(interviewer.expect("question")["question"]["id"] == "q2");
    REQUIRE(candidate.expect("question")["question"]["id"] == "q2");
}

TEST_CASE("bad room or token is unauthorized and closes with 1008") {
    running_server server;
    auto room = create_room(server.port());
    auto other = create_room(server.port());
    struct attempt {
        std::string room, token;
    };
    for (const auto& a :
         {attempt{room.id, "wrong-token-wrong-token"}, attempt{"nosuchroom", room.candidate},
          attempt{other.id, room.interviewer}, attempt{room.id, ""}}) {
        ws_client client(server.port());
        client.send({{"type", "hello"},
                     {"room", a.room},
                     {"token", a.token},
                     {"name", "Eve"},
                     {"client", "eve"}});
        auto error = client.expect("error");
        REQUIRE(error["code"] == "unauthorized");
        REQUIRE(client.wait_for_close() == 1008);
    }
}

TEST_CASE("malformed messages get errors and the connection stays usable") {
    running_server server;
    auto room = create_room(server.port());
    ws_client client(server.port());
    // Before hello: commands are refused, the socket stays open.
    client.send(push_bank_question("q1", 1));
    REQUIRE(client.expect("error")["code"] == "bad_request");
    client.send({{"type", "hello"},
                 {"room", room.id},
                 {"token", room.interviewer},
                 {"name", ""},
                 {"client", "i"}});
    REQUIRE(client.expect("error")["code"] == "bad_request");
    client.join(room.id, room.interviewer, "Grace", "i");

    const std::vector<std::string> garbage = {
        "not json",
        "[]",
        "42",
        R"({"no":"type"})",
        R"({"type":7})",
        R"({"type":"launch.missiles"})",
        R"({"type":"question.push"})",
        R"({"type":"question.push","question":5})",
        R"({"type":"question.push","question":"q1","custom":{"text":"x","difficulty":"easy"}})",
        R"({"type":"question.push","custom":{"text":"x","difficulty":"impossible"}})",
        R"({"type":"question.push","custom":"text"})",
        R"({"type":"question.push","id":{"a":1},"question":"q1"})",
        R"({"type":"ping"})",
        std::string(60'000, '['),
        R"({"type":"hello","room":"\ud800","token":"x","name":"x","client":"x"})",
    };
    for (const auto& text : garbage) {
        INFO(text.substr(0, 80));
        client.send_text(text);
        auto error = client.expect("error");
        REQUIRE(error["code"] == "bad_request");
        REQUIRE(!error["message"].get<std::string>().empty());
    }
    client.send({{"type", "hello"},
                 {"room", room.id},
                 {"token", room.interviewer},
                 {"name", "Grace"},
                 {"client", "i"}});
    REQUIRE(client.expect("error")["message"] == "already joined");

    // Still usable: a ping answers, a push works.
    client.send_text(R"({"type":"ping","id":1,"t0":1764000001234})");
    auto pong = client.expect("pong");
    REQUIRE(pong["t0"] == 1764000001234);
    REQUIRE(client.all_bytes().find("\"t0\":1764000001234,") != std::string::npos);
    REQUIRE(pong["t1"].get<std::int64_t>() <= pong["t2"].get<std::int64_t>());
    client.send(push_bank_question("q1", 2));
    REQUIRE(client.expect("question")["question"]["id"] == "q1");
}

TEST_CASE("a frame over the message limit closes with 1009") {
    running_server server;
    ws_client client(server.port());
    client.send_text(std::string(70 * 1024, ' '));
    REQUIRE(client.wait_for_close() == 1009);
    REQUIRE(http_request(server.port(), "GET", "/healthz").status == 200);
}

TEST_CASE("a text frame that is not UTF-8 closes with 1007") {
    running_server server;
    ws_client client(server.port());
    client.send_text("{\"type\":\"hello\xff\"}");
    REQUIRE(client.wait_for_close() == 1007);
}

TEST_CASE("no hello before the deadline closes with 1008") {
    limits bounds;
    bounds.hello_timeout = std::chrono::milliseconds(200);
    running_server server(bounds);
    ws_client client(server.port());
    REQUIRE(client.wait_for_close() == 1008);
}

TEST_CASE("presence follows join, disconnect, reconnect and leave") {
    running_server server;
    auto room = create_room(server.port());
    ws_client interviewer(server.port());
    auto me = interviewer.join(room.id, room.interviewer, "Grace", "i");
    interviewer.expect("presence");

    auto participant = [](const json& presence, const std::string& name) {
        for (const auto& p : presence["participants"]) {
            if (p["name"] == name) return p;
        }
        return json();
    };
    std::string candidate_id;
    {
        ws_client candidate(server.port());
        candidate_id = candidate.join(room.id, room.candidate, "Ada", "c")["you"];
        auto presence = interviewer.expect("presence");
        REQUIRE(participant(presence, "Ada")["connected"] == true);
        REQUIRE(participant(presence, "Ada")["role"] == "candidate");
    }  // the candidate's socket drops without a goodbye
    auto after_drop = interviewer.expect("presence");
    REQUIRE(participant(after_drop, "Ada")["connected"] == false);

    ws_client candidate(server.port());
    REQUIRE(candidate.join(room.id, room.candidate, "Ada", "c")["you"] == candidate_id);
    REQUIRE(participant(interviewer.expect("presence"), "Ada")["connected"] == true);

    candidate.send({{"type", "leave"}});
    auto after_leave = interviewer.expect("presence");
    REQUIRE(participant(after_leave, "Ada").is_null());
    REQUIRE(candidate.wait_for_close() == 1000);
    REQUIRE(me["you"] == participant(after_leave, "Grace")["id"]);
}

TEST_CASE("a reader that falls behind is closed with 1013 and others are not held up") {
    limits bounds;
    bounds.max_queued_bytes = 64 * 1024;
    bounds.max_history = 5'000;
    bounds.messages_per_second = 1'000'000;  // this test floods on purpose
    running_server server(bounds);
    auto room = create_room(server.port());
    ws_client interviewer(server.port()), stalled(server.port());
    interviewer.join(room.id, room.interviewer, "Grace", "i");
    stalled.join(room.id, room.candidate, "Ada", "c");
    interviewer.expect("presence");

    // ~20 MB to a candidate that does not read: more than the kernel's socket buffers hold.
    const int pushes = 2'000;
    const std::string text(9'000, 'q');
    for (int n = 0; n < pushes; ++n) {
        interviewer.send(
            {{"type", "question.push"}, {"custom", {{"text", text}, {"difficulty", "easy"}}}});
        interviewer.expect("question");  // the interviewer keeps up, whatever the candidate does
    }
    REQUIRE(stalled.wait_for_close(std::chrono::seconds(20)) == 1013);
}

// ---- notes --------------------------------------------------------------------------------

namespace {

json notes_push(const std::string& doc, std::size_t version, const std::string& client,
                const json& changes, int id = 0) {
    json push = {{"type", "notes.push"},
                 {"doc", doc},
                 {"version", version},
                 {"updates", json::array({{{"clientID", client}, {"changes", changes}}})}};
    if (id != 0) push["id"] = id;
    return push;
}

json hello_with_notes(const created_room& room, const std::string& token, const std::string& client,
                      const json& notes) {
    return {{"type", "hello"}, {"room", room.id},  {"token", token},
            {"name", "X"},     {"client", client}, {"notes", notes}};
}

}  // namespace

TEST_CASE("notes: a push is confirmed to the pusher and sent to every reader") {
    running_server server;
    auto room = create_room(server.port());
    ws_client interviewer(server.port()), candidate(server.port()), observer(server.port());
    interviewer.join(room.id, room.interviewer, "Grace", "tab-i");
    REQUIRE(interviewer.expect("notes.snapshot")["text"] == "");
    candidate.join(room.id, room.candidate, "Ada", "tab-c");
    auto snapshot = candidate.expect("notes.snapshot");
    REQUIRE(snapshot["doc"] == "shared");
    REQUIRE(snapshot["version"] == 0);
    observer.join(room.id, room.observer, "Alan", "tab-o");

    candidate.send(notes_push("shared", 0, "tab-c",
                              json::array({json::array({0, "def f(x):", "  return x 😀"})})));
    for (auto* client : {&interviewer, &candidate, &observer}) {
        auto updates = client->expect("notes.updates");
        REQUIRE(updates["doc"] == "shared");
        REQUIRE(updates["from"] == 0);
        REQUIRE(updates["updates"][0]["clientID"] == "tab-c");
    }
    // The observer reads but may not write; nobody may write as someone else.
    observer.send(notes_push("shared", 1, "tab-o", json::array({json::array({0, "x"}), 22}), 5));
    REQUIRE(observer.expect("error")["code"] == "forbidden");
    interviewer.send(notes_push("shared", 1, "tab-c", json::array({json::array({0, "x"}), 22}), 6));
    REQUIRE(interviewer.expect("error")["code"] == "forbidden");

    // A late joiner's snapshot has the text, in UTF-8 on the wire.
    ws_client late(server.port());
    late.join(room.id, room.candidate, "Ada", "tab-late");
    auto late_snapshot = late.expect("notes.snapshot");
    REQUIRE(late_snapshot["text"] == "def f(x):\n  return x 😀");
    REQUIRE(late_snapshot["version"] == 1);
}

TEST_CASE("notes: bad pushes get errors and change nothing") {
    running_server server;
    auto room = create_room(server.port());
    ws_client interviewer(server.port());
    interviewer.join(room.id, room.interviewer, "Grace", "i");
    interviewer.send(notes_push("shared", 0, "i", json::array({json::array({0, "abc"})})));
    interviewer.expect("notes.updates");

    struct bad {
        json message;
        std::string code;
    };
    const std::vector<bad> cases = {
        {notes_push("shared", 1, "i", json::array({json::array({0, "x\r\ny"}), 3})), "bad_request"},
        {notes_push("shared", 1, "i", json::array({json::array({0, "x"}), 9})), "bad_request"},
        {notes_push("shared", 5, "i", json::array({json::array({0, "x"}), 3})), "conflict"},
        {notes_push("shared", 1, "i", json::array({-1})), "bad_request"},
        {notes_push("shared", 1, "i", "not an array"), "bad_request"},
        {notes_push("elsewhere", 1, "i", json::array({3})), "bad_request"},
        {{{"type", "notes.push"}, {"doc", "shared"}, {"version", 1}, {"updates", 3}},
         "bad_request"},
        {{{"type", "notes.pull"}, {"doc", "shared"}, {"version", -1}}, "bad_request"},
        {{{"type", "cursor"}, {"doc", "shared"}, {"version", 1}, {"ranges", {{9, 9}}}},
         "bad_request"},
        {{{"type", "notes.language"}, {"language", "cobol"}}, "bad_request"},
    };
    for (const auto& c : cases) {
        INFO(c.message.dump());
        interviewer.send(c.message);
        REQUIRE(interviewer.expect("error")["code"] == c.code);
    }
    ws_client reader(server.port());
    reader.join(room.id, room.observer, "O", "o");
    REQUIRE(reader.expect("notes.snapshot")["text"] == "abc");
}

TEST_CASE("notes: a document over its size cap is refused with too_large") {
    limits bounds;
    bounds.max_document_units = 100;
    running_server server(bounds);
    auto room = create_room(server.port());
    ws_client interviewer(server.port());
    interviewer.join(room.id, room.interviewer, "Grace", "i");
    interviewer.send(
        notes_push("shared", 0, "i", json::array({json::array({0, std::string(100, 'a')})})));
    interviewer.expect("notes.updates");  // exactly at the cap
    interviewer.send(notes_push("shared", 1, "i", json::array({100, json::array({0, "b"})}), 4));
    auto error = interviewer.expect("error");
    REQUIRE(error["code"] == "too_large");
    REQUIRE(error["ref"] == 4);
    ws_client reader(server.port());
    reader.join(room.id, room.observer, "O", "o");
    auto snapshot = reader.expect("notes.snapshot");
    REQUIRE(snapshot["version"] == 1);
    REQUIRE(snapshot["text"] == std::string(100, 'a'));
}

TEST_CASE("notes: a reconnect resumes from its version and a resend is not applied twice") {
    running_server server;
    auto room = create_room(server.port());
    ws_client other(server.port());
    other.join(room.id, room.interviewer, "Grace", "g");
    const json x = json::array({json::array({0, "X"})});
    {
        ws_client first(server.port());
        first.join(room.id, room.candidate, "Ada", "ada");
        first.send(notes_push("shared", 0, "ada", x));
        // Accepted (the others have it), but the socket dies before its confirmation is read.
        // (Closing right after the send could lose the push itself: a close with unread data
        // is a TCP reset, which may discard what the server has not read yet.)
        other.expect("notes.updates");
    }
    other.send(notes_push("shared", 1, "g", json::array({1, json::array({0, "!"})})));
    other.expect("notes.updates");

    ws_client again(server.port());
    again.send(hello_with_notes(room, room.candidate, "ada", {{"shared", 0}}));
    REQUIRE(again.expect("welcome")["you"].is_string());
    auto resumed = again.expect("notes.updates");  // not a snapshot: it holds version 0
    REQUIRE(resumed["from"] == 0);
    REQUIRE(resumed["updates"].size() == 2);
    REQUIRE(resumed["updates"][0]["clientID"] == "ada");
    // The client did not see its confirmation in time and resends: nothing changes.
    again.send(notes_push("shared", 0, "ada", x, 9));
    again.send({{"type", "notes.pull"}, {"doc", "shared"}, {"version", 0}});
    auto pulled = again.expect("notes.updates");
    REQUIRE(pulled["updates"].size() == 2);
    ws_client check(server.port());
    check.join(room.id, room.observer, "O", "o");
    REQUIRE(check.expect("notes.snapshot")["text"] == "X!");
}

TEST_CASE("notes: the private document never reaches a candidate or observer socket") {
    running_server server;
    auto room = create_room(server.port());
    const std::string secret = "PRIVATE-CANARY-93c1";
    ws_client interviewer(server.port());
    interviewer.join(room.id, room.interviewer, "Grace", "i");
    interviewer.send(notes_push("private", 0, "i", json::array({json::array({0, secret})})));
    interviewer.expect("notes.updates");
    interviewer.send(
        {{"type", "cursor"}, {"doc", "private"}, {"version", 1}, {"ranges", {{3, 7}}}});

    ws_client candidate(server.port()), observer(server.port());
    candidate.join(room.id, room.candidate, "Ada", "c");
    observer.join(room.id, room.observer, "Alan", "o");
    // Every way in: a hello naming the private version, pulls, pushes, cursors.
    ws_client resumed(server.port());
    resumed.send(hello_with_notes(room, room.candidate, "c", {{"shared", 0}, {"private", 0}}));
    resumed.expect("welcome");
    for (auto* client : {&candidate, &observer, &resumed}) {
        client->send({{"type", "notes.pull"}, {"doc", "private"}, {"version", 0}, {"id", 1}});
        REQUIRE(client->expect("error")["code"] == "forbidden");
        client->send(notes_push("private", 1, "c", json::array({json::array({0, "x"}), 19}), 2));
        REQUIRE(client->expect("error")["code"] == "forbidden");
        client->send({{"type", "cursor"},
                      {"doc", "private"},
                      {"version", 1},
                      {"ranges", {{0, 0}}},
                      {"id", 3}});
        REQUIRE(client->expect("error")["code"] == "forbidden");
    }
    // More private activity while they are connected.
    interviewer.send(
        notes_push("private", 1, "i", json::array({19, json::array({0, " more " + secret})})));
    interviewer.expect("notes.updates");
    interviewer.send({{"type", "ping"}, {"t0", 1}});
    interviewer.expect("pong");
    candidate.send({{"type", "ping"}, {"t0", 1}});  // a round trip: anything sent before it is in
    candidate.expect("pong");
    observer.send({{"type", "ping"}, {"t0", 1}});
    observer.expect("pong");

    for (auto* client : {&candidate, &observer, &resumed}) {
        REQUIRE(client->all_bytes().find(secret) == std::string::npos);
        REQUIRE(client->all_bytes().find("\"private\"") == std::string::npos);
    }
    REQUIRE(interviewer.all_bytes().find(secret) != std::string::npos);
}

TEST_CASE("notes: cursors are relayed to the others and removed when their owner leaves") {
    running_server server;
    auto room = create_room(server.port());
    ws_client interviewer(server.port());
    interviewer.join(room.id, room.interviewer, "Grace", "i");
    interviewer.send(notes_push("shared", 0, "i", json::array({json::array({0, "hello"})})));
    interviewer.expect("notes.updates");
    std::string candidate_id;
    {
        ws_client candidate(server.port());
        candidate_id = candidate.join(room.id, room.candidate, "Ada", "c")["you"];
        candidate.send(
            {{"type", "cursor"}, {"doc", "shared"}, {"version", 1}, {"ranges", {{2, 4}}}});
        auto cursor = interviewer.expect("cursor");
        REQUIRE(cursor["participant"] == candidate_id);
        REQUIRE(cursor["ranges"] == json::array({json::array({2, 4})}));
        REQUIRE(candidate.next(std::chrono::milliseconds(100)).value_or(json())["type"] !=
                "cursor");
    }
    auto removed = interviewer.expect("cursor");
    REQUIRE(removed["participant"] == candidate_id);
    REQUIRE(removed["ranges"].empty());
}

TEST_CASE("a socket sending faster than the limit gets rate_limited and stays open") {
    limits bounds;
    bounds.messages_per_second = 10;  // a burst of 20
    running_server server(bounds);
    ws_client client(server.port());
    int pongs = 0, limited = 0;
    for (int i = 0; i < 60; ++i) client.send({{"type", "ping"}, {"id", i}, {"t0", i}});
    for (int i = 0; i < 60; ++i) {
        auto message = client.next();
        REQUIRE(message.has_value());
        if ((*message)["type"] == "pong") ++pongs;
        if ((*message)["type"] == "error" && (*message)["code"] == "rate_limited") ++limited;
    }
    CHECK(pongs >= 20);
    CHECK(pongs < 60);
    CHECK(pongs + limited == 60);
    REQUIRE(http_request(server.port(), "GET", "/healthz").status == 200);
}

TEST_CASE("notes: a push too far behind gets conflict; after a pull it is accepted") {
    limits bounds;
    bounds.max_rebase_work = 10;
    running_server server(bounds);
    auto room = create_room(server.port());
    ws_client writer(server.port()), late(server.port());
    writer.join(room.id, room.interviewer, "Grace", "w");
    late.join(room.id, room.candidate, "Ada", "l");
    for (std::size_t v = 0; v < 20; ++v) {
        writer.send(notes_push("shared", v, "w",
                               v == 0 ? json::array({json::array({0, "w"})})
                                      : json::array({json::array({0, "w"}), v})));
        writer.expect("notes.updates");
    }
    late.send(notes_push("shared", 0, "l", json::array({json::array({0, "L"})}), 1));
    auto error = late.expect("error");
    REQUIRE(error["code"] == "conflict");
    REQUIRE(error["ref"] == 1);
    // Catch up, rebase locally (here: the insert at 0 stays at 0), push at the head.
    late.send({{"type", "notes.pull"}, {"doc", "shared"}, {"version", 0}});
    auto caught_up = late.expect("notes.updates");
    REQUIRE(caught_up["updates"].size() >= 20);
    late.send(notes_push("shared", 20, "l", json::array({json::array({0, "L"}), 20}), 2));
    auto confirmed = late.expect("notes.updates");
    while (confirmed["from"] != 20) confirmed = late.expect("notes.updates");
    REQUIRE(confirmed["updates"][0]["clientID"] == "l");
}
