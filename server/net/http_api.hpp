// HTTP routing: the REST API under /api/, /healthz, and static files for everything else.
#pragma once

#include <boost/beast/http/message_generator.hpp>
#include <boost/beast/http/string_body.hpp>

#include "net/server_state.hpp"

namespace mockroom::net {

using http_request = boost::beast::http::request<boost::beast::http::string_body>;

// `client_address` names the peer for rate limits; it is never logged.
boost::beast::http::message_generator handle_http(http_request&& request, server_state& state,
                                                  const std::string& client_address);

// A JSON error in the one shape every API error has.
boost::beast::http::response<boost::beast::http::string_body> json_error(
    boost::beast::http::status status, domain::error_code code, std::string_view message,
    unsigned version, bool keep_alive);

}  // namespace mockroom::net
