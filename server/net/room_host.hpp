// Runs one domain::room on one executor (principle: a room is single-threaded) and fans its
// outbound events out to sockets, encoding each broadcast once per role.
#pragma once

#include <array>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "domain/room.hpp"
#include "net/connection.hpp"
#include "net/tokens.hpp"
#include "protocol/codec.hpp"

namespace mockroom::net {

struct role_tokens {
    token_hash interviewer;
    token_hash candidate;
    token_hash observer;
};

class room_host : public std::enable_shared_from_this<room_host> {
  public:
    room_host(boost::asio::any_io_executor executor, domain::room_info info, role_tokens tokens,
              const limits& bounds);

    const std::string& id() const { return id_; }
    const std::shared_ptr<const domain::bank>& bank() const { return bank_; }
    // Thread-safe (the hashes never change). Compares against all three hashes in constant time.
    std::optional<domain::role> authenticate(std::string_view token) const;

    // Thread-safe: each posts to the room's executor, in the caller's order.
    void join(std::shared_ptr<connection> socket, domain::role r, protocol::hello hello);
    void command(domain::connection_id c, domain::command cmd, std::string ref);
    void disconnect(domain::connection_id c);

  private:
    struct member {
        std::weak_ptr<connection> socket;  // weak: a socket owns its room, not the reverse
        domain::role role_in_room;
    };

    void deliver(domain::outcome&& outcome);
    // One wake-up per room, at the earliest running deadline (never a per-second tick): then
    // the room expires what is due. Called after everything that may move a deadline.
    void wake_up_at_next_deadline();
    // Closes the sockets the room no longer seats (after a leave).
    void close_unseated();
    void send_to(const member& m, shared_message frame);

    boost::asio::any_io_executor executor_;
    const std::string id_;
    const std::shared_ptr<const domain::bank> bank_;
    const role_tokens tokens_;
    domain::room room_;
    std::unordered_map<domain::connection_id, member> members_;
    boost::asio::steady_timer wake_up_;
    std::optional<domain::millis> wake_up_at_;  // the deadline wake_up_ is armed for
};

}  // namespace mockroom::net
