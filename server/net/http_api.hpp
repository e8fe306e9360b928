// HTTP routing: the REST API under /api/, /healthz, and static files for everything else.
#pragma once

#include <boost/beast/http/message_generator.hpp>
#include <boost/beast/http/string_body.hpp>
#include <functional>

#include "net/server_state.hpp"

namespace mockroom::net {

using http_request = boost::beast::http::request<boost::beast::http::string_body>;

// `client_address` names the peer for rate limits; it is never logged.
boost::beast::http::message_generator handle_http(http_request&& request, server_state& state,
                                                  const std::string& client_address);

// GET /api/rooms/{id}/report?format=md|json with `Authorization: Bearer TOKEN`: the report is
// rendered on the room's executor, so the answer comes later, through `respond` (called once,
// on some thread). Returns false (and does nothing) for any other path.
using string_response = boost::beast::http::response<boost::beast::http::string_body>;
bool start_report(const http_request& request, server_state& state,
                  std::function<void(string_response)> respond);

// A JSON error in the one shape every API error has.
boost::beast::http::response<boost::beast::http::string_body> json_error(
    boost::beast::http::status status, domain::error_code code, std::string_view message,
    unsigned version, bool keep_alive);

}  // namespace mockroom::net
