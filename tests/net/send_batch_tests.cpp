// The send batch (server/net/send_batch.hpp) on real TCP sockets over loopback: with io_uring
// and without it, whole and partial sends, a peer that is gone, nested scopes.
#include <arpa/inet.h>
#include <fcntl.h>
#include <liburing.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "net/send_batch.hpp"

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using mockroom::net::batched_socket;
using mockroom::net::send_batch;
using mockroom::net::strand_type;

// Whether this kernel lets the process make a ring as the batch makes it (a sandbox may forbid
// io_uring; a kernel before 5.18 lacks IORING_SETUP_SUBMIT_ALL).
bool io_uring_available() {
    io_uring ring{};
    io_uring_params params{};
    params.flags = IORING_SETUP_SUBMIT_ALL;
    if (io_uring_queue_init_params(4, &ring, &params) != 0) return false;
    io_uring_queue_exit(&ring);
    return true;
}

// Takes the path with or without io_uring on this thread for one test, whatever it throws.
class io_uring_choice {
  public:
    explicit io_uring_choice(bool use) { send_batch::use_io_uring_on_this_thread(use); }
    ~io_uring_choice() { send_batch::use_io_uring_on_this_thread(true); }
    io_uring_choice(const io_uring_choice&) = delete;
    io_uring_choice& operator=(const io_uring_choice&) = delete;
};

// Catch2 2 has no SKIP: say so, and pass (on this project's machines the ring is available).
void skip_without_io_uring() {
    WARN("io_uring is not available to this process: not tested");
}

struct fd_owner {
    int fd = -1;
    explicit fd_owner(int f) : fd(f) {}
    fd_owner(const fd_owner&) = delete;
    fd_owner& operator=(const fd_owner&) = delete;
    ~fd_owner() {
        if (fd >= 0) ::close(fd);
    }
};

// A connected pair on 127.0.0.1: `sender` non-blocking, as the server's sockets are.
struct tcp_pair {
    std::unique_ptr<fd_owner> sender;
    std::unique_ptr<fd_owner> receiver;
};

tcp_pair connect_pair() {
    fd_owner listener(::socket(AF_INET, SOCK_STREAM, 0));
    REQUIRE(listener.fd >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    auto* raw = reinterpret_cast<sockaddr*>(&address);
    REQUIRE(::bind(listener.fd, raw, sizeof address) == 0);
    REQUIRE(::listen(listener.fd, 1) == 0);
    REQUIRE(::getsockname(listener.fd, raw, &length) == 0);
    auto sender = std::make_unique<fd_owner>(::socket(AF_INET, SOCK_STREAM, 0));
    REQUIRE(::connect(sender->fd, raw, sizeof address) == 0);
    auto receiver = std::make_unique<fd_owner>(::accept(listener.fd, nullptr, nullptr));
    REQUIRE(receiver->fd >= 0);
    REQUIRE(::fcntl(sender->fd, F_SETFL, ::fcntl(sender->fd, F_GETFL) | O_NONBLOCK) == 0);
    return {std::move(sender), std::move(receiver)};
}

// Reads until `bytes` arrived or the deadline passed.
std::string read_bytes(int fd, std::size_t bytes, std::chrono::milliseconds deadline = 5000ms) {
    std::string got;
    const auto give_up = std::chrono::steady_clock::now() + deadline;
    char chunk[65536];
    while (got.size() < bytes && std::chrono::steady_clock::now() < give_up) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0) continue;
        const ssize_t n = ::read(fd, chunk, sizeof chunk);
        if (n <= 0) break;
        got.append(chunk, static_cast<std::size_t>(n));
    }
    return got;
}

// A socket as the batch sees it, keeping what it was told: its frames wait in a queue, as a
// session's do.
class test_socket final : public batched_socket {
  public:
    explicit test_socket(int fd) : fd_(fd) {}

    std::deque<std::string> queue;
    std::size_t head_written = 0;
    std::vector<long> results;  // what batch_sent was told, in order
    int written_alone = 0;
    std::function<void()> on_sent;  // runs inside batch_sent

