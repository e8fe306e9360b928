// The load generator's network clients: a WebSocket client (Beast, callbacks, one socket per
// participant) and the HTTP calls that set rooms up (keep-alive connections, coroutines).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace mockroom::load {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

class ws_client;

// What a WebSocket client reports to its owner, tagged with the owner's index for it.
class client_events {
  public:
    virtual void on_open(std::size_t tag, ws_client& client) = 0;
    virtual void on_frame(std::size_t tag, ws_client& client, std::string_view frame) = 0;
    // The socket failed to open, or closed (by the peer or an error) after opening.
    virtual void on_closed(std::size_t tag, ws_client& client, beast::error_code ec,
                           bool was_open) = 0;

  protected:
    ~client_events() = default;
};

class ws_client : public std::enable_shared_from_this<ws_client> {
  public:
    ws_client(asio::io_context& io, client_events& events, std::size_t tag);

    // Connects and upgrades to ws://host<path>; on_open or on_closed follows.
    void start(const tcp::endpoint& server, const std::string& host, const std::string& path);
    // Queues a text frame; frames go out in order, one write at a time.
    void send(std::string frame);
    // A polite close (going away); no callback follows.
    void close();

    bool is_open() const { return open_; }
    // The close frame the peer sent, if any (code 0 otherwise).
    beast::websocket::close_reason close_reason() const { return ws_.reason(); }
    std::size_t queued_frames() const { return outbox_.size(); }

  private:
    void read_next();
    void write_next();
    void fail(beast::error_code ec);

    // The io_context's own executor type, not the polymorphic any_io_executor: every read and
    // write of the hot path would otherwise copy one.
    using tcp_stream_type = beast::basic_stream<tcp, asio::io_context::executor_type>;
    beast::websocket::stream<tcp_stream_type> ws_;
    client_events& events_;
    std::size_t tag_;
    beast::flat_buffer inbox_;
    std::deque<std::string> outbox_;
    bool writing_ = false;
    bool open_ = false;
    bool detached_ = false;  // after close(): the owner has moved on
};

// One HTTP answer.
struct http_answer {
    unsigned status = 0;
    std::string body;
};

// A keep-alive HTTP/1.1 client connection for setup calls (room creation).
class http_connection {
  public:
    http_connection(asio::io_context& io, tcp::endpoint server, std::string host);
    // Connects on first use and again if the server closed the connection.
    asio::awaitable<http_answer> request(std::string method, std::string target, std::string body);

  private:
    beast::tcp_stream stream_;
    tcp::endpoint server_;
    std::string host_;
    beast::flat_buffer buffer_;
    bool connected_ = false;
};

}  // namespace mockroom::load
