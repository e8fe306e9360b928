// One WebSocket. Beast answers the HTTP upgrade; from then on the session speaks RFC 6455
// frames itself (ws_frames.hpp) on the bare socket:
// - reads go into a small inline buffer (one read per wake-up, no extra system call for the
//   usual small message), a burst is drained into a buffer shared by the thread, and only the
//   bytes of an unfinished frame are kept between reads;
// - writes go straight to the non-blocking socket from the caller's handler (no posted write
//   handler per frame); frames wait in the queue only while the kernel's send buffer is full,
//   and then go out together in one gathered write;
// - one timer per socket, re-armed only when it fires: the hello deadline, then keep-alive
//   pings, then the close handshake (never a timer per read or write).
// After hello the session moves onto its room's strand, so a room writes to its sockets
// directly instead of posting a handler per delivery.
#include <unistd.h>
#include <array>
#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <chrono>
#include <cstdio>
#include <span>
#include <vector>

#include "domain/rate_limit.hpp"
#include "net/room_host.hpp"
#include "net/send_batch.hpp"
#include "net/server_clock.hpp"
#include "net/sessions.hpp"
#include "net/ws_frames.hpp"
#include "protocol/codec.hpp"

namespace mockroom::net {
namespace {

namespace beast = boost::beast;
namespace asio = boost::asio;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
// Typed on the context's executor rather than any_io_executor: 40 bytes less each, per socket.
using lean_socket = asio::basic_stream_socket<tcp, asio::io_context::executor_type>;
using lean_timer = asio::basic_waitable_timer<std::chrono::steady_clock,
                                              asio::wait_traits<std::chrono::steady_clock>,
                                              asio::io_context::executor_type>;

// Closing is routine (peer left, server stopping); anything else is worth a line on stderr.
bool is_routine(error_code ec) {
    return ec == asio::error::operation_aborted || ec == asio::error::eof ||
           ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
           ec == asio::error::timed_out;
}

// Where a burst is drained after the inline buffer filled: shared by every session of a thread
// (a session never holds a read buffer of its own between reads).
constexpr std::size_t drain_chunk_bytes = 64 * 1024;
std::span<char> drain_chunk() {
    thread_local std::array<char, drain_chunk_bytes> chunk;
    return chunk;
}

// Allocates an operation at exactly its size with operator new. (Asio treats std::allocator as
// "no preference" and recycles blocks, so a distinct type is needed.)
template <class T>
struct exact_allocator {
    using value_type = T;
    exact_allocator() = default;
    template <class U>
    exact_allocator(const exact_allocator<U>&) noexcept {}
    T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T))); }
    void deallocate(T* p, std::size_t) noexcept { ::operator delete(p); }
    template <class U>
    bool operator==(const exact_allocator<U>&) const noexcept {
        return true;
    }
};

