#include "loopback.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <catch2/catch.hpp>
#include <deque>
#include <fstream>
#include <random>

namespace mockroom::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

std::shared_ptr<const domain::bank> seed_bank() {
    static const auto bank = [] {
        auto path =
            std::filesystem::path(MOCKROOM_SOURCE_DIR) / "shared/questions/python-developer.txt";
        auto parsed = domain::parse_bank_text(read_file(path), path.string());
        REQUIRE(std::holds_alternative<domain::bank>(parsed));
        return std::make_shared<const domain::bank>(std::get<domain::bank>(parsed));
    }();
    return bank;
}

std::shared_ptr<const domain::bank> canary_bank() {
    domain::bank b;
    b.id = "canary";
    b.title = "Canary";
    for (int n = 1; n <= 3; ++n) {
        domain::question q;
        q.number = n;
        q.id = "q" + std::to_string(n);
        q.level = domain::difficulty::hard;
        q.text = "Canary question " + std::to_string(n);
        q.sample_answer = std::string("Answer ") + std::to_string(n) + " " + canary;
        b.questions.push_back(q);
    }
    return std::make_shared<const domain::bank>(std::move(b));
}

std::filesystem::path fresh_temp_dir() {
    std::random_device random;
    auto dir = std::filesystem::temp_directory_path() /
               ("mockroom-test-" + std::to_string(random()) + std::to_string(random()));
    std::filesystem::create_directories(dir);
    return dir;
}

running_server::running_server(limits bounds,
                               std::vector<std::shared_ptr<const domain::bank>> banks,
                               std::filesystem::path data_dir, std::int64_t max_pages)
    : web_root_(fresh_temp_dir()), data_dir_(std::move(data_dir)) {
    if (data_dir_.empty()) {
        data_dir_ = fresh_temp_dir();
        owns_data_dir_ = true;
    }
    std::ofstream(web_root_ / "index.html") << "<!doctype html><title>mockroom test</title>";
    std::filesystem::create_directories(web_root_ / "assets");
    std::ofstream(web_root_ / "assets" / "app-1234.js") << "console.log('hi')";
    if (banks.empty()) banks = {seed_bank(), canary_bank()};
    net::server_config config;
    config.host = "127.0.0.1";
    config.port = 0;
    config.threads = 2;
    config.web_root = std::filesystem::canonical(web_root_);
    config.bounds = bounds;
    config.data_dir = data_dir_;
    config.store_max_page_count = max_pages;
    server_ = std::make_unique<net::server>(config, std::move(banks));
    server_->start();
    thread_ = std::thread([this] { server_->run(); });
}

running_server::~running_server() {
    server_->stop();
    thread_.join();
    server_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(web_root_, ignored);
    if (owns_data_dir_) std::filesystem::remove_all(data_dir_, ignored);
}

// ---- HTTP -----------------------------------------------------------------------------

namespace {

http_answer exchange(std::uint16_t port, const std::function<void(beast::tcp_stream&)>& write) {
    asio::io_context ioc;
    beast::tcp_stream stream(ioc);
    stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    write(stream);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(16 * 1024 * 1024);
    beast::error_code read_ec;
    stream.expires_after(default_deadline);
    http::async_read(stream, buffer, parser,
                     [&](beast::error_code ec, std::size_t) { read_ec = ec; });
    ioc.run();
    INFO("HTTP read: " << read_ec.message());
    REQUIRE(!read_ec);
    auto response = parser.release();
    return {response.result_int(), response.body(),
            std::string(response[http::field::content_type])};
}

}  // namespace

http_answer http_request(std::uint16_t port, const std::string& method, const std::string& target,
                         const std::string& body) {
    return exchange(port, [&](beast::tcp_stream& stream) {
        http::request<http::string_body> request{http::string_to_verb(method), target, 11};
        request.set(http::field::host, "127.0.0.1:" + std::to_string(port));
        if (!body.empty()) request.set(http::field::content_type, "application/json");
        request.body() = body;
        request.prepare_payload();
        http::write(stream, request);
    });
}

http_answer http_raw(std::uint16_t port, const std::string& raw_request) {
    return exchange(
        port, [&](beast::tcp_stream& stream) { asio::write(stream, asio::buffer(raw_request)); });
}

created_room create_room(std::uint16_t port, const std::string& bank) {
    auto answer = http_request(port, "POST", "/api/rooms", json{{"bank", bank}}.dump());
    REQUIRE(answer.status == 201);
    auto body = answer.body_json();
    return {body["room"], body["tokens"]["interviewer"], body["tokens"]["candidate"],
            body["tokens"]["observer"], body};
}

// ---- WebSocket ------------------------------------------------------------------------

