// Test support for loopback integration: a real server on 127.0.0.1:0 in this process, and
// small HTTP and WebSocket clients that wait with deadlines, never with sleeps.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "domain/bank.hpp"
#include "domain/limits.hpp"
#include "net/server.hpp"

namespace mockroom::test {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr auto default_deadline = 5s;

// The bundled Python Developer bank, plus a small bank whose every answer holds `canary`.
inline constexpr const char* canary = "CANARY-7f3a91-sample-answer";
std::shared_ptr<const domain::bank> seed_bank();
std::shared_ptr<const domain::bank> canary_bank();

// The server with its store in `data_dir` (a fresh one, removed afterwards, when empty; a given
// one is kept, so a second server can restart on it).
// A new empty directory under the system's temp directory.
std::filesystem::path fresh_temp_dir();

class running_server {
  public:
    explicit running_server(limits bounds = {},
                            std::vector<std::shared_ptr<const domain::bank>> banks = {},
                            std::filesystem::path data_dir = {}, std::int64_t max_pages = 0);
    ~running_server();
    std::uint16_t port() const { return server_->port(); }
    const std::filesystem::path& web_root() const { return web_root_; }
    const std::filesystem::path& data_dir() const { return data_dir_; }
    std::size_t rooms_loaded() const { return server_->rooms_loaded(); }

  private:
    std::filesystem::path web_root_;
    std::filesystem::path data_dir_;
    bool owns_data_dir_ = false;
    std::unique_ptr<net::server> server_;
    std::thread thread_;
};

struct http_answer {
    unsigned status = 0;
    std::string body;
    std::string content_type;
    json body_json() const { return json::parse(body, nullptr, false); }
};

// One request on a fresh connection. `raw` sends bytes as they are (for malformed requests).
http_answer http_request(std::uint16_t port, const std::string& method, const std::string& target,
                         const std::string& body = "");
http_answer http_raw(std::uint16_t port, const std::string& raw_request);

struct created_room {
    std::string id;
    std::string interviewer, candidate, observer;  // tokens
    json answer;
};
created_room create_room(std::uint16_t port, const std::string& bank = "python-developer");

class ws_client {
  public:
    explicit ws_client(std::uint16_t port);
    ~ws_client();
    ws_client(const ws_client&) = delete;
    ws_client& operator=(const ws_client&) = delete;

    void send(const json& message);
    void send_text(const std::string& text);
    // The next frame, or nullopt when the deadline passes or the socket closes.
    std::optional<json> next(std::chrono::milliseconds deadline = default_deadline);
    // The same as text, without any test assertion: Catch2 is not thread-safe, so this is what a
    // helper thread may call (each client used by one thread at a time).
    std::optional<std::string> next_frame(std::chrono::milliseconds deadline = default_deadline);
    // Frames are read until one has this type; the ones before are kept in `received`.
    json expect(const std::string& type, std::chrono::milliseconds deadline = default_deadline);
    // hello, then the welcome (returned); fails the test on anything else.
    json join(const std::string& room, const std::string& token, const std::string& name,
              const std::string& client_id);
    // Reads until the server closes; returns the close code (0 if none within the deadline).
    int wait_for_close(std::chrono::milliseconds deadline = default_deadline);
    // Every byte of every frame received so far, for redaction checks.
    const std::string& all_bytes() const;

  private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace mockroom::test
