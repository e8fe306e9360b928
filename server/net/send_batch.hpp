// Frames written by one handler go out together. A room's handler fans one message out to every
// member; instead of one sendmsg per socket as it goes, the sockets it wrote to are sent at the
// end of the handler with one io_uring submission. On this VM a system call costs about 1 µs
// before it does any work, and the kernel's own work per send is a few µs more
// (docs/performance.md, "Sends: one submission per handler").
//
// Only for sockets on the handler's own strand: the results (bytes taken, an error) are applied
// to the socket's state when the batch is sent, still inside that handler. Without io_uring
// (an older kernel, a sandbox that forbids it), or with one socket in the batch, each socket
// writes on its own, as it would have without the batch.
#pragma once

#include <sys/uio.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <vector>

namespace mockroom::net {

using strand_type = boost::asio::strand<boost::asio::io_context::executor_type>;

// What a batch needs of a socket.
class batched_socket {
  public:
    virtual int batch_descriptor() = 0;
    // Points `out` at the bytes waiting to be written, in order; returns how many entries it
    // filled. Zero: nothing to send (the socket wrote or closed meanwhile).
    virtual std::size_t batch_gather(std::span<iovec> out) = 0;
    // What the kernel answered for those bytes: how many it took, or -errno. It must not write
    // to another socket of the batch on the spot (whose own answer may still be to come).
    virtual void batch_sent(long result) = 0;
    // Writes what waits, on its own (one socket in the batch, or no io_uring).
    virtual void batch_write_alone() = 0;

  protected:
    ~batched_socket() = default;
};

class send_batch {
  public:
    // Opens a batch for the handler now running on `strand` on this thread, unless one is open
    // already (nested scopes add to the outermost). The outermost scope sends at its end.
    class scope {
      public:
        explicit scope(const strand_type& strand);
        ~scope();
        scope(const scope&) = delete;
        scope& operator=(const scope&) = delete;

      private:
        bool opened_ = false;
    };

    // The batch open on this thread for a socket on `strand`, or null: write at once.
    static send_batch* open_for(const strand_type& strand);

    // Sends `socket`'s waiting bytes at the end of the batch. Once per socket per batch.
    void add(std::shared_ptr<batched_socket> socket);

    // How batches were sent on this thread (for tests and the benchmark's notes).
    struct counters {
        std::size_t batches = 0;          // sent with one submission
        std::size_t sockets_batched = 0;  // sockets in those
        std::size_t written_alone = 0;    // sockets that wrote on their own
    };
    static counters thread_counters();
    // Tests: take the path without io_uring on this thread, as a kernel without it would.
    static void use_io_uring_on_this_thread(bool use);

  private:
    send_batch() = default;
    static send_batch& of_this_thread();
    void send_all(std::span<const std::shared_ptr<batched_socket>> sockets) noexcept;

    std::optional<strand_type> strand_;  // while a scope is open
    bool sending_ = false;               // no batch opens while one is being sent
    std::vector<std::shared_ptr<batched_socket>> sockets_;
    std::vector<std::shared_ptr<batched_socket>> spare_;  // keeps a vector's capacity
};

}  // namespace mockroom::net
