#include "load_run.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cmath>
#include <deque>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <string_view>
#include <thread>
#include <vector>

#include "frame_scan.hpp"
#include "load_client.hpp"
#include "proc_stats.hpp"

namespace mockroom::load {

namespace {

using clock_type = std::chrono::steady_clock;
using json = nlohmann::json;

enum class seat_role { interviewer, candidate, observer };

enum class seat_state {
    waiting,       // not connected yet
    connecting,    // TCP connect and upgrade
    joining,       // hello sent: waiting for welcome and the shared notes
    joined,        // counted as a reader of everything sent from now on
    reconnecting,  // churn: a new socket on its way through connecting and joining
    failed,
    closed,  // closed by the other side or an error
};

struct room_state {
    std::string id;
    std::string tokens[3];  // interviewer, candidate, observer
    std::vector<std::size_t> seats;
};

struct seat {
    std::size_t room = 0;
    std::size_t member = 0;  // index in its room
    seat_role role = seat_role::observer;
    std::string client_id;
    std::string participant;  // from welcome (mockroom) or invented (relay)
    std::shared_ptr<ws_client> socket;
    seat_state state = seat_state::waiting;
    bool reconnect = false;  // this join resumes (churn)
    std::int64_t join_started_us = 0;
    std::int64_t version = 0;     // synced version of the shared notes
    std::int64_t doc_length = 0;  // its length in UTF-16 units
    // Own unconfirmed edits (their tokens), oldest first: the `in_flight` first ones were
    // pushed and await their confirmation, the others wait for it (see push_pending).
    std::deque<std::string> pending;
    std::size_t in_flight = 0;
    bool push_owed = false;  // pending edits to push again (after conflict, rate_limited)
    // Between the shared notes and the presence that end a join, the server sends the others'
    // current cursors: not deliveries of anything sent.
    bool in_join_replay = false;
    std::int64_t next_request_id = 1;
    // Per sender (its member index): the scheduled times of the cursors it sent us, in order.
    std::vector<std::deque<std::int64_t>> cursor_queues;
};

enum class stream_kind : std::uint8_t { edit, cursor };

// One typist's edits or cursors: the k-th send is due at phase + k * period.
struct send_stream {
    std::size_t typist = 0;  // index into typists_
    stream_kind kind = stream_kind::edit;
    double phase_us = 0;
    double period_us = 0;
    std::int64_t sends = 0;
};

struct due_send {
    std::int64_t due_us;
    std::size_t stream;
    bool operator>(const due_send& other) const { return due_us > other.due_us; }
};

struct parsed_target {
    std::string host;
    std::string port;
};

parsed_target parse_target(const std::string& target, target_mode mode) {
    const std::string scheme = mode == target_mode::mockroom ? "http://" : "ws://";
    if (target.rfind(scheme, 0) != 0)
        throw setup_error("--target must start with " + scheme + " in this mode: " + target);
    std::string rest = target.substr(scheme.size());
    if (const auto slash = rest.find('/'); slash != std::string::npos) rest.resize(slash);
    const auto colon = rest.rfind(':');
    if (colon == std::string::npos) return {rest, "80"};
    return {rest.substr(0, colon), rest.substr(colon + 1)};
}

class load_run final : public client_events {
  public:
    load_run(const load_options& options, const load_limits& bounds)
        : options_(options),
          bounds_(bounds),
          origin_(clock_type::now()),
          poll_(io_),
          send_timer_(io_),
          churn_timer_(io_),
          rng_(options.seed) {}

    load_result run();

    void on_open(std::size_t tag, ws_client& client) override;
    void on_frame(std::size_t tag, ws_client& client, std::string_view frame) override;
    void on_closed(std::size_t tag, ws_client& client, beast::error_code ec,
                   bool was_open) override;

  private:
    std::int64_t now_us() const {
        return std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now() - origin_)
            .count();
    }
    bool in_window(std::int64_t scheduled_us) const {
        return scheduled_us >= window_start_us_ && scheduled_us < window_end_us_;
    }
    void run_until(const std::function<bool()>& done, std::chrono::milliseconds timeout);
    void read_server_rss(std::optional<std::int64_t>& into);

