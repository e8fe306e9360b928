#include "load_client.hpp"

#include <algorithm>
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <stdexcept>

namespace mockroom::load {

namespace http = beast::http;
namespace websocket = beast::websocket;

namespace {
// The largest message the generator accepts (an interviewer's welcome holds the whole bank).
constexpr std::size_t max_message_bytes = 16 * 1024 * 1024;
// The inbox starts at this and grows for a larger frame; past the kept size it is given back
// once empty, so 15,000 idle sockets do not each keep a welcome's worth.
constexpr std::size_t inbox_start_bytes = 2048;
constexpr std::size_t kept_inbox_bytes = 16 * 1024;
// Frames gathered into one write.
constexpr std::size_t max_gathered = 16;
}  // namespace

ws_client::ws_client(asio::io_context& io, client_events& events, std::size_t tag)
    : socket_(io.get_executor()),
      events_(events),
      tag_(tag),
      mask_state_(static_cast<std::uint32_t>(tag * 2654435761u) | 1u) {}

void ws_client::start(const tcp::endpoint& server, const std::string& host,
                      const std::string& path) {
    handshake_ = "GET " + path + " HTTP/1.1\r\nHost: " + host +
                 "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Key: bW9ja3Jvb20tbG9hZGtleQ==\r\n"  // 16 bytes, as RFC 6455 asks
                 "Sec-WebSocket-Version: 13\r\n\r\n";
    socket_.async_connect(server, [self = shared_from_this()](beast::error_code ec) {
        if (ec) return self->fail(ec);
        self->socket_.set_option(tcp::no_delay(true), ec);  // small frames: latency first
        self->socket_.non_blocking(true, ec);
        if (ec) return self->fail(ec);
        asio::async_write(self->socket_, asio::buffer(self->handshake_),
                          [self](beast::error_code write_ec, std::size_t) {
                              if (write_ec) return self->fail(write_ec);
                              self->handshake_.clear();
                              self->handshake_.shrink_to_fit();
                              self->inbox_.resize(inbox_start_bytes);
                              self->read_handshake();
                          });
    });
}

// Reads the server's answer to the upgrade; the frames after it stay in the inbox.
void ws_client::read_handshake() {
    socket_.async_read_some(
        asio::buffer(inbox_.data() + inbox_used_, inbox_.size() - inbox_used_),
        [self = shared_from_this()](beast::error_code ec, std::size_t bytes) {
            if (ec) return self->fail(ec);
            self->inbox_used_ += bytes;
            const std::string_view got(self->inbox_.data(), self->inbox_used_);
            const auto end = got.find("\r\n\r\n");
            if (end == std::string_view::npos) {
                if (self->inbox_used_ == self->inbox_.size()) {
                    return self->fail(websocket::error::upgrade_declined);
                }
                return self->read_handshake();
            }
            if (!got.starts_with("HTTP/1.1 101")) {
                return self->fail(websocket::error::upgrade_declined);
            }
            const std::size_t rest = self->inbox_used_ - (end + 4);
            std::copy(self->inbox_.begin() + static_cast<std::ptrdiff_t>(end + 4),
                      self->inbox_.begin() + static_cast<std::ptrdiff_t>(self->inbox_used_),
                      self->inbox_.begin());
            self->inbox_used_ = rest;
            self->open_ = true;
            self->events_.on_open(self->tag_, *self);
            self->flush();  // frames queued from on_open
            if (!self->consume_frames()) return;
            self->read_ready();
        });
}

// Reads until the kernel has no more (a read that does not fill the space left), then waits.
void ws_client::read_ready() {
    for (;;) {
        if (inbox_.size() - inbox_used_ < inbox_start_bytes / 2) {
            inbox_.resize(std::min(inbox_.size() * 2, max_message_bytes + 14));
        }
        const std::size_t space = inbox_.size() - inbox_used_;
        // Unreachable while read_server_frame refuses a frame over the limit from its header.
        if (space == 0) return fail(websocket::error::message_too_big);
        beast::error_code ec;
        const std::size_t bytes =
            socket_.read_some(asio::buffer(inbox_.data() + inbox_used_, space), ec);
        if (ec == asio::error::would_block) break;
        if (ec) return fail(ec);
        inbox_used_ += bytes;
        if (!consume_frames()) return;
        if (bytes < space) break;
    }
    wait_readable();
}

void ws_client::wait_readable() {
    socket_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](beast::error_code ec) {
        if (ec) return self->fail(ec);
        self->read_ready();
    });
}