    int batch_descriptor() override { return fd_; }

    std::size_t batch_gather(std::span<iovec> out) override {
        std::size_t count = 0;
        for (std::size_t i = 0; i < queue.size() && count < out.size(); ++i) {
            const std::size_t skip = i == 0 ? head_written : 0;
            out[count++] = {queue[i].data() + skip, queue[i].size() - skip};
        }
        return count;
    }

    void batch_sent(long result) override {
        results.push_back(result);
        if (result > 0) take(static_cast<std::size_t>(result));
        if (on_sent) on_sent();
    }

    void batch_write_alone() override {
        ++written_alone;
        while (!queue.empty()) {
            const std::string& front = queue.front();
            const ssize_t n =
                ::send(fd_, front.data() + head_written, front.size() - head_written, MSG_NOSIGNAL);
            if (n <= 0) return;
            take(static_cast<std::size_t>(n));
        }
    }

    std::size_t unsent() const {
        std::size_t bytes = 0;
        for (const auto& frame : queue) bytes += frame.size();
        return bytes - head_written;
    }

  private:
    void take(std::size_t bytes) {
        while (bytes > 0 && !queue.empty()) {
            const std::size_t left = queue.front().size() - head_written;
            if (bytes < left) {
                head_written += bytes;
                return;
            }
            bytes -= left;
            queue.pop_front();
            head_written = 0;
        }
    }

    int fd_;
};

// `count` connected pairs, each sender seen by the batch as a test_socket.
struct socket_set {
    std::vector<tcp_pair> pairs;
    std::vector<std::shared_ptr<test_socket>> batched;
};

socket_set connect_sockets(std::size_t count) {
    socket_set set;
    for (std::size_t i = 0; i < count; ++i) {
        set.pairs.push_back(connect_pair());
        set.batched.push_back(std::make_shared<test_socket>(set.pairs.back().sender->fd));
    }
    return set;
}

// Runs `handler` on `strand` and waits for it.
template <class Handler>
void run_on(asio::io_context& io, const strand_type& strand, Handler handler) {
    asio::post(strand, std::move(handler));
    io.restart();
    io.run();
}

std::string frame_text(std::size_t socket, std::size_t frame) {
    return "socket " + std::to_string(socket) + " frame " + std::to_string(frame) + ";";
}

}  // namespace

TEST_CASE("send batch: every socket a handler wrote to gets its frames, in order") {
    const bool with_io_uring = GENERATE(true, false);
    if (with_io_uring && !io_uring_available()) return skip_without_io_uring();
    INFO("io_uring: " << with_io_uring);
    const io_uring_choice choice(with_io_uring);

    asio::io_context io;
    const strand_type strand = asio::make_strand(io);
    constexpr std::size_t sockets = 40;
    auto [pairs, batched] = connect_sockets(sockets);
    const auto before = send_batch::thread_counters();
    run_on(io, strand, [&] {
        const send_batch::scope scope(strand);
        send_batch* batch = send_batch::open_for(strand);
        REQUIRE(batch != nullptr);
        // Frames arrive for the sockets interleaved, as a room's fan-outs do.
        for (std::size_t frame = 0; frame < 3; ++frame) {
            for (std::size_t i = 0; i < sockets; ++i) {
                batched[i]->queue.push_back(frame_text(i, frame));
                if (frame == 0) batch->add(batched[i]);
            }
        }
        // Nothing is written before the handler ends.
        for (auto& socket : batched) CHECK(socket->unsent() > 0);
    });
    const auto after = send_batch::thread_counters();
    for (std::size_t i = 0; i < sockets; ++i) {
        const std::string expected = frame_text(i, 0) + frame_text(i, 1) + frame_text(i, 2);
        CHECK(read_bytes(pairs[i].receiver->fd, expected.size()) == expected);
        CHECK(batched[i]->unsent() == 0);
    }
    if (with_io_uring) {
        CHECK(after.batches == before.batches + 1);
        CHECK(after.sockets_batched == before.sockets_batched + sockets);
        for (auto& socket : batched) CHECK(socket->results.size() == 1);
        CHECK(after.written_alone == before.written_alone);
    } else {
        CHECK(after.batches == before.batches);
        CHECK(after.written_alone == before.written_alone + sockets);
    }
}

