// mockroom: flags, signals, and the wiring of banks, rooms and the network server.
#include <sys/resource.h>
#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>

#include "net/server.hpp"
#include "offline_tools.hpp"
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

// Every socket is a file: lift the soft limit to the hard one (often 1024 vs far more).
void raise_open_file_limit() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
    limit.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
        std::fprintf(stderr, "mockroom: could not raise the open-file limit\n");
    }
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
    bool in_memory = false;
    app.add_flag("--in-memory", in_memory,
                 "keep rooms in memory only: nothing survives a restart and edits are "
                 "acknowledged without a disk write (benchmarks, throwaway practice)");
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
    std::int64_t commit_interval_us = config.store_commit_interval.count();
    app.add_option("--commit-interval-us", commit_interval_us,
                   "at most one store commit (fsync) per this many microseconds; a busy server "
                   "gathers more edits per commit (0: commit as soon as anything is queued)")
        ->capture_default_str()
        ->check(CLI::Range(std::int64_t{0}, std::int64_t{1'000'000}));
    std::int64_t max_commit_interval_us = config.store_max_commit_interval.count();
    app.add_option("--max-commit-interval-us", max_commit_interval_us,
                   "under load the commit interval grows with the rate of edits (in proportion "
                   "above 1,500 a second), up to this many microseconds (at or below "
                   "--commit-interval-us: a fixed interval)")
        ->capture_default_str()
        ->check(CLI::Range(std::int64_t{0}, std::int64_t{1'000'000}));
    app.add_option("--snapshot-every", config.bounds.snapshot_every_events,
                   "events between two snapshots of a room (a restart replays at most this many "
                   "per room)")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--rooms-per-minute", config.bounds.room_creations_per_minute,
                   "rooms one client address may create per minute")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);

    // Tools on a data directory, without a server.
    std::string room_id, as_role = "interviewer", format = "md", older_than;
    auto* export_command = app.add_subcommand(
        "export", "write a room's report (Markdown or JSON) to stdout, as a role sees it");
    export_command->add_option("--data", data_dir, "directory of the database")
        ->capture_default_str();
    export_command->add_option("--banks", banks_dir, "directory of question banks")
        ->capture_default_str();
    export_command->add_option("--room", room_id, "the room's id")->required();
    export_command->add_option("--as", as_role, "interviewer, candidate or observer")
        ->capture_default_str()
        ->check(CLI::IsMember({"interviewer", "candidate", "observer"}));
    export_command->add_option("--format", format, "md or json")
        ->capture_default_str()
        ->check(CLI::IsMember({"md", "json"}));
    auto* purge_command =
        app.add_subcommand("purge", "delete the rooms that ended longer ago than --older-than");
    purge_command->add_option("--data", data_dir, "directory of the database")
        ->capture_default_str();
    purge_command->add_option("--banks", banks_dir, "directory of question banks")
        ->capture_default_str();
    purge_command->add_option("--older-than", older_than, "an age: 30d, 12h, 90m or 45s")
        ->required();
    CLI11_PARSE(app, argc, argv);

    if (*export_command || *purge_command) {
        auto tool_banks = load_banks(banks_dir);
        if (*export_command) {
            const auto reader = as_role == "candidate"  ? mockroom::domain::role::candidate
                                : as_role == "observer" ? mockroom::domain::role::observer
                                                        : mockroom::domain::role::interviewer;
            return mockroom::tools::export_report(data_dir, room_id, reader,
                                                  format == "json"
                                                      ? mockroom::protocol::report_format::json
                                                      : mockroom::protocol::report_format::markdown,
                                                  tool_banks);
        }
        const auto age = mockroom::tools::parse_age(older_than);
        if (!age) die("--older-than takes an age such as 30d, 12h, 90m or 45s");
        return mockroom::tools::purge_ended(data_dir, *age, tool_banks);
    }

    auto banks = load_banks(banks_dir);
    require_directory(web_dir, "web directory");
    if (!fs::exists(fs::path(web_dir) / "index.html")) {
        die("no index.html in web directory '" + web_dir +
            "' (build the client: npm ci && npm run build:web)");
    }
    config.web_root = fs::canonical(web_dir);
    if (!in_memory) {
        std::error_code ec;
        fs::create_directories(data_dir, ec);
        if (ec) die("cannot create data directory '" + data_dir + "': " + ec.message());
        config.data_dir = data_dir;
    }
    config.store_commit_interval = std::chrono::microseconds(commit_interval_us);
    config.store_max_commit_interval = std::chrono::microseconds(max_commit_interval_us);
    raise_open_file_limit();
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
                 server.rooms_loaded(), in_memory ? "memory (--in-memory)" : data_dir.c_str());
    std::cout << "listening on http://" << server.host() << ":" << server.port() << std::endl;
    server.run();
    std::fprintf(stderr, "mockroom: stopped\n");
    return 0;
}