// One read is always outstanding; frames land in `inbox`. The context runs only inside calls,
// until the awaited thing happens or the deadline passes.
struct ws_client::impl {
    asio::io_context ioc;
    websocket::stream<beast::tcp_stream> ws{ioc};
    beast::flat_buffer buffer;
    bool reading = false;
    std::deque<std::string> inbox;
    std::optional<int> close_code;  // set once the socket is closed (0: without a close frame)
    std::string received_bytes;     // every frame ever received, for redaction checks
    std::string close_error;        // why the socket ended

    void start_read() {
        if (reading || close_code) return;
        reading = true;
        ws.async_read(buffer, [this](beast::error_code ec, std::size_t) {
            reading = false;
            if (ec) {
                // The close frame may arrive just before a reset (the server closing with our
                // unread bytes in its buffer): its code counts whatever the read reports.
                close_code = static_cast<int>(ws.reason().code);
                close_error = ec.message();
            } else {
                inbox.push_back(beast::buffers_to_string(buffer.data()));
                received_bytes += inbox.back();
                received_bytes += '\n';
                buffer.consume(buffer.size());
            }
            ioc.stop();
        });
    }

    void run_until(const std::function<bool()>& done, std::chrono::milliseconds deadline) {
        auto until = std::chrono::steady_clock::now() + deadline;
        while (!done() && std::chrono::steady_clock::now() < until) {
            start_read();
            ioc.restart();
            ioc.run_until(until);
        }
    }
};

ws_client::ws_client(std::uint16_t port) : impl_(std::make_unique<impl>()) {
    beast::get_lowest_layer(impl_->ws).connect(
        tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    beast::get_lowest_layer(impl_->ws).socket().set_option(tcp::no_delay(true));
    impl_->ws.handshake("127.0.0.1:" + std::to_string(port), "/ws");
    impl_->ws.read_message_max(16 * 1024 * 1024);
}

ws_client::~ws_client() = default;

const std::string& ws_client::all_bytes() const {
    return impl_->received_bytes;
}

void ws_client::send_text(const std::string& text) {
    bool done = false;
    beast::error_code write_ec;
    impl_->ws.text(true);
    impl_->ws.async_write(asio::buffer(text), [&](beast::error_code ec, std::size_t) {
        write_ec = ec;
        done = true;
        impl_->ioc.stop();
    });
    impl_->run_until([&] { return done; }, default_deadline);
    REQUIRE(done);
    REQUIRE(!write_ec);
}

void ws_client::send(const json& message) {
    send_text(message.dump());
}

std::optional<std::string> ws_client::next_frame(std::chrono::milliseconds deadline) {
    impl_->run_until([&] { return !impl_->inbox.empty() || impl_->close_code.has_value(); },
                     deadline);
    if (impl_->inbox.empty()) return std::nullopt;
    std::string frame = std::move(impl_->inbox.front());
    impl_->inbox.pop_front();
    return frame;
}

std::optional<json> ws_client::next(std::chrono::milliseconds deadline) {
    auto received = next_frame(deadline);
    if (!received) return std::nullopt;
    const std::string& frame = *received;
    auto parsed = json::parse(frame, nullptr, false);
    INFO("frame: " << frame);
    REQUIRE(!parsed.is_discarded());
    return parsed;
}

json ws_client::expect(const std::string& type, std::chrono::milliseconds deadline) {
    auto until = std::chrono::steady_clock::now() + deadline;
    std::vector<std::string> skipped;
    while (true) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            until - std::chrono::steady_clock::now());
        auto message = next(std::max(left, std::chrono::milliseconds(0)));
        if (!message) {
            std::string seen;
            for (auto& s : skipped) seen += s + "\n";
            FAIL("no '" << type << "' message before the deadline; saw:\n" << seen);
        }
        if ((*message)["type"] == type) return *message;
        skipped.push_back(message->dump());
    }
}

json ws_client::join(const std::string& room, const std::string& token, const std::string& name,
                     const std::string& client_id) {
    send({{"type", "hello"},
          {"room", room},
          {"token", token},
          {"name", name},
          {"client", client_id}});
    auto welcome = next();
    REQUIRE(welcome.has_value());
    INFO("answer to hello: " << welcome->dump());
    REQUIRE((*welcome)["type"] == "welcome");
    return *welcome;
}

int ws_client::wait_for_close(std::chrono::milliseconds deadline) {
    auto until = std::chrono::steady_clock::now() + deadline;
    while (!impl_->close_code && std::chrono::steady_clock::now() < until) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            until - std::chrono::steady_clock::now());
        next(std::max(left, std::chrono::milliseconds(0)));
    }
    INFO("socket ended: " << impl_->close_error);
    CHECK(impl_->close_code.value_or(0) != 0);
    return impl_->close_code.value_or(0);
}

}  // namespace mockroom::test
