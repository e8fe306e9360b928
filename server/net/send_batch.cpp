#include "net/send_batch.hpp"

#include <liburing.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <vector>

namespace mockroom::net {
namespace {

// Submissions per io_uring_enter: a larger batch goes in several.
constexpr unsigned ring_entries = 256;
// Frames of one socket in one submission: what is left is written by the socket afterwards.
constexpr std::size_t iovecs_per_socket = 16;

// The ring of this thread, made at its first batch of two or more sockets.
class thread_ring {
  public:
    thread_ring() = default;
    thread_ring(const thread_ring&) = delete;
    thread_ring& operator=(const thread_ring&) = delete;
    ~thread_ring() {
        if (made_) io_uring_queue_exit(&ring_);
    }

    // Null when io_uring cannot be used here (then every socket writes on its own).
    io_uring* get() {
        if (state_ == state::untried) {
            io_uring_params params{};
            // SUBMIT_ALL: a request that fails at submission does not hold back the ones after
            // it, so every request submitted gets its completion. Kernels without it (before
            // 5.18) refuse the flag, and then no ring is used at all.
            params.flags = IORING_SETUP_SUBMIT_ALL | IORING_SETUP_SINGLE_ISSUER;
            int failed = io_uring_queue_init_params(ring_entries, &ring_, &params);
            if (failed != 0) {
                params = {};
                params.flags = IORING_SETUP_SUBMIT_ALL;
                failed = io_uring_queue_init_params(ring_entries, &ring_, &params);
            }
            made_ = failed == 0;
            state_ = made_ ? state::ready : state::unavailable;
        }
        return state_ == state::ready && !disabled ? &ring_ : nullptr;
    }

    // The ring failed (not a send): it is not entered again on this thread. Requests it did not
    // take may still sit in it, pointing at arrays the next batch reuses.
    void give_up() { state_ = state::unavailable; }

    bool disabled = false;  // tests: the path without io_uring