TEST_CASE("send batch: more sockets than a ring holds go in several submissions") {
    if (!io_uring_available()) return skip_without_io_uring();
    asio::io_context io;
    const strand_type strand = asio::make_strand(io);
    // The ring takes 256 requests at a time. (300 pairs are 600 descriptors: under the usual soft
    // limit of 1,024.)
    constexpr std::size_t sockets = 300;
    auto [pairs, batched] = connect_sockets(sockets);
    run_on(io, strand, [&] {
        const send_batch::scope scope(strand);
        for (std::size_t i = 0; i < sockets; ++i) {
            batched[i]->queue.push_back(frame_text(i, 0));
            send_batch::open_for(strand)->add(batched[i]);
        }
    });
    for (std::size_t i = 0; i < sockets; ++i) {
        CHECK(read_bytes(pairs[i].receiver->fd, frame_text(i, 0).size()) == frame_text(i, 0));
        REQUIRE(batched[i]->results.size() == 1);
        CHECK(batched[i]->results[0] == static_cast<long>(frame_text(i, 0).size()));
    }
}

TEST_CASE("send batch: a full send buffer takes part of a frame; the rest is the socket's") {
    if (!io_uring_available()) return skip_without_io_uring();
    asio::io_context io;
    const strand_type strand = asio::make_strand(io);
    auto slow = connect_pair();  // nobody reads it yet
    auto quick = connect_pair();
    auto slow_socket = std::make_shared<test_socket>(slow.sender->fd);
    auto quick_socket = std::make_shared<test_socket>(quick.sender->fd);
    // Far more than the buffers of a loopback connection hold (4 MB to send, 6 MB to receive).
    const std::string big(32 << 20, 'x');
    run_on(io, strand, [&] {
        const send_batch::scope scope(strand);
        slow_socket->queue.push_back(big);
        quick_socket->queue.push_back("hello");
        send_batch::open_for(strand)->add(slow_socket);
        send_batch::open_for(strand)->add(quick_socket);
    });
    REQUIRE(slow_socket->results.size() == 1);
    CHECK(slow_socket->results[0] > 0);
    CHECK(slow_socket->results[0] < static_cast<long>(big.size()));
    CHECK(slow_socket->unsent() == big.size() - static_cast<std::size_t>(slow_socket->results[0]));
    CHECK(read_bytes(quick.receiver->fd, 5) == "hello");

    // More batches while nobody reads: the buffer fills, and then the kernel takes nothing
    // (it may take a little more first, as the peer's window opens).
    bool refused = false;
    for (int round = 0; round < 100 && !refused; ++round) {
        run_on(io, strand, [&] {
            const send_batch::scope scope(strand);
            send_batch::open_for(strand)->add(slow_socket);
            quick_socket->queue.push_back("again");
            send_batch::open_for(strand)->add(quick_socket);
        });
        const long result = slow_socket->results.back();
        refused = result == -EAGAIN;
        if (!refused) CHECK(result > 0);
        CHECK(read_bytes(quick.receiver->fd, 5) == "again");
    }
    CHECK(refused);
    // Every byte arrives once the peer reads, in order, and none twice.
    std::string got;
    const auto give_up = std::chrono::steady_clock::now() + 10s;
    while (got.size() < big.size() && std::chrono::steady_clock::now() < give_up) {
        slow_socket->batch_write_alone();
        got += read_bytes(slow.receiver->fd, 1, 50ms);
    }
    CHECK(got.size() == big.size());
    CHECK(got == big);
}

