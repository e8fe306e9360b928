// Shared timing over real loopback sockets: the server decides expiry at the deadline and tells
// every socket once; a reconnect gets the current timers; commands race safely. The server runs
// in this process, so the test reads the very clock the server's deadlines are on.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <future>

#include "loopback.hpp"
#include "net/server_clock.hpp"

using namespace mockroom;
using namespace mockroom::test;

namespace {

// Everyone in one room: an interviewer, a candidate and an observer.
struct timed_room {
    running_server server;
    created_room room = create_room(server.port());
    ws_client interviewer{server.port()};
    ws_client candidate{server.port()};
    ws_client observer{server.port()};

    timed_room() {
        interviewer.join(room.id, room.interviewer, "Grace", "i");
        candidate.join(room.id, room.candidate, "Ada", "c");
        observer.join(room.id, room.observer, "Linus", "o");
    }
    std::vector<ws_client*> everyone() { return {&interviewer, &candidate, &observer}; }
};

// The next `timer` message about `which` (other messages before it are skipped).
json next_timer(ws_client& client, const std::string& which,
                std::chrono::milliseconds deadline = default_deadline) {
    for (;;) {
        json timer = client.expect("timer", deadline);
        if (timer["timer"] == which) return timer;
    }
}

json push_with_budget(const std::string& question, domain::millis budget_ms) {
    return {{"type", "question.push"}, {"question", question}, {"budget_ms", budget_ms}};
}

json timer_command(const std::string& which, const std::string& command, std::uint64_t rev,
                   std::optional<domain::millis> ms = std::nullopt, json id = nullptr) {
    json j = {
        {"type", "timer.command"}, {"timer", which}, {"command", command}, {"expect_rev", rev}};
    if (ms) j["ms"] = *ms;
    if (!id.is_null()) j["id"] = id;
    return j;
}

// No timer message arrives within `quiet` (other messages are fine).
bool no_timer_within(ws_client& client, std::chrono::milliseconds quiet) {
    const auto until = std::chrono::steady_clock::now() + quiet;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            until - std::chrono::steady_clock::now());
        if (left <= std::chrono::milliseconds(0)) return true;
        auto message = client.next(left);
        if (!message) return true;
        if ((*message)["type"] == "timer") return false;
    }
}

}  // namespace

