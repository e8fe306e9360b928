// The embedded default store: one SQLite database (WAL, synchronous=FULL) holding every room and
// its event log. Events are opaque JSON texts here (the protocol layer writes and reads them);
// the store's job is durability: an append's callback says "durable" only after the commit that
// holds it has reached the disk. One writer thread commits the appends of all rooms together
// (group commit), so many rooms share one fsync.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace mockroom::store {

using sha256 = std::array<unsigned char, 32>;

struct room_record {
    std::string id;
    std::string title;
    std::string bank_id;
    std::int64_t created_at = 0;  // server clock ms
    std::string settings_json;    // room settings (timing, ...), opaque to the store
    sha256 interviewer_hash{};
    sha256 candidate_hash{};
    sha256 observer_hash{};
};

struct stored_room {
    room_record room;
    // The latest snapshot (the room's state after its first snapshot_seq events), if any.
    std::optional<std::string> snapshot;
    std::int64_t snapshot_seq = 0;
    std::vector<std::string> events;  // in append order, from event snapshot_seq on
};

// A problem with the database worth one clear line: unreadable, corrupt, not a database, ...
struct store_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct store_options {
    // Caps the database size (PRAGMA max_page_count), to test a full disk. 0: no cap.
    std::int64_t max_page_count = 0;
    // At most one commit per interval: a commit that follows the previous one sooner waits
    // for the rest of the interval, gathering what is queued meanwhile. An idle store commits at
    // once; a busy one trades at most this much latency for far fewer fsyncs (each fsync is a
    // disk flush and, on a VM, exits to the hypervisor). 0: commit as soon as anything is queued.
    std::chrono::microseconds commit_interval{1000};
    // Under load the interval grows with the rate of appends: commit_interval up to
    // commit_interval_rate appends a second, in proportion above it, up to max_commit_interval.
    // A commit's cost is mostly fixed (the flush and its wake-ups), and the more appends arrive,
    // the more their own handling needs the CPU those commits take; each append waits a little
    // longer, but fewer commits leave the core to the work they serve (measured:
    // docs/performance.md). max_commit_interval at or below commit_interval: a fixed interval;
    // a zero commit_interval does not grow.
    std::chrono::microseconds max_commit_interval{4000};
    double commit_interval_rate = 1500;
    // A checkpoint (copying the WAL back into the database file, so the WAL can start over)
    // runs once this many WAL pages are not yet copied. It runs on a thread and connection of
    // its own: done inside a commit, as SQLite does by default, it held every waiting
    // acknowledgement for milliseconds (thousands of page writes and two fsyncs). Only its
    // last, short pass stops the writer, so that the WAL can restart from its beginning.
    std::int64_t checkpoint_pages = 4000;
    // false: SQLite's own way, the checkpoint inside the commit that crosses checkpoint_pages
    // (kept as the alternative the store benchmark measures against).
    bool checkpoint_in_background = true;
    // Where the callbacks of a commit run: handed one function that calls them all, in order.
    // The server passes its io_context, so a commit costs one cross-thread hand-over rather
    // than one per append. Unset: on the writer thread.
    std::function<void(std::function<void()>)> run_callbacks;
};

struct store_statistics {
    std::uint64_t commits = 0;  // transactions committed by the writer
    std::uint64_t appends = 0;  // append() calls made durable
    std::uint64_t events = 0;   // events made durable
    std::uint64_t failures = 0;
    std::uint64_t snapshots = 0;            // snapshots made durable
    std::uint64_t checkpoint_attempts = 0;  // checkpoints begun
    std::uint64_t checkpoints = 0;          // checkpoints completed (the WAL wholly copied back)
    std::uint64_t wal_restarts = 0;         // times a commit began the WAL again from its start
    std::chrono::microseconds commit_interval{0};  // the interval now (it grows with the load)
};

// The commit interval for appends arriving at `appends_per_second` (see store_options).
std::chrono::microseconds commit_interval_for(double appends_per_second,
                                              const store_options& options);

// The rate at which appends arrive, averaged exponentially over about `time_constant`. The
// writer adds what each commit gathered and the time since the previous one.
class append_rate {
  public:
    explicit append_rate(std::chrono::microseconds time_constant = std::chrono::milliseconds(100))
        : time_constant_us_(static_cast<double>(time_constant.count())) {}
    void add(std::size_t appends, std::chrono::microseconds since_previous);
    double per_second() const { return per_second_; }

  private:
    double time_constant_us_;
    double per_second_ = 0;
};

class event_store {
  public:
    // Opens DIR/mockroom.db, creating it (and its schema) when missing. Runs PRAGMA quick_check;
    // throws store_error naming the file and the problem when it cannot be used.
    explicit event_store(const std::filesystem::path& dir, store_options options = {});
    // Commits what is queued, then stops the writer.
    ~event_store();
    event_store(const event_store&) = delete;
    event_store& operator=(const event_store&) = delete;

    const std::filesystem::path& file() const;

    // Durable when it returns. Throws store_error (e.g. disk full); nothing is stored then.
    void create_room(const room_record& room);

    // nullopt: durable. Otherwise why not; nothing of that append is stored.
    using commit_callback = std::function<void(std::optional<std::string> error)>;
    // Queues events for a room and returns at once. The writer thread commits them (with other
    // queued appends), then calls `done` on the writer thread. Appends of one room are stored in
    // call order; after a failed append of a room, its later appends fail too (no gap in its
    // log) until reopen_room.
    void append(const std::string& room_id, std::vector<std::string> events, commit_callback done);
    // Queues a snapshot of a room: its state after every event appended before this call. It
    // replaces the room's previous snapshot; the events stay (the log is the record). Stored
    // and failed like an append (a failure fails the room's later appends too).
    void save_snapshot(const std::string& room_id, std::string body, commit_callback done);
    // Deletes a room and its events for good (retention). Durable when it returns; false when
    // there was no such room. Throws store_error.
    bool delete_room(const std::string& room_id);

    // The room has reloaded itself from what is stored: accept its appends again.
    void reopen_room(const std::string& room_id);

    // Every room with its events, in creation order.
    std::vector<stored_room> load_all();
    std::optional<stored_room> load_room(const std::string& room_id);

    // "ok", or what PRAGMA integrity_check reports.
    std::string integrity_check();
    store_statistics statistics() const;

  private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace mockroom::store
