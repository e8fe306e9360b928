// Runs one domain::room on one executor (principle: a room is single-threaded) and fans its
// outbound events out to sockets, encoding each broadcast once per role. With a store, nothing
// is sent that tells of a change before the change is durable (acknowledged means durable).
#pragma once

#include <array>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "domain/flat_map.hpp"
#include "domain/room.hpp"
#include "net/connection.hpp"
#include "net/tokens.hpp"
#include "protocol/codec.hpp"
#include "protocol/report.hpp"

namespace mockroom::store {
class event_store;
struct stored_room;
}  // namespace mockroom::store

namespace mockroom::net {

struct role_tokens {
    token_hash interviewer;
    token_hash candidate;
    token_hash observer;
};

// A room as stored: its info, then its latest snapshot and the events after it replayed. Throws
// std::runtime_error naming the snapshot or event that cannot be read or does not fit.
domain::room restore_room(domain::room_info info, const limits& bounds,
                          const store::stored_room& stored);
// The same from a stored record, its bank looked up among `banks` (a bank no longer served is
// replaced by an empty one of that id: the asked questions are in the journal).
domain::room restore_stored_room(const store::stored_room& stored,
                                 const std::vector<std::shared_ptr<const domain::bank>>& banks,
                                 const limits& bounds);

class room_host : public std::enable_shared_from_this<room_host> {
  public:
    // `store` (may be null: nothing is kept) must outlive the host's pending appends.
    // `events_since_snapshot`: for a restored room, the events it replayed after its snapshot.
    room_host(boost::asio::any_io_executor executor, domain::room room, role_tokens tokens,
              store::event_store* store, std::size_t events_since_snapshot = 0);

    const std::string& id() const { return id_; }
    // The strand the room runs on (its sockets move onto it after hello).
    const boost::asio::any_io_executor& executor() const { return executor_; }
    const std::shared_ptr<const domain::bank>& bank() const { return bank_; }
    // Thread-safe (the hashes never change). Compares against all three hashes in constant time.
    std::optional<domain::role> authenticate(std::string_view token) const;

    // Thread-safe, in the caller's order. join and command run at once when called on the
    // room's strand (a socket that moved onto it, from its read path: never from inside a
    // delivery), else they are posted there. disconnect is always posted: a socket may fail
    // while the room is delivering to it.
    void join(std::shared_ptr<connection> socket, domain::role r, protocol::hello hello);
    void command(domain::connection_id c, domain::command cmd, std::string ref);
    void disconnect(domain::connection_id c);
    // Arms the wake-up for a room loaded with running timers. Call once, after construction.
    void start();
    // Renders the room's report for `reader` on the room's executor, then calls `done` there.
    void report(domain::role reader, protocol::report_format format,
                std::function<void(protocol::rendered_report)> done);

  private:
    // Runs `work` now when the caller is on the room's strand, else posts it there.
    template <class Work>
    void run_on_room(Work&& work);

    struct member {
        std::weak_ptr<connection> socket;  // weak: a socket owns its room, not the reverse
        domain::role role_in_room;
    };
    // An outcome waiting for the store: sent once it and everything before it is durable.
    struct held_outcome {
        std::uint64_t ticket = 0;
        domain::outcome outcome;
        bool durable = false;
        domain::connection_id author = 0;  // who is told if it cannot be stored
        std::string ref;
    };

    // Every room operation ends here: its changes go to the store, its outcome is sent when
    // they are durable (at once when it changed nothing and nothing is waiting before it).
    // `derived`: the outcome follows from what is already stored (a timer's expiry at its stored
    // deadline: a restarted room expires it the same way), so it need not wait for its own
    // commit, only for what is ahead of it. That keeps expiry on time, not one fsync late.
    void finish(domain::outcome&& outcome, domain::connection_id author, std::string_view ref,
                bool derived = false);
    // Appends the changes; `ticket` (0: none) names the held outcome waiting for them.
    void append_to_store(std::vector<domain::journal_entry> journal, std::uint64_t ticket);
    void on_stored(std::uint64_t ticket, std::optional<std::string> error);
    void send_durable();
    // The store refused a change: the room goes back to what is stored, its sockets are closed
    // (clients reconnect and resume from there), and the authors of lost changes are told.
    void fall_back_to_store(std::uint64_t failed_ticket, const std::string& why);

    void deliver(domain::outcome&& outcome);
    // Closes the sockets the room no longer seats (after a leave).
    void close_unseated();
    void send_to(const member& m, shared_message frame);
    // One wake-up per room, at the earliest running deadline (never a per-second tick): then
    // the room expires what is due. Called after everything that may move a deadline.
    void wake_up_at_next_deadline();

    boost::asio::any_io_executor executor_;
    const std::string id_;
    const std::shared_ptr<const domain::bank> bank_;
    const role_tokens tokens_;
    std::optional<domain::room> room_;  // always set; re-made when falling back to the store
    store::event_store* const store_;
    domain::flat_map<domain::connection_id, member> members_;  // in connection order
    std::vector<held_outcome> held_;  // in ticket order (a deque's first block costs 576 B)
    std::uint64_t next_ticket_ = 1;
    std::size_t events_since_snapshot_ = 0;
    // After appending: a snapshot once snapshot_every_events events have been appended since
    // the last one (queued behind those events, so it covers exactly them).
    void snapshot_if_due();
    using context_timer =
        boost::asio::basic_waitable_timer<std::chrono::steady_clock,
                                          boost::asio::wait_traits<std::chrono::steady_clock>,
                                          boost::asio::io_context::executor_type>;
    context_timer wake_up_;
    // Keep-alive for every socket of the room, armed while the room has members.
    void keep_alive_every_period();
    context_timer keep_alive_;
    bool keep_alive_armed_ = false;
    std::optional<domain::millis> wake_up_at_;  // the deadline wake_up_ is armed for
};

}  // namespace mockroom::net