    void plan_rooms();
    void create_rooms();
    asio::awaitable<void> create_rooms_worker(std::shared_ptr<http_connection> connection);
    std::string choose_bank();

    void open_all_seats();
    void connect_next();
    void connect_seat(std::size_t index);
    void seat_joined(seat& s);
    void seat_failed(seat& s, const std::string& why);

    void handle_updates(seat& s, const frame_fields& f, std::int64_t now);
    void handle_cursor(seat& s, const frame_fields& f, std::int64_t now);
    void handle_error(seat& s, const frame_fields& f);
    void apply_token(seat& s, bool own, bool catch_up, const latency_token& token,
                     std::int64_t now);

    void start_schedule();
    void on_send_timer();
    void send_edit(std::size_t typist, std::int64_t scheduled);
    void send_cursor(std::size_t typist, std::int64_t scheduled);
    void push_pending(seat& s);
    std::int64_t joined_readers(const room_state& room) const;

    void schedule_churn();
    void churn_one();

    load_options options_;
    load_limits bounds_;
    asio::io_context io_;
    clock_type::time_point origin_;
    asio::steady_timer poll_;
    asio::steady_timer send_timer_;
    asio::steady_timer churn_timer_;
    std::mt19937_64 rng_;

    tcp::endpoint server_;
    std::string host_header_;
    std::string bank_id_;

    std::vector<room_state> rooms_;
    std::vector<seat> seats_;
    std::vector<std::size_t> typists_;    // seat indices
    std::vector<std::size_t> observers_;  // seat indices (churn picks from these)
    std::vector<send_stream> streams_;
    std::vector<due_send> due_;  // a min-heap on due_us

    std::size_t next_to_connect_ = 0;
    std::size_t connecting_ = 0;
    std::size_t settled_ = 0;  // seats joined or failed during setup
    std::string first_failure_;

    std::int64_t window_start_us_ = INT64_MAX;
    std::int64_t window_end_us_ = INT64_MAX;
    std::int64_t stop_sending_us_ = INT64_MAX;
    bool measuring_ = false;  // the schedule runs: closes are failures no more, but counted
    std::size_t reconnects_in_flight_ = 0;
    std::string rooms_error_;
    std::size_t room_workers_left_ = 0;
    std::size_t next_room_to_create_ = 0;

    load_result result_;
};

void load_run::run_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    if (done()) return;
    const auto deadline = clock_type::now() + timeout;
    std::function<void()> check;
    check = [&] {
        if (done() || clock_type::now() >= deadline) {
            io_.stop();
            return;
        }
        poll_.expires_after(std::chrono::milliseconds(5));
        poll_.async_wait([&check](beast::error_code ec) {
            if (!ec) check();
        });
    };
    check();
    io_.restart();
    io_.run();
    poll_.cancel();
    io_.restart();
    io_.poll();  // let the cancelled wait complete while `check` is alive
}

void load_run::read_server_rss(std::optional<std::int64_t>& into) {
    if (options_.server_pid <= 0) return;
    into = process_rss_bytes(options_.server_pid);
    if (!into) {
        throw setup_error("cannot read /proc/" + std::to_string(options_.server_pid) +
                          " (is --server-pid the server's pid?)");
    }
}

