// Reports over HTTP: GET /api/rooms/{id}/report with the link's token as a bearer token. An
// interviewer gets everything; a candidate or observer gets only what they may see.
#include <catch2/catch.hpp>

#include "loopback.hpp"

using namespace mockroom;
using namespace mockroom::test;

namespace {

constexpr const char* private_canary = "PRIVATE-CANARY-31c7";
constexpr const char* score_canary = "SCORE-CANARY-9d02";

http_answer get_report(std::uint16_t port, const std::string& room, const std::string& token,
                       const std::string& query = "") {
    std::string request = "GET /api/rooms/" + room + "/report" + query +
                          " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
    if (!token.empty()) request += "Authorization: Bearer " + token + "\r\n";
    return http_raw(port, request + "\r\n");
}

json insert(const std::string& text) {
    return json::array({json::array({0, text})});
}

json notes_push(const std::string& doc, const std::string& client, const std::string& text) {
    return {{"type", "notes.push"},
            {"doc", doc},
            {"version", 0},
            {"updates", json::array({{{"clientID", client}, {"changes", insert(text)}}})}};
}

}  // namespace

TEST_CASE("reports: everything for interviewers, only what candidates may see for them") {
    running_server server;
    auto room = create_room(server.port(), "canary");
    ws_client interviewer(server.port());
    interviewer.join(room.id, room.interviewer, "Grace", "i");
    ws_client candidate(server.port());
    candidate.join(room.id, room.candidate, "Ada", "c");
    interviewer.send({{"type", "question.push"}, {"question", "q2"}});
    candidate.expect("question");
    candidate.send(notes_push("shared", "c", "def solve(): return 42"));
    candidate.expect("notes.updates");
    interviewer.send(notes_push("private", "i", std::string("thinks aloud ") + private_canary));
    for (;;) {
        if (interviewer.expect("notes.updates")["doc"] == "private") break;
    }
    interviewer.send({{"type", "score.set"},
                      {"field", "q1.comment"},
                      {"value", std::string("good ") + score_canary},
                      {"expect_rev", 0}});
    interviewer.expect("score");
    interviewer.send(
        {{"type", "score.set"}, {"field", "q1.rating"}, {"value", 3}, {"expect_rev", 0}});
    interviewer.expect("score");

    const auto full = get_report(server.port(), room.id, room.interviewer, "?format=json");
    REQUIRE(full.status == 200);
    CHECK(full.content_type == "application/json");
    const json j = full.body_json();
    CHECK(j["for"] == "interviewer");
    REQUIRE(j["questions"].size() == 1);
    CHECK(j["questions"][0]["text"] == "Canary question 2");
    CHECK(j["questions"][0]["sample_answer"].get<std::string>().find(canary) != std::string::npos);
    CHECK(j["questions"][0]["rating"] == 3);
    CHECK(j["questions"][0]["time_spent_ms"].is_number_integer());
    CHECK(j["notes"]["shared"] == "def solve(): return 42");
    CHECK(j["notes"]["private"].get<std::string>().find(private_canary) != std::string::npos);
    CHECK(j.contains("scorecard"));
    const auto full_md = get_report(server.port(), room.id, room.interviewer);
    REQUIRE(full_md.status == 200);
    CHECK(full_md.content_type.starts_with("text/markdown"));
    for (const char* piece : {canary, private_canary, score_canary, "Canary question 2",
                              "def solve(): return 42", "Rating:** 3/4"}) {
        CAPTURE(piece);
        CHECK(full_md.body.find(piece) != std::string::npos);
    }

    // The candidate's and the observer's reports, in both formats, hold none of the secrets.
    for (const std::string& token : {room.candidate, room.observer}) {
        for (const std::string query : {"", "?format=md", "?format=json"}) {
            CAPTURE(token == room.candidate ? "candidate" : "observer", query);
            const auto limited = get_report(server.port(), room.id, token, query);
            REQUIRE(limited.status == 200);
            CHECK(limited.body.find("Canary question 2") != std::string::npos);
            CHECK(limited.body.find("def solve(): return 42") != std::string::npos);
            for (const char* secret : {canary, private_canary, score_canary}) {
                CHECK(limited.body.find(secret) == std::string::npos);
            }
            CHECK(limited.body.find("private") == std::string::npos);
            CHECK(limited.body.find("scorecard") == std::string::npos);
            CHECK(limited.body.find("sample_answer") == std::string::npos);
        }
    }

    // After the end and an explicit reveal, the candidate's report has the sample answers.
    interviewer.send({{"type", "room.end"}});
    interviewer.expect("ended");
    interviewer.send({{"type", "room.reveal"}});
    interviewer.expect("revealed");
    const auto revealed = get_report(server.port(), room.id, room.candidate, "?format=json");
    REQUIRE(revealed.status == 200);
    const json r = revealed.body_json();
    CHECK(r["revealed"] == true);
    CHECK(r["ended_at"].is_number_integer());
    CHECK(r["questions"][0]["sample_answer"].get<std::string>().find(canary) != std::string::npos);
    CHECK(revealed.body.find(private_canary) == std::string::npos);
    CHECK(revealed.body.find(score_canary) == std::string::npos);
}

TEST_CASE("reports: a missing or wrong token, a bad format or method get the JSON error shape") {
    running_server server;
    auto room = create_room(server.port());
    auto other = create_room(server.port());
    const auto check_error = [](const http_answer& answer, unsigned status, const char* code) {
        CHECK(answer.status == status);
        CHECK(answer.content_type == "application/json");
        const json body = answer.body_json();
        CHECK(body["error"]["code"] == code);
        CHECK(body["error"]["message"].is_string());
    };
    check_error(get_report(server.port(), room.id, ""), 401, "unauthorized");
    check_error(http_raw(server.port(), "GET /api/rooms/" + room.id +
                                            "/report HTTP/1.1\r\nHost: x\r\nAuthorization: Basic "
                                            "abc\r\nConnection: close\r\n\r\n"),
                401, "unauthorized");
    check_error(get_report(server.port(), room.id, "not-a-token"), 403, "forbidden");
    check_error(get_report(server.port(), room.id, other.interviewer), 403, "forbidden");
    check_error(get_report(server.port(), "no-such-room", room.interviewer), 403, "forbidden");
    check_error(get_report(server.port(), room.id, room.interviewer, "?format=pdf"), 400,
                "bad_request");
    check_error(http_request(server.port(), "POST", "/api/rooms/" + room.id + "/report", "{}"), 405,
                "bad_request");
}
