#include "offline_tools.hpp"

#include <chrono>
#include <cstdio>
#include <iostream>

#include "net/room_host.hpp"
#include "store/event_store.hpp"

namespace mockroom::tools {
namespace {

// The store of an existing data directory (never creates one: a typo must not look empty).
std::unique_ptr<store::event_store> open_existing(const std::filesystem::path& data_dir) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(data_dir / "mockroom.db", ec)) {
        std::fprintf(stderr, "mockroom: error: no database at %s\n",
                     (data_dir / "mockroom.db").c_str());
        return nullptr;
    }
    try {
        return std::make_unique<store::event_store>(data_dir);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "mockroom: error: %s\n", e.what());
        return nullptr;
    }
}

domain::millis unix_now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

int export_report(const std::filesystem::path& data_dir, const std::string& room_id,
                  domain::role reader, protocol::report_format format,
                  const std::vector<std::shared_ptr<const domain::bank>>& banks) {
    auto store = open_existing(data_dir);
    if (!store) return 1;
    try {
        auto stored = store->load_room(room_id);
        if (!stored) {
            std::fprintf(stderr, "mockroom: error: no room '%s' in %s\n", room_id.c_str(),
                         store->file().c_str());
            return 1;
        }
        const limits bounds;
        const domain::room room = net::restore_stored_room(*stored, banks, bounds);
        // The server clock is anchored to Unix time, so "now" here measures like the server's.
        std::cout << protocol::render_report(room, reader, format, unix_now_ms()).body;
        return std::cout.good() ? 0 : 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "mockroom: error: room %s: %s\n", room_id.c_str(), e.what());
        return 1;
    }
}

std::optional<domain::millis> parse_age(const std::string& text) {
    if (text.size() < 2 || text.size() > 12) return std::nullopt;
    domain::millis count = 0;
    for (std::size_t i = 0; i + 1 < text.size(); ++i) {
        if (text[i] < '0' || text[i] > '9') return std::nullopt;
        count = count * 10 + (text[i] - '0');
    }
    switch (text.back()) {
        case 'd':
            return count * 86'400'000;
        case 'h':
            return count * 3'600'000;
        case 'm':
            return count * 60'000;
        case 's':
            return count * 1'000;
        default:
            return std::nullopt;
    }
}

int purge_ended(const std::filesystem::path& data_dir, domain::millis older_than,
                const std::vector<std::shared_ptr<const domain::bank>>& banks) {
    auto store = open_existing(data_dir);
    if (!store) return 1;
    const domain::millis cutoff = unix_now_ms() - older_than;
    const limits bounds;
    std::size_t kept = 0, purged = 0;
    try {
        for (const auto& stored : store->load_all()) {
            const auto room = net::restore_stored_room(stored, banks, bounds);
            if (room.ended_at() && *room.ended_at() < cutoff) {
                store->delete_room(stored.room.id);
                ++purged;
            } else {
                ++kept;
            }
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "mockroom: error: %s\n", e.what());
        return 1;
    }
    std::printf("purged %zu ended rooms; kept %zu\n", purged, kept);
    return 0;
}

}  // namespace mockroom::tools
