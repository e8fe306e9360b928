#include "net/room_host.hpp"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <cstdio>
#include <stdexcept>

#include "net/send_batch.hpp"
#include "net/server_clock.hpp"
#include "net/ws_frames.hpp"
#include "protocol/journal_json.hpp"
#include "store/event_store.hpp"

namespace mockroom::net {

domain::room restore_room(domain::room_info info, const limits& bounds,
                          const store::stored_room& stored) {
    domain::room room(std::move(info), bounds);
    if (stored.snapshot) {
        const std::string where = "snapshot at event " + std::to_string(stored.snapshot_seq);
        auto entries = protocol::snapshot_from_json(*stored.snapshot);
        if (auto* error = std::get_if<std::string>(&entries)) {
            throw std::runtime_error(where + ": " + *error);
        }
        try {
            for (const auto& entry : std::get<std::vector<domain::journal_entry>>(entries))
                room.replay(entry);
        } catch (const std::exception& e) {
            throw std::runtime_error(where + ": " + e.what());
        }
    }
    const auto& events = stored.events;
    for (std::size_t i = 0; i < events.size(); ++i) {
        const auto number = std::to_string(stored.snapshot_seq + static_cast<std::int64_t>(i) + 1);
        auto entry = protocol::journal_from_json(events[i]);
        if (auto* error = std::get_if<std::string>(&entry)) {
            throw std::runtime_error("event " + number + ": " + *error);
        }
        try {
            room.replay(std::get<domain::journal_entry>(entry));
        } catch (const std::exception& e) {
            throw std::runtime_error("event " + number + ": " + e.what());
        }
    }
    room.take_journal();  // replaying records nothing, but make sure
    return room;
}

domain::room restore_stored_room(const store::stored_room& stored,
                                 const std::vector<std::shared_ptr<const domain::bank>>& banks,
                                 const limits& bounds) {
    const auto& record = stored.room;
    auto settings = protocol::settings_from_json(record.settings_json);
    if (auto* error = std::get_if<std::string>(&settings)) {
        throw std::runtime_error("settings: " + *error);
    }
    std::shared_ptr<const domain::bank> bank;
    for (const auto& b : banks) {
        if (b->id == record.bank_id) bank = b;
    }
    if (!bank) {
        auto placeholder = std::make_shared<domain::bank>();
        placeholder->id = record.bank_id;
        placeholder->title = record.bank_id + " (no longer served)";
        bank = std::move(placeholder);
    }
    return restore_room({record.id, record.title, bank, record.created_at,
                         std::get<domain::timing_settings>(settings)},
                        bounds, stored);
}

namespace {
// Timers typed on the context's executor cost less than on any_io_executor (a room has two);
// their handlers are bound to the room's strand.
boost::asio::io_context::executor_type context_executor(const boost::asio::any_io_executor& ex) {
    if (const auto* strand = ex.target<strand_type>()) return strand->get_inner_executor();
    if (const auto* plain = ex.target<boost::asio::io_context::executor_type>()) return *plain;
    throw std::invalid_argument("a room runs on an io_context or on a strand of one");
}
}  // namespace

room_host::room_host(boost::asio::any_io_executor executor, domain::room room, role_tokens tokens,
                     store::event_store* store, std::size_t events_since_snapshot)
    : executor_(std::move(executor)),
      id_(room.info().id),
      bank_(room.info().question_bank),
      tokens_(tokens),
      room_(std::move(room)),
      store_(store),
      events_since_snapshot_(events_since_snapshot),
      wake_up_(context_executor(executor_)),
      keep_alive_(context_executor(executor_)) {}

std::optional<domain::role> room_host::authenticate(std::string_view token) const {
    const token_hash presented = hash_token(token);
    // Evaluate all three comparisons whatever matches, so timing says nothing about which.
    const bool interviewer = same_hash(presented, tokens_.interviewer);
    const bool candidate = same_hash(presented, tokens_.candidate);
    const bool observer = same_hash(presented, tokens_.observer);
    if (interviewer) return domain::role::interviewer;
    if (candidate) return domain::role::candidate;
    if (observer) return domain::role::observer;
    return std::nullopt;
}

void room_host::start() {
    boost::asio::post(executor_, [self = shared_from_this()] {
        // Timers that ran out while the server was down expire now (and are stored as such).
        self->finish(self->room_->tick(server_clock::now()), 0, "", true);
    });
}

void room_host::report(domain::role reader, protocol::report_format format,
                       std::function<void(protocol::rendered_report)> done) {
    boost::asio::post(
        executor_, [self = shared_from_this(), reader, format, done = std::move(done)] {
            done(protocol::render_report(*self->room_, reader, format, server_clock::now()));
        });
}

template <class Work>
void room_host::run_on_room(Work&& work) {
    const auto* strand = executor_.target<strand_type>();
    if (strand != nullptr && strand->running_in_this_thread()) return work();
    boost::asio::post(executor_, std::forward<Work>(work));
}

void room_host::join(std::shared_ptr<connection> socket, domain::role r, protocol::hello hello) {
    run_on_room([self = shared_from_this(), socket = std::move(socket), r,
                 hello = std::move(hello)]() mutable {
        const auto c = socket->id();
        self->members_[c] = member{socket, r};
        if (!self->keep_alive_armed_) self->keep_alive_every_period();
        auto outcome = self->room_->join(c, r, std::move(hello.name), std::move(hello.client),
                                         server_clock::now(), hello.notes);
        if (!self->room_->role_of(c)) {
            // Refused (e.g. the room is full): tell it, then let it go.
            self->finish(std::move(outcome), c, "");
            self->members_.erase(c);
            socket->close_after_flush(1008, "refused");
            return;
        }
        self->finish(std::move(outcome), c, "");
    });
}

void room_host::command(domain::connection_id c, domain::command cmd, std::string ref) {
    run_on_room([self = shared_from_this(), c, cmd = std::move(cmd), ref = std::move(ref)] {
        domain::outcome outcome;
        try {
            outcome = self->room_->apply(c, cmd, ref, server_clock::now());
        } catch (const std::exception& e) {
            // The domain validates before it changes anything, so this is a bug: answer it, log
            // it, and keep the room (and the server) running.
            std::fprintf(stderr, "mockroom: room %s: internal error: %s\n", self->id_.c_str(),
                         e.what());
            outcome = {{domain::audience::only(c),
                        domain::error_event{domain::error_code::internal, "internal error", ref}}};
        }
        self->finish(std::move(outcome), c, ref);
        if (std::holds_alternative<domain::leave>(cmd)) self->close_unseated();
    });
}

void room_host::disconnect(domain::connection_id c) {
    boost::asio::post(executor_, [self = shared_from_this(), c] {
        if (self->members_.erase(c) == 0) return;
        self->finish(self->room_->disconnect(c, server_clock::now()), c, "");
    });
}

void room_host::finish(domain::outcome&& outcome, domain::connection_id author,
                       std::string_view ref, bool derived) {
    auto journal = room_->take_journal();
    if (journal.empty() || store_ == nullptr || derived) {
        if (held_.empty()) {
            deliver(std::move(outcome));
        } else if (!outcome.empty()) {
            // Behind changes not yet durable: it may tell of them (a pull, a welcome).
            held_.push_back({next_ticket_++, std::move(outcome), true, author, std::string(ref)});
        }
        if (!journal.empty() && store_ != nullptr) append_to_store(std::move(journal), 0);
        wake_up_at_next_deadline();
        return;
    }
    const std::uint64_t ticket = next_ticket_++;
    held_.push_back({ticket, std::move(outcome), false, author, std::string(ref)});
    append_to_store(std::move(journal), ticket);
    wake_up_at_next_deadline();
}

void room_host::append_to_store(std::vector<domain::journal_entry> journal, std::uint64_t ticket) {
    std::vector<std::string> events;
    events.reserve(journal.size());
    for (const auto& entry : journal) events.push_back(protocol::journal_to_json(entry));
    events_since_snapshot_ += events.size();
    store_->append(
        id_, std::move(events),
        [weak = weak_from_this(), executor = executor_, ticket](std::optional<std::string> error) {
            // Where the store runs its callbacks (an io thread, or its writer thread): hand the
            // answer to the room's executor.
            boost::asio::post(executor, [weak, ticket, error = std::move(error)] {
                if (auto self = weak.lock()) self->on_stored(ticket, error);
            });
        });
    snapshot_if_due();
}

void room_host::snapshot_if_due() {
    if (events_since_snapshot_ < room_->bounds().snapshot_every_events) return;
    // Counted again from here even when no snapshot can be written, so a document that has no
    // faithful JSON form is not serialized again on every change (the log alone serves).
    events_since_snapshot_ = 0;
    auto body = protocol::snapshot_to_json(room_->snapshot());
    if (!body) return;
    store_->save_snapshot(
        id_, std::move(*body),
        [weak = weak_from_this(), executor = executor_](std::optional<std::string> error) {
            if (!error) return;
            // Like a failed append: the room's later appends fail too, so it reloads.
            boost::asio::post(executor, [weak, error = std::move(error)] {
                if (auto self = weak.lock()) self->on_stored(0, error);
            });
        });
}

void room_host::on_stored(std::uint64_t ticket, std::optional<std::string> error) {
    // The outcomes this releases go to the room's sockets together (send_batch.hpp).
    std::optional<send_batch::scope> batch;
    if (const auto* strand = executor_.target<strand_type>()) batch.emplace(*strand);
    if (error) {
        fall_back_to_store(ticket, *error);
        return;
    }
    if (ticket == 0) return;  // a derived change: nothing was waiting for it
    for (auto& held : held_) {
        if (held.ticket == ticket) held.durable = true;
    }
    send_durable();
}

void room_host::send_durable() {
    std::size_t ready = 0;
    while (ready < held_.size() && held_[ready].durable) ++ready;
    // Delivering writes to sockets and never re-enters the room, so held_ stays put meanwhile.
    for (std::size_t i = 0; i < ready; ++i) deliver(std::move(held_[i].outcome));
    held_.erase(held_.begin(), held_.begin() + static_cast<std::ptrdiff_t>(ready));
    if (held_.empty()) std::vector<held_outcome>().swap(held_);  // an idle room holds nothing
}

void room_host::fall_back_to_store(std::uint64_t failed_ticket, const std::string& why) {
    std::fprintf(stderr, "mockroom: room %s: could not store a change: %s\n", id_.c_str(),
                 why.c_str());
    // What was durable before the failure is sent as usual.
    send_durable();
    // The rest was not stored (the store refuses a failed room's later appends too): those
    // outcomes are never sent; whoever caused them is told.
    for (auto& held : held_) {
        if (held.ticket < failed_ticket && held.durable) continue;
        auto it = members_.find(held.author);
        if (held.author != 0 && it != members_.end()) {
            send_to(it->second,
                    ws::shared_text_frame(protocol::encode_error(
                        domain::error_code::internal,
                        "the server could not save this (" + why + "); nothing was changed",
                        held.ref)));
        }
    }
    std::vector<held_outcome>().swap(held_);
    // The room as stored is the truth. Sockets are closed so every client reconnects and gets
    // it (its unconfirmed edits are resent then).
    try {
        auto stored = store_->load_room(id_);
        if (!stored) throw std::runtime_error("the room is not in the store");
        domain::room_info info = room_->info();
        const limits& bounds = room_->bounds();  // the server's, not the room's: outlives it
        // Rebuilt first, then swapped in: if it cannot be read, the room stays as it was (the
        // store refuses its appends until it reloads, so the next change tries again).
        auto restored = restore_room(std::move(info), bounds, *stored);
        room_.emplace(std::move(restored));
        events_since_snapshot_ = stored->events.size();
        store_->reopen_room(id_);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "mockroom: room %s: cannot reload it: %s\n", id_.c_str(), e.what());
    }
    for (auto& [c, m] : members_) {
        if (auto socket = m.socket.lock()) socket->close_after_flush(1011, "storage error");
    }
    members_.clear();
    wake_up_at_next_deadline();
}

