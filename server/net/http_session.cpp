// One HTTP/1.1 connection: read a request (bounded), answer it, repeat; hand /ws upgrades over.
#include <boost/asio/dispatch.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <optional>

#include "net/http_api.hpp"
#include "net/sessions.hpp"

namespace mockroom::net {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;

class http_session : public std::enable_shared_from_this<http_session> {
  public:
    http_session(boost::asio::ip::tcp::socket socket, server_state& state)
        : stream_(std::move(socket)), state_(state) {}

    void run() {
        boost::asio::dispatch(
            stream_.get_executor(),
            beast::bind_front_handler(&http_session::read_request, shared_from_this()));
    }

  private:
    void read_request() {
        parser_.emplace();
        parser_->body_limit(state_.bounds.max_http_body_bytes);
        parser_->header_limit(static_cast<std::uint32_t>(state_.bounds.max_http_header_bytes));
        stream_.expires_after(state_.bounds.http_timeout);
        http::async_read(stream_, buffer_, *parser_,
                         beast::bind_front_handler(&http_session::on_read, shared_from_this()));
    }

    void on_read(beast::error_code ec, std::size_t) {
        if (ec == http::error::end_of_stream) return close();
        if (ec == http::error::body_limit) {
            return answer_and_close(http::status::payload_too_large, domain::error_code::too_large,
                                    "the request body is larger than " +
                                        std::to_string(state_.bounds.max_http_body_bytes) +
                                        " bytes");
        }
        if (ec == http::error::header_limit) {
            return answer_and_close(http::status::request_header_fields_too_large,
                                    domain::error_code::too_large, "the headers are too large");
        }
        if (ec.category() ==
            beast::error_code(http::error::end_of_stream).category()) {  // a parse error
            return answer_and_close(http::status::bad_request, domain::error_code::bad_request,
                                    "malformed HTTP request");
        }
        if (ec) return;  // timeout, reset: nothing to answer

        auto request = parser_->release();
        std::string_view target = request.target();
        if (target.substr(0, target.find('?')) == "/ws") {
            if (!beast::websocket::is_upgrade(request)) {
                return answer_and_close(http::status::upgrade_required,
                                        domain::error_code::bad_request,
                                        "/ws speaks WebSocket only");
            }
            stream_.expires_never();  // the WebSocket has its own timeouts
            return start_websocket_session(std::move(stream_), std::move(request), state_);
        }
        const bool report =
            start_report(request, state_, [self = shared_from_this()](string_response response) {
                // Rendered on the room's executor: write it from the session's.
                boost::asio::dispatch(self->stream_.get_executor(),
                                      [self, response = std::move(response)]() mutable {
                                          self->write(std::move(response));
                                      });
            });
        if (report) return;
        boost::system::error_code ec_address;
        const auto peer = stream_.socket().remote_endpoint(ec_address);
        write(handle_http(std::move(request), state_,
                          ec_address ? std::string() : peer.address().to_string()));
    }

    void write(http::message_generator&& message) {
        const bool keep_alive = message.keep_alive();
        beast::async_write(
            stream_, std::move(message),
            [self = shared_from_this(), keep_alive](beast::error_code ec, std::size_t) {
                if (ec) return;
                if (!keep_alive) return self->close();
                self->read_request();
            });
    }

    void answer_and_close(http::status status, domain::error_code code, std::string message) {
        write(json_error(status, code, message, 11, /*keep_alive=*/false));
    }

    void close() {
        beast::error_code ignored;
        stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
    }

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    server_state& state_;
};

}  // namespace

void start_http_session(boost::asio::ip::tcp::socket socket, server_state& state) {
    std::make_shared<http_session>(std::move(socket), state)->run();
}

}  // namespace mockroom::net
