// mockroom: flags, signals, and the wiring of banks, rooms and the network server.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>

#include "net/server.hpp"
#include "protocol/bank_directory.hpp"

namespace {

namespace fs = std::filesystem;

[[noreturn]] void die(const std::string& message) {
    std::fprintf(stderr, "mockroom: error: %s\n", message.c_str());
    std::exit(1);
}

void require_directory(const fs::path& dir, const char* what) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
        die(std::string(what) + " '" + dir.string() + "' is not a directory");
    fs::directory_iterator probe(dir, ec);
    if (ec) die(std::string("cannot read ") + what + " '" + dir.string() + "': " + ec.message());
}

std::vector<std::shared_ptr<const mockroom::domain::bank>> load_banks(const fs::path& dir) {
    require_directory(dir, "bank directory");
    mockroom::protocol::loaded_banks loaded;
    try {
        loaded = mockroom::protocol::load_bank_directory(dir);
    } catch (const fs::filesystem_error& e) {
        die(std::string("cannot read bank directory: ") + e.what());
    }
    for (const auto& error : loaded.skipped) {
        std::fprintf(stderr, "mockroom: skipped bank %s\n", error.to_string().c_str());
    }
    if (loaded.banks.empty()) die("no usable question bank in '" + dir.string() + "'");
    return std::move(loaded.banks);
}

}  // namespace

int main(int argc, char** argv) {
    mockroom::net::server_config config;
    std::string banks_dir = MOCKROOM_DEFAULT_BANKS;
    std::string web_dir = MOCKROOM_DEFAULT_WEB;
    std::string data_dir = "data";

    CLI::App app{"mockroom: a self-hosted, real-time mock-interview server"};
    app.add_option("--host", config.host, "IP address to listen on")->capture_default_str();
    app.add_option("--port", config.port, "TCP port; 0 picks a free one")->capture_default_str();
    app.add_option("--banks", banks_dir, "directory of question banks (*.txt, *.json)")
        ->capture_default_str();
    app.add_option("--web", web_dir, "directory of the built web client")->capture_default_str();
    app.add_option("--data", data_dir, "directory for the database")->capture_default_str();
    app.add_option("--public-url", config.public_url,
                   "base URL for room links, e.g. https://interviews.example.com "
                   "(default: from the request's Host header)");
    app.add_option("--threads", config.threads, "worker threads; 0 = one per core")
        ->capture_default_str();
    app.add_option("--max-rooms", config.bounds.max_rooms, "rooms held at once")
        ->capture_default_str();
    app.add_option("--messages-per-second", config.bounds.messages_per_second,
                   "WebSocket messages accepted per socket and second (burst: twice that)")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--rooms-per-minute", config.bounds.room_creations_per_minute,
                   "rooms one client address may create per minute")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    CLI11_PARSE(app, argc, argv);

    auto banks = load_banks(banks_dir);
    require_directory(web_dir, "web directory");
    if (!fs::exists(fs::path(web_dir) / "index.html")) {
        die("no index.html in web directory '" + web_dir +
            "' (build the client: npm ci && npm run build:web)");
    }
    std::error_code ec;
    fs::create_directories(data_dir, ec);
    if (ec) die("cannot create data directory '" + data_dir + "': " + ec.message());
    config.web_root = fs::canonical(web_dir);
    config.data_dir = data_dir;
    while (!config.public_url.empty() && config.public_url.back() == '/')
        config.public_url.pop_back();

    std::string bank_summary;
    for (const auto& bank : banks) {
        bank_summary += (bank_summary.empty() ? "" : ", ") + bank->id + " (" +
                        std::to_string(bank->questions.size()) + " questions)";
    }
    std::unique_ptr<mockroom::net::server> running;
    try {
        running = std::make_unique<mockroom::net::server>(std::move(config), std::move(banks));
        running->start();
    } catch (const std::exception& e) {
        die(e.what());
    }
    auto& server = *running;
    server.stop_on_signals();

    std::fprintf(stderr, "mockroom: serving %s; %zu rooms restored from %s\n", bank_summary.c_str(),
                 server.rooms_loaded(), data_dir.c_str());
    std::cout << "listening on http://" << server.host() << ":" << server.port() << std::endl;
    server.run();
    std::fprintf(stderr, "mockroom: stopped\n");
    return 0;
}
