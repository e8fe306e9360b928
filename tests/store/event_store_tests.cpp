// The SQLite event log on real files: reopen, group commit, durability before the callback, a
// full disk, damaged and unusable files. Every test works in a fresh temporary directory.
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <limits>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "store/event_store.hpp"

using namespace mockroom::store;
namespace fs = std::filesystem;

namespace {

// A fresh directory under the system temp directory, removed with everything in it.
class temp_dir {
  public:
    temp_dir() {
        static std::atomic<int> counter{0};
        std::random_device random;
        path_ = fs::temp_directory_path() /
                ("mockroom-store-test-" + std::to_string(::getpid()) + "-" +
                 std::to_string(counter++) + "-" + std::to_string(random()));
        fs::create_directories(path_);
    }
    ~temp_dir() {
        std::error_code ignored;
        fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, ignored);
        fs::remove_all(path_, ignored);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    const fs::path& path() const { return path_; }

  private:
    fs::path path_;
};

sha256 hash_of(unsigned char seed) {
    sha256 h{};
    for (std::size_t i = 0; i < h.size(); ++i) h[i] = static_cast<unsigned char>(seed + i);
    return h;
}

room_record make_room(const std::string& id) {
    room_record r;
    r.id = id;
    r.title = "Practice " + id;
    r.bank_id = "python-developer";
    r.created_at = 1'700'000'000'000;
    r.settings_json = R"({"minutes":45})";
    r.interviewer_hash = hash_of(1);
    r.candidate_hash = hash_of(2);
    r.observer_hash = hash_of(3);
    return r;
}

bool same_room(const room_record& a, const room_record& b) {
    return a.id == b.id && a.title == b.title && a.bank_id == b.bank_id &&
           a.created_at == b.created_at && a.settings_json == b.settings_json &&
           a.interviewer_hash == b.interviewer_hash && a.candidate_hash == b.candidate_hash &&
           a.observer_hash == b.observer_hash;
}

// Appends and waits for the callback.
std::optional<std::string> append_and_wait(event_store& store, const std::string& room,
                                           std::vector<std::string> events) {
    std::promise<std::optional<std::string>> promise;
    auto result = promise.get_future();
    store.append(room, std::move(events),
                 [&promise](std::optional<std::string> error) { promise.set_value(error); });
    return result.get();
}

store_options capped(std::int64_t pages) {
    store_options options;
    options.max_page_count = pages;
    return options;
}

// Counts callbacks and keeps their results, by index.
class callbacks {
  public:
    explicit callbacks(std::size_t expected) : results_(expected) {}

    event_store::commit_callback at(std::size_t index) {
        return [this, index](std::optional<std::string> error) {
            std::lock_guard lock(mutex_);
            results_.at(index) = std::move(error);
            ++done_;
            changed_.notify_all();
        };
    }
    void wait_all() {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return done_ == results_.size(); });
    }
    std::size_t done() {
        std::lock_guard lock(mutex_);
        return done_;
    }
    const std::optional<std::string>& result(std::size_t index) { return results_.at(index); }

  private:
    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<std::optional<std::string>> results_;
    std::size_t done_ = 0;
};

// The seq column of a room's events, read with SQLite directly.
std::vector<std::int64_t> stored_seqs(const fs::path& file, const std::string& room) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open_v2(file.string().c_str(), &db, SQLITE_OPEN_READONLY, nullptr) ==
            SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, "SELECT seq FROM events WHERE room = ?1 ORDER BY seq", -1, &stmt,
                               nullptr) == SQLITE_OK);
    sqlite3_bind_text(stmt, 1, room.c_str(), -1, SQLITE_TRANSIENT);
    std::vector<std::int64_t> seqs;
    while (sqlite3_step(stmt) == SQLITE_ROW) seqs.push_back(sqlite3_column_int64(stmt, 0));
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return seqs;
}

std::vector<std::int64_t> zero_to(std::size_t n) {
    std::vector<std::int64_t> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::int64_t>(i);
    return v;
}

void exec_sql(const fs::path& file, const char* sql) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(file.string().c_str(), &db) == SQLITE_OK);
    char* err = nullptr;
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
    INFO((err != nullptr ? err : ""));
    sqlite3_free(err);
    sqlite3_close(db);
    REQUIRE(rc == SQLITE_OK);
}

std::string read_bytes(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_bytes_at(const fs::path& file, std::streamoff offset, const std::string& bytes) {
    std::fstream out(file, std::ios::binary | std::ios::in | std::ios::out);
    out.seekp(offset);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    REQUIRE(out.good());
}

// The message of the store_error thrown by opening `dir`; fails the test if it opens.
std::string open_error(const fs::path& dir, store_options options = {}) {
    try {
        event_store store(dir, options);
    } catch (const store_error& e) {
        return e.what();
    }
    FAIL("the store opened " << dir);
    return {};
}

std::string event_text(std::size_t room, std::size_t n) {
    return R"({"type":"edit","room":)" + std::to_string(room) + R"(,"n":)" + std::to_string(n) +
           "}";
}

}  // namespace