class websocket_session final : public connection,
                                public batched_socket,
                                public std::enable_shared_from_this<websocket_session> {
  public:
    websocket_session(lean_socket socket, strand_type executor, server_state& state)
        : socket_(std::move(socket)),
          executor_(std::move(executor)),
          state_(state),
          id_(state.next_connection_id.fetch_add(1)),
          reader_(state.bounds.max_message_bytes),
          timer_(std::make_unique<lean_timer>(executor_.get_inner_executor())) {}

    void start() {
        error_code ec;
        socket_.non_blocking(true, ec);  // writes go straight to the kernel, never block
        if (ec) return end(ec);
        arm_timer(state_.bounds.hello_timeout);
        read_more();
    }

    domain::connection_id id() const override { return id_; }

    // From the room: on its strand (the session's, after hello) the frame is written at once;
    // from anywhere else it is handed over.
    void send(shared_message frame) override {
        run_on_session([self = shared_from_this(), frame = std::move(frame)]() mutable {
            self->enqueue(std::move(frame));
        });
    }

    void close_after_flush(std::uint16_t code, std::string reason) override {
        run_on_session([self = shared_from_this(), code, reason = std::move(reason)] {
            self->begin_close(code, reason);
        });
    }

  private:
    // Runs `work` now when the caller is on the session's strand, else posts it there (and
    // checks again when it runs: the session may have moved to its room's strand meanwhile).
    template <class Work>
    void run_on_session(Work work) {
        if (executor_.running_in_this_thread()) return work();
        asio::post(executor_, [self = shared_from_this(), work = std::move(work)]() mutable {
            self->run_on_session(std::move(work));
        });
    }

    // A completion handler bound to the session's strand as it is now. The session moves to
    // its room's strand at hello; a handler armed before that and completing after it runs
    // there instead (executor_ is written once, on the old strand, before anyone else sees the
    // session, so reading it here is safe).
    template <auto Step>
    auto on_strand() {
        return on_strand_with<Step>(Step);
    }
    // The step is a template argument, not a member of the handler: 16 bytes less per pending
    // operation.
    template <auto Step, class... Args>
    auto on_strand_with(void (websocket_session::*)(Args...)) {
        // The operation allocated at exactly its size: Asio's recycling allocator would
        // park a small read or timer wait, pending for as long as the socket is idle, in a
        // larger block cached from an earlier operation (about 400 bytes per idle socket).
        return asio::bind_allocator(
            exact_allocator<void>(),
            asio::bind_executor(executor_, [self = shared_from_this(),
                                            armed_on = executor_](Args... args) {
                if (armed_on != self->executor_) {
                    asio::post(self->executor_, [self, args...] { (self.get()->*Step)(args...); });
                    return;
                }
                (self.get()->*Step)(args...);
            }));
    }

    // ---- reading ----

    void read_more() {
        socket_.async_read_some(asio::buffer(inbox_), on_strand<&websocket_session::on_read>());
    }

    void on_read(error_code ec, std::size_t bytes) {
        if (gone_) return;
        if (ec) return end(ec);
        bool reading_on = false;
        {
            // What these messages send (a room's fan-out, the author's echo) goes out together,
            // and before a move to the room's strand is posted: from then on that strand may
            // touch this session's queue.
            const send_batch::scope batch(executor_);
            reading_on = read_frames(bytes);
        }
        if (!reading_on) return after_reading_stopped();
        read_more();
    }

    // The frames of `bytes` just read, then more if the inline buffer filled. False when reading
    // stops here.
    bool read_frames(std::size_t bytes) {
        if (!consume({inbox_.data(), bytes})) return false;
        // The inline buffer filled: more is likely waiting. Drain it (bounded, so one busy
        // socket does not starve the others) before waiting again.
        bool more = bytes == inbox_.size();
        for (int round = 0; more && round < 4; ++round) {
            const auto chunk = drain_chunk();
            error_code ec;
            bytes = socket_.read_some(asio::buffer(chunk.data(), chunk.size()), ec);
            if (ec == asio::error::would_block) break;
            if (ec) {
                end(ec);
                return false;
            }
            if (!consume(chunk.first(bytes))) return false;
            more = bytes == chunk.size();
        }
        return true;
    }

    // Once this handler is done with the session's state: a session moving to its room's
    // strand goes on there (posting earlier would let both strands touch it at once).
    void after_reading_stopped() {
        if (!moving_) return;
        asio::post(executor_, [self = shared_from_this()] { self->settle_on_room_strand(); });
    }

    // Reads the frames in `bytes`. False when reading stops here: the socket is done, or the
    // session is moving to its room's strand (the rest is kept and read there).
    bool consume(std::span<char> bytes) {
        received_ = true;
        if (discarding_) return !gone_;
        auto broken = reader_.feed(bytes, [this](const ws::frame_event& e) { return on_frame(e); });
        if (broken) {
            // A broken stream: send the close, stop sending, and read (discarding) until the
            // peer closes. Closing with unread input would reset the connection, and the peer
            // could lose the close frame that says why.
            discarding_ = true;
            begin_close(broken->close_code, broken->reason);
            return !gone_;
        }
        return !gone_ && !moving_ && !close_received_;
    }

    bool on_frame(const ws::frame_event& e) {
        if (gone_) return false;
        using kind = ws::frame_event::kind;
        switch (e.what) {
            case kind::text:
            case kind::binary:
                if (!close_sent_) on_message(e);
                break;
            case kind::ping:
                queue_pong(e.payload);
                break;
            case kind::pong:
                break;  // `received_` is enough: the peer is alive
            case kind::close:
                close_received_ = true;
                if (!close_sent_) {
                    // Answer with the same code (RFC 6455 5.5.1), then end once it is written.
                    queue_close(e.close_code == ws::close_code::none_given
                                    ? ws::encode_frame(ws::opcode::close, "")
                                    : ws::encode_close(e.close_code, ""));
                } else if (close_written_) {
                    end({});
                }
                return false;  // nothing may follow a close
        }
        return !gone_ && !moving_;
    }

    void on_message(const ws::frame_event& e) {
        const std::int64_t received_at = server_clock::now();
        const double rate = state_.bounds.messages_per_second;
        if (!message_budget_.take(received_at, rate, 2 * rate)) {
            return send_error(domain::error_code::rate_limited, "too many messages; slow down", "");
        }
        if (e.what != ws::frame_event::kind::text) {
            return send_error(domain::error_code::bad_request, "send JSON in text frames", "");
        }
        handle_text(e.payload, received_at);
    }

    void handle_text(std::string_view text, std::int64_t received_at) {
        auto parsed = protocol::parse_client_message(text, state_.bounds);
        if (auto* bad = std::get_if<protocol::protocol_error>(&parsed)) {
            return send_error(bad->code, bad->message, bad->ref);
        }
        auto& message = std::get<protocol::parsed_message>(parsed);
        std::visit(
            [&](auto& m) {
                using type = std::decay_t<decltype(m)>;
                if constexpr (std::is_same_v<type, protocol::hello>) {
                    on_hello(std::move(m), message.ref);
                } else if constexpr (std::is_same_v<type, protocol::ping>) {
                    enqueue(ws::shared_text_frame(
                        protocol::encode_pong(m.id, m.t0, received_at, server_clock::now())));
                } else {
                    if (!room_) {
                        return send_error(domain::error_code::bad_request, "say hello first",
                                          message.ref);
                    }
                    room_->command(id_, std::move(m), std::move(message.ref));
                }
            },
            message.message);
    }

    void on_hello(protocol::hello hello, const std::string& ref) {
        if (room_) return send_error(domain::error_code::bad_request, "already joined", ref);
        auto room = state_.rooms.find(hello.room);
        auto role = room ? room->authenticate(hello.token) : std::nullopt;
        if (!role) {
            send_error(domain::error_code::unauthorized, "unknown room or invalid link", ref);
            return begin_close(ws::close_code::policy_error, "unauthorized");
        }
        room_ = std::move(room);
        const auto* room_strand = room_->executor().target<strand_type>();
        if (room_strand == nullptr || *room_strand == executor_) {
            timer_.reset();  // the hello deadline is met; the room drives keep-alive now
            return room_->join(shared_from_this(), *role, std::move(hello));
        }
        // Move onto the room's strand: reading stops here and goes on there, joining first.
        executor_ = *room_strand;
        moving_ = true;
        joining_ = std::make_unique<pending_join>(pending_join{*role, std::move(hello)});
    }

    void settle_on_room_strand() {
        moving_ = false;
        if (gone_) return;
        const send_batch::scope batch(executor_);
        timer_.reset();  // the hello deadline is met; the room drives keep-alive now
        auto join = std::move(*joining_);
        joining_.reset();  // frees it: a session keeps nothing of its hello
        room_->join(shared_from_this(), join.role_in_room, std::move(join.hello));
        if (consume({})) read_more();  // the frames that came with the hello
    }

    void send_error(domain::error_code code, std::string_view message, std::string_view ref) {
        enqueue(ws::shared_text_frame(protocol::encode_error(code, message, ref)));
    }

    // ---- writing: straight to the socket; queued only while the kernel's buffer is full ----

    void enqueue(shared_message frame) {
        if (close_sent_ || gone_) return;
        // One frame always fits an empty queue, so a bound below a welcome still works.
        if (in_batch_ && !waiting_writable_ &&
            queued_bytes_ + frame->size() > state_.bounds.max_queued_bytes) {
            flush();  // frames waiting for the batch are not backpressure: write them now
        }
        if (head_ < queue_.size() &&
            queued_bytes_ + frame->size() > state_.bounds.max_queued_bytes) {
            // Never drop an ordered message silently: close, and the client resyncs on reconnect.
            drop_unsent();
            return begin_close(ws::close_code::try_again_later, "reading too slowly");
        }
        push(std::move(frame));
    }

    // Our keep-alive ping: one per period at most.
    void enqueue_control(shared_message frame) {
        if (close_sent_ || gone_) return;
        push(std::move(frame));
    }

    // At most one pong waits in the queue: a newer ping replaces it (RFC 6455 5.5.3 allows
    // answering only the latest), so a ping flood from a client that does not read costs
    // nothing here.
    void queue_pong(std::string_view payload) {
        if (close_sent_ || gone_) return;
        auto frame =
            std::make_shared<const std::string>(ws::encode_frame(ws::opcode::pong, payload));
        const bool waiting =
            unsent_pong_ < queue_.size() &&
            (unsent_pong_ > head_ || (unsent_pong_ == head_ && head_written_ == 0));
        if (waiting) {
            queued_bytes_ = queued_bytes_ - queue_[unsent_pong_]->size() + frame->size();
            queue_[unsent_pong_] = std::move(frame);
            return;
        }
        const bool queued = push(std::move(frame));
        // Replaceable unless begun.
        unsent_pong_ = queued ? static_cast<std::uint32_t>(queue_.size() - 1) : no_pong;
    }

    // Writes `frame` now when nothing is queued before it (the usual case: no queue at all),
    // or at the end of the handler when a send batch is open on this strand; what the kernel
    // does not take waits in the queue for writability. True when (part of) it was queued.
    // The queue is never non-empty without a wait for writability or a batch to send it.
    bool push(shared_message frame) {
        if (gone_) return false;
        if (head_ < queue_.size()) {
            queued_bytes_ += frame->size();
            queue_.push_back(std::move(frame));
            return true;
        }
        if (auto* batch = send_batch::open_for(executor_)) {
            queue_.clear();
            head_ = 0;
            head_written_ = 0;
            queued_bytes_ += frame->size();
            queue_.push_back(std::move(frame));
            if (!in_batch_) {
                in_batch_ = true;
                batch->add(shared_from_this());
            }
            return true;
        }
        error_code ec;
        std::size_t written = socket_.write_some(asio::buffer(*frame), ec);
        if (ec == asio::error::would_block || ec == asio::error::try_again) {
            written = 0;
        } else if (ec) {
            end(ec);
            return false;
        }
        if (written > 0) wrote_ = true;
        if (written == frame->size()) return false;
        queue_.clear();
        head_ = 0;
        head_written_ = static_cast<std::uint32_t>(written);  // less than the frame
        queued_bytes_ += frame->size();
        queue_.push_back(std::move(frame));
        wait_writable();
        return true;
    }

    void wait_writable() {
        waiting_writable_ = true;
        socket_.async_wait(tcp::socket::wait_write, on_strand<&websocket_session::on_writable>());
    }

    void flush() {
        constexpr std::size_t max_gathered = 64;
        std::array<asio::const_buffer, max_gathered> gathered;
        while (head_ < queue_.size()) {
            std::size_t count = 0;
            for (std::size_t i = head_; i < queue_.size() && count < max_gathered; ++i) {
                const std::string& frame = *queue_[i];
                const std::size_t skip = i == head_ ? head_written_ : 0;
                gathered[count++] = asio::buffer(frame.data() + skip, frame.size() - skip);
            }
            error_code ec;
            std::size_t written =
                socket_.write_some(std::span<const asio::const_buffer>(gathered.data(), count), ec);
            if (ec == asio::error::would_block || ec == asio::error::try_again) {
                return wait_writable();
            }
            if (ec) return end(ec);
            take_written(written);
        }
        std::vector<shared_message>().swap(queue_);  // held only while frames wait: let it go
        head_ = 0;
        head_written_ = 0;
        unsent_pong_ = no_pong;
        if (close_sent_) on_close_written();
    }

    // Takes `written` bytes off the front of the queue.
    void take_written(std::size_t written) {
        wrote_ = wrote_ || written > 0;
        while (written > 0) {
            const std::size_t left = queue_[head_]->size() - head_written_;
            if (written < left) {
                head_written_ += static_cast<std::uint32_t>(written);
                break;
            }
            written -= left;
            queued_bytes_ -= queue_[head_]->size();
            queue_[head_].reset();
            ++head_;
            head_written_ = 0;
        }
        compact_queue();
    }

    // ---- the send batch (send_batch.hpp): called once per batch the session joined ----

  public:
    int batch_descriptor() override { return socket_.native_handle(); }

    std::size_t batch_gather(std::span<iovec> out) override {
        in_batch_ = false;
        if (gone_ || waiting_writable_) return 0;
        std::size_t count = 0;
        for (std::size_t i = head_; i < queue_.size() && count < out.size(); ++i) {
            const std::string& frame = *queue_[i];
            const std::size_t skip = i == head_ ? head_written_ : 0;
            // iovec's base is not const; the kernel only reads it for a send.
            out[count++] = {const_cast<char*>(frame.data() + skip), frame.size() - skip};
        }
        return count;
    }

    void batch_sent(long result) override {
        if (gone_ || waiting_writable_) return;
        if (result == -EAGAIN || result == -EWOULDBLOCK) return wait_writable();  // buffer full
        if (result < 0) {
            return end(error_code(static_cast<int>(-result), asio::error::get_system_category()));
        }
        take_written(static_cast<std::size_t>(result));
        flush();  // what did not fit in the request, if anything; then the queue is let go
    }

    void batch_write_alone() override {
        in_batch_ = false;
        if (gone_ || waiting_writable_) return;
        flush();
    }

  private:
    // Drops the written prefix once it is most of the queue, so a reader that stays slightly
    // behind does not grow the vector forever.
    void compact_queue() {
        if (head_ < 64 || head_ < queue_.size() / 2) return;
        queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(head_));
        unsent_pong_ = unsent_pong_ != no_pong && unsent_pong_ >= head_
                           ? static_cast<std::uint32_t>(unsent_pong_ - head_)
                           : no_pong;
        head_ = 0;
    }

    void on_writable(error_code ec) {
        waiting_writable_ = false;
        if (gone_) return;
        if (ec) return end(ec);
        flush();
    }

    // Drops every frame not yet begun (one partly written must finish: the stream is framed).
    void drop_unsent() {
        const std::size_t keep = head_ + (head_written_ > 0 ? 1u : 0u);
        if (unsent_pong_ != no_pong && unsent_pong_ >= keep) unsent_pong_ = no_pong;
        while (queue_.size() > keep) {
            queued_bytes_ -= queue_.back()->size();
            queue_.pop_back();
        }
    }

    // ---- closing ----

    // Frames queued before this point (e.g. the error that explains it) still go out first.
    void begin_close(std::uint16_t code, std::string_view reason) {
        if (close_sent_ || gone_) return;
        queue_close(ws::encode_close(code, reason));
    }

    void queue_close(std::string frame) {
        if (close_sent_ || gone_) return;
        push(std::make_shared<const std::string>(std::move(frame)));
        if (gone_) return;   // writing failed
        close_sent_ = true;  // after push: the close frame itself must be queued
        give_up_at_ = std::chrono::steady_clock::now() + state_.bounds.idle_timeout;
        arm_timer(keep_alive_period());  // the session's own timer watches the close
        // Written at once, or once the send buffer drains (the timer watches for progress).
        if (head_ == queue_.size() && !waiting_writable_) on_close_written();
    }

    void on_close_written() {
        if (close_written_) return;
        close_written_ = true;
        if (close_received_) return end({});  // the handshake is complete
        // Wait for the peer's close frame (reading goes on; data frames are ignored).
        error_code ignored;
        socket_.shutdown(tcp::socket::shutdown_send, ignored);
        arm_timer(state_.bounds.close_timeout);
    }

    // The socket is done: close it and tell the room, once.
    void end(error_code ec) {
        if (gone_) return;
        gone_ = true;
        if (timer_) timer_->cancel();
        error_code ignored;
        socket_.shutdown(tcp::socket::shutdown_both, ignored);
        socket_.close(ignored);
        queue_.clear();
        head_ = 0;
        queued_bytes_ = 0;
        if (room_ != nullptr) room_->disconnect(id_);
        if (ec && !is_routine(ec)) {
            std::fprintf(stderr, "mockroom: websocket %llu: %s\n",
                         static_cast<unsigned long long>(id_), ec.message().c_str());
        }
    }

    // ---- the one timer: hello deadline, keep-alive, close handshake ----

    std::chrono::milliseconds keep_alive_period() const {
        return std::chrono::duration_cast<std::chrono::milliseconds>(state_.bounds.idle_timeout) /
               2;
    }

    void arm_timer(std::chrono::steady_clock::duration after) {
        if (!timer_) timer_ = std::make_unique<lean_timer>(executor_.get_inner_executor());
        timer_->expires_after(after);  // cancels the wait before, whose handler then does nothing
        timer_->async_wait(on_strand<&websocket_session::on_timer>());
    }

    void on_timer(error_code ec) {
        if (ec == asio::error::operation_aborted || gone_ || !timer_) return;
        // A tick already queued when the timer was re-armed: the new wait is the one that counts.
        if (std::chrono::steady_clock::now() < timer_->expiry()) return;
        if (close_written_) return end(asio::error::timed_out);  // no answer to our close
        if (close_sent_) {
            // Our close frame waits behind a full send buffer (a slow reader told 1013): wait
            // while the peer keeps reading, up to idle_timeout in all.
            if (!wrote_ || std::chrono::steady_clock::now() >= give_up_at_) {
                return end(asio::error::timed_out);
            }
            wrote_ = false;
            return arm_timer(keep_alive_period());
        }
        if (!room_) return begin_close(ws::close_code::policy_error, "no hello in time");
        // After hello the room's keep-alive ticks drive the socket (keep_alive_tick).
    }

  public:
    void keep_alive_tick() override {
        run_on_session([self = shared_from_this()] { self->on_keep_alive_tick(); });
    }

  private:
    // Silence for one period gets a ping; silence for the next ends the socket.
    void on_keep_alive_tick() {
        if (gone_ || close_sent_) return;  // a closing socket is watched by its own timer
        if (received_) {
            received_ = false;
            ping_sent_ = false;
        } else if (!ping_sent_) {
            ping_sent_ = true;
            enqueue_control(
                std::make_shared<const std::string>(ws::encode_frame(ws::opcode::ping, "")));
        } else {
            return end(asio::error::timed_out);
        }
    }

    lean_socket socket_;
    strand_type executor_;  // the session's own until hello, then its room's
    server_state& state_;
    const domain::connection_id id_;
    ws::frame_reader reader_;
    // Only while it has work: the hello deadline, a close. After hello the room's keep-alive
    // ticks serve, so an idle socket holds no timer and no pending wait.
    std::unique_ptr<lean_timer> timer_;
    std::shared_ptr<room_host> room_;  // set by a valid hello
    domain::token_bucket message_budget_;

    // Holds a usual client message whole (a keystroke's push of about 150 bytes, a cursor of
    // about 100): one read per message. Larger ones are drained into the thread's buffer.
    std::array<char, 192> inbox_;

    // Fields are ordered (and indices 32-bit) so that none pads: every byte here is paid by
    // each idle connection (issue 6: at most 2 KB each).
    std::vector<shared_message> queue_;  // [head_, end): not yet written
    std::size_t queued_bytes_ = 0;
    std::uint32_t head_ = 0;
    std::uint32_t head_written_ = 0;  // bytes of queue_[head_] already written
    static constexpr std::uint32_t no_pong = UINT32_MAX;
    std::uint32_t unsent_pong_ = no_pong;               // queue index of our latest pong
    std::chrono::steady_clock::time_point give_up_at_;  // for a close frame stuck in the queue
    struct pending_join {
        domain::role role_in_room;
        protocol::hello hello;
    };
    std::unique_ptr<pending_join> joining_;  // while moving: the join to make there

    bool waiting_writable_ = false;
    bool in_batch_ = false;    // joined the open send batch: it writes the queue
    bool wrote_ = false;       // bytes went out since the timer's last period
    bool received_ = false;    // anything came in since the timer's last period
    bool ping_sent_ = false;   // a keep-alive ping is waiting for traffic
    bool moving_ = false;      // reading resumes on the room's strand
    bool close_sent_ = false;  // a close frame is queued: nothing more is queued after it
    bool close_written_ = false;
    bool close_received_ = false;
    bool discarding_ = false;  // the peer broke the protocol: its input is read and dropped
    bool gone_ = false;
};

