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

#include "client_frames.hpp"

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

// Why a socket was closed by its peer: the close frame's code (0 without one) and reason.
struct close_info {
    std::uint16_t code = 0;
    std::string reason;
};

// A WebSocket client on the bare socket: Beast's stream cost the generator more than the
// server it measures (a composed operation and a handler per message), so that against
// mockroom it saturated its core from 300 rooms on. The HTTP upgrade is written and read here
// too. A read that does not fill the space left means the kernel had no more: the client then
// waits for readability (Asio re-arms the socket in epoll for such a wait, so data that came
// in between is not missed) instead of reading once more to find nothing.
class ws_client : public std::enable_shared_from_this<ws_client> {
  public:
    ws_client(asio::io_context& io, client_events& events, std::size_t tag);

    // Connects and upgrades to ws://host<path>; on_open or on_closed follows.
    void start(const tcp::endpoint& server, const std::string& host, const std::string& path);
    // Queues a text frame; frames go out in order.
    void send(std::string frame);
    // A polite close (going away); no callback follows.
    void close();

    bool is_open() const { return open_; }
    // The close frame the peer sent, if any (code 0 otherwise).
    const close_info& close_reason() const { return close_; }
    std::size_t queued_frames() const { return outbox_.size(); }

  private:
    void read_handshake();
    void read_ready();
    void wait_readable();
    // Reads the frames in the inbox; false when the socket is done.
    bool consume_frames();
    bool on_frame(const server_frame& frame);
    void queue_frame(ws_opcode opcode, std::string_view payload);
    void flush();
    void fail(beast::error_code ec);

    using socket_type = asio::basic_stream_socket<tcp, asio::io_context::executor_type>;
    socket_type socket_;
    client_events& events_;
    std::size_t tag_;
    std::vector<char> inbox_;
    std::size_t inbox_used_ = 0;
    std::string fragments_;           // a fragmented message so far
    std::deque<std::string> outbox_;  // whole frames; the first may be partly written
    std::size_t head_written_ = 0;
    std::string handshake_;  // the upgrade request while it is written
    close_info close_;
    std::uint32_t mask_state_;
    bool waiting_writable_ = false;
    bool open_ = false;
    bool close_sent_ = false;
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