TEST_CASE("a new store creates DIR/mockroom.db and reopens with the same rooms and events") {
    temp_dir tmp;
    const fs::path dir = tmp.path() / "data" / "nested";  // created by the store
    std::vector<std::string> expected_b;
    {
        event_store store(dir);
        REQUIRE(store.file() == dir / "mockroom.db");
        REQUIRE(fs::is_regular_file(store.file()));
        // Created in this order; "a" sorts after "zz" so order is not by id.
        store.create_room(make_room("zz"));
        auto b = make_room("a");
        b.title = "Ünïcode – title";
        b.settings_json = R"({"minutes":30,"timer":"shared"})";
        b.interviewer_hash = hash_of(100);
        store.create_room(b);
        store.create_room(make_room("m"));
        REQUIRE_FALSE(append_and_wait(store, "a", {"one", "two"}));
        REQUIRE_FALSE(append_and_wait(store, "zz", {"z0"}));
        REQUIRE_FALSE(append_and_wait(store, "a", {std::string("three\0with nul", 14)}));
        REQUIRE_FALSE(append_and_wait(store, "a", {}));  // nothing to store: still fine
        expected_b = {"one", "two", std::string("three\0with nul", 14)};
        const auto stats = store.statistics();
        CHECK(stats.appends == 4);
        CHECK(stats.events == 4);
        CHECK(stats.failures == 0);
    }
    event_store reopened(dir);
    const auto all = reopened.load_all();
    REQUIRE(all.size() == 3);
    CHECK(all[0].room.id == "zz");
    CHECK(all[1].room.id == "a");
    CHECK(all[2].room.id == "m");
    auto b = make_room("a");
    b.title = "Ünïcode – title";
    b.settings_json = R"({"minutes":30,"timer":"shared"})";
    b.interviewer_hash = hash_of(100);
    CHECK(same_room(all[1].room, b));
    CHECK(same_room(all[0].room, make_room("zz")));
    CHECK(all[0].events == std::vector<std::string>{"z0"});
    CHECK(all[1].events == expected_b);
    CHECK(all[2].events.empty());

    const auto one = reopened.load_room("a");
    REQUIRE(one);
    CHECK(same_room(one->room, b));
    CHECK(one->events == expected_b);
    CHECK_FALSE(reopened.load_room("nope"));

    // Seq numbers continue from what is stored.
    REQUIRE_FALSE(append_and_wait(reopened, "a", {"four"}));
    REQUIRE_FALSE(append_and_wait(reopened, "m", {"m0"}));
    CHECK(stored_seqs(reopened.file(), "a") == zero_to(4));
    CHECK(stored_seqs(reopened.file(), "m") == zero_to(1));
    CHECK(reopened.integrity_check() == "ok");
}

TEST_CASE("creating a room twice, or appending to an unknown room, fails") {
    temp_dir tmp;
    event_store store(tmp.path());
    store.create_room(make_room("r"));
    REQUIRE_THROWS_AS(store.create_room(make_room("r")), store_error);
    const auto error = append_and_wait(store, "ghost", {"x"});
    REQUIRE(error);
    CHECK(error->find("ghost") != std::string::npos);
    CHECK(store.load_all().size() == 1);
    CHECK(store.statistics().failures == 1);
}

TEST_CASE("appends from many rooms in parallel threads are all durable, seq contiguous") {
    temp_dir tmp;
    constexpr std::size_t threads = 8;
    constexpr std::size_t rooms_per_thread = 2;
    constexpr std::size_t appends_per_room = 13;
    constexpr std::size_t total = threads * rooms_per_thread * appends_per_room;  // 208
    store_statistics stats;
    {
        event_store store(tmp.path());
        for (std::size_t r = 0; r < threads * rooms_per_thread; ++r)
            store.create_room(make_room("room" + std::to_string(r)));
        callbacks done(total);
        std::vector<std::thread> workers;
        for (std::size_t t = 0; t < threads; ++t) {
            workers.emplace_back([&, t] {
                for (std::size_t n = 0; n < appends_per_room; ++n) {
                    for (std::size_t k = 0; k < rooms_per_thread; ++k) {
                        const std::size_t room = t * rooms_per_thread + k;
                        const std::size_t index = room * appends_per_room + n;
                        // Two events per append: the seq counts events, not appends.
                        store.append("room" + std::to_string(room),
                                     {event_text(room, 2 * n), event_text(room, 2 * n + 1)},
                                     done.at(index));
                    }
                }
            });
        }
        for (auto& w : workers) w.join();
        done.wait_all();
        for (std::size_t i = 0; i < total; ++i) REQUIRE_FALSE(done.result(i));
        stats = store.statistics();
    }
    INFO("commits " << stats.commits << " for " << stats.appends << " appends");
    CHECK(stats.appends == total);
    CHECK(stats.events == 2 * total);
    CHECK(stats.failures == 0);
    CHECK(stats.commits >= 1);
    CHECK(stats.commits <= stats.appends);
    WARN("group commit, free-running threads: " << stats.commits << " commits for " << stats.appends
                                                << " appends");

    event_store reopened(tmp.path());
    const auto all = reopened.load_all();
    REQUIRE(all.size() == threads * rooms_per_thread);
    for (std::size_t room = 0; room < all.size(); ++room) {
        REQUIRE(all[room].room.id == "room" + std::to_string(room));
        std::vector<std::string> expected;
        for (std::size_t n = 0; n < 2 * appends_per_room; ++n)
            expected.push_back(event_text(room, n));
        CHECK(all[room].events == expected);
        CHECK(stored_seqs(reopened.file(), all[room].room.id) == zero_to(2 * appends_per_room));
    }
}

TEST_CASE("run_callbacks: each commit hands its callbacks over once, to run in order elsewhere") {
    temp_dir tmp;
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<std::function<void()>> handed;  // one per commit, in commit order
    store_options options;
    options.run_callbacks = [&](std::function<void()> call_all) {
        std::lock_guard lock(mutex);
        handed.push_back(std::move(call_all));
        changed.notify_all();
    };
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    std::vector<std::string> answered;  // only this thread runs the callbacks
    auto note = [&answered](std::string what) {
        return [&answered, what](std::optional<std::string> error) {
            answered.push_back(error ? "error: " + *error : what);
        };
    };
    event_store store(tmp.path(), options);
    for (int r = 0; r < 3; ++r) store.create_room(make_room("room" + std::to_string(r)));

    store.append("room0", {"first"}, note("first"));
    {
        std::unique_lock lock(mutex);
        REQUIRE(changed.wait_until(lock, deadline, [&] { return !handed.empty(); }));
    }
    CHECK(answered.empty());  // handed over, not called on the writer thread

    std::vector<std::string> expected{"first"};
    for (int n = 0; n < 30; ++n) {
        const std::string name = "room" + std::to_string(n % 3);
        store.append(name,
                     {event_text(static_cast<std::size_t>(n % 3), static_cast<std::size_t>(n))},
                     note(name + "#" + std::to_string(n)));
        expected.push_back(name + "#" + std::to_string(n));
    }
    std::vector<std::function<void()>> to_run;
    {
        std::unique_lock lock(mutex);
        REQUIRE(changed.wait_until(lock, deadline, [&] {
            const auto stats = store.statistics();
            return stats.appends == 31 && handed.size() == stats.commits;
        }));
        to_run.swap(handed);
    }
    CHECK(answered.empty());
    for (auto& call_all : to_run) call_all();
    CHECK(answered == expected);
}

