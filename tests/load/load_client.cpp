#include "load_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <stdexcept>

namespace mockroom::load {

namespace http = beast::http;
namespace websocket = beast::websocket;

namespace {
// Past the largest frame seen once (an interviewer's welcome holds the bank), a socket's read
// buffer is given back, so 15,000 idle sockets do not each keep one.
constexpr std::size_t kept_read_buffer_bytes = 16 * 1024;
}  // namespace

ws_client::ws_client(asio::io_context& io, client_events& events, std::size_t tag)
    : ws_(io.get_executor()), events_(events), tag_(tag) {}

void ws_client::start(const tcp::endpoint& server, const std::string& host,
                      const std::string& path) {
    auto self = shared_from_this();
    beast::get_lowest_layer(ws_).async_connect(server, [self, host, path](beast::error_code ec) {
        if (ec) return self->fail(ec);
        auto& socket = beast::get_lowest_layer(self->ws_).socket();
        socket.set_option(tcp::no_delay(true), ec);  // small frames: latency over batching
        self->ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
        self->ws_.read_message_max(16 * 1024 * 1024);
        self->ws_.auto_fragment(false);
        self->ws_.async_handshake(host, path, [self](beast::error_code handshake_ec) {
            if (handshake_ec) return self->fail(handshake_ec);
            self->open_ = true;
            self->ws_.text(true);
            if (self->detached_) return;
            self->events_.on_open(self->tag_, *self);
            self->read_next();
            self->write_next();  // frames queued from on_open
        });
    });
}

void ws_client::read_next() {
    ws_.async_read(inbox_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
        if (ec) return self->fail(ec);
        if (!self->detached_) {
            const auto data = self->inbox_.cdata();
            self->events_.on_frame(
                self->tag_, *self,
                std::string_view(static_cast<const char*>(data.data()), data.size()));
        }
        self->inbox_.consume(self->inbox_.size());
        if (self->inbox_.capacity() > kept_read_buffer_bytes) self->inbox_.shrink_to_fit();
        if (!self->detached_) self->read_next();
    });
}

void ws_client::send(std::string frame) {
    if (detached_) return;
    outbox_.push_back(std::move(frame));
    if (open_) write_next();
}

void ws_client::write_next() {
    if (writing_ || outbox_.empty() || !open_) return;
    writing_ = true;
    ws_.async_write(asio::buffer(outbox_.front()),
                    [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        self->writing_ = false;
                        if (ec) return self->fail(ec);
                        self->outbox_.pop_front();
                        self->write_next();
                    });
}

void ws_client::close() {
    if (detached_) return;
    detached_ = true;
    outbox_.clear();
    if (!open_) {
        beast::error_code ignored;
        beast::get_lowest_layer(ws_).socket().close(ignored);
        return;
    }
    if (writing_) {
        // A close frame may not overlap a write: drop the TCP connection instead.
        beast::get_lowest_layer(ws_).close();
        open_ = false;
        return;
    }
    open_ = false;
    ws_.async_close(websocket::close_code::going_away,
                    [self = shared_from_this()](beast::error_code) {});
}

void ws_client::fail(beast::error_code ec) {
    const bool was_open = open_;
    open_ = false;
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