bool ws_client::consume_frames() {
    std::size_t at = 0;
    while (at < inbox_used_) {
        server_frame frame;
        const auto size = read_server_frame(std::span<char>(inbox_.data() + at, inbox_used_ - at),
                                            frame, max_message_bytes);
        if (size < 0) {
            fail(websocket::error::bad_opcode);
            return false;
        }
        if (size == 0) break;
        at += static_cast<std::size_t>(size);
        if (!on_frame(frame) || !socket_.is_open()) return false;
    }
    std::copy(inbox_.begin() + static_cast<std::ptrdiff_t>(at),
              inbox_.begin() + static_cast<std::ptrdiff_t>(inbox_used_), inbox_.begin());
    inbox_used_ -= at;
    if (inbox_used_ == 0 && inbox_.size() > kept_inbox_bytes) {
        inbox_.resize(inbox_start_bytes);
        inbox_.shrink_to_fit();
    }
    return true;
}

// One frame from the server; false when the socket is done.
bool ws_client::on_frame(const server_frame& frame) {
    switch (frame.opcode) {
        case ws_opcode::ping:
            if (close_sent_) return true;  // nothing may follow our close frame
            queue_frame(ws_opcode::pong, frame.payload);
            flush();
            return true;
        case ws_opcode::pong:
            return true;
        case ws_opcode::close: {
            const std::string_view payload = frame.payload;
            if (payload.size() >= 2) {
                close_.code =
                    static_cast<std::uint16_t>((static_cast<std::uint8_t>(payload[0]) << 8) |
                                               static_cast<std::uint8_t>(payload[1]));
                close_.reason = std::string(payload.substr(2));
            }
            if (!close_sent_) {  // answer with its code (RFC 6455 5.5.1)
                queue_frame(ws_opcode::close,
                            payload.substr(0, std::min<std::size_t>(2, payload.size())));
                flush();
            }
            fail(websocket::error::closed);
            return false;
        }
        case ws_opcode::continuation:
        case ws_opcode::text:
        case ws_opcode::binary:
            break;
    }
    if (detached_) return true;  // closing: what still comes is read and dropped
    if (frame.opcode != ws_opcode::continuation && frame.fin && fragments_.empty()) {
        events_.on_frame(tag_, *this, frame.payload);
        return true;
    }
    // Neither our server nor the relay fragments, but a fragmented message still arrives whole.
    fragments_.append(frame.payload);
    if (frame.fin) {
        const std::string message = std::move(fragments_);
        fragments_.clear();
        events_.on_frame(tag_, *this, message);
    }
    return true;
}

void ws_client::send(std::string frame) {
    if (detached_) return;
    queue_frame(ws_opcode::text, frame);
    if (open_) flush();
}

void ws_client::queue_frame(ws_opcode opcode, std::string_view payload) {
    // xorshift32: the masking key differs per frame, as RFC 6455 asks of a client.
    mask_state_ ^= mask_state_ << 13;
    mask_state_ ^= mask_state_ >> 17;
    mask_state_ ^= mask_state_ << 5;
    outbox_.push_back(encode_client_frame(opcode, payload, mask_state_));
    if (opcode == ws_opcode::close) close_sent_ = true;
}