TEST_CASE("send batch: a socket whose peer is gone hears its error; the others still send") {
    if (!io_uring_available()) return skip_without_io_uring();
    asio::io_context io;
    const strand_type strand = asio::make_strand(io);
    auto gone = connect_pair();
    auto alive = connect_pair();
    // The peer resets the connection: a write after that fails.
    linger reset{1, 0};
    ::setsockopt(gone.receiver->fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    ::close(gone.receiver->fd);
    gone.receiver->fd = -1;
    auto gone_socket = std::make_shared<test_socket>(gone.sender->fd);
    auto alive_socket = std::make_shared<test_socket>(alive.sender->fd);
    // Wait (with a deadline) for the reset to reach the sender's socket.
    const auto give_up = std::chrono::steady_clock::now() + 5s;
    pollfd p{gone.sender->fd, POLLIN, 0};
    while (::poll(&p, 1, 50) == 0 && std::chrono::steady_clock::now() < give_up) {
    }
    run_on(io, strand, [&] {
        const send_batch::scope scope(strand);
        gone_socket->queue.push_back("lost");
        alive_socket->queue.push_back("kept");
        send_batch::open_for(strand)->add(gone_socket);
        send_batch::open_for(strand)->add(alive_socket);
    });
    REQUIRE(gone_socket->results.size() == 1);
    CHECK((gone_socket->results[0] == -ECONNRESET || gone_socket->results[0] == -EPIPE));
    CHECK(read_bytes(alive.receiver->fd, 4) == "kept");
}

TEST_CASE("send batch: nested scopes send once, at the outermost; other strands write at once") {
    asio::io_context io;
    const strand_type strand = asio::make_strand(io);
    const strand_type other = asio::make_strand(io);
    auto a = connect_pair();
    auto b = connect_pair();
    auto a_socket = std::make_shared<test_socket>(a.sender->fd);
    auto b_socket = std::make_shared<test_socket>(b.sender->fd);
    CHECK(send_batch::open_for(strand) == nullptr);  // no handler, no batch
    run_on(io, strand, [&] {
        const send_batch::scope outer(strand);
        CHECK(send_batch::open_for(other) == nullptr);  // only the strand it was opened for
        {
            const send_batch::scope inner(strand);
            a_socket->queue.push_back("a");
            send_batch::open_for(strand)->add(a_socket);
        }
        CHECK(a_socket->unsent() == 1);  // the inner scope's end sent nothing
        b_socket->queue.push_back("b");
        send_batch::open_for(strand)->add(b_socket);
    });
    CHECK(send_batch::open_for(strand) == nullptr);
    CHECK(read_bytes(a.receiver->fd, 1) == "a");
    CHECK(read_bytes(b.receiver->fd, 1) == "b");
}

TEST_CASE("send batch: while a batch is sent none is open; a write made then goes straight out") {
    if (!io_uring_available()) return skip_without_io_uring();  // batch_sent runs only with it
    asio::io_context io;
    const strand_type strand = asio::make_strand(io);
    auto a = connect_pair();
    auto b = connect_pair();
    auto c = connect_pair();
    auto a_socket = std::make_shared<test_socket>(a.sender->fd);
    auto b_socket = std::make_shared<test_socket>(b.sender->fd);
    auto c_socket = std::make_shared<test_socket>(c.sender->fd);
    int calls = 0;
    a_socket->on_sent = [&] {
        ++calls;
        CHECK(send_batch::open_for(strand) == nullptr);
        const send_batch::scope again(strand);  // opens nothing while the batch is sent
        CHECK(send_batch::open_for(strand) == nullptr);
        // So a socket written now writes on its own, at once, as without a batch.
        c_socket->queue.push_back("c");
        c_socket->batch_write_alone();
        CHECK(c_socket->unsent() == 0);
    };
    run_on(io, strand, [&] {
        const send_batch::scope scope(strand);
        a_socket->queue.push_back("a");
        b_socket->queue.push_back("b");
        send_batch::open_for(strand)->add(a_socket);
        send_batch::open_for(strand)->add(b_socket);
    });
    CHECK(calls == 1);
    CHECK(read_bytes(a.receiver->fd, 1) == "a");
    CHECK(read_bytes(b.receiver->fd, 1) == "b");
    CHECK(read_bytes(c.receiver->fd, 1) == "c");
}