load_result load_run::run() {
    const auto target = parse_target(options_.target, options_.mode);
    {
        tcp::resolver resolver(io_);
        beast::error_code ec;
        const auto found = resolver.resolve(target.host, target.port, ec);
        if (ec || found.empty())
            throw setup_error("cannot resolve " + options_.target + ": " + ec.message());
        server_ = found.begin()->endpoint();
    }
    host_header_ = target.host + ":" + target.port;

    plan_rooms();
    read_server_rss(result_.server_rss_before);
    if (options_.mode == target_mode::mockroom) create_rooms();
    open_all_seats();

    if (options_.scenario == scenario_kind::idle) {
        run_until([] { return false; }, bounds_.settle);
        read_server_rss(result_.server_rss_after);
        run_until([] { return false; },
                  std::chrono::milliseconds(std::llround(options_.duration_s * 1000)));
        result_.window_s = options_.duration_s;
        return std::move(result_);
    }

    // Nominal and churn: the schedule starts now; measure inside [warmup, warmup + duration).
    measuring_ = true;
    const std::int64_t t0 = now_us();
    window_start_us_ = t0 + std::llround(options_.warmup_s * 1e6);
    window_end_us_ = window_start_us_ + std::llround(options_.duration_s * 1e6);
    stop_sending_us_ = window_end_us_;
    result_.window_s = options_.duration_s;
    start_schedule();
    if (options_.scenario == scenario_kind::churn) schedule_churn();

    using std::chrono::milliseconds;
    // The server's CPU is read at the window's edges by a thread of its own: this io loop is
    // late when the generator is overloaded, and a late read shifts the window (reads made 10 s
    // late, both after its end, once measured 0 µs for a server running flat out).
    std::optional<std::int64_t> cpu_start, cpu_end;
    std::int64_t cpu_read_late_us = 0;
    {
        std::jthread cpu_reader;
        if (options_.server_pid > 0) {
            cpu_reader = std::jthread([&] {
                const auto read_at = [&](std::int64_t at_us) {
                    std::this_thread::sleep_until(origin_ + std::chrono::microseconds(at_us));
                    auto cpu = process_cpu_us(options_.server_pid);
                    cpu_read_late_us = std::max(cpu_read_late_us, now_us() - at_us);
                    return cpu;
                };
                cpu_start = read_at(window_start_us_);
                cpu_end = read_at(window_end_us_);
            });
        }
        run_until([&] { return now_us() >= window_end_us_; }, milliseconds(INT32_MAX));
    }  // joins the reader
    if (options_.server_pid > 0) {
        if (!cpu_start || !cpu_end) {
            throw setup_error("cannot read the CPU time of process " +
                              std::to_string(options_.server_pid) + " (did the server exit?)");
        }
        result_.server_cpu_us = *cpu_end - *cpu_start;
        result_.server_cpu_read_late_us = cpu_read_late_us;
    }
    read_server_rss(result_.server_rss_after);
    churn_timer_.cancel();

    // Every send is made by now; give deliveries in flight a little time.
    run_until(
        [&] {
            return result_.received_edits + result_.received_cursors >=
                       result_.expected_edits + result_.expected_cursors &&
                   result_.received_acks >= result_.expected_acks && reconnects_in_flight_ == 0;
        },
        bounds_.drain);
    send_timer_.cancel();
    result_.latency_us.merge(result_.edit_latency_us);
    result_.latency_us.merge(result_.cursor_latency_us);
    return std::move(result_);
}

// ---- rooms and seats ----------------------------------------------------------------------

void load_run::plan_rooms() {
    const int per_room = options_.participants;
    std::int64_t sockets = 0;
    std::size_t room_count = 0;
    if (options_.scenario == scenario_kind::idle) {
        sockets = options_.connections;
        room_count = static_cast<std::size_t>((sockets + per_room - 1) / per_room);
    } else {
        room_count = static_cast<std::size_t>(options_.rooms);
        sockets = static_cast<std::int64_t>(room_count) * per_room;
    }
    rooms_.resize(room_count);
    seats_.reserve(static_cast<std::size_t>(sockets));
    for (std::size_t r = 0; r < room_count; ++r) {
        auto& room = rooms_[r];
        if (options_.mode == target_mode::relay)
            room.id = "lg" + std::to_string(options_.seed) + "-r" + std::to_string(r);
        const auto members =
            std::min<std::int64_t>(per_room, sockets - static_cast<std::int64_t>(r) * per_room);
        for (std::size_t m = 0; m < static_cast<std::size_t>(members); ++m) {
            seat s;
            s.room = r;
            s.member = m;
            // Typists: the interviewer and the candidate, then more interviewers.
            const bool typist = m < static_cast<std::size_t>(options_.typists) &&
                                options_.scenario != scenario_kind::idle;
            s.role = m == 1               ? seat_role::candidate
                     : (m == 0 || typist) ? seat_role::interviewer
                                          : seat_role::observer;
            s.client_id = "lg" + std::to_string(r) + "-" + std::to_string(m);
            if (options_.mode == target_mode::relay) {
                s.participant = std::to_string(m);
                s.participant.insert(0, 1, 'm');  // not "m" + ...: GCC 12's -Wrestrict misfires
            }
            s.cursor_queues.resize(static_cast<std::size_t>(per_room));
            room.seats.push_back(seats_.size());
            if (typist) typists_.push_back(seats_.size());
            if (!typist && s.role == seat_role::observer) observers_.push_back(seats_.size());
            seats_.push_back(std::move(s));
        }
    }
    result_.rooms = static_cast<std::int64_t>(room_count);
    result_.connections = sockets;
}

