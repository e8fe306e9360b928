// Durable-append latency of the event store with checkpoints on a thread of their own (what the
// server does) against the named alternative, SQLite's own checkpoint inside the commit that
// crosses the threshold.
//
// An open-loop producer appends one event to one of --rooms rooms every 1/--rate seconds into a
// real SQLite store (WAL, synchronous=FULL), each event due at a fixed time: latency runs from
// that time to the append's callback (durable), so a stalled commit shows up in full. Both ways
// run in turn, --repeat times, each in a fresh directory; afterwards every store is reopened and
// every room loaded (timed: what a restart reads), and it must hold every event.
//
//   mockroom-store-bench [--rooms 300] [--rate 6000] [--seconds 10] [--warmup 1] [--body 160]
//                        [--checkpoint-pages 4000] [--commit-interval-us 1000]
//                        [--max-commit-interval-us 4000] [--repeat 2]
//                        [--dir DIR] [--smoke]
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "histogram.hpp"
#include "store/event_store.hpp"

using namespace mockroom;
namespace fs = std::filesystem;
using steady = std::chrono::steady_clock;

namespace {

struct settings {
    int rooms = 300;
    double rate = 6000;  // appends per second
    double seconds = 10;
    double warmup = 1;
    std::size_t body = 160;  // bytes per event: about a keystroke's journal entry
    std::int64_t checkpoint_pages = 4000;
    std::int64_t commit_interval_us = 1000;
    std::int64_t max_commit_interval_us = 4000;  // the server's defaults
    int repeat = 2;
    fs::path dir = fs::temp_directory_path() / "mockroom-store-bench";
    bool smoke = false;
};

struct result {
    std::string way;
    std::uint64_t issued = 0;
    std::uint64_t stored_after_reopen = 0;
    std::uint64_t failures = 0;
    load::histogram latency_us;
    double cpu_us_per_append = 0;
    store::store_statistics stats;
    std::uintmax_t largest_wal = 0;
    double reload_ms = 0;  // reopening the store and loading every room (a restart's reads)
};

double cpu_seconds(int who) {
    rusage usage{};
    getrusage(who, &usage);
    const auto seconds = [](timeval t) {
        return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

std::uintmax_t size_or_zero(const fs::path& file) {
    std::error_code ec;
    const auto size = fs::file_size(file, ec);
    return ec ? 0 : size;
}

store::room_record make_room(const std::string& id) {
    store::room_record r;
    r.id = id;
    r.title = "Bench " + id;
    r.bank_id = "bench";
    r.settings_json = "{}";
    r.interviewer_hash.fill(1);
    r.candidate_hash.fill(2);
    r.observer_hash.fill(3);
    return r;
}

result run_once(const settings& s, bool background, const fs::path& dir) {
    result out;
    out.way = background ? "checkpoints on their own thread" : "SQLite's checkpoint in the commit";
    fs::remove_all(dir);
    store::store_options options;
    options.checkpoint_pages = s.checkpoint_pages;
    options.checkpoint_in_background = background;
    options.commit_interval = std::chrono::microseconds(s.commit_interval_us);
    options.max_commit_interval = std::chrono::microseconds(s.max_commit_interval_us);

    std::vector<std::string> rooms;
    for (int r = 0; r < s.rooms; ++r) rooms.push_back("room-" + std::to_string(r));
    const auto period = std::chrono::duration<double>(1.0 / s.rate);
    const auto total = static_cast<std::uint64_t>((s.warmup + s.seconds) * s.rate);
    const auto window_from = static_cast<std::uint64_t>(s.warmup * s.rate);
    const fs::path wal = dir / "mockroom.db-wal";
    std::uint64_t failures = 0;  // counted by the callbacks, on the writer thread
    {
        store::event_store store(dir, options);
        for (const auto& id : rooms) store.create_room(make_room(id));
        // Callbacks run on the writer thread, one at a time: the histogram needs no lock, and is
        // read only after the store (and its writer) is gone.
        load::histogram& latency = out.latency_us;
        double cpu_before = 0;
        double producer_before = 0;
        const auto start = steady::now();
        for (std::uint64_t i = 0; i < total; ++i) {
            const auto due = start + std::chrono::duration_cast<steady::duration>(
                                         period * static_cast<double>(i));
            std::this_thread::sleep_until(due);
            if (i == window_from) {
                cpu_before = cpu_seconds(RUSAGE_SELF);
                producer_before = cpu_seconds(RUSAGE_THREAD);
            }
            std::string body = rooms[i % rooms.size()] + "#" + std::to_string(i) + ":";
            body.resize(std::max(body.size(), s.body), static_cast<char>('a' + i % 26));
            const bool measured = i >= window_from;
            store.append(
                rooms[i % rooms.size()], {std::move(body)},
                [&latency, &failures, due, measured](std::optional<std::string> error) {
                    if (error) ++failures;
                    if (!measured) return;
                    const auto us =
                        std::chrono::duration_cast<std::chrono::microseconds>(steady::now() - due);
                    latency.record(static_cast<std::uint64_t>(std::max<long>(0, us.count())));
                });
            if (i % 256 == 0) out.largest_wal = std::max(out.largest_wal, size_or_zero(wal));
        }
        const double window_cpu = (cpu_seconds(RUSAGE_SELF) - cpu_before) -
                                  (cpu_seconds(RUSAGE_THREAD) - producer_before);
        out.issued = total;
        out.cpu_us_per_append = window_cpu * 1e6 / static_cast<double>(total - window_from);
        out.stats = store.statistics();
    }
    out.failures = failures;  // the writer has stopped: every callback has run
    {
        const auto reload_start = steady::now();
        store::event_store reopened(dir);
        const auto all = reopened.load_all();
        out.reload_ms =
            std::chrono::duration<double, std::milli>(steady::now() - reload_start).count();
        for (const auto& stored : all) out.stored_after_reopen += stored.events.size();
    }
    fs::remove_all(dir);
    return out;
}

double ms(std::uint64_t us) {
    return static_cast<double>(us) / 1000.0;
}

}  // namespace

int main(int argc, char** argv) {
    settings s;
    CLI::App app{
        "mockroom-store-bench: durable-append latency, checkpoints beside or inside commits"};
    app.add_option("--rooms", s.rooms)->check(CLI::Range(1, 100000))->capture_default_str();
    app.add_option("--rate", s.rate, "appends per second")->check(CLI::Range(1.0, 1e6));
    app.add_option("--seconds", s.seconds, "measured seconds")->check(CLI::Range(0.1, 3600.0));
    app.add_option("--warmup", s.warmup, "seconds before measuring")->check(CLI::Range(0.0, 600.0));
    app.add_option("--body", s.body, "bytes per event")->check(CLI::Range(1, 1 << 20));
    app.add_option("--checkpoint-pages", s.checkpoint_pages)->check(CLI::Range(1, 1 << 24));
    app.add_option("--commit-interval-us", s.commit_interval_us)->check(CLI::Range(0, 1000000));
    app.add_option("--max-commit-interval-us", s.max_commit_interval_us,
                   "the most the interval grows to under load (at or below the interval: fixed)")
        ->check(CLI::Range(0, 1000000));
    app.add_option("--repeat", s.repeat, "runs of each way, alternating")->check(CLI::Range(1, 20));
    app.add_option("--dir", s.dir, "scratch directory (emptied)");
    app.add_flag("--smoke", s.smoke, "exit 1 unless every append was stored, both ways");
    CLI11_PARSE(app, argc, argv);

    std::printf(
        "store bench: %d rooms, %.0f appends/s of %zu bytes, %.1f s measured after %.1f s, "
        "checkpoint every %lld pages, commit interval %lld us growing up to %lld us\n\n",
        s.rooms, s.rate, s.body, s.seconds, s.warmup, static_cast<long long>(s.checkpoint_pages),
        static_cast<long long>(s.commit_interval_us),
        static_cast<long long>(std::max(s.commit_interval_us, s.max_commit_interval_us)));
    std::printf(
        "| way | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | CPU us/append | commits | interval "
        "ms | "
        "checkpoints | largest WAL MB | reload ms "
        "|\n|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    bool all_stored = true;
    for (int r = 0; r < s.repeat; ++r) {
        for (const bool background : {false, true}) {
            result x = run_once(s, background, s.dir / (background ? "background" : "inline"));
            const auto& h = x.latency_us;
            std::printf(
                "| %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.1f | %llu | %.2f | %llu | %.1f | %.0f "
                "|\n",
                x.way.c_str(), ms(h.percentile(50)), ms(h.percentile(90)), ms(h.percentile(99)),
                ms(h.percentile(99.9)), ms(h.max()), x.cpu_us_per_append,
                static_cast<unsigned long long>(x.stats.commits),
                static_cast<double>(x.stats.commit_interval.count()) / 1000.0,
                static_cast<unsigned long long>(x.stats.checkpoints),
                static_cast<double>(x.largest_wal) / 1e6, x.reload_ms);
            std::fflush(stdout);
            if (x.failures != 0 || x.stored_after_reopen != x.issued) {
                all_stored = false;
                std::fprintf(stderr, "%s: %llu appends, %llu failed, %llu stored after reopen\n",
                             x.way.c_str(), static_cast<unsigned long long>(x.issued),
                             static_cast<unsigned long long>(x.failures),
                             static_cast<unsigned long long>(x.stored_after_reopen));
            }
            if (s.smoke && background && x.stats.checkpoints == 0) {
                all_stored = false;
                std::fprintf(stderr, "%s: no checkpoint completed\n", x.way.c_str());
            }
        }
    }
    return s.smoke && !all_stored ? 1 : 0;
}
