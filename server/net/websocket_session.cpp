// One WebSocket: reads and parses frames, forwards commands to its room, and writes what the
// room sends through one write loop (one async_write in flight, a queue bounded in bytes).
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <chrono>
#include <deque>

#include "domain/rate_limit.hpp"
#include "net/server_clock.hpp"
#include "net/sessions.hpp"
#include "protocol/codec.hpp"

namespace mockroom::net {
namespace {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace asio = boost::asio;
namespace http = beast::http;

// Closing is routine (peer left, server stopping); anything else is worth a line on stderr.
bool is_routine(beast::error_code ec) {
    return ec == asio::error::operation_aborted || ec == websocket::error::closed ||
           ec == asio::error::eof || ec == asio::error::connection_reset ||
           ec == beast::error::timeout || ec == asio::error::broken_pipe;
}

class websocket_session : public connection,
                          public std::enable_shared_from_this<websocket_session> {
  public:
    websocket_session(beast::tcp_stream stream, server_state& state)
        : ws_(std::move(stream)),
          state_(state),
          id_(state.next_connection_id.fetch_add(1)),
          hello_deadline_(ws_.get_executor()) {}

    void run(http::request<http::string_body> upgrade) {
        ws_.read_message_max(state_.bounds.max_message_bytes);  // over: Beast closes with 1009
        websocket::stream_base::timeout timeouts{};
        timeouts.handshake_timeout = std::chrono::seconds(10);
        timeouts.idle_timeout = state_.bounds.idle_timeout;
        timeouts.keep_alive_pings = true;  // an idle but live browser answers pings
        ws_.set_option(timeouts);
        ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& response) {
            response.set(http::field::server, "mockroom");
        }));
        ws_.async_accept(
            upgrade, beast::bind_front_handler(&websocket_session::on_accept, shared_from_this()));
    }

    domain::connection_id id() const override { return id_; }

    void send(shared_message frame) override {
        asio::post(ws_.get_executor(), [self = shared_from_this(), frame = std::move(frame)] {
            self->enqueue(std::move(frame));
        });
    }

    void close_after_flush(std::uint16_t code, std::string reason) override {
        asio::post(ws_.get_executor(),
                   [self = shared_from_this(), code, reason = std::move(reason)] {
                       self->begin_close(code, reason);
                   });
    }

  private:
    void on_accept(beast::error_code ec) {
        if (ec) return;
        hello_deadline_.expires_after(state_.bounds.hello_timeout);
        hello_deadline_.async_wait([weak = weak_from_this()](beast::error_code wait_ec) {
            auto self = weak.lock();
            if (wait_ec || !self || self->room_) return;
            self->begin_close(websocket::close_code::policy_error, "no hello in time");
        });
        read_frame();
    }

    void read_frame() {
        ws_.async_read(buffer_,
                       beast::bind_front_handler(&websocket_session::on_read, shared_from_this()));
    }

    void on_read(beast::error_code ec, std::size_t) {
        if (ec) return on_gone(ec);
        const std::int64_t received_at = server_clock::now();
        const double rate = state_.bounds.messages_per_second;
        if (!closing_ && !message_budget_.take(received_at, rate, 2 * rate)) {
            send_error(domain::error_code::rate_limited, "too many messages; slow down", "");
        } else if (!closing_) {
            if (ws_.got_text()) {
                auto data = buffer_.cdata();
                handle_text({static_cast<const char*>(data.data()), data.size()}, received_at);
            } else {
                send_error(domain::error_code::bad_request, "send JSON in text frames", "");
            }
        }
        buffer_.consume(buffer_.size());
        read_frame();
    }

    void handle_text(std::string_view text, std::int64_t received_at) {
        auto parsed = protocol::parse_client_message(text, state_.bounds);
        if (auto* bad = std::get_if<protocol::protocol_error>(&parsed)) {
            return send_error(bad->code, bad->message, bad->ref);
        }
        auto& message = std::get<protocol::parsed_message>(parsed);
        std::visit(
            [&](auto& m) {
                using type = std::decay_t<decltype(m)>;
                if constexpr (std::is_same_v<type, protocol::hello>) {
                    on_hello(std::move(m), message.ref);
                } else if constexpr (std::is_same_v<type, protocol::ping>) {
                    enqueue(std::make_shared<const std::string>(
                        protocol::encode_pong(m.id, m.t0, received_at, server_clock::now())));
                } else {
                    if (!room_) {
                        return send_error(domain::error_code::bad_request, "say hello first",
                                          message.ref);
                    }
                    room_->command(id_, std::move(m), std::move(message.ref));
                }
            },
            message.message);
    }

    void on_hello(protocol::hello hello, const std::string& ref) {
        if (room_) return send_error(domain::error_code::bad_request, "already joined", ref);
        auto room = state_.rooms.find(hello.room);
        auto role = room ? room->authenticate(hello.token) : std::nullopt;
        if (!role) {
            send_error(domain::error_code::unauthorized, "unknown room or invalid link", ref);
            return begin_close(websocket::close_code::policy_error, "unauthorized");
        }
        hello_deadline_.cancel();
        room_ = std::move(room);
        room_->join(shared_from_this(), *role, std::move(hello));
    }

    void send_error(domain::error_code code, std::string_view message, std::string_view ref) {
        enqueue(std::make_shared<const std::string>(protocol::encode_error(code, message, ref)));
    }

    // ---- the write loop ----

    void enqueue(shared_message frame) {
        if (closing_) return;
        // One frame always fits an empty queue, so a bound below a welcome still works.
        if (!queue_.empty() && queued_bytes_ + frame->size() > state_.bounds.max_queued_bytes) {
            // Never drop an ordered message silently: close, and the client resyncs on reconnect.
            drop_queue();
            return begin_close(websocket::close_code::try_again_later, "reading too slowly");
        }
        queued_bytes_ += frame->size();
        queue_.push_back(std::move(frame));
        if (!writing_) write_next();
    }

    void write_next() {
        writing_ = true;
        ws_.text(true);
        ws_.async_write(
            asio::buffer(*queue_.front()),
            beast::bind_front_handler(&websocket_session::on_write, shared_from_this()));
    }

    void on_write(beast::error_code ec, std::size_t) {
        writing_ = false;
        if (ec) return;  // the read side sees the failure and reports it
        queued_bytes_ -= queue_.front()->size();
        queue_.pop_front();
        if (!queue_.empty()) return write_next();
        if (pending_close_) send_close();
    }

    void drop_queue() {
        // The frame being written stays until its write completes.
        while (queue_.size() > (writing_ ? 1u : 0u)) {
            queued_bytes_ -= queue_.back()->size();
            queue_.pop_back();
        }
    }

    void begin_close(std::uint16_t code, std::string_view reason) {
        if (pending_close_) return;
        // Frames queued before this point (e.g. the error that explains it) still go out.
        pending_close_ = websocket::close_reason(static_cast<websocket::close_code>(code), reason);
        closing_ = true;
        if (!writing_ && queue_.empty()) send_close();
    }

    void send_close() {
        hello_deadline_.cancel();
        ws_.async_close(*pending_close_, [self = shared_from_this()](beast::error_code) {});
    }

    void on_gone(beast::error_code ec) {
        hello_deadline_.cancel();
        if (room_) room_->disconnect(id_);
        if (!is_routine(ec) && ec != websocket::error::message_too_big) {
            std::fprintf(stderr, "mockroom: websocket %llu: %s\n",
                         static_cast<unsigned long long>(id_), ec.message().c_str());
        }
    }

    websocket::stream<beast::tcp_stream> ws_;
    server_state& state_;
    const domain::connection_id id_;
    beast::flat_buffer buffer_;
    asio::steady_timer hello_deadline_;
    std::shared_ptr<room_host> room_;  // set by a valid hello
    domain::token_bucket message_budget_;

    std::deque<shared_message> queue_;
    std::size_t queued_bytes_ = 0;
    bool writing_ = false;
    bool closing_ = false;  // no new frames are queued once a close has begun
    std::optional<websocket::close_reason> pending_close_;
};

}  // namespace

void start_websocket_session(beast::tcp_stream stream, http::request<http::string_body> upgrade,
                             server_state& state) {
    std::make_shared<websocket_session>(std::move(stream), state)->run(std::move(upgrade));
}

}  // namespace mockroom::net
