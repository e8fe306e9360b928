#include "net/http_api.hpp"

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/file_body.hpp>
#include <nlohmann/json.hpp>

#include "net/static_files.hpp"
#include "protocol/codec.hpp"

namespace mockroom::net {
namespace {

namespace http = boost::beast::http;
using domain::error_code;
using nlohmann::json;

constexpr std::string_view security_policy =
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'";

template <class Body>
void add_common_headers(http::response<Body>& response) {
    response.set(http::field::server, "mockroom");
    response.set("X-Content-Type-Options", "nosniff");
    response.set("Referrer-Policy", "no-referrer");
}

string_response json_response(http::status status, const json& body, const http_request& request) {
    string_response response{status, request.version()};
    add_common_headers(response);
    response.set(http::field::content_type, "application/json");
    response.set(http::field::cache_control, "no-store");
    response.keep_alive(request.keep_alive());
    response.body() = body.dump(-1, ' ', false, json::error_handler_t::replace);
    response.prepare_payload();
    return response;
}

string_response error_response(http::status status, error_code code, std::string_view message,
                               const http_request& request) {
    return json_error(status, code, message, request.version(), request.keep_alive());
}

http::status status_for(error_code code) {
    switch (code) {
        case error_code::not_found:
            return http::status::not_found;
        case error_code::rate_limited:
            return http::status::too_many_requests;
        case error_code::too_large:
            return http::status::payload_too_large;
        case error_code::forbidden:
            return http::status::forbidden;
        case error_code::unauthorized:
            return http::status::unauthorized;
        case error_code::conflict:
            return http::status::conflict;
        case error_code::internal:
            return http::status::internal_server_error;
        case error_code::bad_request:
            return http::status::bad_request;
    }
    return http::status::internal_server_error;
}

bool is_plain_host(std::string_view host) {
    if (host.empty() || host.size() > 255) return false;
    return std::all_of(host.begin(), host.end(), [](char ch) {
        return std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '-' ||
               ch == ':' || ch == '[' || ch == ']';
    });
}

std::string link_base(const http_request& request, const server_state& state) {
    if (!state.public_url.empty()) return state.public_url;
    auto host = request[http::field::host];
    return is_plain_host(host) ? "http://" + std::string(host) : std::string{};
}

string_response list_banks(const http_request& request, const server_state& state) {
    json banks = json::array();
    for (const auto& b : state.rooms.banks()) {
        banks.push_back({{"id", b->id},
                         {"title", b->title},
                         {"description", b->description},
                         {"questions", b->questions.size()}});
    }
    return json_response(http::status::ok, {{"banks", std::move(banks)}}, request);
}

string_response create_room(const http_request& request, server_state& state,
                            const std::string& client_address) {
    auto parsed = protocol::parse_create_room(request.body(), state.bounds);
    if (auto* bad = std::get_if<protocol::protocol_error>(&parsed)) {
        return error_response(http::status::bad_request, bad->code, bad->message, request);
    }
    auto& body = std::get<protocol::create_room_request>(parsed);
    auto created = state.rooms.create(body.bank, std::move(body.title), std::move(body.timing),
                                      client_address);
    if (auto* failed = std::get_if<registry_error>(&created)) {
        return error_response(status_for(failed->code), failed->code, failed->message, request);
    }
    auto& room = std::get<created_room>(created);
    const std::string base = link_base(request, state) + "/room/" + room.host->id() + "#token=";
    auto bank = room.host->bank();
    json answer = {{"room", room.host->id()},
                   {"title", room.title},
                   {"bank", {{"id", bank->id}, {"title", bank->title}}},
                   {"tokens",
                    {{"interviewer", room.interviewer_token},
                     {"candidate", room.candidate_token},
                     {"observer", room.observer_token}}},
                   {"links",
                    {{"interviewer", base + room.interviewer_token},
                     {"candidate", base + room.candidate_token},
                     {"observer", base + room.observer_token}}}};
    return json_response(http::status::created, answer, request);
}

http::message_generator serve_file(const http_request& request, const server_state& state) {
    if (request.method() != http::verb::get && request.method() != http::verb::head) {
        return error_response(http::status::method_not_allowed, error_code::bad_request,
                              "only GET and HEAD are served here", request);
    }
    auto path = resolve_static_path(state.web_root, request.target());
    if (!path) {
        return error_response(http::status::bad_request, error_code::bad_request,
                              "that path is not allowed", request);
    }
    boost::beast::error_code ec;
    http::file_body::value_type file;
    if (std::filesystem::is_regular_file(*path, ec)) {
        file.open(path->c_str(), boost::beast::file_mode::scan, ec);
    } else {
        ec = boost::beast::errc::make_error_code(boost::beast::errc::no_such_file_or_directory);
    }
    if (ec) {
        return error_response(http::status::not_found, error_code::not_found, "no such file",
                              request);
    }
    const bool hashed_asset = request.target().starts_with("/assets/");
    const auto size = file.size();
    auto set_headers = [&](auto& response) {
        add_common_headers(response);
        response.set(http::field::content_type, content_type_for(*path));
        // Vite puts content hashes in asset names; everything else must be revalidated.
        response.set(http::field::cache_control,
                     hashed_asset ? "public, max-age=31536000, immutable" : "no-cache");
        response.set("Content-Security-Policy", security_policy);
        response.content_length(size);
        response.keep_alive(request.keep_alive());
    };
    if (request.method() == http::verb::head) {
        http::response<http::empty_body> response{http::status::ok, request.version()};
        set_headers(response);
        return response;
    }
    http::response<http::file_body> response{std::piecewise_construct,
                                             std::make_tuple(std::move(file)),
                                             std::make_tuple(http::status::ok, request.version())};
    set_headers(response);
    return response;
}

}  // namespace

string_response json_error(http::status status, error_code code, std::string_view message,
                           unsigned version, bool keep_alive) {
    string_response response{status, version};
    add_common_headers(response);
    response.set(http::field::content_type, "application/json");
    response.set(http::field::cache_control, "no-store");
    response.keep_alive(keep_alive);
    response.body() = protocol::http_error_body(code, message);
    response.prepare_payload();
    return response;
}

bool start_report(const http_request& request, server_state& state,
                  std::function<void(string_response)> respond) {
    std::string_view target = request.target();
    std::string_view path = target.substr(0, target.find('?'));
    constexpr std::string_view prefix = "/api/rooms/";
    constexpr std::string_view suffix = "/report";
    if (!path.starts_with(prefix) || !path.ends_with(suffix) ||
        path.size() <= prefix.size() + suffix.size()) {
        return false;
    }
    const std::string room_id(
        path.substr(prefix.size(), path.size() - prefix.size() - suffix.size()));
    if (request.method() != http::verb::get) {
        respond(error_response(http::status::method_not_allowed, error_code::bad_request, "use GET",
                               request));
        return true;
    }
    const std::string_view query =
        target.find('?') == std::string_view::npos ? "" : target.substr(target.find('?') + 1);
    protocol::report_format format = protocol::report_format::markdown;
    if (query == "format=json") {
        format = protocol::report_format::json;
    } else if (!query.empty() && query != "format=md") {
        respond(error_response(http::status::bad_request, error_code::bad_request,
                               "format is md or json", request));
        return true;
    }
    const auto authorization = request[http::field::authorization];
    constexpr std::string_view bearer = "Bearer ";
    if (!authorization.starts_with(bearer) || authorization.size() == bearer.size()) {
        respond(error_response(http::status::unauthorized, error_code::unauthorized,
                               "send the room link's token as Authorization: Bearer TOKEN",
                               request));
        return true;
    }
    auto room = state.rooms.find(room_id);
    const auto role = room ? room->authenticate(authorization.substr(bearer.size())) : std::nullopt;
    if (!role) {
        // The same answer for an unknown room and a wrong token: nothing to probe.
        respond(error_response(http::status::forbidden, error_code::forbidden,
                               "unknown room or invalid token", request));
        return true;
    }
    room->report(*role, format,
                 [respond = std::move(respond), version = request.version(),
                  keep_alive = request.keep_alive()](protocol::rendered_report report) {
                     string_response response{http::status::ok, version};
                     add_common_headers(response);
                     response.set(http::field::content_type, report.content_type);
                     response.set(http::field::cache_control, "no-store");
                     response.keep_alive(keep_alive);
                     response.body() = std::move(report.body);
                     response.prepare_payload();
                     respond(std::move(response));
                 });
    return true;
}

http::message_generator handle_http(http_request&& request, server_state& state,
                                    const std::string& client_address) {
    std::string_view target = request.target();
    std::string_view path = target.substr(0, target.find('?'));
    const auto method = request.method();

    if (path == "/healthz") {
        if (method != http::verb::get) {
            return error_response(http::status::method_not_allowed, error_code::bad_request,
                                  "use GET", request);
        }
        return json_response(http::status::ok, {{"status", "ok"}}, request);
    }
    if (path == "/api/banks") {
        if (method != http::verb::get) {
            return error_response(http::status::method_not_allowed, error_code::bad_request,
                                  "use GET", request);
        }
        return list_banks(request, state);
    }
    if (path == "/api/rooms") {
        if (method != http::verb::post) {
            return error_response(http::status::method_not_allowed, error_code::bad_request,
                                  "use POST", request);
        }
        return create_room(request, state, client_address);
    }
    if (path == "/api" || path.starts_with("/api/")) {
        return error_response(http::status::not_found, error_code::not_found,
                              "no API at " + std::string(path.substr(0, 200)), request);
    }
    return serve_file(request, state);
}

}  // namespace mockroom::net