TEST_CASE("group commit: appends queued while a commit is in progress share the next commit") {
    temp_dir tmp;
    event_store store(tmp.path());
    for (int r = 0; r < 8; ++r) store.create_room(make_room("room" + std::to_string(r)));

    // Hold the writer thread in a callback, so everything below queues up behind it.
    // (No Catch2 assertion on the writer thread; a broken promise also releases it.)
    std::promise<std::optional<std::string>> entered;
    std::promise<void> release;
    std::shared_future<void> release_future = release.get_future().share();
    store.append("room0", {"first"}, [&entered, release_future](std::optional<std::string> error) {
        entered.set_value(std::move(error));
        release_future.wait();
    });
    REQUIRE_FALSE(entered.get_future().get());
    const auto before = store.statistics();
    REQUIRE(before.commits == 1);

    constexpr std::size_t threads = 8;
    constexpr std::size_t per_thread = 25;
    callbacks done(threads * per_thread);
    std::vector<std::thread> workers;
    for (std::size_t t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
            for (std::size_t n = 0; n < per_thread; ++n)
                store.append("room" + std::to_string(t), {event_text(t, n)},
                             done.at(t * per_thread + n));
        });
    }
    for (auto& w : workers) w.join();
    CHECK(done.done() == 0);  // nothing is acknowledged before its commit
    release.set_value();
    done.wait_all();
    for (std::size_t i = 0; i < threads * per_thread; ++i) REQUIRE_FALSE(done.result(i));

    const auto after = store.statistics();
    const auto burst_commits = after.commits - before.commits;
    WARN("group commit, queued burst: " << burst_commits << " commit(s) for "
                                        << threads * per_thread << " appends from " << threads
                                        << " threads");
    CHECK(burst_commits == 1);  // the writer takes everything queued into one transaction
    CHECK(after.appends == 1 + threads * per_thread);
    for (std::size_t t = 0; t < threads; ++t) {
        const auto room = store.load_room("room" + std::to_string(t));
        REQUIRE(room);
        CHECK(room->events.size() == per_thread + (t == 0 ? 1 : 0));
    }
}

TEST_CASE("the callback comes only after a fresh store on the same directory reads the events") {
    temp_dir tmp;
    event_store store(tmp.path());
    store.create_room(make_room("r"));
    for (int round = 0; round < 5; ++round) {
        std::promise<std::vector<std::string>> seen;
        auto result = seen.get_future();
        store.append("r", {"event" + std::to_string(round)}, [&](std::optional<std::string> error) {
            try {
                if (error) throw std::runtime_error(*error);
                // On the writer thread, right after the commit: another connection sees it.
                event_store fresh(tmp.path());
                auto room = fresh.load_room("r");
                seen.set_value(room ? room->events : std::vector<std::string>{});
            } catch (...) {
                seen.set_exception(std::current_exception());
            }
        });
        const auto events = result.get();
        REQUIRE(events.size() == static_cast<std::size_t>(round) + 1);
        CHECK(events.back() == "event" + std::to_string(round));
    }
}

