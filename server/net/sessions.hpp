// Entry points of the per-connection sessions (their classes stay in their .cpp files).
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <memory>

#include "net/server_state.hpp"

namespace mockroom::net {

// Serves HTTP on an accepted socket until it closes or upgrades to a WebSocket.
void start_http_session(boost::asio::ip::tcp::socket socket, server_state& state);

// Takes over a socket whose HTTP request asked for an upgrade on /ws.
void start_websocket_session(boost::beast::tcp_stream stream,
                             boost::beast::http::request<boost::beast::http::string_body> upgrade,
                             server_state& state);

}  // namespace mockroom::net
