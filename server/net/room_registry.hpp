// The banks served and the rooms alive. Thread-safe: HTTP handlers create rooms and WebSocket
// sessions look them up from any thread; each room's state stays on its own executor.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <variant>
#include <vector>

#include "domain/bank.hpp"
#include "domain/limits.hpp"
#include "domain/rate_limit.hpp"
#include "net/room_host.hpp"

namespace mockroom::store {
class event_store;
}

namespace mockroom::net {

struct created_room {
    std::shared_ptr<room_host> host;
    std::string title;
    std::string interviewer_token;  // the only moment the plain tokens exist: returned once
    std::string candidate_token;
    std::string observer_token;
};

struct registry_error {
    domain::error_code code;
    std::string message;
};

class room_registry {
  public:
    // Picks the executor a room lives on, from its id (rooms are pinned to threads).
    using executor_for_room = std::function<boost::asio::any_io_executor(std::string_view)>;

    // `store` may be null: rooms then live in memory only.
    room_registry(std::vector<std::shared_ptr<const domain::bank>> banks,
                  executor_for_room pick_executor, const limits& bounds, store::event_store* store);

    // Brings back every stored room (before the server accepts connections). Throws
    // std::runtime_error naming the room and the event that cannot be restored.
    std::size_t load_stored_rooms();

    const std::vector<std::shared_ptr<const domain::bank>>& banks() const { return banks_; }
    std::shared_ptr<const domain::bank> find_bank(std::string_view id) const;

    // `requester` (the client's address) is rate-limited: a single client cannot take every room.
    std::variant<registry_error, created_room> create(std::string_view bank_id, std::string title,
                                                      domain::timing_settings timing,
                                                      const std::string& requester);
    std::shared_ptr<room_host> find(std::string_view room_id) const;
    std::size_t room_count() const;

  private:
    const std::vector<std::shared_ptr<const domain::bank>> banks_;
    const executor_for_room pick_executor_;
    const limits& bounds_;
    store::event_store* const store_;
    mutable std::mutex mutex_;
    std::map<std::string, std::shared_ptr<room_host>, std::less<>> rooms_;
    std::map<std::string, domain::token_bucket> creations_by_requester_;
};

}  // namespace mockroom::net