std::string load_run::choose_bank() {
    // The bank is asked for by id; list the served ones so a missing one is a clear error.
    std::string chosen, listing;
    auto connection = std::make_shared<http_connection>(io_, server_, host_header_);
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
            const auto answer = co_await connection->request("GET", "/api/banks", "");
            if (answer.status != 200) {
                rooms_error_ =
                    "GET /api/banks answered " + std::to_string(answer.status) + ": " + answer.body;
                co_return;
            }
            const auto banks = json::parse(answer.body, nullptr, false);
            if (!banks.is_object() || !banks.contains("banks") || !banks["banks"].is_array()) {
                rooms_error_ = "GET /api/banks: unexpected answer " + answer.body;
                co_return;
            }
            for (const auto& bank : banks["banks"]) {
                const auto id = bank.value("id", std::string{});
                listing += (listing.empty() ? "" : ", ") + id;
                if (id == options_.bank || chosen.empty()) chosen = id;
            }
        },
        [&](std::exception_ptr error) {
            if (error) {
                try {
                    std::rethrow_exception(error);
                } catch (const std::exception& e) {
                    rooms_error_ = e.what();
                }
            }
        });
    io_.restart();
    io_.run();
    if (!rooms_error_.empty()) throw setup_error(rooms_error_);
    if (chosen.empty()) throw setup_error("the server serves no question bank");
    if (chosen != options_.bank) {
        std::fprintf(stderr, "mockroom-load: bank '%s' not served (banks: %s); using '%s'\n",
                     options_.bank.c_str(), listing.c_str(), chosen.c_str());
    }
    return chosen;
}

void load_run::create_rooms() {
    bank_id_ = choose_bank();
    room_workers_left_ = std::min(bounds_.http_connections, rooms_.size());
    for (std::size_t w = 0; w < room_workers_left_; ++w) {
        auto connection = std::make_shared<http_connection>(io_, server_, host_header_);
        asio::co_spawn(io_, create_rooms_worker(connection), [this](std::exception_ptr error) {
            --room_workers_left_;
            if (!error) return;
            try {
                std::rethrow_exception(error);
            } catch (const std::exception& e) {
                if (rooms_error_.empty()) rooms_error_ = e.what();
            }
        });
    }
    io_.restart();
    io_.run();
    if (!rooms_error_.empty()) throw setup_error("room creation failed: " + rooms_error_);
}

asio::awaitable<void> load_run::create_rooms_worker(std::shared_ptr<http_connection> connection) {
    const std::string body = json{{"bank", bank_id_}}.dump();
    while (next_room_to_create_ < rooms_.size() && rooms_error_.empty()) {
        auto& room = rooms_[next_room_to_create_++];
        const auto answer = co_await connection->request("POST", "/api/rooms", body);
        if (answer.status != 201) {
            rooms_error_ =
                "POST /api/rooms answered " + std::to_string(answer.status) + " " + answer.body;
            if (answer.status == 429)
                rooms_error_ += " (start the server with a higher --rooms-per-minute)";
            co_return;
        }
        const auto created = json::parse(answer.body, nullptr, false);
        try {
            room.id = created.at("room").get<std::string>();
            const auto& tokens = created.at("tokens");
            room.tokens[0] = tokens.at("interviewer").get<std::string>();
            room.tokens[1] = tokens.at("candidate").get<std::string>();
            room.tokens[2] = tokens.at("observer").get<std::string>();
        } catch (const json::exception&) {
            rooms_error_ = "POST /api/rooms: unexpected answer " + answer.body;
            co_return;
        }
    }
}

