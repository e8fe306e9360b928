// HTTP over a real loopback socket: health, banks, room creation, errors, static files.
#include <catch2/catch.hpp>
#include <fstream>
#include <set>

#include "loopback.hpp"

using namespace mockroom;
using namespace mockroom::test;

namespace {

void require_error_shape(const http_answer& answer, unsigned status, const std::string& code) {
    INFO("status " << answer.status << " body " << answer.body);
    REQUIRE(answer.status == status);
    REQUIRE(answer.content_type == "application/json");
    auto body = answer.body_json();
    REQUIRE(body.is_object());
    REQUIRE(body["error"]["code"] == code);
    REQUIRE(body["error"]["message"].is_string());
    REQUIRE(!body["error"]["message"].get<std::string>().empty());
}

}  // namespace

TEST_CASE("healthz answers ok") {
    running_server server;
    auto answer = http_request(server.port(), "GET", "/healthz");
    REQUIRE(answer.status == 200);
    REQUIRE(answer.content_type == "application/json");
    REQUIRE(answer.body_json() == json{{"status", "ok"}});
}

TEST_CASE("the bank list names every bank and carries no question or answer text") {
    running_server server;
    auto answer = http_request(server.port(), "GET", "/api/banks");
    REQUIRE(answer.status == 200);
    auto banks = answer.body_json()["banks"];
    REQUIRE(banks.size() == 2);
    auto python = std::find_if(banks.begin(), banks.end(),
                               [](auto& b) { return b["id"] == "python-developer"; });
    REQUIRE(python != banks.end());
    REQUIRE((*python)["title"] == "Python Developer");
    REQUIRE((*python)["questions"] == 10);
    REQUIRE(answer.body.find(canary) == std::string::npos);
    for (const auto& q : seed_bank()->questions) {
        REQUIRE(answer.body.find(q.text) == std::string::npos);
        REQUIRE(answer.body.find(q.sample_answer.substr(0, 60)) == std::string::npos);
    }
}

TEST_CASE("creating a room returns three distinct strong tokens in link fragments") {
    running_server server;
    auto answer = http_request(server.port(), "POST", "/api/rooms",
                               R"({"bank":"python-developer","title":"Ada's practice"})");
    REQUIRE(answer.status == 201);
    auto body = answer.body_json();
    REQUIRE(body["title"] == "Ada's practice");
    REQUIRE(body["bank"]["id"] == "python-developer");
    const std::string room = body["room"];
    REQUIRE(room.size() >= 12);
    std::set<std::string> tokens;
    for (const char* role : {"interviewer", "candidate", "observer"}) {
        const std::string token = body["tokens"][role];
        REQUIRE(token.size() >= 22);  // >= 128 bits in base64url
        tokens.insert(token);
        const std::string link = body["links"][role];
        REQUIRE(link == "http://127.0.0.1:" + std::to_string(server.port()) + "/room/" + room +
                            "#token=" + token);
        REQUIRE(link.find('?') == std::string::npos);
    }
    REQUIRE(tokens.size() == 3);

    auto second = create_room(server.port());
    REQUIRE(second.id != room);
    REQUIRE(tokens.count(second.candidate) == 0);
}

TEST_CASE("room creation refuses bad requests with the JSON error shape") {
    running_server server;
    auto port = server.port();
    require_error_shape(http_request(port, "POST", "/api/rooms", "{not json"), 400, "bad_request");
    require_error_shape(http_request(port, "POST", "/api/rooms", "[1,2]"), 400, "bad_request");
    require_error_shape(http_request(port, "POST", "/api/rooms", "{}"), 400, "bad_request");
    require_error_shape(http_request(port, "POST", "/api/rooms", R"({"bank":7})"), 400,
                        "bad_request");
    require_error_shape(
        http_request(port, "POST", "/api/rooms", R"({"bank":"python-developer","title":3})"), 400,
        "bad_request");
    require_error_shape(http_request(port, "POST", "/api/rooms", R"({"bank":"no-such-bank"})"), 404,
                        "not_found");
    std::string huge =
        R"({"bank":"python-developer","title":")" + std::string(70 * 1024, 'x') + "\"}";
    require_error_shape(http_request(port, "POST", "/api/rooms", huge), 413, "too_large");
    require_error_shape(http_request(port, "GET", "/api/rooms"), 405, "bad_request");
    require_error_shape(http_request(port, "GET", "/api/nothing-here"), 404, "not_found");
    require_error_shape(http_request(port, "DELETE", "/api/banks"), 405, "bad_request");
    require_error_shape(http_request(port, "GET", "/ws"), 426, "bad_request");
    // Nothing above created a room: a fresh one is still the only one that works.
    auto room = create_room(port);
    REQUIRE(!room.id.empty());
}

TEST_CASE("static files are served with their content type and cache policy") {
    running_server server;
    auto port = server.port();
    for (const char* target : {"/", "/room/abc123", "/index.html", "/room/abc?x=1"}) {
        auto answer = http_request(port, "GET", target);
        INFO(target);
        REQUIRE(answer.status == 200);
        REQUIRE(answer.content_type == "text/html; charset=utf-8");
        REQUIRE(answer.body.find("mockroom test") != std::string::npos);
    }
    auto script = http_request(port, "GET", "/assets/app-1234.js");
    REQUIRE(script.status == 200);
    REQUIRE(script.content_type == "text/javascript; charset=utf-8");
    REQUIRE(script.body == "console.log('hi')");
    require_error_shape(http_request(port, "GET", "/assets/missing.js"), 404, "not_found");
    require_error_shape(http_request(port, "POST", "/index.html", "{}"), 405, "bad_request");
}

TEST_CASE("no path escapes the web root") {
    running_server server;
    auto port = server.port();
    std::filesystem::create_directory_symlink("/etc", server.web_root() / "etc-link");
    for (const char* target :
         {"/../../../../etc/passwd", "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
          "/assets/..%2f..%2f..%2fetc/passwd", "/assets/%2E%2E/%2E%2E/etc/passwd",
          "/..\\..\\etc\\passwd", "/etc-link/passwd", "/%00", "/bad%zzescape", "/.hidden"}) {
        INFO(target);
        auto answer = http_raw(port, std::string("GET ") + target +
                                         " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        REQUIRE((answer.status == 400 || answer.status == 404));
        REQUIRE(answer.body.find("root:") == std::string::npos);
    }
}

TEST_CASE("malformed HTTP gets 400 and the server keeps serving") {
    running_server server;
    auto answer = http_raw(server.port(), "THIS IS NOT HTTP\r\n\r\n");
    REQUIRE(answer.status == 400);
    auto big_header =
        http_raw(server.port(),
                 "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n");
    REQUIRE(big_header.status == 431);
    REQUIRE(http_request(server.port(), "GET", "/healthz").status == 200);
}

TEST_CASE("one address cannot create rooms faster than the limit") {
    limits bounds;
    bounds.room_creations_per_minute = 5;
    running_server server(bounds);
    for (int i = 0; i < 5; ++i) {
        REQUIRE(http_request(server.port(), "POST", "/api/rooms", R"({"bank":"canary"})").status ==
                201);
    }
    require_error_shape(http_request(server.port(), "POST", "/api/rooms", R"({"bank":"canary"})"),
                        429, "rate_limited");
    REQUIRE(http_request(server.port(), "GET", "/api/banks").status == 200);  // reads still work
}
