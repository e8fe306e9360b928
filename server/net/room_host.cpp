#include "net/room_host.hpp"

#include <boost/asio/post.hpp>
#include <chrono>
#include <cstdio>

#include "net/server_clock.hpp"

namespace mockroom::net {

room_host::room_host(boost::asio::any_io_executor executor, domain::room_info info,
                     role_tokens tokens, const limits& bounds)
    : executor_(std::move(executor)),
      id_(info.id),
      bank_(info.question_bank),
      tokens_(tokens),
      room_(std::move(info), bounds),
      wake_up_(executor_) {}

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

void room_host::join(std::shared_ptr<connection> socket, domain::role r, protocol::hello hello) {
    boost::asio::post(executor_, [self = shared_from_this(), socket = std::move(socket), r,
                                  hello = std::move(hello)]() mutable {
        const auto c = socket->id();
        self->members_[c] = member{socket, r};
        auto outcome = self->room_.join(c, r, std::move(hello.name), std::move(hello.client),
                                        server_clock::now(), hello.notes);
        if (!self->room_.role_of(c)) {
            // Refused (e.g. the room is full): tell it, then let it go.
            self->deliver(std::move(outcome));
            self->members_.erase(c);
            socket->close_after_flush(1008, "refused");
            self->wake_up_at_next_deadline();
            return;
        }
        self->deliver(std::move(outcome));
        self->wake_up_at_next_deadline();
    });
}

void room_host::command(domain::connection_id c, domain::command cmd, std::string ref) {
    boost::asio::post(executor_, [self = shared_from_this(), c, cmd = std::move(cmd),
                                  ref = std::move(ref)] {
        domain::outcome outcome;
        try {
            outcome = self->room_.apply(c, cmd, ref, server_clock::now());
        } catch (const std::exception& e) {
            // The domain validates before it changes anything, so this is a bug: answer it, log
            // it, and keep the room (and the server) running.
            std::fprintf(stderr, "mockroom: room %s: internal error: %s\n", self->id_.c_str(),
                         e.what());
            outcome = {{domain::audience::only(c),
                        domain::error_event{domain::error_code::internal, "internal error", ref}}};
        }
        self->deliver(std::move(outcome));
        if (std::holds_alternative<domain::leave>(cmd)) self->close_unseated();
        self->wake_up_at_next_deadline();
    });
}

void room_host::close_unseated() {
    std::erase_if(members_, [this](auto& entry) {
        if (room_.role_of(entry.first)) return false;
        if (auto socket = entry.second.socket.lock()) socket->close_after_flush(1000, "left");
        return true;
    });
}

void room_host::disconnect(domain::connection_id c) {
    boost::asio::post(executor_, [self = shared_from_this(), c] {
        if (self->members_.erase(c) == 0) return;
        self->deliver(self->room_.disconnect(c, server_clock::now()));
    });
}

void room_host::wake_up_at_next_deadline() {
    const auto next = room_.next_deadline();
    if (next == wake_up_at_) return;
    wake_up_at_ = next;
    if (!next) {
        wake_up_.cancel();
        return;
    }
    wake_up_.expires_at(server_clock::to_steady(*next));  // cancels the previous wait
    wake_up_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
        if (ec == boost::asio::error::operation_aborted) return;
        auto self = weak.lock();
        if (!self) return;
        self->wake_up_at_.reset();
        self->deliver(self->room_.tick(server_clock::now()));
        self->wake_up_at_next_deadline();
    });
}

void room_host::send_to(const member& m, shared_message frame) {
    if (frame->empty()) return;  // the encoder found nothing this role may see
    if (auto socket = m.socket.lock()) socket->send(std::move(frame));
}

void room_host::deliver(domain::outcome&& outcome) {
    for (auto& out : outcome) {
        if (out.to.to == domain::audience::kind::one_connection) {
            auto it = members_.find(out.to.connection);
            if (it == members_.end()) continue;
            send_to(it->second, std::make_shared<const std::string>(
                                    protocol::encode(out.what, it->second.role_in_room)));
            continue;
        }
        // Serialize once per role, lazily, and share the bytes with every socket of that role.
        std::array<shared_message, domain::role_count> per_role;
        for (auto& [c, m] : members_) {
            if (c == out.to.connection) continue;  // the sender of a relayed cursor
            if (out.to.interviewers_only && m.role_in_room != domain::role::interviewer) continue;
            auto& frame = per_role[static_cast<std::size_t>(m.role_in_room)];
            if (!frame) {
                frame =
                    std::make_shared<const std::string>(protocol::encode(out.what, m.role_in_room));
            }
            send_to(m, frame);
        }
    }
}

}  // namespace mockroom::net