void load_run::open_all_seats() {
    connect_next();
    run_until([&] { return settled_ == seats_.size(); }, bounds_.setup_timeout);
    if (result_.setup_failures > 0) {
        throw setup_error(std::to_string(result_.setup_failures) + " of " +
                          std::to_string(seats_.size()) +
                          " sockets failed to join; the first: " + first_failure_);
    }
    if (settled_ != seats_.size()) {
        throw setup_error("only " + std::to_string(settled_) + " of " +
                          std::to_string(seats_.size()) + " sockets joined in time");
    }
}

void load_run::connect_next() {
    while (connecting_ < bounds_.connects_in_flight && next_to_connect_ < seats_.size()) {
        ++connecting_;
        connect_seat(next_to_connect_++);
    }
}

void load_run::connect_seat(std::size_t index) {
    auto& s = seats_[index];
    s.state = s.reconnect ? seat_state::reconnecting : seat_state::connecting;
    s.join_started_us = now_us();
    s.socket = std::make_shared<ws_client>(io_, *this, index);
    const std::string path =
        options_.mode == target_mode::mockroom ? "/ws" : "/" + rooms_[s.room].id;
    s.socket->start(server_, host_header_, path);
}

void load_run::on_open(std::size_t tag, ws_client& client) {
    auto& s = seats_[tag];
    if (s.socket.get() != &client) return;
    if (options_.mode == target_mode::relay) return seat_joined(s);
    const auto& room = rooms_[s.room];
    std::string hello = R"({"type":"hello","room":")" + room.id + R"(","token":")" +
                        room.tokens[static_cast<int>(s.role)] + R"(","name":"load )" + s.client_id +
                        R"(","client":")" + s.client_id + '"';
    if (s.reconnect) hello += R"(,"notes":{"shared":)" + std::to_string(s.version) + '}';
    hello += '}';
    client.send(std::move(hello));
    if (!s.reconnect) s.state = seat_state::joining;
}

void load_run::seat_joined(seat& s) {
    const std::int64_t now = now_us();
    s.in_join_replay = options_.mode == target_mode::mockroom;
    if (s.reconnect) {
        --reconnects_in_flight_;
        ++result_.reconnects_done;
        if (in_window(s.join_started_us))
            result_.reconnect_latency_us.record(
                static_cast<std::uint64_t>(now - s.join_started_us));
        s.state = seat_state::joined;
        return;
    }
    s.state = seat_state::joined;
    --connecting_;
    ++settled_;
    connect_next();
}

void load_run::seat_failed(seat& s, const std::string& why) {
    const bool was_joined = s.state == seat_state::joined;
    const bool was_reconnecting = s.state == seat_state::reconnecting;
    s.state = was_joined ? seat_state::closed : seat_state::failed;
    if (s.socket) s.socket->close();
    if (was_reconnecting) {
        --reconnects_in_flight_;
        ++result_.reconnects_failed;
        return;
    }
    if (was_joined) return;
    // During setup.
    ++result_.setup_failures;
    --connecting_;
    ++settled_;
    if (first_failure_.empty())
        first_failure_ = "socket " + s.client_id + " could not join: " + why;
    connect_next();
}

void load_run::on_closed(std::size_t tag, ws_client& client, beast::error_code ec, bool was_open) {
    auto& s = seats_[tag];
    if (s.socket.get() != &client) return;
    const auto reason = client.close_reason();
    std::string why = reason.code != 0 ? "close " + std::to_string(reason.code) : ec.message();
    if (!reason.reason.empty()) why += " (" + std::string(reason.reason.c_str()) + ")";
    if (s.state == seat_state::joined) {
        ++result_.closes;
        ++result_.close_codes[why];
    }
    if (!was_open && s.state != seat_state::joined) why = "cannot connect: " + why;
    seat_failed(s, why);
}

// ---- receiving ----------------------------------------------------------------------------

