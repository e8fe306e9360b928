#include "net/server.hpp"

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <csignal>
#include <thread>

#include "net/server_state.hpp"
#include "net/sessions.hpp"
#include "store/event_store.hpp"

namespace mockroom::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

std::unique_ptr<store::event_store> open_store(const server_config& config,
                                               asio::io_context& context) {
    if (config.data_dir.empty()) return nullptr;
    try {
        store::store_options options;
        options.max_page_count = config.store_max_page_count;
        options.commit_interval = config.store_commit_interval;
        options.max_commit_interval = config.store_max_commit_interval;
        // One hand-over per commit; each room host's callback then posts to its room.
        options.run_callbacks = [&context](std::function<void()> call_all) {
            asio::post(context, std::move(call_all));
        };
        return std::make_unique<store::event_store>(config.data_dir, options);
    } catch (const std::exception& e) {
        throw startup_error(e.what());
    }
}

}  // namespace

// One io_context run by N threads. Every room and every socket has its own strand, so each is
// single-threaded without locks. (One context rather than one per thread: a handler on one
// context may own a socket of another, which makes an orderly shutdown impossible.)
struct server::impl {
    impl(server_config cfg, std::vector<std::shared_ptr<const domain::bank>> banks)
        : config(std::move(cfg)),
          thread_count(config.threads != 0 ? config.threads
                                           : std::max(1u, std::thread::hardware_concurrency())),
          context(static_cast<int>(thread_count)),
          store(open_store(config, context)),
          state(
              config.bounds, config.web_root, config.public_url, std::move(banks),
              [this](std::string_view) { return asio::make_strand(context); }, store.get()),
          acceptor(context) {}

    void accept_next() {
        acceptor.async_accept(
            asio::make_strand(context), [this](boost::system::error_code ec, tcp::socket socket) {
                if (ec == asio::error::operation_aborted || !acceptor.is_open()) {
                    return;
                }
                if (!ec) {
                    // Small frames are the whole traffic: never wait for Nagle.
                    socket.set_option(tcp::no_delay(true), ec);
                    start_http_session(std::move(socket), state);
                    return accept_next();
                }
                // Out of file descriptors and the like: the backlog stays
                // readable, so retrying at once would spin. Try again soon.
                accept_retry.expires_after(std::chrono::milliseconds(100));
                accept_retry.async_wait([this](boost::system::error_code wait_ec) {
                    if (!wait_ec) accept_next();
                });
            });
    }

    server_config config;
    unsigned thread_count;
    asio::io_context context;
    // Destroyed after the rooms (its last callbacks find them gone) and before the context (they
    // post to it).
    std::unique_ptr<store::event_store> store;
    server_state state;
    tcp::acceptor acceptor;
    asio::steady_timer accept_retry{context};  // after a failed accept (out of descriptors)
    std::uint16_t bound_port = 0;
    std::size_t rooms_loaded = 0;
    std::atomic<bool> stopped{false};
};

server::server(server_config config, std::vector<std::shared_ptr<const domain::bank>> banks)
    : impl_(std::make_unique<impl>(std::move(config), std::move(banks))) {}

server::~server() {
    stop();
}

void server::start() {
    try {
        impl_->rooms_loaded = impl_->state.rooms.load_stored_rooms();
    } catch (const std::exception& e) {
        throw startup_error("cannot restore the stored rooms: " + std::string(e.what()));
    }
    boost::system::error_code ec;
    auto address = asio::ip::make_address(impl_->config.host, ec);
    if (ec) throw startup_error("'" + impl_->config.host + "' is not an IP address");
    tcp::endpoint endpoint{address, impl_->config.port};
    auto& acceptor = impl_->acceptor;
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
        throw startup_error("cannot listen on " + impl_->config.host + ":" +
                            std::to_string(impl_->config.port) + ": " + ec.message());
    }
    impl_->bound_port = acceptor.local_endpoint().port();
    impl_->accept_next();
}

std::size_t server::rooms_loaded() const {
    return impl_->rooms_loaded;
}

std::uint16_t server::port() const {
    return impl_->bound_port;
}
const std::string& server::host() const {
    return impl_->config.host;
}

void server::stop_on_signals() {
    auto signals = std::make_shared<asio::signal_set>(impl_->context, SIGINT, SIGTERM);
    signals->async_wait([this, signals](boost::system::error_code ec, int) {
        if (!ec) stop();
    });
}

void server::run() {
    auto guard = asio::make_work_guard(impl_->context);
    std::vector<std::thread> threads;
    for (unsigned i = 1; i < impl_->thread_count; ++i) {
        threads.emplace_back([this] { impl_->context.run(); });
    }
    impl_->context.run();
    for (auto& t : threads) t.join();
}

void server::stop() {
    if (impl_->stopped.exchange(true)) return;
    // Pending operations are abandoned; sessions are destroyed with the context.
    impl_->context.stop();
}

}  // namespace mockroom::net