void room_host::close_unseated() {
    erase_if(members_, [this](auto& entry) {
        if (room_->role_of(entry.first)) return false;
        if (auto socket = entry.second.socket.lock()) socket->close_after_flush(1000, "left");
        return true;
    });
}

void room_host::send_to(const member& m, shared_message frame) {
    if (!frame) return;  // the encoder found nothing this role may see
    if (auto socket = m.socket.lock()) socket->send(std::move(frame));
}

namespace {
// The event as one WebSocket frame for `reader`; null when that role may see none of it.
shared_message frame_for(const domain::event& what, domain::role reader) {
    std::string json = protocol::encode(what, reader);
    if (json.empty()) return nullptr;
    return ws::share_as_text_frame(std::move(json));
}
}  // namespace

void room_host::deliver(domain::outcome&& outcome) {
    for (auto& out : outcome) {
        if (out.to.to == domain::audience::kind::one_connection) {
            auto it = members_.find(out.to.connection);
            if (it == members_.end()) continue;
            send_to(it->second, frame_for(out.what, it->second.role_in_room));
            continue;
        }
        // Serialize once (once per role when roles see it differently), lazily, and share the
        // bytes with every socket.
        const bool per_role = protocol::encoding_depends_on_role(out.what);
        std::array<std::optional<shared_message>, domain::role_count> frames;
        for (auto& [c, m] : members_) {
            if (c == out.to.connection) continue;  // the sender of a relayed cursor
            if (out.to.interviewers_only && m.role_in_room != domain::role::interviewer) continue;
            auto& frame = frames[per_role ? static_cast<std::size_t>(m.role_in_room) : 0];
            if (!frame) frame = frame_for(out.what, m.role_in_room);
            send_to(m, *frame);
        }
    }
}