void load_run::on_frame(std::size_t tag, ws_client& client, std::string_view frame) {
    auto& s = seats_[tag];
    if (s.socket.get() != &client) return;
    const std::int64_t now = now_us();
    frame_fields f;
    if (!scan_frame(frame, f)) {
        ++result_.errors["unreadable_frame"];
        return;
    }
    const std::string_view type = unquote(f.type);
    if (type == "notes.updates" || type == "notes.push") return handle_updates(s, f, now);
    if (type == "cursor") return handle_cursor(s, f, now);
    if (type == "error") return handle_error(s, f);
    if (type == "presence") {
        s.in_join_replay = false;
        return;
    }
    if (type == "welcome") {
        s.participant = std::string(unquote(f.you));
        return;
    }
    if (type == "notes.snapshot" && unquote(f.doc) == "shared") {
        const auto version = to_integer(f.version);
        s.version = version.value_or(0);
        s.doc_length = utf16_length(unquote(f.text));
        if (s.state == seat_state::joining || s.state == seat_state::reconnecting) seat_joined(s);
        if (s.push_owed && !s.pending.empty()) push_pending(s);
    }
    // presence, timer, question, notes.language, pong: nothing to measure.
}

void load_run::apply_token(seat& s, bool own, bool catch_up, const latency_token& token,
                           std::int64_t now) {
    const auto latency =
        static_cast<std::uint64_t>(std::max<std::int64_t>(0, now - token.scheduled_us));
    if (catch_up) {
        ++result_.caught_up;
        return;
    }
    if (!in_window(token.scheduled_us)) return;
    if (own) {
        ++result_.received_acks;
        result_.ack_latency_us.record(latency);
        return;
    }
    ++result_.received_edits;
    result_.edit_latency_us.record(latency);
    (void)s;
}

void load_run::handle_updates(seat& s, const frame_fields& f, std::int64_t now) {
    if (unquote(f.doc) != "shared") return;
    if (options_.mode == target_mode::relay) {
        // The relay forwards other sockets' pushes verbatim: every token is a delivery.
        for_each_element(f.updates, [&](std::string_view update) {
            for_each_member(update, [&](std::string_view key, std::string_view value) {
                if (key != "changes") return;
                walk_changes(value, [&](const latency_token& token) {
                    apply_token(s, false, false, token, now);
                });
            });
        });
        return;
    }
    const auto from = to_integer(f.from);
    if (!from) return;
    const bool catch_up = s.state == seat_state::reconnecting;
    if (*from > s.version) {
        // A gap (never on one ordered connection, but cheap to mend): ask for what is missing.
        s.socket->send(R"({"type":"notes.pull","doc":"shared","version":)" +
                       std::to_string(s.version) + '}');
        return;
    }
    std::int64_t version = *from;
    for_each_element(f.updates, [&](std::string_view update) {
        ++version;
        if (version <= s.version) return;  // already held (a pull answer overlapping)
        std::string_view client, changes;
        for_each_member(update, [&](std::string_view key, std::string_view value) {
            if (key == "clientID") client = unquote(value);
            if (key == "changes") changes = value;
        });
        const bool own = client == s.client_id;
        const auto lengths = walk_changes(changes, [&](const latency_token& token) {
            apply_token(s, own, catch_up, token, now);
        });
        if (!lengths || lengths->before != s.doc_length) ++result_.length_mismatches;
        if (lengths) s.doc_length = lengths->after;
        s.version = version;
        if (own && !s.pending.empty()) {
            s.pending.pop_front();
            if (s.in_flight > 0) --s.in_flight;
        }
    });
    if (catch_up) seat_joined(s);
    // The push in flight is confirmed: the edits made meanwhile go out together.
    if ((s.push_owed || s.in_flight == 0) && !s.pending.empty() && s.state == seat_state::joined)
        push_pending(s);
}

void load_run::handle_cursor(seat& s, const frame_fields& f, std::int64_t now) {
    if (unquote(f.doc) != "shared" || f.ranges == "[]") return;  // [] removes a cursor
    if (s.in_join_replay) {
        ++result_.replayed_cursors;
        return;
    }
    const std::string_view sender = unquote(f.participant);
    const auto& room = rooms_[s.room];
    for (const std::size_t other : room.seats) {
        const auto& o = seats_[other];
        if (o.participant != sender) continue;
        auto& queue = s.cursor_queues[o.member];
        if (queue.empty()) {
            ++result_.unmatched_cursors;
            return;
        }
        const std::int64_t scheduled = queue.front();
        queue.pop_front();
        if (in_window(scheduled)) {
            ++result_.received_cursors;
            result_.cursor_latency_us.record(
                static_cast<std::uint64_t>(std::max<std::int64_t>(0, now - scheduled)));
        }
        return;
    }
    ++result_.unmatched_cursors;
}

