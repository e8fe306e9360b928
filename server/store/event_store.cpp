// The SQLite event log. Schema (PRAGMA user_version = 3; version 1 lacked snapshots, version 2
// kept events clustered by room):
//
//   rooms(id TEXT PRIMARY KEY, created_order INTEGER UNIQUE, title TEXT, bank_id TEXT,
//         created_at INTEGER, settings TEXT,
//         interviewer_hash BLOB, candidate_hash BLOB, observer_hash BLOB)  -- 32-byte SHA-256s
//   events(id INTEGER PRIMARY KEY, room TEXT REFERENCES rooms(id), seq INTEGER, body TEXT,
//          UNIQUE(room, seq))
//     -- in commit order: a commit writes its events into the last page or two, whatever rooms
//     -- they belong to; only the small (room, seq) index entries land on one page per room.
//     -- Clustered by room (version 2), every room in a commit cost a 4 KB page of its own: at
//     -- 300 busy rooms 1.7 times the CPU per durable append and 2.5 to 4 times the p99 (store
//     -- bench, docs/performance.md).
//   snapshots(room TEXT PRIMARY KEY REFERENCES rooms(id), seq INTEGER, body TEXT) WITHOUT ROWID
//     -- the room's latest snapshot: its state after events 0 .. seq-1 (events are all kept)
//
// created_order numbers the rooms 0, 1, 2, ... in creation order; seq numbers the events of one
// room 0, 1, 2, ... with no gap (load checks that). Both are kept in memory (next value per room,
// read at open), so an append never reads the database before it writes.
//
// Threads: one connection, used by one thread at a time under db_mutex_ (the writer thread while
// it commits; create_room, the loads and integrity_check in between). state_mutex_ guards the
// queue and the per-room states; when both are needed, db_mutex_ is taken first. Callbacks run on
// the writer thread with neither mutex held, so they may call back into the store.
//
// Checkpoints run on a second thread with a second connection (the checkpointer), told by the
// first connection's WAL hook how long the WAL has grown. Its passes copy pages while the writer
// goes on committing; only the last pass of each checkpoint takes db_mutex, so that no commit
// lands during it and the WAL can restart from its beginning (a WAL that never restarts grows
// without bound). checkpoint_mutex_ guards the WAL counts; it is taken alone, or under db_mutex_.
#include "store/event_store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <exception>
#include <mutex>
#include <string_view>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <utility>

namespace mockroom::store {

namespace {

constexpr int schema_version = 3;
constexpr int busy_timeout_ms = 5000;
constexpr const char* database_name = "mockroom.db";

constexpr const char* schema_sql = R"sql(
CREATE TABLE rooms(
    id TEXT PRIMARY KEY NOT NULL,
    created_order INTEGER NOT NULL UNIQUE,
    title TEXT NOT NULL,
    bank_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    settings TEXT NOT NULL,
    interviewer_hash BLOB NOT NULL CHECK(length(interviewer_hash) = 32),
    candidate_hash BLOB NOT NULL CHECK(length(candidate_hash) = 32),
    observer_hash BLOB NOT NULL CHECK(length(observer_hash) = 32));
CREATE TABLE events(
    id INTEGER PRIMARY KEY,
    room TEXT NOT NULL REFERENCES rooms(id),
    seq INTEGER NOT NULL CHECK(seq >= 0),
    body TEXT NOT NULL,
    UNIQUE(room, seq));
)sql";

// Version 3: events in commit order (what upgrades a version 1 or 2 file: their events table was
// clustered by room). The events keep their order within each room.
constexpr const char* events_in_commit_order_sql = R"sql(
CREATE TABLE events_in_commit_order(
    id INTEGER PRIMARY KEY,
    room TEXT NOT NULL REFERENCES rooms(id),
    seq INTEGER NOT NULL CHECK(seq >= 0),
    body TEXT NOT NULL,
    UNIQUE(room, seq));
INSERT INTO events_in_commit_order(room, seq, body) SELECT room, seq, body FROM events
    ORDER BY room, seq;
DROP TABLE events;
ALTER TABLE events_in_commit_order RENAME TO events;
)sql";

// Version 2: snapshots. Also what upgrades a version 1 file in place.
constexpr const char* snapshots_sql = R"sql(
CREATE TABLE snapshots(
    room TEXT PRIMARY KEY NOT NULL REFERENCES rooms(id),
    seq INTEGER NOT NULL CHECK(seq >= 0),
    body TEXT NOT NULL) WITHOUT ROWID;
)sql";

struct db_closer {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using db_handle = std::unique_ptr<sqlite3, db_closer>;

struct stmt_finalizer {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};

// A prepared statement, reset (and its bindings cleared) by reset().
class statement {
  public:
    statement() = default;
    statement(sqlite3* db, const char* sql) {
        sqlite3_stmt* raw = nullptr;
        rc_ = sqlite3_prepare_v2(db, sql, -1, &raw, nullptr);
        stmt_.reset(raw);
    }
    bool ok() const { return stmt_ != nullptr && rc_ == SQLITE_OK; }
    int prepare_code() const { return rc_; }

