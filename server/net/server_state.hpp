// What every session of one server shares. Immutable after start, except the registry (which
// locks) and the connection counter (atomic).
#pragma once

#include <atomic>
#include <filesystem>
#include <string>

#include "domain/limits.hpp"
#include "net/room_registry.hpp"

namespace mockroom::net {

struct server_state {
    server_state(limits b, std::filesystem::path web, std::string url,
                 std::vector<std::shared_ptr<const domain::bank>> banks,
                 room_registry::executor_for_room pick_executor, store::event_store* store)
        : bounds(b),
          web_root(std::move(web)),
          public_url(std::move(url)),
          rooms(std::move(banks), std::move(pick_executor), bounds, store) {}

    const limits bounds;
    std::filesystem::path web_root;  // canonical
    std::string public_url;
    room_registry rooms;
    std::atomic<domain::connection_id> next_connection_id{1};
};

}  // namespace mockroom::net