void load_run::handle_error(seat& s, const frame_fields& f) {
    const std::string code(unquote(f.code));
    ++result_.errors[code];
    if (s.state == seat_state::joining || s.state == seat_state::reconnecting) {
        if (code == "unauthorized" || code == "too_large" || code == "bad_request")
            return seat_failed(s, "error " + code);
    }
    if (code == "conflict") {
        // Too far behind: catch up, then push the pending edits again.
        s.in_flight = 0;
        s.push_owed = true;
        s.socket->send(R"({"type":"notes.pull","doc":"shared","version":)" +
                       std::to_string(s.version) + '}');
    } else if (code == "rate_limited") {
        // A message was dropped unread (maybe a push): the next edit pushes all pending ones.
        s.in_flight = 0;
        s.push_owed = true;
    }
}

// ---- sending ------------------------------------------------------------------------------

void load_run::start_schedule() {
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    const std::int64_t t0 = now_us();
    for (std::size_t t = 0; t < typists_.size(); ++t) {
        for (const auto kind : {stream_kind::edit, stream_kind::cursor}) {
            const double rate =
                kind == stream_kind::edit ? options_.edit_rate : options_.cursor_rate;
            if (rate <= 0) continue;
            send_stream stream;
            stream.typist = t;
            stream.kind = kind;
            stream.period_us = 1e6 / rate;
            stream.phase_us = static_cast<double>(t0) + unit(rng_) * stream.period_us;
            streams_.push_back(stream);
            due_.push_back({std::llround(stream.phase_us), streams_.size() - 1});
        }
    }
    std::make_heap(due_.begin(), due_.end(), std::greater<>{});
    on_send_timer();
}

void load_run::on_send_timer() {
    const std::int64_t now = now_us();
    std::size_t sent = 0;
    while (!due_.empty() && due_.front().due_us <= now) {
        if (sent++ == bounds_.sends_per_turn) {
            asio::post(io_, [this] { on_send_timer(); });
            return;
        }
        std::pop_heap(due_.begin(), due_.end(), std::greater<>{});
        due_send next = due_.back();
        due_.pop_back();
        if (next.due_us >= stop_sending_us_) continue;  // the stream ends here
        auto& stream = streams_[next.stream];
        if (in_window(next.due_us))
            result_.send_lag_us.record(static_cast<std::uint64_t>(now - next.due_us));
        if (stream.kind == stream_kind::edit) {
            send_edit(stream.typist, next.due_us);
        } else {
            send_cursor(stream.typist, next.due_us);
        }
        ++stream.sends;
        next.due_us =
            std::llround(stream.phase_us + static_cast<double>(stream.sends) * stream.period_us);
        due_.push_back(next);
        std::push_heap(due_.begin(), due_.end(), std::greater<>{});
    }
    if (due_.empty()) return;
    send_timer_.expires_at(origin_ + std::chrono::microseconds(due_.front().due_us));
    send_timer_.async_wait([this](beast::error_code ec) {
        if (!ec) on_send_timer();
    });
}

std::int64_t load_run::joined_readers(const room_state& room) const {
    std::int64_t readers = 0;
    for (const std::size_t index : room.seats)
        if (seats_[index].state == seat_state::joined) ++readers;
    return readers;
}

void load_run::send_edit(std::size_t typist, std::int64_t scheduled) {
    auto& s = seats_[typists_[typist]];
    if (s.state != seat_state::joined) return;
    std::string token = "~" + std::to_string(scheduled) + "." + std::to_string(typist) + ";";
    if (in_window(scheduled)) {
        ++result_.sent_edits;
        result_.expected_edits += joined_readers(rooms_[s.room]) - 1;
        if (options_.mode == target_mode::mockroom) ++result_.expected_acks;
    }
    if (options_.mode == target_mode::relay) {
        s.socket->send(R"({"type":"notes.push","id":)" + std::to_string(s.next_request_id++) +
                       R"(,"doc":"shared","version":0,"updates":[{"clientID":")" + s.client_id +
                       R"(","changes":[[0,")" + token + R"("]]}]})");
        return;
    }
    s.pending.push_back(std::move(token));
    result_.max_push_backlog =
        std::max(result_.max_push_backlog, static_cast<std::int64_t>(s.pending.size()));
    if (s.in_flight == 0) push_pending(s);
}