    void bind(int index, std::string_view text) {
        sqlite3_bind_text64(stmt_.get(), index, text.data(), text.size(), SQLITE_STATIC,
                            SQLITE_UTF8);
    }
    void bind(int index, std::int64_t value) { sqlite3_bind_int64(stmt_.get(), index, value); }
    void bind(int index, const sha256& hash) {
        sqlite3_bind_blob64(stmt_.get(), index, hash.data(), hash.size(), SQLITE_STATIC);
    }
    // SQLITE_ROW, SQLITE_DONE or an error code.
    int step() { return sqlite3_step(stmt_.get()); }
    void reset() {
        sqlite3_reset(stmt_.get());
        sqlite3_clear_bindings(stmt_.get());
    }

    std::int64_t int64(int column) { return sqlite3_column_int64(stmt_.get(), column); }
    bool is_null(int column) { return sqlite3_column_type(stmt_.get(), column) == SQLITE_NULL; }
    std::string text(int column) {
        const auto* data = sqlite3_column_text(stmt_.get(), column);
        const int size = sqlite3_column_bytes(stmt_.get(), column);
        if (data == nullptr) return {};
        return std::string(reinterpret_cast<const char*>(data), static_cast<std::size_t>(size));
    }
    std::string blob(int column) {
        const void* data = sqlite3_column_blob(stmt_.get(), column);
        const int size = sqlite3_column_bytes(stmt_.get(), column);
        if (data == nullptr) return {};
        return std::string(static_cast<const char*>(data), static_cast<std::size_t>(size));
    }

  private:
    int rc_ = SQLITE_MISUSE;
    std::unique_ptr<sqlite3_stmt, stmt_finalizer> stmt_;
};

std::string must_reload_message(const std::string& room_id) {
    return "room " + room_id +
           ": an earlier append of this room failed; the room must reload from the store "
           "(reopen_room) before it can append again";
}

}  // namespace

struct event_store::impl {
    struct pending {
        std::string room;
        std::vector<std::string> events;
        commit_callback done;
        std::uint64_t epoch = 0;
        std::optional<std::string> early_error;  // failed at append(): no database work
        std::optional<std::string> snapshot;     // a snapshot instead of events
    };

    struct room_state {
        std::int64_t next_seq = 0;
        // Bumped when an append of the room fails: appends queued before the failure carry the
        // old epoch and fail too, even when reopen_room comes before they reach the writer.
        std::uint64_t epoch = 0;
        bool failed = false;
    };

    struct outcome {
        bool decided = false;
        std::optional<std::string> error;
    };

    std::filesystem::path dir;
    std::filesystem::path file;
    std::string file_text;  // file, for messages

    std::mutex db_mutex;
    db_handle db;
    statement insert_event;
    statement save_snapshot;
    std::int64_t next_created_order = 0;

    std::mutex state_mutex;
    std::condition_variable wake;
    std::vector<pending> queue;
    std::unordered_map<std::string, room_state> rooms;
    bool stopping = false;
    // The writer sleeps until there is work: only then does an append wake it. While it lets
    // the commit interval run out, or writes, appends only queue (a wake-up per append cost a
    // futex call and a context switch each, for nothing).
    bool writer_waits_for_work = false;

    std::atomic<std::uint64_t> commits{0};
    std::atomic<std::uint64_t> appends{0};
    std::atomic<std::uint64_t> events{0};
    std::atomic<std::uint64_t> failures{0};
    std::atomic<std::uint64_t> snapshots{0};
    std::atomic<std::uint64_t> checkpoint_attempts{0};
    std::atomic<std::uint64_t> checkpoints{0};
    std::atomic<std::uint64_t> wal_restarts{0};

    // --- checkpoints: the checkpointer thread's state ---
    db_handle checkpoint_db;
    std::thread checkpointer;
    std::mutex checkpoint_mutex;
    std::condition_variable checkpoint_wake;
    std::int64_t checkpoint_pages = 4000;
    std::int64_t wal_pages = 0;        // frames in the WAL after the latest commit
    std::int64_t checkpoint_from = 0;  // frames before this one are copied back (or were tried)
    bool checkpointer_stopping = false;

    std::thread writer;
    store_options interval_options;  // commit_interval and how it grows
    std::atomic<std::int64_t> commit_interval_now_us{0};
    std::function<void(std::function<void()>)> run_callbacks;

    // --- errors -----------------------------------------------------------------------------

    [[noreturn]] void fail(const std::string& what) const {
        throw store_error(file_text + ": " + what);
    }

    // The connection's last error, as one clear reason.
    std::string describe(int rc) const {
        std::string message = db ? sqlite3_errmsg(db.get()) : sqlite3_errstr(rc);
        switch (rc & 0xff) {
            case SQLITE_NOTADB:
                return "not an SQLite database (" + message + ")";
            case SQLITE_CORRUPT:
                return "the database is damaged (" + message + ")";
            case SQLITE_CANTOPEN:
            case SQLITE_PERM:
            case SQLITE_IOERR:
            case SQLITE_READONLY: {
                const int err = db ? sqlite3_system_errno(db.get()) : 0;
                if (err != 0) message += ": " + std::string(std::strerror(err));
                return message;
            }
            default:
                return message;
        }
    }

    // Runs SQL that returns no rows we need; throws store_error on failure.
    void exec_or_throw(const char* sql, const char* doing) {
        char* err = nullptr;
        const int rc = sqlite3_exec(db.get(), sql, nullptr, nullptr, &err);
        if (err != nullptr) sqlite3_free(err);
        if (rc != SQLITE_OK) fail(std::string(doing) + ": " + describe(rc));
    }

