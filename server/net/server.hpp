// The network server: one listener, HTTP (REST + static files) and WebSocket sessions, rooms
// pinned to io_context threads. No Beast type leaks out of this header.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "domain/bank.hpp"
#include "domain/limits.hpp"

namespace mockroom::net {

struct server_config {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8080;
    std::filesystem::path web_root;
    std::string public_url;  // e.g. "https://interviews.example.com"; empty: from Host header
    unsigned threads = 0;    // 0: one per core
    // Where the database lives (DIR/mockroom.db). Empty: rooms live in memory only (tests).
    std::filesystem::path data_dir;
    std::int64_t store_max_page_count = 0;  // > 0: cap the database (tests: a full disk)
    std::chrono::microseconds store_commit_interval{1000};      // see store::store_options
    std::chrono::microseconds store_max_commit_interval{4000};  // under load; see there too
    limits bounds;
};

// A start-up problem worth one clear line (port taken, bad address).
struct startup_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class server {
  public:
    // Opens the store (throws startup_error when it cannot be used).
    server(server_config config, std::vector<std::shared_ptr<const domain::bank>> banks);
    ~server();
    server(const server&) = delete;
    server& operator=(const server&) = delete;

    // Brings back the stored rooms, binds and listens; throws startup_error. After this, port()
    // is the real port.
    void start();
    std::size_t rooms_loaded() const;
    std::uint16_t port() const;
    const std::string& host() const;
    // SIGINT and SIGTERM call stop(). Call before run().
    void stop_on_signals();
    // Runs the threads and blocks until stop(). Call once, after start().
    void run();
    // Thread-safe, idempotent. Closes the listener and every socket; run() then returns.
    void stop();

  private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace mockroom::net