// Pushes the unconfirmed edits from the synced version, as a collab client does, with one push
// in flight at a time; edits made meanwhile wait for its confirmation and then go out together.
// Their latency still counts from their scheduled time, so a slow server shows as latency.
// Why not push each edit at once: the server recognises resent updates by clientID, so a push
// based on a version before our own previous (unconfirmed) one would be taken for that one
// and dropped; and resending every unconfirmed edit with each new one grows pushes without
// bound when the server falls behind, which then collapses under its own rebasing.
void load_run::push_pending(seat& s) {
    s.push_owed = s.pending.size() > bounds_.max_updates_per_push;
    std::string frame;
    frame.reserve(96 + s.pending.size() * (s.client_id.size() + 48));
    frame += R"({"type":"notes.push","id":)";
    frame += std::to_string(s.next_request_id++);
    frame += R"(,"doc":"shared","version":)";
    frame += std::to_string(s.version);
    frame += R"(,"updates":[)";
    std::int64_t length = s.doc_length;
    const std::size_t count = std::min(s.pending.size(), bounds_.max_updates_per_push);
    s.in_flight = count;
    for (std::size_t i = 0; i < count; ++i) {
        const auto& token = s.pending[i];
        if (i > 0) frame += ',';
        frame += R"({"clientID":")";
        frame += s.client_id;
        frame += R"(","changes":[[0,")";
        frame += token;
        frame += "\"]";
        if (length > 0) {
            frame += ',';
            frame += std::to_string(length);
        }
        frame += "]}";
        length += static_cast<std::int64_t>(token.size());
    }
    frame += "]}";
    s.socket->send(std::move(frame));
}

void load_run::send_cursor(std::size_t typist, std::int64_t scheduled) {
    auto& s = seats_[typists_[typist]];
    if (s.state != seat_state::joined) return;
    const auto position =
        static_cast<std::int64_t>(rng_() % static_cast<std::uint64_t>(s.doc_length + 1));
    std::string frame = R"({"type":"cursor","doc":"shared","version":)" +
                        std::to_string(s.version) + R"(,"ranges":[[)" + std::to_string(position) +
                        ',' + std::to_string(position) + "]]";
    if (options_.mode == target_mode::relay) frame += R"(,"participant":")" + s.participant + '"';
    frame += '}';
    s.socket->send(std::move(frame));
    const bool counted = in_window(scheduled);
    if (counted) ++result_.sent_cursors;
    for (const std::size_t index : rooms_[s.room].seats) {
        auto& receiver = seats_[index];
        if (index == typists_[typist] || receiver.state != seat_state::joined) continue;
        receiver.cursor_queues[s.member].push_back(scheduled);
        if (counted) ++result_.expected_cursors;
    }
}

// ---- churn --------------------------------------------------------------------------------

void load_run::schedule_churn() {
    if (options_.churn_rate <= 0 || observers_.empty()) return;
    const auto period = std::chrono::microseconds(std::llround(1e6 / options_.churn_rate));
    const auto next = clock_type::now() + period;
    churn_timer_.expires_at(next);
    churn_timer_.async_wait([this](beast::error_code ec) {
        if (ec || now_us() >= stop_sending_us_) return;
        churn_one();
        schedule_churn();
    });
}

void load_run::churn_one() {
    // A random observer that is joined; a few tries, then skip this turn.
    for (int attempt = 0; attempt < 8; ++attempt) {
        const std::size_t index = observers_[rng_() % observers_.size()];
        auto& s = seats_[index];
        if (s.state != seat_state::joined) continue;
        s.socket->close();
        for (auto& queue : s.cursor_queues) queue.clear();  // cursors in flight to the old socket
        s.reconnect = true;
        ++reconnects_in_flight_;
        connect_seat(index);
        return;
    }
}

}  // namespace

load_result run_load(const load_options& options, const load_limits& bounds) {
    load_run run(options, bounds);
    return run.run();
}

}  // namespace mockroom::load