  private:
    enum class state : std::uint8_t { untried, ready, unavailable };
    state state_ = state::untried;
    bool made_ = false;
    io_uring ring_{};
};

// What a thread keeps for its batches: the ring and the arrays a submission points into.
struct thread_batching {
    thread_ring ring;
    std::vector<iovec> iovecs = std::vector<iovec>(ring_entries * iovecs_per_socket);
    std::vector<msghdr> headers = std::vector<msghdr>(ring_entries);
    std::vector<std::uint8_t> completed = std::vector<std::uint8_t>(ring_entries);
    std::vector<std::uint16_t> submitted_slots = std::vector<std::uint16_t>(ring_entries);
    send_batch::counters counters;
};

thread_batching& this_thread() {
    thread_local thread_batching batching;
    return batching;
}

}  // namespace

send_batch& send_batch::of_this_thread() {
    thread_local send_batch batch;
    return batch;
}

send_batch::scope::scope(const strand_type& strand) {
    send_batch& batch = of_this_thread();
    if (batch.strand_ || batch.sending_) return;  // nested: the outermost sends
    batch.strand_ = strand;
    opened_ = true;
}

send_batch::scope::~scope() {
    if (!opened_) return;
    send_batch& batch = of_this_thread();
    // Closed before sending, so that a write made while the batch is sent goes out at once.
    // (None is made today: a socket's results end at its own queue, its timer or its close, and
    // a room hears of a closed socket through a post. A write from inside batch_sent to another
    // socket of the batch would find that socket's sent bytes not yet taken off its queue.)
    batch.strand_.reset();
    if (batch.sockets_.empty()) return;
    std::vector<std::shared_ptr<batched_socket>> sending;
    sending.swap(batch.spare_);
    sending.swap(batch.sockets_);
    batch.sending_ = true;
    batch.send_all(sending);
    batch.sending_ = false;
    sending.clear();
    batch.spare_.swap(sending);
}

send_batch* send_batch::open_for(const strand_type& strand) {
    send_batch& batch = of_this_thread();
    return batch.strand_ && *batch.strand_ == strand ? &batch : nullptr;
}

void send_batch::add(std::shared_ptr<batched_socket> socket) {
    sockets_.push_back(std::move(socket));
}

send_batch::counters send_batch::thread_counters() {
    return this_thread().counters;
}

void send_batch::use_io_uring_on_this_thread(bool use) {
    this_thread().ring.disabled = !use;
}

void send_batch::send_all(std::span<const std::shared_ptr<batched_socket>> sockets) noexcept {
    auto& batching = this_thread();
    io_uring* ring = sockets.size() > 1 ? batching.ring.get() : nullptr;
    if (ring == nullptr) {
        for (const auto& socket : sockets) socket->batch_write_alone();
        batching.counters.written_alone += sockets.size();
        return;
    }
    for (std::size_t first = 0; first < sockets.size(); first += ring_entries) {
        const std::size_t last = std::min(sockets.size(), first + ring_entries);
        unsigned submitted = 0;
        for (std::size_t i = first; i < last; ++i) {
            const std::size_t slot = i - first;
            const std::span<iovec> room(batching.iovecs.data() + slot * iovecs_per_socket,
                                        iovecs_per_socket);
            const std::size_t count = sockets[i]->batch_gather(room);
            if (count == 0) continue;
            msghdr& header = batching.headers[slot];
            header = {};
            header.msg_iov = room.data();
            header.msg_iovlen = count;
            io_uring_sqe* sqe = io_uring_get_sqe(ring);  // never null: the ring is empty here
            // MSG_DONTWAIT: a full send buffer completes at once with -EAGAIN rather than
            // waiting in the kernel, so every request completes inside the submission.
            io_uring_prep_sendmsg(sqe, sockets[i]->batch_descriptor(), &header,
                                  MSG_DONTWAIT | MSG_NOSIGNAL);
            io_uring_sqe_set_data64(sqe, slot);
            batching.completed[slot] = 0;
            batching.submitted_slots[submitted++] = static_cast<std::uint16_t>(slot);
        }
        if (submitted == 0) continue;
        int entered = io_uring_submit_and_wait(ring, submitted);
        while (entered == -EINTR) entered = io_uring_submit_and_wait(ring, submitted);
        const unsigned taken =
            entered < 0 ? 0 : std::min(static_cast<unsigned>(entered), submitted);
        bool ring_failed = taken < submitted;
        // Requests the kernel did not take were never sent: those sockets write on their own.
        for (unsigned k = taken; k < submitted; ++k) {
            sockets[first + batching.submitted_slots[k]]->batch_write_alone();
        }
        for (unsigned done = 0; done < taken;) {
            io_uring_cqe* cqe = nullptr;
            const int waited = io_uring_wait_cqe(ring, &cqe);
            if (waited == -EINTR) continue;
            if (waited < 0) {
                // The ring itself failed: requests not heard of are not known to be sent or not,
                // so those sockets end (their clients reconnect and resync).
                for (unsigned k = 0; k < taken; ++k) {
                    const std::size_t slot = batching.submitted_slots[k];
                    if (batching.completed[slot] == 0) sockets[first + slot]->batch_sent(-EIO);
                }
                ring_failed = true;
                break;
            }
            const auto slot = static_cast<std::size_t>(io_uring_cqe_get_data64(cqe));
            const long result = cqe->res;
            io_uring_cqe_seen(ring, cqe);
            ++done;
            batching.completed[slot] = 1;
            sockets[first + slot]->batch_sent(result);
        }
        if (ring_failed) {
            batching.ring.give_up();
            for (std::size_t i = last; i < sockets.size(); ++i) sockets[i]->batch_write_alone();
            return;
        }
    }
    ++batching.counters.batches;
    batching.counters.sockets_batched += sockets.size();
}

}  // namespace mockroom::net