TEST_CASE("timing: the expiry reaches every socket within 50 ms of the deadline, once") {
    timed_room r;
    domain::millis worst_lateness = 0;
    // Several rounds: a question pushed with a short budget expires on its own.
    for (int round = 1; round <= 5; ++round) {
        CAPTURE(round);
        r.interviewer.send(push_with_budget("q" + std::to_string(round), 1'000 + 37 * round));
        json started;
        for (ws_client* client : r.everyone()) started = next_timer(*client, "question");
        REQUIRE(started["state"] == "running");
        REQUIRE(started["cause"] == "push");
        const domain::millis deadline = started["deadline"];

        // Each socket is read on its own thread, so one reader does not delay the others. No
        // Catch2 macro runs there (it is not thread-safe): the checks come after.
        std::vector<std::future<std::pair<json, domain::millis>>> arrivals;
        for (ws_client* client : r.everyone()) {
            arrivals.push_back(std::async(std::launch::async, [client] {
                while (auto frame = client->next_frame(5s)) {
                    json message = json::parse(*frame, nullptr, false);
                    if (message.is_object() && message["type"] == "timer" &&
                        message["timer"] == "question") {
                        return std::make_pair(message, net::server_clock::now());
                    }
                }
                return std::make_pair(json(), domain::millis{0});  // none: the checks fail
            }));
        }
        for (auto& arrival : arrivals) {
            auto [expired, received_at] = arrival.get();
            CHECK(expired["state"] == "expired");
            CHECK(expired["cause"] == "expire");
            CHECK(expired["by"].is_null());
            CHECK(expired["deadline"] == deadline);
            CHECK(expired["remaining_ms"] == 0);
            CHECK(expired["rev"] == started["rev"].get<int>() + 1);
            const domain::millis lateness = received_at - deadline;
            CHECK(lateness >= 0);  // never before the deadline
            CHECK(lateness < 50);
            worst_lateness = std::max(worst_lateness, lateness);
        }
    }
    // Once: nothing more about the timer once it has expired.
    for (ws_client* client : r.everyone()) CHECK(no_timer_within(*client, 300ms));
    std::printf("timing: worst expiry delay over 5 rounds x 3 sockets: %lld ms\n",
                static_cast<long long>(worst_lateness));
}

TEST_CASE("timing: a moved deadline moves the server's wake-up") {
    timed_room r;
    r.interviewer.send(push_with_budget("q1", 60'000));
    json started = next_timer(r.interviewer, "question");
    // Subtract almost all of it: the expiry now comes ~1 s from now, not in a minute.
    r.interviewer.send(timer_command("question", "add", started["rev"], -59'000));
    json moved = next_timer(r.candidate, "question");
    while (moved["cause"] != "add") moved = next_timer(r.candidate, "question");
    const domain::millis deadline = moved["deadline"];
    CHECK(deadline == started["deadline"].get<domain::millis>() - 59'000);
    json expired = next_timer(r.candidate, "question", 3s);
    const domain::millis lateness = net::server_clock::now() - deadline;
    CHECK(expired["state"] == "expired");
    CHECK(lateness >= 0);
    CHECK(lateness < 50);

    // Paused before its deadline, it does not expire; resumed, it does, at the new deadline.
    r.interviewer.send(push_with_budget("q2", 1'000));
    json second = next_timer(r.interviewer, "question");
    while (second["cause"] != "push") second = next_timer(r.interviewer, "question");
    r.interviewer.send(timer_command("question", "pause", second["rev"]));
    json paused = next_timer(r.interviewer, "question");
    REQUIRE(paused["state"] == "paused");
    CHECK(no_timer_within(r.interviewer, 1'300ms));  // past the original deadline: still paused
    r.interviewer.send(timer_command("question", "resume", paused["rev"]));
    json resumed = next_timer(r.interviewer, "question");
    REQUIRE(resumed["state"] == "running");
    CHECK(resumed["deadline"].get<domain::millis>() - net::server_clock::now() <=
          paused["remaining_ms"].get<domain::millis>());
    json late = next_timer(r.interviewer, "question", 3s);
    CHECK(late["state"] == "expired");
    CHECK(net::server_clock::now() - resumed["deadline"].get<domain::millis>() < 50);
}

TEST_CASE("timing: a reconnecting client receives the current timers") {
    timed_room r;
    r.interviewer.send(push_with_budget("q2", 600'000));
    next_timer(r.interviewer, "question");
    json interview = next_timer(r.interviewer, "interview");
    REQUIRE(interview["state"] == "running");
    REQUIRE(interview["cause"] == "push");

    // The candidate drops; while it is away the interview is paused and the question gets time.
    std::optional<ws_client> candidate;
    candidate.emplace(r.server.port());
    candidate->join(r.room.id, r.room.candidate, "Ada", "c");
    candidate.reset();
    r.interviewer.send(timer_command("interview", "pause", interview["rev"]));
    json paused = next_timer(r.interviewer, "interview");
    json question = next_timer(r.observer, "question");  // the push's, seen by the observer
    r.interviewer.send(timer_command("question", "add", question["rev"], 120'000));
    json added = next_timer(r.interviewer, "question");
    REQUIRE(added["cause"] == "add");

    candidate.emplace(r.server.port());
    const json welcome = candidate->join(r.room.id, r.room.candidate, "Ada", "c");
    const json& timers = welcome["state"]["timers"];
    CHECK(timers["interview"]["state"] == "paused");
    CHECK(timers["interview"]["rev"] == paused["rev"]);
    CHECK(timers["interview"]["remaining_ms"] == paused["remaining_ms"]);
    CHECK(timers["interview"]["deadline"].is_null());
    CHECK(timers["question"]["state"] == "running");
    CHECK(timers["question"]["rev"] == added["rev"]);
    CHECK(timers["question"]["deadline"] == added["deadline"]);
    CHECK(timers["question"]["duration_ms"] == 720'000);
    CHECK(timers["question"]["question"] == 1);
    const domain::millis now = welcome["now"];
    CHECK(timers["question"]["remaining_ms"] == added["deadline"].get<domain::millis>() - now);
    CHECK(std::llabs(now - net::server_clock::now()) < 1'000);
    // The candidate's copy has no time spent; the interviewer's has it.
    CHECK_FALSE(welcome["state"]["current"].contains("time_spent_ms"));
    ws_client second_interviewer(r.server.port());
    const json grace = second_interviewer.join(r.room.id, r.room.interviewer, "Grace", "i");
    CHECK(grace["state"]["current"]["time_spent_ms"].get<domain::millis>() >= 0);
}

TEST_CASE("timing: racing commands act once; candidates and observers cannot command") {
    timed_room r;
    ws_client barbara(r.server.port());
    barbara.join(r.room.id, r.room.interviewer, "Barbara", "b");

    r.candidate.send(timer_command("interview", "start", 0, std::nullopt, 1));
    json refused = r.candidate.expect("error");
    CHECK(refused["code"] == "forbidden");
    CHECK(refused["ref"] == 1);
    r.observer.send(timer_command("interview", "start", 0, std::nullopt, 2));
    CHECK(r.observer.expect("error")["code"] == "forbidden");

    // Both interviewers press start on rev 0 at once: one start, one conflict.
    json grace_start = timer_command("interview", "start", 0);
    grace_start["id"] = "g";
    json barbara_start = timer_command("interview", "start", 0);
    barbara_start["id"] = "b";
    r.interviewer.send(grace_start);
    barbara.send(barbara_start);
    json started = next_timer(r.candidate, "interview");
    CHECK(started["state"] == "running");
    CHECK(started["rev"] == 1);
    CHECK(no_timer_within(r.candidate, 300ms));  // exactly one change reached the candidate
    // The loser of the race got a conflict with its ref; the winner got none.
    int conflicts = 0;
    for (ws_client* client : {&r.interviewer, &barbara}) {
        while (auto message = client->next(300ms)) {
            if ((*message)["type"] == "error") {
                CHECK((*message)["code"] == "conflict");
                ++conflicts;
            }
        }
    }
    CHECK(conflicts == 1);

    // A double click: the same pause twice acts once.
    r.interviewer.send(timer_command("interview", "pause", 1));
    r.interviewer.send(timer_command("interview", "pause", 1));
    CHECK(next_timer(r.candidate, "interview")["state"] == "paused");
    CHECK(no_timer_within(r.candidate, 300ms));
    CHECK(r.interviewer.expect("error")["code"] == "conflict");
}

TEST_CASE("timing: pong times are on the server clock") {
    running_server server;
    ws_client client(server.port());
    const domain::millis before = net::server_clock::now();
    client.send({{"type", "ping"}, {"id", 1}, {"t0", 12.5}});
    json pong = client.expect("pong");
    const domain::millis after = net::server_clock::now();
    CHECK(pong["t0"] == 12.5);
    const domain::millis t1 = pong["t1"], t2 = pong["t2"];
    CHECK(before <= t1);
    CHECK(t1 <= t2);
    CHECK(t2 <= after);
}