// Writes what the kernel takes now; the rest waits for writability.
void ws_client::flush() {
    if (waiting_writable_ || !socket_.is_open() || (!open_ && !detached_)) return;
    std::array<asio::const_buffer, max_gathered> gathered;
    while (!outbox_.empty()) {
        std::size_t count = 0;
        for (std::size_t i = 0; i < outbox_.size() && count < max_gathered; ++i) {
            const std::size_t skip = i == 0 ? head_written_ : 0;
            gathered[count++] = asio::buffer(outbox_[i].data() + skip, outbox_[i].size() - skip);
        }
        beast::error_code ec;
        std::size_t written =
            socket_.write_some(std::span<const asio::const_buffer>(gathered.data(), count), ec);
        if (ec == asio::error::would_block) {
            waiting_writable_ = true;
            socket_.async_wait(tcp::socket::wait_write,
                               [self = shared_from_this()](beast::error_code wait_ec) {
                                   self->waiting_writable_ = false;
                                   if (wait_ec) return self->fail(wait_ec);
                                   self->flush();
                               });
            return;
        }
        if (ec) return fail(ec);
        while (written > 0) {
            const std::size_t left = outbox_.front().size() - head_written_;
            if (written < left) {
                head_written_ += written;
                break;
            }
            written -= left;
            outbox_.pop_front();
            head_written_ = 0;
        }
    }
}

void ws_client::close() {
    if (detached_) return;
    detached_ = true;
    if (!open_) {
        // Not upgraded yet: drop the connection (the pending operation ends, quietly).
        beast::error_code ignored;
        socket_.close(ignored);
        return;
    }
    open_ = false;
    // A frame partly written must finish (the stream is framed); the others are dropped.
    while (outbox_.size() > (head_written_ > 0 ? 1u : 0u)) outbox_.pop_back();
    queue_frame(ws_opcode::close, close_payload(1001, ""));
    flush();
    // Reading goes on (and drops what comes) until the server's close or the end of the stream.
}

void ws_client::fail(beast::error_code ec) {
    const bool was_open = open_;
    open_ = false;
    beast::error_code ignored;
    socket_.close(ignored);
    if (detached_) return;
    detached_ = true;
    events_.on_closed(tag_, *this, ec, was_open);
}

http_connection::http_connection(asio::io_context& io, tcp::endpoint server, std::string host)
    : stream_(io), server_(server), host_(std::move(host)) {}

asio::awaitable<http_answer> http_connection::request(std::string method, std::string target,
                                                      std::string body) {
    const auto use = asio::as_tuple(asio::use_awaitable);
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, host_);
    req.keep_alive(true);
    if (!body.empty()) {
        req.set(http::field::content_type, "application/json");
        req.body() = std::move(body);
    }
    req.prepare_payload();
    // One retry: a keep-alive connection the server closed in between fails on first use.
    for (int attempt = 0; attempt < 2; ++attempt) {
        if (!connected_) {
            auto [ec] = co_await stream_.async_connect(server_, use);
            if (ec) throw std::runtime_error("cannot connect to the server: " + ec.message());
            stream_.socket().set_option(tcp::no_delay(true));
            connected_ = true;
        }
        auto [write_ec, written] = co_await http::async_write(stream_, req, use);
        http::response<http::string_body> res;
        beast::error_code read_ec;
        if (!write_ec)
            std::tie(read_ec, written) = co_await http::async_read(stream_, buffer_, res, use);
        if (write_ec || read_ec) {
            beast::error_code ignored;
            stream_.socket().close(ignored);
            connected_ = false;
            buffer_.clear();
            if (attempt == 0) continue;
            throw std::runtime_error("HTTP " + method + " " + target +
                                     " failed: " + (write_ec ? write_ec : read_ec).message());
        }
        if (!res.keep_alive()) {
            beast::error_code ignored;
            stream_.socket().close(ignored);
            connected_ = false;
        }
        co_return http_answer{res.result_int(), std::move(res.body())};
    }
    throw std::logic_error("unreachable");
}

}  // namespace mockroom::load