TEST_CASE("a full disk fails only the append that does not fit, and the room must reload") {
    temp_dir tmp;
    const std::string big(10'000, 'x');    // about three pages of 4 KiB
    const std::string huge(400'000, 'y');  // more than the whole cap
    std::vector<std::string> stored_a;     // what room a acknowledged
    std::vector<std::string> stored_b;
    {
        event_store store(tmp.path(), capped(64));  // 64 pages: 256 KiB
        store.create_room(make_room("a"));
        store.create_room(make_room("b"));

        std::optional<std::string> error;
        for (int n = 0; n < 200 && !error; ++n) {
            std::string body = std::to_string(n) + big;
            // Two events per append: a failure must store neither.
            error = append_and_wait(store, "a", {body, body});
            if (!error) stored_a.insert(stored_a.end(), {body, body});
        }
        REQUIRE(error);
        INFO(*error);
        CHECK(error->find("full") != std::string::npos);
        CHECK(error->find("mockroom.db") != std::string::npos);
        REQUIRE(stored_a.size() >= 2);  // some fitted before the cap
        CHECK(store.load_room("a")->events == stored_a);
        CHECK(store.statistics().failures == 1);

        // The room is failed: even a tiny append fails at once, without a write.
        const auto commits = store.statistics().commits;
        auto again = append_and_wait(store, "a", {"tiny"});
        REQUIRE(again);
        CHECK(again->find("reload") != std::string::npos);
        CHECK(store.statistics().commits == commits);

        // Another room's small append may fit or not, but never partially.
        const auto b_error = append_and_wait(store, "b", {"b0", "b1", "b2"});
        if (!b_error) stored_b = {"b0", "b1", "b2"};
        CHECK(store.load_room("b")->events == stored_b);

        // After reopen_room the room appends again: this one fails for lack of space (not
        // because the room is failed), and an append queued behind it fails with it, even if it
        // would fit, so the log has no gap.
        store.reopen_room("a");
        callbacks pair(2);
        store.append("a", {huge}, pair.at(0));
        store.append("a", {"after the failure"}, pair.at(1));
        pair.wait_all();
        REQUIRE(pair.result(0));
        CHECK(pair.result(0)->find("full") != std::string::npos);
        REQUIRE(pair.result(1));
        CHECK(pair.result(1)->find("reload") != std::string::npos);
        CHECK(store.load_room("a")->events == stored_a);
        CHECK(store.integrity_check() == "ok");
    }
    CHECK(stored_seqs(tmp.path() / "mockroom.db", "a") == zero_to(stored_a.size()));

    // More room (a new store without the cap): the failed room reloads and appends again.
    event_store store(tmp.path());
    const auto a = store.load_room("a");
    REQUIRE(a);
    CHECK(a->events == stored_a);
    store.reopen_room("a");  // harmless on a room that is not failed
    REQUIRE_FALSE(append_and_wait(store, "a", {huge}));
    REQUIRE_FALSE(append_and_wait(store, "b", {"b-later"}));
    stored_a.push_back(huge);
    stored_b.push_back("b-later");
    CHECK(store.load_room("a")->events == stored_a);
    CHECK(store.load_room("b")->events == stored_b);
    CHECK(stored_seqs(store.file(), "a") == zero_to(stored_a.size()));
    CHECK(stored_seqs(store.file(), "b") == zero_to(stored_b.size()));
    CHECK(store.integrity_check() == "ok");
}

TEST_CASE("a damaged database is refused at open, named, and left as it is") {
    temp_dir tmp;
    const fs::path file = tmp.path() / "mockroom.db";
    {
        event_store store(tmp.path());
        for (int r = 0; r < 3; ++r) {
            const std::string id = "room" + std::to_string(r);
            store.create_room(make_room(id));
            for (std::size_t n = 0; n < 50; ++n)
                store.append(
                    id, {event_text(static_cast<std::size_t>(r), n) + std::string(300, 'p')}, {});
        }
    }  // closing the last connection checkpoints the WAL into mockroom.db
    REQUIRE(fs::file_size(file) > 8 * 4096);

    SECTION("garbage over the header") {
        write_bytes_at(file, 0, std::string(100, '\x5a'));
        const auto before = read_bytes(file);
        const auto message = open_error(tmp.path());
        INFO(message);
        CHECK(message.find(file.string()) != std::string::npos);
        CHECK(message.find("not an SQLite database") != std::string::npos);
        CHECK(read_bytes(file) == before);
    }
    SECTION("garbage over a page in the middle") {
        const auto pages = fs::file_size(file) / 4096;
        write_bytes_at(file, static_cast<std::streamoff>(pages / 2 * 4096),
                       std::string(4096, '\xab'));
        const auto before = read_bytes(file);
        const auto message = open_error(tmp.path());
        INFO(message);
        CHECK(message.find(file.string()) != std::string::npos);
        CHECK(message.find("the database is damaged (quick_check: ") != std::string::npos);
        CHECK(read_bytes(file) == before);
    }
    SECTION("truncated in the middle of a page") {
        const auto size = fs::file_size(file);
        fs::resize_file(file, size - 4096 - 1000);
        const auto message = open_error(tmp.path());
        INFO(message);
        CHECK(message.find(file.string()) != std::string::npos);
        CHECK(message.find("damaged") != std::string::npos);
    }
}

TEST_CASE("a file that is not a mockroom database is refused, never overwritten") {
    temp_dir tmp;
    const fs::path file = tmp.path() / "mockroom.db";

    SECTION("garbage bytes") {
        std::string garbage;
        std::mt19937 random(42);
        for (int i = 0; i < 8192; ++i) garbage.push_back(static_cast<char>(random() & 0xff));
        { std::ofstream(file, std::ios::binary) << garbage; }
        const auto message = open_error(tmp.path());
        INFO(message);
        CHECK(message.find(file.string()) != std::string::npos);
        CHECK(message.find("not an SQLite database") != std::string::npos);
        CHECK(read_bytes(file) == garbage);
    }
    SECTION("text") {
        { std::ofstream(file) << "room,title\nr1,Practice\n"; }
        const auto message = open_error(tmp.path());
        INFO(message);
        CHECK(message.find(file.string()) != std::string::npos);
        CHECK(read_bytes(file) == "room,title\nr1,Practice\n");
    }
    SECTION("another application's SQLite database") {
        exec_sql(file, "CREATE TABLE notes(id INTEGER PRIMARY KEY, text TEXT)");
        const auto message = open_error(tmp.path());
        INFO(message);
        CHECK(message.find(file.string()) != std::string::npos);
        CHECK(message.find("not a mockroom database") != std::string::npos);
    }
    SECTION("a newer schema version") {
        { event_store store(tmp.path()); }
        exec_sql(file, "PRAGMA user_version=99");
        const auto message = open_error(tmp.path());
        INFO(message);
        CHECK(message.find(file.string()) != std::string::npos);
        CHECK(message.find("schema version 99") != std::string::npos);
    }
    SECTION("mockroom.db is a directory") {
        fs::create_directory(file);
        const auto message = open_error(tmp.path());
        INFO(message);
        CHECK(message.find(file.string()) != std::string::npos);
        CHECK(message.find("not a regular file") != std::string::npos);
    }
}

TEST_CASE("a data directory that is a file, or cannot be created, is refused") {
    temp_dir tmp;
    const fs::path not_a_dir = tmp.path() / "data";
    { std::ofstream(not_a_dir) << "just a file"; }

    SECTION("the directory is a file") {
        const auto message = open_error(not_a_dir);
        INFO(message);
        CHECK(message.find(not_a_dir.string()) != std::string::npos);
        CHECK(message.find("not a directory") != std::string::npos);
        CHECK(read_bytes(not_a_dir) == "just a file");
    }
    SECTION("the directory cannot be created") {
        const fs::path below = not_a_dir / "nested";
        const auto message = open_error(below);
        INFO(message);
        CHECK(message.find(below.string()) != std::string::npos);
        CHECK(message.find("cannot") != std::string::npos);
    }
}

TEST_CASE("an unreadable database file or directory is refused") {
    if (::geteuid() == 0) {
        WARN("running as root: file permissions do not apply, nothing to check");
        return;
    }
    temp_dir tmp;
    const fs::path dir = tmp.path() / "data";
    { event_store store(dir); }

    SECTION("the file cannot be read or written") {
        fs::permissions(dir / "mockroom.db", fs::perms::none);
        const auto message = open_error(dir);
        INFO(message);
        CHECK(message.find((dir / "mockroom.db").string()) != std::string::npos);
        fs::permissions(dir / "mockroom.db", fs::perms::owner_read | fs::perms::owner_write);
    }
    SECTION("the file is read-only") {
        fs::permissions(dir / "mockroom.db", fs::perms::owner_read);
        const auto message = open_error(dir);
        INFO(message);
        CHECK(message.find((dir / "mockroom.db").string()) != std::string::npos);
        CHECK(message.find("read-only") != std::string::npos);
        fs::permissions(dir / "mockroom.db", fs::perms::owner_read | fs::perms::owner_write);
    }
    SECTION("the directory cannot be entered") {
        fs::permissions(dir, fs::perms::none);
        const auto message = open_error(dir);
        INFO(message);
        CHECK(message.find(dir.string()) != std::string::npos);
        fs::permissions(dir, fs::perms::owner_all);
    }
}

TEST_CASE("integrity_check is ok on a good store") {
    temp_dir tmp;
    event_store store(tmp.path());
    CHECK(store.integrity_check() == "ok");
    store.create_room(make_room("r"));
    REQUIRE_FALSE(append_and_wait(store, "r", {"a", "b"}));
    CHECK(store.integrity_check() == "ok");
}

TEST_CASE("the destructor commits what is queued and calls every callback") {
    temp_dir tmp;
    constexpr std::size_t count = 50;
    callbacks done(count);
    {
        event_store store(tmp.path());
        store.create_room(make_room("r"));
        for (std::size_t n = 0; n < count; ++n) store.append("r", {event_text(0, n)}, done.at(n));
    }  // no wait: destroyed right away
    REQUIRE(done.done() == count);
    for (std::size_t n = 0; n < count; ++n) REQUIRE_FALSE(done.result(n));

    event_store reopened(tmp.path());
    const auto room = reopened.load_room("r");
    REQUIRE(room);
    REQUIRE(room->events.size() == count);
    for (std::size_t n = 0; n < count; ++n) CHECK(room->events[n] == event_text(0, n));
}

TEST_CASE("a callback that throws does not stop the writer") {
    temp_dir tmp;
    event_store store(tmp.path());
    store.create_room(make_room("r"));
    store.append("r", {"one"}, [](std::optional<std::string>) {
        throw std::runtime_error("a careless callback");
    });
    REQUIRE_FALSE(append_and_wait(store, "r", {"two"}));
    CHECK(store.load_room("r")->events == std::vector<std::string>{"one", "two"});
}

TEST_CASE("callbacks may call back into the store") {
    temp_dir tmp;
    event_store store(tmp.path());
    store.create_room(make_room("r"));
    std::promise<std::optional<std::string>> second;
    store.append("r", {"one"}, [&](std::optional<std::string> error) {
        if (error) {
            second.set_value(std::move(error));
            return;
        }
        store.create_room(make_room("s"));  // synchronous, from the writer thread
        store.append("s", {"s0"},
                     [&](std::optional<std::string> e) { second.set_value(std::move(e)); });
    });
    REQUIRE_FALSE(second.get_future().get());
    CHECK(store.load_room("s")->events == std::vector<std::string>{"s0"});
}

namespace {

std::optional<std::string> snapshot_and_wait(event_store& store, const std::string& room,
                                             std::string body) {
    std::promise<std::optional<std::string>> promise;
    auto result = promise.get_future();
    store.save_snapshot(room, std::move(body),
                        [&promise](std::optional<std::string> error) { promise.set_value(error); });
    return result.get();
}

}  // namespace

TEST_CASE("snapshots: a load gives the latest snapshot and only the events after it") {
    temp_dir tmp;
    {
        event_store store(tmp.path());
        store.create_room(make_room("a"));
        store.create_room(make_room("b"));
        REQUIRE_FALSE(append_and_wait(store, "a", {"e0", "e1", "e2"}));
        // Queued behind e0..e2 without waiting for them: it covers exactly those three.
        callbacks queued(3);
        store.append("a", {"e3"}, queued.at(0));
        store.save_snapshot("a", "state after e0..e3", queued.at(1));
        store.append("a", {"e4", "e5"}, queued.at(2));
        queued.wait_all();
        for (std::size_t i = 0; i < 3; ++i) REQUIRE_FALSE(queued.result(i));
        CHECK(store.statistics().snapshots == 1);
        CHECK(store.statistics().events == 6);

        const auto a = store.load_room("a");
        REQUIRE(a);
        CHECK(a->snapshot == "state after e0..e3");
        CHECK(a->snapshot_seq == 4);
        CHECK(a->events == std::vector<std::string>{"e4", "e5"});
        // A room without a snapshot loads its whole log.
        REQUIRE_FALSE(append_and_wait(store, "b", {"b0"}));
        CHECK_FALSE(store.load_room("b")->snapshot);
        CHECK(store.load_room("b")->events == std::vector<std::string>{"b0"});
        // A newer snapshot replaces the older one; the events all stay (the log is the record).
        REQUIRE_FALSE(snapshot_and_wait(store, "a", "state after e0..e5"));
        CHECK(snapshot_and_wait(store, "nope", "x"));
    }
    event_store reopened(tmp.path());
    const auto all = reopened.load_all();
    REQUIRE(all.size() == 2);
    CHECK(all[0].snapshot == "state after e0..e5");
    CHECK(all[0].snapshot_seq == 6);
    CHECK(all[0].events.empty());
    CHECK(stored_seqs(reopened.file(), "a") == zero_to(6));
    REQUIRE_FALSE(append_and_wait(reopened, "a", {"e6"}));
    CHECK(reopened.load_room("a")->events == std::vector<std::string>{"e6"});
    // Deleting a room deletes its snapshot too.
    CHECK(reopened.delete_room("a"));
    CHECK_FALSE(reopened.load_room("a"));
    CHECK(reopened.integrity_check() == "ok");
}

TEST_CASE("snapshots: one that covers missing events is refused at load, by name") {
    temp_dir tmp;
    {
        event_store store(tmp.path());
        store.create_room(make_room("a"));
        REQUIRE_FALSE(append_and_wait(store, "a", {"e0", "e1"}));
        REQUIRE_FALSE(snapshot_and_wait(store, "a", "state after e0, e1"));
    }
    exec_sql(tmp.path() / "mockroom.db", "DELETE FROM events WHERE seq = 1");
    event_store store(tmp.path());
    try {
        store.load_all();
        FAIL("loaded a snapshot whose events are missing");
    } catch (const store_error& e) {
        CHECK(std::string(e.what()).find("room a") != std::string::npos);
        CHECK(std::string(e.what()).find("snapshot") != std::string::npos);
    }
}

TEST_CASE("snapshots: a failed snapshot fails the room like an append; a full disk stores none") {
    temp_dir tmp;
    event_store store(tmp.path(), capped(64));  // 256 KiB
    store.create_room(make_room("a"));
    REQUIRE_FALSE(append_and_wait(store, "a", {"e0"}));
    auto error = snapshot_and_wait(store, "a", std::string(400'000, 's'));
    REQUIRE(error);
    CHECK(error->find("full") != std::string::npos);
    CHECK(append_and_wait(store, "a", {"e1"}));  // the room must reload first
    const auto a = store.load_room("a");
    CHECK_FALSE(a->snapshot);
    CHECK(a->events == std::vector<std::string>{"e0"});
    store.reopen_room("a");
    REQUIRE_FALSE(append_and_wait(store, "a", {"e1"}));
    CHECK(store.integrity_check() == "ok");
}

TEST_CASE("a version 1 database (no snapshots table) is upgraded in place, its data kept") {
    temp_dir tmp;
    {
        event_store store(tmp.path());
        store.create_room(make_room("a"));
        REQUIRE_FALSE(append_and_wait(store, "a", {"e0", "e1"}));
    }
    // What mockroom 1 wrote: the same tables but snapshots, and user_version 1.
    exec_sql(tmp.path() / "mockroom.db", "DROP TABLE snapshots; PRAGMA user_version=1;");
    {
        event_store store(tmp.path());
        const auto a = store.load_room("a");
        REQUIRE(a);
        CHECK(a->events == std::vector<std::string>{"e0", "e1"});
        REQUIRE_FALSE(snapshot_and_wait(store, "a", "state"));
        CHECK(store.load_room("a")->snapshot == "state");
    }
    event_store again(tmp.path());
    CHECK(again.load_room("a")->snapshot_seq == 2);
}

TEST_CASE("a version 2 database (events clustered by room) is upgraded to commit order, kept") {
    temp_dir tmp;
    const fs::path file = tmp.path() / "mockroom.db";
    {
        event_store store(tmp.path());
        store.create_room(make_room("a"));
        store.create_room(make_room("b"));
        REQUIRE_FALSE(append_and_wait(store, "a", {"a0", "a1"}));
        REQUIRE_FALSE(append_and_wait(store, "b", {"b0"}));
        REQUIRE_FALSE(snapshot_and_wait(store, "a", "state after a1"));
        REQUIRE_FALSE(append_and_wait(store, "a", {"a2"}));
        REQUIRE_FALSE(append_and_wait(store, "b", {"b1", "b2"}));
    }
    // What mockroom 2 wrote: the events table clustered by (room, seq), user_version 2.
    exec_sql(file, R"sql(
        CREATE TABLE events_v2(
            room TEXT NOT NULL REFERENCES rooms(id),
            seq INTEGER NOT NULL CHECK(seq >= 0),
            body TEXT NOT NULL,
            PRIMARY KEY(room, seq)) WITHOUT ROWID;
        INSERT INTO events_v2 SELECT room, seq, body FROM events;
        DROP TABLE events;
        ALTER TABLE events_v2 RENAME TO events;
        PRAGMA user_version=2;)sql");
    const auto events_sql = [&] {
        sqlite3* db = nullptr;
        REQUIRE(sqlite3_open(file.string().c_str(), &db) == SQLITE_OK);
        sqlite3_stmt* stmt = nullptr;
        REQUIRE(sqlite3_prepare_v2(db, "SELECT sql FROM sqlite_schema WHERE name = 'events'", -1,
                                   &stmt, nullptr) == SQLITE_OK);
        REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
        std::string sql(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
        sqlite3_finalize(stmt);
        sqlite3_close(db);
        return sql;
    };
    REQUIRE(events_sql().find("WITHOUT ROWID") != std::string::npos);
    {
        event_store store(tmp.path());
        const auto a = store.load_room("a");
        REQUIRE(a);
        CHECK(a->snapshot == "state after a1");
        CHECK(a->snapshot_seq == 2);
        CHECK(a->events == std::vector<std::string>{"a2"});
        CHECK(store.load_room("b")->events == std::vector<std::string>{"b0", "b1", "b2"});
        // Numbering goes on where it was.
        REQUIRE_FALSE(append_and_wait(store, "b", {"b3"}));
        CHECK(store.integrity_check() == "ok");
    }
    const std::string upgraded = events_sql();
    CHECK(upgraded.find("WITHOUT ROWID") == std::string::npos);
    CHECK(upgraded.find("id INTEGER PRIMARY KEY") != std::string::npos);
    event_store again(tmp.path());
    CHECK(again.load_room("b")->events == std::vector<std::string>{"b0", "b1", "b2", "b3"});
    CHECK(again.load_room("a")->events == std::vector<std::string>{"a2"});
}

TEST_CASE("commit interval: an idle store commits at once; appends soon after a commit share one") {
    temp_dir tmp;
    store_options options;
    options.commit_interval = std::chrono::seconds(3);  // wide: the test never races it
    event_store store(tmp.path(), options);
    store.create_room(make_room("a"));

    // Idle: the first append does not wait for any interval.
    const auto start = std::chrono::steady_clock::now();
    REQUIRE_FALSE(append_and_wait(store, "a", {"e0"}));
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
    CHECK(store.statistics().commits == 1);

    // Right after that commit: appended one by one, they all wait for the rest of the interval
    // and go into one commit together.
    callbacks three(3);
    for (std::size_t i = 0; i < 3; ++i)
        store.append("a", {"e" + std::to_string(i + 1)}, three.at(i));
    three.wait_all();
    for (std::size_t i = 0; i < 3; ++i) REQUIRE_FALSE(three.result(i));
    CHECK(store.statistics().commits == 2);
    CHECK(store.load_room("a")->events == std::vector<std::string>{"e0", "e1", "e2", "e3"});
}

TEST_CASE(
    "commit interval: the destructor does not wait out the interval to store what is queued") {
    temp_dir tmp;
    store_options options;
    options.commit_interval = std::chrono::seconds(30);
    std::optional<std::string> result = "not called";
    {
        event_store store(tmp.path(), options);
        store.create_room(make_room("a"));
        REQUIRE_FALSE(append_and_wait(store, "a", {"e0"}));
        store.append("a", {"e1"}, [&result](std::optional<std::string> error) { result = error; });
    }  // would take 30 s if stopping waited for the interval
    CHECK_FALSE(result);
    event_store reopened(tmp.path());
    CHECK(reopened.load_room("a")->events == std::vector<std::string>{"e0", "e1"});
}

namespace {

// Polls `done` until it holds or `limit` has passed (a deadline, not a sleep the test relies on).
template <class Condition>
bool eventually(Condition done, std::chrono::seconds limit = std::chrono::seconds(30)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
}

std::uintmax_t size_or_zero(const fs::path& file) {
    std::error_code ec;
    const auto size = fs::file_size(file, ec);
    return ec ? 0 : size;
}

// One round of appends: `per_room` events of about 3 KB to each room, one commit each (every
// event spills to an overflow page, so a round writes at least two WAL frames per event).
void append_round(event_store& store, const std::vector<std::string>& rooms, int round,
                  int per_room) {
    for (int e = 0; e < per_room; ++e) {
        for (const auto& room : rooms) {
            std::string body = room + "/" + std::to_string(round) + "/" + std::to_string(e) + "/";
            body.resize(3000, static_cast<char>('a' + (round + e) % 26));
            REQUIRE_FALSE(append_and_wait(store, room, {std::move(body)}));
        }
    }
}

}  // namespace

TEST_CASE("commit interval: grows in proportion to the rate of appends, within its bounds") {
    using us = std::chrono::microseconds;
    store_options o;
    o.commit_interval = us(1000);
    o.max_commit_interval = us(4000);
    o.commit_interval_rate = 1500;  // 1 ms at 1,500 appends a second
    CHECK(commit_interval_for(0, o) == us(1000));
    CHECK(commit_interval_for(1000, o) == us(1000));  // light load: never below the interval
    CHECK(commit_interval_for(1500, o) == us(1000));
    CHECK(commit_interval_for(3000, o) == us(2000));
    CHECK(commit_interval_for(4500, o) == us(3000));
    CHECK(commit_interval_for(6000, o) == us(4000));
    CHECK(commit_interval_for(1e12, o) == us(4000));
    CHECK(commit_interval_for(std::numeric_limits<double>::infinity(), o) == us(4000));
    CHECK(commit_interval_for(std::numeric_limits<double>::quiet_NaN(), o) == us(1000));
    CHECK(commit_interval_for(-5, o) == us(1000));

    store_options fixed = o;  // a bound at or below the interval: it does not grow
    fixed.max_commit_interval = us(500);
    CHECK(commit_interval_for(1e6, fixed) == us(1000));
    store_options wide = o;  // nor is a wide interval ever shortened
    wide.commit_interval = std::chrono::seconds(3);
    CHECK(commit_interval_for(1e6, wide) == std::chrono::seconds(3));
    store_options no_rate = o;
    no_rate.commit_interval_rate = 0;
    CHECK(commit_interval_for(1e6, no_rate) == us(1000));
    store_options from_zero = o;  // 0 means "commit as soon as anything is queued", at any load
    from_zero.commit_interval = us(0);
    CHECK(commit_interval_for(0, from_zero) == us(0));
    CHECK(commit_interval_for(1e6, from_zero) == us(0));
    store_options from_two = o;  // the interval is the floor it grows from
    from_two.commit_interval = us(2000);
    from_two.max_commit_interval = us(8000);
    CHECK(commit_interval_for(1500, from_two) == us(2000));
    CHECK(commit_interval_for(3000, from_two) == us(4000));
    CHECK(commit_interval_for(1e6, from_two) == us(8000));
}

TEST_CASE("append rate: an average over time, however the appends were gathered") {
    using std::chrono::milliseconds;
    append_rate one_by_one(milliseconds(100));
    append_rate gathered(milliseconds(100));
    for (int i = 0; i < 1000; ++i) one_by_one.add(2, milliseconds(1));  // 2,000 a second
    for (int i = 0; i < 250; ++i) gathered.add(8, milliseconds(4));     // the same, 4 ms apart
    CHECK(one_by_one.per_second() == Approx(2000).epsilon(0.01));
    CHECK(gathered.per_second() == Approx(2000).epsilon(0.01));

    // An average, not the last sample: from nothing to 2,000 a second, one time constant later
    // it has come 1 - 1/e of the way.
    append_rate step(milliseconds(100));
    for (int i = 0; i < 100; ++i) step.add(2, milliseconds(1));
    CHECK(step.per_second() == Approx(2000 * (1 - std::exp(-1.0))).epsilon(0.01));

    // A second of nothing, then one append: the old rate is forgotten.
    one_by_one.add(1, std::chrono::seconds(1));
    CHECK(one_by_one.per_second() < 2);
    // A burst in no time at all is a high rate, not a division by zero.
    gathered.add(50, std::chrono::microseconds(0));
    CHECK(std::isfinite(gathered.per_second()));
    CHECK(gathered.per_second() > 2000);
}

TEST_CASE(
    "commit interval: a flood of appends lengthens it to its bound; single appends shorten "
    "it again") {
    using us = std::chrono::microseconds;
    using std::chrono::milliseconds;
    using std::chrono::steady_clock;
    temp_dir tmp;
    store_options options;
    options.commit_interval = us(1000);
    options.max_commit_interval = us(5000);  // reached at 7,500 appends a second
    // Before the store: its destructor may still run callbacks if a REQUIRE below fails.
    std::atomic<std::uint64_t> durable{0};
    std::atomic<std::uint64_t> failed{0};
    event_store store(tmp.path(), options);
    store.create_room(make_room("a"));
    CHECK(store.statistics().commit_interval == us(1000));

    // 20 appends a millisecond (20,000 a second), on a schedule: small commits, each quick,
    // so that only the interval keeps them apart.
    std::uint64_t issued = 0;
    const auto flood_start = steady_clock::now();
    std::int64_t ticks = 0;
    const auto flood_until = [&](auto done) {
        while (!done()) {
            std::this_thread::sleep_until(flood_start + milliseconds(ticks++));
            for (int i = 0; i < 20; ++i, ++issued) {
                store.append(
                    "a", {"e" + std::to_string(issued)},
                    [&](std::optional<std::string> error) { ++(error ? failed : durable); });
            }
        }
    };
    const auto deadline = steady_clock::now() + std::chrono::seconds(30);
    flood_until([&] {
        return store.statistics().commit_interval == us(5000) || steady_clock::now() > deadline;
    });
    REQUIRE(store.statistics().commit_interval == us(5000));

    // The writer keeps to it: while the flood goes on, at most one commit starts per 5 ms (an
    // upper bound: a slow machine commits less often, never more).
    const auto commits_before = store.statistics().commits;
    const auto measured_from = steady_clock::now();
    flood_until([&] { return steady_clock::now() - measured_from > milliseconds(300); });
    const auto commits_during = store.statistics().commits - commits_before;
    const auto measured_ms =
        std::chrono::duration_cast<milliseconds>(steady_clock::now() - measured_from).count();
    // Long still (a stalled test thread could lower the average a little for one commit).
    CHECK(store.statistics().commit_interval >= us(4000));
    CHECK(commits_during <= static_cast<std::uint64_t>(measured_ms / 5 + 3));
    CHECK(commits_during >= 2);  // and not stuck: the interval is milliseconds, not seconds
    REQUIRE(eventually([&] { return durable + failed == issued; }));
    CHECK(failed == 0);

    // One append at a time, each once the one before is durable: the rate falls, and with it
    // the interval, back to its shortest.
    std::uint64_t singles = 0;
    const bool shortened = eventually([&] {
        ++singles;
        return !append_and_wait(store, "a", {"single"}) &&
               store.statistics().commit_interval == us(1000);
    });
    CHECK(shortened);
    CHECK(store.load_room("a")->events.size() == issued + singles);
}

TEST_CASE("checkpoints: a thread of their own copies the WAL back, and the WAL begins again") {
    temp_dir tmp;
    store_options options;
    options.commit_interval = {};
    options.checkpoint_pages = 50;
    const std::vector<std::string> rooms{"r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7"};
    constexpr int rounds = 16;
    constexpr int per_room = 10;  // 80 events a round: over 160 WAL frames, checkpoint_pages 50
    const fs::path wal = tmp.path() / "mockroom.db-wal";
    std::uintmax_t largest_wal = 0;
    {
        event_store store(tmp.path(), options);
        for (const auto& room : rooms) store.create_room(make_room(room));
        for (int round = 0; round < rounds; ++round) {
            append_round(store, rooms, round, per_room);
            // Each round passes the threshold, so one more checkpoint completes once the
            // writer is quiet (it may have completed already, beside the commits).
            REQUIRE(eventually([&] {
                return store.statistics().checkpoints >= static_cast<std::uint64_t>(round) + 1;
            }));
            largest_wal = std::max(largest_wal, size_or_zero(wal));
        }
        const auto stats = store.statistics();
        // A completed checkpoint ends with a pass that no commit can interleave with, so the
        // next commit finds the WAL copied and begins it again: after every round but the last.
        CHECK(stats.wal_restarts >= rounds - 1);
        CHECK(stats.appends == rooms.size() * rounds * per_room);
        // What the rounds wrote is in the database file itself, not only in the WAL.
        const std::uintmax_t written = rooms.size() * rounds * per_room * 3000;
        CHECK(size_or_zero(tmp.path() / "mockroom.db") >= written);
        // The WAL is reused. A commit of one event writes 2 to 6 frames of 4 KB + 24 bytes
        // (table leaf, overflow page, index leaf, at times an interior page and page 1), and
        // restarts come at least once a round, so it never holds more than about two rounds
        // (bound: three rounds at 6 frames an event). Without restarts it would hold every
        // frame: at least 2 an event.
        constexpr std::uintmax_t frame = 4096 + 24;
        const std::uintmax_t events_per_round = rooms.size() * per_room;
        const std::uintmax_t bound = (3 * events_per_round * 6 + 50) * frame;
        const std::uintmax_t without_restarts = rounds * events_per_round * 2 * frame;
        REQUIRE(bound < without_restarts);
        CHECK(largest_wal > 0);
        CHECK(largest_wal < bound);
        CHECK(store.integrity_check() == "ok");
    }
    event_store reopened(tmp.path());
    for (const auto& room : rooms) {
        const auto stored = reopened.load_room(room);
        REQUIRE(stored);
        REQUIRE(stored->events.size() == rounds * per_room);
        for (int round = 0; round < rounds; ++round) {
            for (int e = 0; e < per_room; ++e) {
                const std::string& body =
                    stored->events[static_cast<std::size_t>(round * per_room + e)];
                CHECK(body.rfind(room + "/" + std::to_string(round) + "/" + std::to_string(e) + "/",
                                 0) == 0);
                CHECK(body.size() == 3000);
            }
        }
    }
}

TEST_CASE("checkpoints: a reader in another process holding an old snapshot delays them only") {
    temp_dir tmp;
    store_options options;
    options.commit_interval = {};
    options.checkpoint_pages = 50;
    const std::vector<std::string> rooms{"r0", "r1", "r2", "r3"};
    event_store store(tmp.path(), options);
    for (const auto& room : rooms) store.create_room(make_room(room));
    append_round(store, rooms, 0, 1);  // about 20 WAL frames: no checkpoint yet

    // Another connection (as `mockroom export` would be) opens a read transaction and keeps it.
    sqlite3* reader = nullptr;
    REQUIRE(sqlite3_open_v2((tmp.path() / "mockroom.db").c_str(), &reader, SQLITE_OPEN_READONLY,
                            nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_exec(reader, "BEGIN; SELECT count(*) FROM events;", nullptr, nullptr,
                         nullptr) == SQLITE_OK);
    const auto checkpoints_before = store.statistics().checkpoints;
    const auto restarts_before = store.statistics().wal_restarts;
    const auto attempts_before = store.statistics().checkpoint_attempts;

    // Appends go on as usual; no checkpoint can complete past the reader's snapshot, and the
    // WAL cannot begin again under it.
    for (int round = 1; round <= 4; ++round) append_round(store, rooms, round, 5);
    CHECK(store.statistics().checkpoints == checkpoints_before);
    CHECK(store.statistics().wal_restarts == restarts_before);
    CHECK(store.statistics().failures == 0);
    // It tried, and never spun: at most one try per 50 new frames (80 commits of at most 6).
    CHECK(eventually([&] { return store.statistics().checkpoint_attempts > attempts_before; }));
    CHECK(store.statistics().checkpoint_attempts <= attempts_before + 80 * 6 / 50 + 1);

    // The reader sees its snapshot: the first round only.
    sqlite3_stmt* count = nullptr;
    REQUIRE(sqlite3_prepare_v2(reader, "SELECT count(*) FROM events", -1, &count, nullptr) ==
            SQLITE_OK);
    REQUIRE(sqlite3_step(count) == SQLITE_ROW);
    CHECK(sqlite3_column_int64(count, 0) == static_cast<std::int64_t>(rooms.size()));
    sqlite3_finalize(count);

    // Once it lets go, the next checkpoint completes (it is due 50 frames after the last try),
    // and the commit after it begins the WAL again.
    REQUIRE(sqlite3_exec(reader, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close_v2(reader);
    append_round(store, rooms, 5, 10);
    REQUIRE(eventually([&] { return store.statistics().checkpoints > checkpoints_before; }));
    append_round(store, rooms, 6, 1);
    CHECK(store.statistics().wal_restarts > restarts_before);
    for (const auto& room : rooms) CHECK(store.load_room(room)->events.size() == 1 + 20 + 10 + 1);
    CHECK(store.integrity_check() == "ok");
}
