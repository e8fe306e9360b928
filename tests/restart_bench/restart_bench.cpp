// Restart time with snapshots against the named alternative, replaying each room's whole log.
//
// Writes the same rooms into two real SQLite stores: one with a snapshot every --snapshot-every
// events (what the server does), one with events only. Each room is a session driven through the
// domain: an interviewer and a candidate typing into the shared notes, private notes, questions
// and timer commands. Then it times what a restart does (open the store, load every room, rebuild
// it), several times each, checks both give the same rooms, and prints the figures.
//
//   mockroom-restart-bench [--rooms 100] [--events 5000] [--snapshot-every 1000] [--repeat 3]
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>
#include <random>
#include <string>
#include <vector>

#include "domain/room.hpp"
#include "net/room_host.hpp"
#include "protocol/journal_json.hpp"
#include "store/event_store.hpp"

using namespace mockroom;
using namespace mockroom::domain;
namespace fs = std::filesystem;

namespace {

constexpr millis t0 = 1'764'000'000'000;

std::shared_ptr<const bank> make_bank() {
    auto b = std::make_shared<bank>();
    b->id = "bench";
    b->title = "Bench";
    for (int n = 1; n <= 20; ++n) {
        question q;
        q.id = "q" + std::to_string(n);
        q.number = n;
        q.text = "Question " + std::to_string(n) + ": explain something at some length.";
        q.sample_answer =
            "A sample answer of a realistic length for question " + std::to_string(n) + ".";
        b->questions.push_back(q);
    }
    return b;
}

// One typed character, or sometimes a backspace, at a random place: what a session's log holds.
change_set keystroke(std::mt19937& rng, std::size_t length) {
    std::uniform_int_distribution<std::size_t> pos_of(0, length);
    const std::size_t at = pos_of(rng);
    if (length > 0 && at > 0 && rng() % 5 == 0) {
        return change_set::from_parts(
            {change_set::keep{at - 1}, change_set::replace{1, u""}, change_set::keep{length - at}});
    }
    static const char16_t letters[] = u"abcdefghijklmnopqrstuvwxyz \n";
    const std::u16string typed(1, letters[rng() % 28]);
    return change_set::from_parts(
        {change_set::keep{at}, change_set::replace{0, typed}, change_set::keep{length - at}});
}

void wait_for(std::vector<std::future<std::optional<std::string>>>& pending) {
    for (auto& f : pending) {
        if (auto error = f.get()) throw std::runtime_error("store: " + *error);
    }
    pending.clear();
}

// Drives a room until its journal has `events` entries; appends them to both stores (and
// snapshots to the first), like room_host does.
void write_room(const std::string& id, std::size_t events, std::size_t snapshot_every,
                const std::shared_ptr<const bank>& questions, const limits& bounds,
                store::event_store& with_snapshots, store::event_store& log_only,
                std::mt19937& rng) {
    store::room_record record;
    record.id = id;
    record.title = "Bench";
    record.bank_id = questions->id;
    record.created_at = t0;
    record.settings_json = protocol::settings_to_json({});
    with_snapshots.create_room(record);
    log_only.create_room(record);

    room live({id, "Bench", questions, t0, {}}, bounds);
    millis now = t0;
    live.join(1, role::interviewer, "Grace", "i", now);
    live.join(2, role::candidate, "Ada", "c", now);
    std::size_t written = 0, since_snapshot = 0;
    std::vector<std::future<std::optional<std::string>>> pending;
    auto append_to = [&pending](store::event_store& store, const std::string& room,
                                std::vector<std::string> bodies) {
        auto promise = std::make_shared<std::promise<std::optional<std::string>>>();
        pending.push_back(promise->get_future());
        store.append(room, std::move(bodies),
                     [promise](std::optional<std::string> error) { promise->set_value(error); });
    };
    while (written < events) {
        now += 150;
        const int action = static_cast<int>(rng() % 100);
        if (action < 2) {
            live.apply(1, push_question{"q" + std::to_string(1 + rng() % 20), std::nullopt}, "",
                       now);
        } else if (action < 3) {
            live.apply(1,
                       timer_command{timer_id::question, timer_action::add, 30'000,
                                     live.timer(timer_id::question).rev()},
                       "", now);
        } else {
            const bool private_notes = action < 15;
            const doc_id d = private_notes ? doc_id::private_notes : doc_id::shared;
            const connection_id who = private_notes || rng() % 2 ? 1 : 2;
            const auto& doc = live.document(d);
            live.apply(
                who,
                notes_push{
                    d, doc.version(), {{who == 1 ? "i" : "c", keystroke(rng, doc.text().size())}}},
                "", now);
        }
        std::vector<std::string> bodies;
        for (const auto& entry : live.take_journal()) {
            bodies.push_back(protocol::journal_to_json(entry));
        }
        if (bodies.empty()) continue;
        written += bodies.size();
        since_snapshot += bodies.size();
        append_to(log_only, id, bodies);
        append_to(with_snapshots, id, std::move(bodies));
        if (since_snapshot >= snapshot_every) {
            since_snapshot = 0;
            auto body = protocol::snapshot_to_json(live.snapshot());
            if (!body) continue;
            auto promise = std::make_shared<std::promise<std::optional<std::string>>>();
            pending.push_back(promise->get_future());
            with_snapshots.save_snapshot(
                id, std::move(*body),
                [promise](std::optional<std::string> error) { promise->set_value(error); });
        }
        if (pending.size() > 256) wait_for(pending);
    }
    wait_for(pending);
}

struct restart_figures {
    double ms = 0;
    std::size_t events_replayed = 0;
    std::size_t snapshots_loaded = 0;
    std::vector<std::string> fingerprints;  // per room: versions and texts, to compare
};

// What a restart does: open the store, load every room, rebuild it.
restart_figures restart(const fs::path& dir, const std::shared_ptr<const bank>& questions,
                        const limits& bounds) {
    restart_figures figures;
    const auto start = std::chrono::steady_clock::now();
    store::event_store store(dir);
    const auto stored = store.load_all();
    std::vector<room> rooms;
    rooms.reserve(stored.size());
    for (const auto& s : stored) {
        figures.events_replayed += s.events.size();
        if (s.snapshot) ++figures.snapshots_loaded;
        rooms.push_back(net::restore_stored_room(s, {questions}, bounds));
    }
    figures.ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    for (const auto& r : rooms) {
        std::string print = r.info().id + " h" + std::to_string(r.history().size());
        for (doc_id d : {doc_id::shared, doc_id::private_notes}) {
            const auto& doc = r.document(d);
            print += " v" + std::to_string(doc.version()) + ":" +
                     std::to_string(std::hash<std::u16string>{}(doc.text()));
        }
        figures.fingerprints.push_back(std::move(print));
    }
    return figures;
}

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t rooms = 100, events = 5'000, snapshot_every = 1'000, repeat = 3;
    std::string dir_text = (fs::temp_directory_path() / "mockroom-restart-bench").string();
    unsigned seed = 1;
    CLI::App app{"mockroom restart time: snapshots against replaying the whole log"};
    app.add_option("--rooms", rooms, "rooms")->capture_default_str()->check(CLI::PositiveNumber);
    app.add_option("--events", events, "events per room")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--snapshot-every", snapshot_every, "events between snapshots")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--repeat", repeat, "restarts timed per store (the median is reported)")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--dir", dir_text, "scratch directory (emptied first)")->capture_default_str();
    app.add_option("--seed", seed, "random seed")->capture_default_str();
    CLI11_PARSE(app, argc, argv);

    const fs::path dir = dir_text;
    fs::remove_all(dir);
    const fs::path snapshots_dir = dir / "snapshots", log_dir = dir / "log-only";
    const auto questions = make_bank();
    limits bounds;
    bounds.snapshot_every_events = snapshot_every;
    try {
        std::mt19937 rng(seed);
        {
            store::event_store with_snapshots(snapshots_dir);
            store::event_store log_only(log_dir);
            for (std::size_t i = 0; i < rooms; ++i) {
                write_room("room" + std::to_string(i), events, snapshot_every, questions, bounds,
                           with_snapshots, log_only, rng);
            }
        }
        std::vector<double> snapshot_ms, log_ms;
        restart_figures with_snapshots, log_only;
        for (std::size_t i = 0; i < repeat; ++i) {
            with_snapshots = restart(snapshots_dir, questions, bounds);
            log_only = restart(log_dir, questions, bounds);
            snapshot_ms.push_back(with_snapshots.ms);
            log_ms.push_back(log_only.ms);
        }
        if (with_snapshots.fingerprints != log_only.fingerprints) {
            std::fprintf(stderr, "restart-bench: the two stores rebuilt different rooms\n");
            return 1;
        }
        const double fast = median(snapshot_ms), slow = median(log_ms);
        std::printf("restart of %zu rooms x %zu events (median of %zu restarts each)\n", rooms,
                    events, repeat);
        std::printf("| store | events replayed | snapshots loaded | restart ms | per room ms |\n");
        std::printf("|---|---:|---:|---:|---:|\n");
        std::printf("| snapshot every %zu events | %zu | %zu | %.1f | %.2f |\n", snapshot_every,
                    with_snapshots.events_replayed, with_snapshots.snapshots_loaded, fast,
                    fast / static_cast<double>(rooms));
        std::printf("| whole log (no snapshots) | %zu | %zu | %.1f | %.2f |\n",
                    log_only.events_replayed, log_only.snapshots_loaded, slow,
                    slow / static_cast<double>(rooms));
        std::printf("speed-up: %.1fx; both rebuilt the same %zu rooms\n", slow / fast, rooms);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "restart-bench: %s\n", e.what());
        fs::remove_all(dir);
        return 1;
    }
    fs::remove_all(dir);
    return 0;
}