void room_host::keep_alive_every_period() {
    if (members_.empty()) {
        keep_alive_armed_ = false;
        return;
    }
    keep_alive_armed_ = true;
    keep_alive_.expires_after(
        std::chrono::duration_cast<std::chrono::milliseconds>(room_->bounds().idle_timeout) / 2);
    keep_alive_.async_wait(boost::asio::bind_executor(
        executor_, [weak = weak_from_this()](boost::system::error_code ec) {
            auto self = weak.lock();
            if (ec || !self) return;
            // A socket that times out posts its disconnect, so members_ stays put meanwhile.
            for (auto& [c, m] : self->members_) {
                if (auto socket = m.socket.lock()) socket->keep_alive_tick();
            }
            self->keep_alive_every_period();
        }));
}

void room_host::wake_up_at_next_deadline() {
    const auto next = room_->next_deadline();
    if (next == wake_up_at_) return;
    wake_up_at_ = next;
    if (!next) {
        wake_up_.cancel();
        return;
    }
    wake_up_.expires_at(server_clock::to_steady(*next));  // cancels the previous wait
    wake_up_.async_wait(boost::asio::bind_executor(
        executor_, [weak = weak_from_this()](boost::system::error_code ec) {
            if (ec == boost::asio::error::operation_aborted) return;
            auto self = weak.lock();
            if (!self) return;
            self->wake_up_at_.reset();
            self->finish(self->room_->tick(server_clock::now()), 0, "", true);
        }));
}

}  // namespace mockroom::net