// Holds Beast's stream (and the upgrade request) only for the handshake.
struct upgrade_in_progress {
    upgrade_in_progress(beast::tcp_stream s, http::request<http::string_body> r)
        : stream(std::move(s)), request(std::move(r)) {}
    beast::websocket::stream<beast::tcp_stream> stream;
    http::request<http::string_body> request;
};

}  // namespace

void start_websocket_session(beast::tcp_stream stream, http::request<http::string_body> upgrade,
                             server_state& state) {
    auto upgrade_state =
        std::make_shared<upgrade_in_progress>(std::move(stream), std::move(upgrade));
    auto& ws = upgrade_state->stream;
    beast::websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = state.bounds.upgrade_timeout;
    timeouts.idle_timeout = beast::websocket::stream_base::none();
    timeouts.keep_alive_pings = false;
    ws.set_option(timeouts);
    ws.set_option(
        beast::websocket::stream_base::decorator([](beast::websocket::response_type& response) {
            response.set(http::field::server, "mockroom");
        }));
    ws.async_accept(upgrade_state->request, [upgrade_state, &state](beast::error_code ec) {
        if (ec) return;
        tcp::socket socket = upgrade_state->stream.next_layer().release_socket();
        // The listener accepts every socket on a strand of its own (server.cpp).
        const auto* own_strand = socket.get_executor().target<strand_type>();
        if (own_strand == nullptr) return;
        const strand_type executor = *own_strand;
        // The same descriptor in a leaner socket object (re-registered with the reactor).
        beast::error_code move_ec;
        const auto protocol = socket.local_endpoint(move_ec).protocol();
        lean_socket lean(executor.get_inner_executor());
        if (!move_ec) {
            const auto descriptor = socket.release(move_ec);
            if (!move_ec) {
                lean.assign(protocol, descriptor, move_ec);
                if (move_ec) ::close(descriptor);
            }
        }
        if (move_ec) return;  // the peer is gone already
        std::make_shared<websocket_session>(std::move(lean), executor, state)->start();
    });
}

}  // namespace mockroom::net