    statement prepare_or_throw(const char* sql) {
        statement s(db.get(), sql);
        if (!s.ok()) fail(describe(s.prepare_code()));
        return s;
    }

    // The rows of a one-column PRAGMA, as text.
    std::vector<std::string> pragma_rows(const char* sql) {
        statement s = prepare_or_throw(sql);
        std::vector<std::string> rows;
        for (;;) {
            const int rc = s.step();
            if (rc == SQLITE_ROW) {
                rows.push_back(s.text(0));
            } else if (rc == SQLITE_DONE) {
                return rows;
            } else {
                fail(describe(rc));
            }
        }
    }

    // --- open -------------------------------------------------------------------------------

    void open(store_options options) {
        prepare_directory();
        std::error_code ec;
        const auto status = std::filesystem::status(file, ec);
        if (!ec && std::filesystem::exists(status) && !std::filesystem::is_regular_file(status))
            fail("not a regular file");

        sqlite3* raw = nullptr;
        const int rc = sqlite3_open_v2(
            file_text.c_str(), &raw,
            SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
        db.reset(raw);
        if (rc != SQLITE_OK) fail("cannot open: " + describe(rc));
        sqlite3_extended_result_codes(db.get(), 1);
        sqlite3_busy_timeout(db.get(), busy_timeout_ms);
        if (sqlite3_db_readonly(db.get(), "main") != 0)
            fail("the file is read-only; the store needs to write it");

        // Read (and check) before writing anything: the first read is where SQLite notices a
        // file that is not a database; a damaged one is left exactly as it is.
        const int version = read_user_version();
        if (version > schema_version)
            fail("schema version " + std::to_string(version) +
                 " is newer than this mockroom understands (" + std::to_string(schema_version) +
                 "); use a newer mockroom");
        quick_check();

        const auto mode = pragma_rows("PRAGMA journal_mode=WAL");
        if (mode.empty() || mode.front() != "wal")
            fail("cannot switch to WAL journal mode (got " +
                 (mode.empty() ? std::string("nothing") : mode.front()) + ")");
        exec_or_throw("PRAGMA synchronous=FULL", "cannot set synchronous=FULL");
        exec_or_throw("PRAGMA foreign_keys=ON", "cannot enable foreign keys");
        if (options.max_page_count > 0) {
            const std::string sql =
                "PRAGMA max_page_count=" + std::to_string(options.max_page_count);
            pragma_rows(sql.c_str());
        }

        if (version < schema_version) create_schema();
        check_schema();
        insert_event = prepare_or_throw("INSERT INTO events(room, seq, body) VALUES(?1, ?2, ?3)");
        save_snapshot = prepare_or_throw(
            "INSERT OR REPLACE INTO snapshots(room, seq, body) VALUES(?1, ?2, ?3)");
        load_room_states();
        open_checkpointer(options);
    }

    // The checkpointer's own connection, and the hook that replaces SQLite's checkpoint inside
    // the commit. A checkpoint copies each page changed since the last one once, however often
    // it was rewritten meanwhile: fewer, larger checkpoints copy far less (4,000 pages: 16 MB).
    void open_checkpointer(const store_options& options) {
        checkpoint_pages = std::max<std::int64_t>(1, options.checkpoint_pages);
        if (!options.checkpoint_in_background) {
            const int pages = static_cast<int>(std::min<std::int64_t>(checkpoint_pages, INT_MAX));
            if (sqlite3_wal_autocheckpoint(db.get(), pages) != SQLITE_OK)
                fail("cannot set the checkpoint interval");
            return;
        }
        sqlite3* raw = nullptr;
        const int rc = sqlite3_open_v2(file_text.c_str(), &raw,
                                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, nullptr);
        checkpoint_db.reset(raw);
        if (rc != SQLITE_OK) {
            const std::string why = raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
            fail("cannot open a second connection for checkpoints: " + why);
        }
        // A checkpoint must have the database file on disk before the WAL it copied is reused.
        char* err = nullptr;
        if (sqlite3_exec(checkpoint_db.get(), "PRAGMA synchronous=FULL", nullptr, nullptr, &err) !=
            SQLITE_OK) {
            const std::string why = err != nullptr ? err : "unknown error";
            sqlite3_free(err);
            fail("cannot set synchronous=FULL for checkpoints: " + why);
        }
        sqlite3_wal_hook(db.get(), &impl::on_wal_commit, this);
    }

    // After each commit of the first connection (its thread holds db_mutex): how long the WAL
    // is now; wakes the checkpointer once enough of it is not copied back.
    static int on_wal_commit(void* arg, sqlite3*, const char*, int pages) {
        auto* self = static_cast<impl*>(arg);
        bool due = false;
        {
            std::lock_guard lock(self->checkpoint_mutex);
            if (pages < self->wal_pages) {  // this commit began the WAL again
                ++self->wal_restarts;
                self->checkpoint_from = 0;
            }
            self->wal_pages = pages;
            due = self->wal_pages - self->checkpoint_from >= self->checkpoint_pages;
        }
        if (due) self->checkpoint_wake.notify_one();
        return SQLITE_OK;
    }

    // One PASSIVE pass of the checkpointer's connection: copies what it can without waiting.
    // Returns the frames then in the WAL and how many of them are copied, or nullopt (logged).
    std::optional<std::pair<int, int>> checkpoint_pass() {
        int frames = 0;
        int copied = 0;
        const int rc = sqlite3_wal_checkpoint_v2(checkpoint_db.get(), "main",
                                                 SQLITE_CHECKPOINT_PASSIVE, &frames, &copied);
        if (rc == SQLITE_OK) return std::pair{frames, copied};
        // SQLITE_BUSY: another connection (another process) is checkpointing; not an error.
        if ((rc & 0xff) != SQLITE_BUSY)
            std::fprintf(stderr, "mockroom store: %s: checkpoint failed: %s\n", file_text.c_str(),
                         sqlite3_errmsg(checkpoint_db.get()));
        return std::nullopt;
    }

    void run_checkpointer() {
        // Bulk passes run beside the writer until at most this many frames are left for the
        // last pass, the one that holds the writer off (a few at most: it is one more pass).
        constexpr int last_pass_frames = 256;
        constexpr int most_bulk_passes = 8;
        for (;;) {
            {
                std::unique_lock lock(checkpoint_mutex);
                checkpoint_wake.wait(lock, [&] {
                    return checkpointer_stopping || wal_pages - checkpoint_from >= checkpoint_pages;
                });
                if (checkpointer_stopping) return;
            }
            ++checkpoint_attempts;
            std::optional<std::pair<int, int>> pass;
            for (int i = 0; i < most_bulk_passes; ++i) {
                const int copied_before = pass ? pass->second : -1;
                pass = checkpoint_pass();
                // Stop when little is left, or when a pass copied nothing more (a reader in
                // another process holds an old snapshot: the rest must wait for it).
                if (!pass || pass->first - pass->second <= last_pass_frames ||
                    pass->second == copied_before)
                    break;
            }
            if (pass) {
                // Also when the bulk pass copied everything: a commit since then would keep the
                // WAL from restarting. Held off, the next commit finds it all copied and restarts.
                std::lock_guard db_lock(db_mutex);
                pass = checkpoint_pass();
            }
            std::lock_guard lock(checkpoint_mutex);
            const bool complete = pass && pass->second == pass->first;
            if (complete) ++checkpoints;
            // Complete: the next commit restarts the WAL (and the hook starts counting again).
            // Otherwise (a reader in another process holds an old snapshot, or it failed): not
            // again before checkpoint_pages more frames, so it never spins.
            checkpoint_from =
                complete ? std::min<std::int64_t>(pass->second, wal_pages) : wal_pages;
        }
    }

    void prepare_directory() {
        std::error_code ec;
        const auto status = std::filesystem::status(dir, ec);
        if (std::filesystem::is_directory(status)) return;
        if (std::filesystem::exists(status))
            throw store_error(dir.string() + ": not a directory (the data directory)");
        std::filesystem::create_directories(dir, ec);
        if (ec)
            throw store_error(dir.string() + ": cannot create the data directory: " + ec.message());
    }

    int read_user_version() {
        const auto rows = pragma_rows("PRAGMA user_version");
        return rows.empty() ? 0 : std::stoi(rows.front());
    }

    void quick_check() {
        const auto damaged = [&](std::string report) {
            for (std::size_t at = report.find('\n'); at != std::string::npos;
                 at = report.find('\n', at))
                report.replace(at, 1, "; ");
            fail("the database is damaged (quick_check: " + report + ")");
        };
        statement s(db.get(), "PRAGMA quick_check");
        if ((s.prepare_code() & 0xff) == SQLITE_NOTADB) fail(describe(s.prepare_code()));
        if (!s.ok()) damaged(sqlite3_errmsg(db.get()));
        std::string report;
        for (;;) {
            const int rc = s.step();
            if (rc == SQLITE_ROW) {
                if (!report.empty()) report += "; ";
                report += s.text(0);
            } else if (rc == SQLITE_DONE) {
                break;
            } else if ((rc & 0xff) == SQLITE_NOTADB) {
                fail(describe(rc));
            } else {
                // Some damage stops the check part way: keep what it reported before.
                if (!report.empty()) report += "; ";
                damaged(report + sqlite3_errmsg(db.get()));
            }
        }
        if (report != "ok") damaged(report);
    }

    // In one write transaction, so two processes opening a new file cannot both create it (or
    // both upgrade it).
    void create_schema() {
        exec_or_throw("BEGIN IMMEDIATE", "cannot create the schema");
        try {
            const int version = read_user_version();
            if (version == 0) {
                // Version 0 with tables of its own: some other database, not a mockroom one.
                statement s = prepare_or_throw("SELECT count(*) FROM sqlite_schema");
                if (s.step() != SQLITE_ROW) fail(describe(sqlite3_errcode(db.get())));
                if (s.int64(0) != 0)
                    fail("not a mockroom database (it has tables but no mockroom schema version)");
                exec_or_throw(schema_sql, "cannot create the schema");
            }
            if (version < 2) exec_or_throw(snapshots_sql, "cannot add the snapshots table");
            if (version >= 1 && version < 3)
                exec_or_throw(events_in_commit_order_sql, "cannot reorder the events table");
            if (version < schema_version) {
                const std::string sql = "PRAGMA user_version=" + std::to_string(schema_version);
                exec_or_throw(sql.c_str(), "cannot create the schema");
            }
            exec_or_throw("COMMIT", "cannot create the schema");
        } catch (...) {
            rollback_if_needed();
            throw;
        }
    }

    void check_schema() {
        statement s = prepare_or_throw(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN "
            "('rooms', 'events', 'snapshots')");
        if (s.step() != SQLITE_ROW) fail(describe(sqlite3_errcode(db.get())));
        if (s.int64(0) != 3)
            fail("not a mockroom database (schema version " + std::to_string(schema_version) +
                 " but the rooms, events or snapshots table is missing)");
    }

    void load_room_states() {
        statement s = prepare_or_throw(
            "SELECT id, (SELECT max(seq) FROM events WHERE events.room = rooms.id) FROM rooms");
        for (;;) {
            const int rc = s.step();
            if (rc == SQLITE_DONE) break;
            if (rc != SQLITE_ROW) fail(describe(rc));
            room_state state;
            state.next_seq = s.is_null(1) ? 0 : s.int64(1) + 1;
            rooms.emplace(s.text(0), state);
        }
        statement order = prepare_or_throw("SELECT coalesce(max(created_order) + 1, 0) FROM rooms");
        if (order.step() != SQLITE_ROW) fail(describe(sqlite3_errcode(db.get())));
        next_created_order = order.int64(0);
    }

    void rollback_if_needed() {
        if (sqlite3_get_autocommit(db.get()) == 0)
            sqlite3_exec(db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    }

    // Queues an append or a snapshot for the writer; one of an unknown or failed room fails
    // without database work (when the writer reaches it, so callbacks keep their order).
    void enqueue(pending p) {
        {
            std::lock_guard lock(state_mutex);
            const auto it = rooms.find(p.room);
            if (it == rooms.end()) {
                p.early_error = "room " + p.room + ": no such room";
            } else if (it->second.failed) {
                p.early_error = must_reload_message(p.room);
            } else {
                p.epoch = it->second.epoch;
            }
            queue.push_back(std::move(p));
            if (!writer_waits_for_work) return;
            writer_waits_for_work = false;  // one wake-up is enough
        }
        wake.notify_one();
    }

    // --- writer -----------------------------------------------------------------------------

    // One transaction holding the appends `which` of `batch`, numbered from `next` (updated
    // only when it commits). nullopt: committed. Otherwise rolled back, and why.
    std::optional<std::string> commit(std::vector<pending>& batch,
                                      const std::vector<std::size_t>& which,
                                      std::unordered_map<std::string, std::int64_t>& next) {
        const auto failed = [&](int rc) {
            std::string reason = file_text + ": " + describe(rc);
            insert_event.reset();
            save_snapshot.reset();
            rollback_if_needed();
            return std::optional<std::string>(std::move(reason));
        };
        int rc = sqlite3_exec(db.get(), "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
        if (rc != SQLITE_OK) return failed(rc);
        auto numbered = next;
        for (const std::size_t i : which) {
            const pending& p = batch[i];
            std::int64_t& seq = numbered[p.room];
            if (p.snapshot) {  // the state after the events numbered so far
                save_snapshot.bind(1, p.room);
                save_snapshot.bind(2, seq);
                save_snapshot.bind(3, *p.snapshot);
                rc = save_snapshot.step();
                if (rc != SQLITE_DONE) return failed(rc);
                save_snapshot.reset();
            }
            for (const std::string& body : p.events) {
                insert_event.bind(1, p.room);
                insert_event.bind(2, seq);
                insert_event.bind(3, body);
                rc = insert_event.step();
                if (rc != SQLITE_DONE) return failed(rc);
                insert_event.reset();
                ++seq;
            }
        }
        rc = sqlite3_exec(db.get(), "COMMIT", nullptr, nullptr, nullptr);
        if (rc != SQLITE_OK) return failed(rc);
        next = std::move(numbered);
        ++commits;
        return std::nullopt;
    }

    // Writes a batch: all of it in one transaction; if that fails, each append in its own, so
    // only the appends that cannot be stored fail (and mark their room failed).
    void write(std::vector<pending>& batch, std::vector<outcome>& outcomes) {
        std::lock_guard db_lock(db_mutex);
        std::vector<std::size_t> todo;
        std::unordered_map<std::string, std::int64_t> next;
        {
            std::lock_guard state_lock(state_mutex);
            for (std::size_t i = 0; i < batch.size(); ++i) {
                pending& p = batch[i];
                if (p.early_error) {
                    outcomes[i] = {true, std::move(p.early_error)};
                    continue;
                }
                const auto it = rooms.find(p.room);
                if (it == rooms.end()) {
                    outcomes[i] = {true, "room " + p.room + ": no such room"};
                } else if (it->second.failed || it->second.epoch != p.epoch) {
                    outcomes[i] = {true, must_reload_message(p.room)};
                } else {
                    todo.push_back(i);
                    next.emplace(p.room, it->second.next_seq);
                }
            }
        }
        if (todo.empty()) return;

        auto error = commit(batch, todo, next);
        if (!error) {
            std::lock_guard state_lock(state_mutex);
            for (const auto& [room, seq] : next) rooms[room].next_seq = seq;
            for (const std::size_t i : todo) outcomes[i].decided = true;
            return;
        }

        // The batch failed: one append at a time, in order.
        const bool retry = todo.size() > 1;
        for (const std::size_t i : todo) {
            const pending& p = batch[i];
            std::unordered_map<std::string, std::int64_t> one;
            {
                std::lock_guard state_lock(state_mutex);
                room_state& state = rooms[p.room];
                if (state.failed || state.epoch != p.epoch) {
                    outcomes[i] = {true, must_reload_message(p.room)};
                    continue;
                }
                one.emplace(p.room, state.next_seq);
            }
            if (retry) error = commit(batch, {i}, one);
            std::lock_guard state_lock(state_mutex);
            room_state& state = rooms[p.room];
            if (!error) {
                state.next_seq = one[p.room];
                outcomes[i].decided = true;
            } else {
                state.failed = true;
                ++state.epoch;
                outcomes[i] = {true, error};
            }
        }
    }

    void run() {
        using std::chrono::steady_clock;
        auto commit_interval = interval_options.commit_interval;
        auto last_commit = steady_clock::now() - commit_interval;
        auto last_gathered = steady_clock::now();
        append_rate rate;
        for (;;) {
            std::vector<pending> batch;
            {
                std::unique_lock lock(state_mutex);
                writer_waits_for_work = true;
                wake.wait(lock, [&] { return stopping || !queue.empty(); });
                writer_waits_for_work = false;
                if (queue.empty()) return;  // stopping, and everything is written
                // Busy: let the interval since the last commit run out, gathering more.
                wake.wait_until(lock, last_commit + commit_interval, [&] { return stopping; });
                batch.swap(queue);
            }
            last_commit = steady_clock::now();
            rate.add(batch.size(), std::chrono::duration_cast<std::chrono::microseconds>(
                                       last_commit - last_gathered));
            last_gathered = last_commit;
            commit_interval = commit_interval_for(rate.per_second(), interval_options);
            commit_interval_now_us.store(commit_interval.count(), std::memory_order_relaxed);
            std::vector<outcome> outcomes(batch.size());
            try {
                write(batch, outcomes);
            } catch (const std::exception& e) {
                undecided_failed(batch, outcomes, std::string("store writer error: ") + e.what());
            } catch (...) {
                undecided_failed(batch, outcomes, "store writer error");
            }
            std::vector<answer> answers;
            answers.reserve(batch.size());
            for (std::size_t i = 0; i < batch.size(); ++i) {
                if (outcomes[i].error) {
                    ++failures;
                } else if (batch[i].snapshot) {
                    ++snapshots;
                } else {
                    ++appends;
                    events += batch[i].events.size();
                }
                answers.push_back({std::move(batch[i].done), std::move(outcomes[i].error)});
            }
            answer_all(std::move(answers));
        }
    }

    struct answer {
        commit_callback done;
        std::optional<std::string> error;
    };

    void answer_all(std::vector<answer> answers) {
        auto call_all = [answers = std::move(answers)]() mutable {
            for (auto& a : answers) call(a.done, std::move(a.error));
        };
        if (!run_callbacks) return call_all();
        try {
            run_callbacks(std::move(call_all));
        } catch (...) {
            std::fprintf(stderr, "mockroom store: could not hand over a commit's callbacks\n");
        }
    }

    // After an unexpected exception: the appends not yet decided fail, and their rooms with
    // them (what was written of them is unknown to the caller, so the room must reload).
    void undecided_failed(std::vector<pending>& batch, std::vector<outcome>& outcomes,
                          const std::string& reason) noexcept {
        try {
            {
                std::lock_guard db_lock(db_mutex);
                rollback_if_needed();
            }
            std::lock_guard state_lock(state_mutex);
            for (std::size_t i = 0; i < batch.size(); ++i) {
                if (outcomes[i].decided) continue;
                outcomes[i] = {true, reason};
                const auto it = rooms.find(batch[i].room);
                if (it != rooms.end()) {
                    it->second.failed = true;
                    ++it->second.epoch;
                }
            }
        } catch (...) {
            // Out of memory even for the message: fail them with an empty reason.
            for (auto& o : outcomes) {
                if (o.decided) continue;
                o.decided = true;
                o.error.emplace();
            }
        }
    }

    static void call(commit_callback& done, std::optional<std::string> error) noexcept {
        if (!done) return;
        try {
            done(std::move(error));
        } catch (const std::exception& e) {
            std::fprintf(stderr, "mockroom store: a commit callback threw: %s\n", e.what());
        } catch (...) {
            std::fprintf(stderr, "mockroom store: a commit callback threw\n");
        }
    }

    // --- reads ------------------------------------------------------------------------------

    // Rooms (all, or the one `only`) with their events; db_mutex held.
    std::vector<stored_room> load(const std::string* only) {
        statement rooms_query = prepare_or_throw(
            only != nullptr ? "SELECT id, title, bank_id, created_at, settings, interviewer_hash, "
                              "candidate_hash, observer_hash FROM rooms WHERE id = ?1"
                            : "SELECT id, title, bank_id, created_at, settings, interviewer_hash, "
                              "candidate_hash, observer_hash FROM rooms ORDER BY created_order");
        if (only != nullptr) rooms_query.bind(1, *only);
        statement events_query = prepare_or_throw(
            "SELECT seq, body FROM events WHERE room = ?1 AND seq >= ?2 ORDER BY seq");
        statement snapshot_query =
            prepare_or_throw("SELECT seq, body FROM snapshots WHERE room = ?1");

        // One read transaction: a consistent snapshot even if another process writes.
        exec_or_throw("BEGIN", "cannot read");
        try {
            std::vector<stored_room> result;
            for (;;) {
                const int rc = rooms_query.step();
                if (rc == SQLITE_DONE) break;
                if (rc != SQLITE_ROW) fail(describe(rc));
                stored_room stored;
                room_record& r = stored.room;
                r.id = rooms_query.text(0);
                r.title = rooms_query.text(1);
                r.bank_id = rooms_query.text(2);
                r.created_at = rooms_query.int64(3);
                r.settings_json = rooms_query.text(4);
                read_hash(rooms_query, 5, r.id, r.interviewer_hash);
                read_hash(rooms_query, 6, r.id, r.candidate_hash);
                read_hash(rooms_query, 7, r.id, r.observer_hash);

                snapshot_query.bind(1, r.id);
                if (const int src = snapshot_query.step(); src == SQLITE_ROW) {
                    stored.snapshot_seq = snapshot_query.int64(0);
                    stored.snapshot = snapshot_query.text(1);
                } else if (src != SQLITE_DONE) {
                    fail(describe(src));
                }
                snapshot_query.reset();

                events_query.bind(1, r.id);
                events_query.bind(2, stored.snapshot_seq);
                for (;;) {
                    const int erc = events_query.step();
                    if (erc == SQLITE_DONE) break;
                    if (erc != SQLITE_ROW) fail(describe(erc));
                    const std::int64_t seq = events_query.int64(0);
                    const std::int64_t expected =
                        stored.snapshot_seq + static_cast<std::int64_t>(stored.events.size());
                    if (seq != expected)
                        fail("room " + r.id + ": event " + std::to_string(expected) +
                             " is missing (its log has a gap)");
                    stored.events.push_back(events_query.text(1));
                }
                events_query.reset();
                // A snapshot beyond the log: the events it claims to cover are not all there.
                if (stored.snapshot && stored.snapshot_seq > 0) {
                    statement last = prepare_or_throw(
                        "SELECT count(*) FROM events WHERE room = ?1 AND seq = ?2");
                    last.bind(1, r.id);
                    last.bind(2, stored.snapshot_seq - 1);
                    if (last.step() != SQLITE_ROW || last.int64(0) != 1)
                        fail("room " + r.id + ": its snapshot covers events that are missing");
                }
                result.push_back(std::move(stored));
            }
            rooms_query.reset();
            events_query.reset();
            snapshot_query.reset();
            exec_or_throw("COMMIT", "cannot read");
            return result;
        } catch (...) {
            rooms_query.reset();
            events_query.reset();
            snapshot_query.reset();
            rollback_if_needed();
            throw;
        }
    }

    void read_hash(statement& s, int column, const std::string& room_id, sha256& out) {
        const std::string bytes = s.blob(column);
        if (bytes.size() != out.size()) fail("room " + room_id + ": a token hash is not 32 bytes");
        std::memcpy(out.data(), bytes.data(), out.size());
    }
};

event_store::event_store(const std::filesystem::path& dir, store_options options)
    : impl_(std::make_unique<impl>()) {
    impl_->dir = dir;
    impl_->file = dir / database_name;
    impl_->file_text = impl_->file.string();
    impl_->interval_options.commit_interval = options.commit_interval;
    impl_->interval_options.max_commit_interval = options.max_commit_interval;
    impl_->interval_options.commit_interval_rate = options.commit_interval_rate;
    impl_->commit_interval_now_us = options.commit_interval.count();
    impl_->run_callbacks = options.run_callbacks;
    impl_->open(options);
    if (options.checkpoint_in_background)
        impl_->checkpointer = std::thread([this] { impl_->run_checkpointer(); });
    impl_->writer = std::thread([this] { impl_->run(); });
}

event_store::~event_store() {
    {
        std::lock_guard lock(impl_->state_mutex);
        impl_->stopping = true;
    }
    impl_->wake.notify_one();
    if (impl_->writer.joinable()) impl_->writer.join();
    {
        std::lock_guard lock(impl_->checkpoint_mutex);
        impl_->checkpointer_stopping = true;
    }
    impl_->checkpoint_wake.notify_one();
    if (impl_->checkpointer.joinable()) impl_->checkpointer.join();
    // The checkpointer's connection closes first: the last one to close copies the WAL back.
    impl_->checkpoint_db.reset();
}

const std::filesystem::path& event_store::file() const {
    return impl_->file;
}

void event_store::create_room(const room_record& room) {
    std::lock_guard db_lock(impl_->db_mutex);
    statement insert = impl_->prepare_or_throw(
        "INSERT INTO rooms(id, created_order, title, bank_id, created_at, settings, "
        "interviewer_hash, candidate_hash, observer_hash) "
        "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    insert.bind(1, room.id);
    insert.bind(2, impl_->next_created_order);
    insert.bind(3, room.title);
    insert.bind(4, room.bank_id);
    insert.bind(5, room.created_at);
    insert.bind(6, room.settings_json);
    insert.bind(7, room.interviewer_hash);
    insert.bind(8, room.candidate_hash);
    insert.bind(9, room.observer_hash);
    // Autocommit: with synchronous=FULL the room is on disk when step() returns.
    const int rc = insert.step();
    if (rc != SQLITE_DONE) {
        const std::string reason =
            (rc & 0xff) == SQLITE_CONSTRAINT
                ? "room " + room.id + " cannot be created (" + impl_->describe(rc) + ")"
                : "room " + room.id + " cannot be created: " + impl_->describe(rc);
        insert.reset();
        impl_->rollback_if_needed();
        impl_->fail(reason);
    }
    ++impl_->next_created_order;
    std::lock_guard state_lock(impl_->state_mutex);
    impl_->rooms[room.id] = impl::room_state{};
}

bool event_store::delete_room(const std::string& room_id) {
    std::lock_guard db_lock(impl_->db_mutex);
    impl_->exec_or_throw("BEGIN IMMEDIATE", "cannot delete a room");
    try {
        statement snapshot = impl_->prepare_or_throw("DELETE FROM snapshots WHERE room = ?1");
        snapshot.bind(1, room_id);
        if (const int rc = snapshot.step(); rc != SQLITE_DONE) {
            impl_->fail("room " + room_id + " cannot be deleted: " + impl_->describe(rc));
        }
        statement events = impl_->prepare_or_throw("DELETE FROM events WHERE room = ?1");
        events.bind(1, room_id);
        if (const int rc = events.step(); rc != SQLITE_DONE) {
            impl_->fail("room " + room_id + " cannot be deleted: " + impl_->describe(rc));
        }
        statement room = impl_->prepare_or_throw("DELETE FROM rooms WHERE id = ?1");
        room.bind(1, room_id);
        if (const int rc = room.step(); rc != SQLITE_DONE) {
            impl_->fail("room " + room_id + " cannot be deleted: " + impl_->describe(rc));
        }
        const bool existed = sqlite3_changes(impl_->db.get()) > 0;
        impl_->exec_or_throw("COMMIT", "cannot delete a room");
        std::lock_guard state_lock(impl_->state_mutex);
        impl_->rooms.erase(room_id);
        return existed;
    } catch (...) {
        impl_->rollback_if_needed();
        throw;
    }
}

void event_store::append(const std::string& room_id, std::vector<std::string> events,
                         commit_callback done) {
    impl_->enqueue({room_id, std::move(events), std::move(done), 0, std::nullopt, std::nullopt});
}

void event_store::save_snapshot(const std::string& room_id, std::string body,
                                commit_callback done) {
    impl_->enqueue({room_id, {}, std::move(done), 0, std::nullopt, std::move(body)});
}

void event_store::reopen_room(const std::string& room_id) {
    std::lock_guard lock(impl_->state_mutex);
    const auto it = impl_->rooms.find(room_id);
    if (it != impl_->rooms.end()) it->second.failed = false;
}

std::vector<stored_room> event_store::load_all() {
    std::lock_guard db_lock(impl_->db_mutex);
    return impl_->load(nullptr);
}

std::optional<stored_room> event_store::load_room(const std::string& room_id) {
    std::lock_guard db_lock(impl_->db_mutex);
    auto rooms = impl_->load(&room_id);
    if (rooms.empty()) return std::nullopt;
    return std::move(rooms.front());
}

std::string event_store::integrity_check() {
    std::lock_guard db_lock(impl_->db_mutex);
    statement s(impl_->db.get(), "PRAGMA integrity_check");
    if (!s.ok()) return impl_->describe(s.prepare_code());
    std::string report;
    for (;;) {
        const int rc = s.step();
        if (rc == SQLITE_ROW) {
            if (!report.empty()) report += "\n";
            report += s.text(0);
        } else if (rc == SQLITE_DONE) {
            return report;
        } else {
            if (!report.empty()) report += "\n";
            return report + impl_->describe(rc);
        }
    }
}

store_statistics event_store::statistics() const {
    store_statistics s;
    s.commits = impl_->commits.load();
    s.appends = impl_->appends.load();
    s.events = impl_->events.load();
    s.failures = impl_->failures.load();
    s.snapshots = impl_->snapshots.load();
    s.checkpoint_attempts = impl_->checkpoint_attempts.load();
    s.checkpoints = impl_->checkpoints.load();
    s.wal_restarts = impl_->wal_restarts.load();
    s.commit_interval = std::chrono::microseconds(impl_->commit_interval_now_us.load());
    return s;
}

std::chrono::microseconds commit_interval_for(double appends_per_second,
                                              const store_options& options) {
    const auto shortest = options.commit_interval;
    const auto longest = std::max(options.max_commit_interval, shortest);
    // A zero interval stays zero: "commit as soon as anything is queued" at any load.
    if (shortest.count() <= 0 || !(appends_per_second > 0) || !(options.commit_interval_rate > 0))
        return shortest;
    const double us =
        static_cast<double>(shortest.count()) * appends_per_second / options.commit_interval_rate;
    if (!(us < static_cast<double>(longest.count()))) return longest;  // also NaN, infinity
    return std::max(shortest, std::chrono::microseconds(static_cast<std::int64_t>(us)));
}

void append_rate::add(std::size_t appends, std::chrono::microseconds since_previous) {
    // An exponential average of a stream of events: the weight of the past decays with time,
    // not with the number of samples, so a burst gathered in one commit counts as much as the
    // same appends spread over many.
    const double dt_us = std::max(1.0, static_cast<double>(since_previous.count()));
    const double keep = std::exp(-dt_us / time_constant_us_);
    const double sample = static_cast<double>(appends) * 1e6 / dt_us;
    per_second_ = keep * per_second_ + (1.0 - keep) * sample;
}

}  // namespace mockroom::store
