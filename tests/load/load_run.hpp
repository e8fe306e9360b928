// One run of the load generator: set rooms up, open the sockets, drive the schedule, measure.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>

#include "histogram.hpp"

namespace mockroom::load {

enum class target_mode { mockroom, relay };
enum class scenario_kind { nominal, idle, churn };

struct load_options {
    std::string target;  // http://HOST:PORT (mockroom) or ws://HOST:PORT (relay)
    target_mode mode = target_mode::mockroom;
    scenario_kind scenario = scenario_kind::nominal;
    int rooms = 500;
    int participants = 4;     // sockets per room: interviewer, candidate, then observers
    int typists = 2;          // per room: the interviewer, the candidate (then more interviewers)
    double edit_rate = 10;    // edits a second per typist
    double cursor_rate = 10;  // cursor messages a second per typist
    int connections = 0;      // idle: total sockets
    double churn_rate = 50;   // churn: reconnects a second across all rooms
    double warmup_s = 2;
    double duration_s = 10;
    int server_pid = 0;  // 0: no /proc figures
    std::uint64_t seed = 1;
    std::string bank = "python-developer";  // preferred; the first served bank otherwise
};

// The generator's own bounds, in one place.
struct load_limits {
    std::size_t connects_in_flight = 200;    // sockets between connect and joined, at once
    std::size_t http_connections = 4;        // parallel keep-alive connections creating rooms
    std::size_t max_updates_per_push = 100;  // the server's bound on one notes.push
    std::chrono::milliseconds drain{2000};   // after the window: wait for in-flight deliveries
    std::chrono::milliseconds settle{2000};  // idle: after the last join, before reading RSS
    std::chrono::seconds setup_timeout{180};
    // Sends made in one turn of the event loop before reads get theirs: a generator running
    // behind its schedule catches up in slices instead of starving its own receivers.
    std::size_t sends_per_turn = 256;
};

// Setup could not be completed (cannot connect, rooms refused, a socket refused or closed).
class setup_error : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct load_result {
    std::int64_t rooms = 0;
    std::int64_t connections = 0;
    double window_s = 0;

    std::int64_t sent_edits = 0;      // scheduled inside the window
    std::int64_t sent_cursors = 0;    // scheduled inside the window
    std::int64_t expected_edits = 0;  // deliveries to sockets other than the author
    std::int64_t expected_cursors = 0;
    std::int64_t received_edits = 0;
    std::int64_t received_cursors = 0;
    std::int64_t expected_acks = 0;  // the authors' own confirmations (mockroom)
    std::int64_t received_acks = 0;
    std::int64_t unmatched_cursors = 0;  // a cursor with no send waiting for it
    std::int64_t replayed_cursors = 0;   // others' current cursors sent to a (re)joining socket
    std::int64_t caught_up = 0;          // tokens that reached a reconnecting socket's catch-up
    std::int64_t length_mismatches = 0;  // a change set not matching the tracked document
    std::int64_t max_push_backlog = 0;   // most unconfirmed edits one typist held

    histogram latency_us;  // edits and cursors, scheduled send to delivery
    histogram edit_latency_us;
    histogram cursor_latency_us;
    histogram ack_latency_us;  // scheduled send to the author's own confirmation
    histogram send_lag_us;     // how late the generator sent against its own schedule

    std::optional<std::int64_t> server_cpu_us;  // inside the window
    std::int64_t server_cpu_read_late_us = 0;   // the later of the two reads, past its time
    std::optional<std::int64_t> server_rss_before;
    std::optional<std::int64_t> server_rss_after;

    std::map<std::string, std::int64_t> errors;       // error frames by code
    std::map<std::string, std::int64_t> close_codes;  // unexpected closes by code or reason
    std::int64_t closes = 0;                          // sockets closed that we did not close
    std::int64_t setup_failures = 0;

    std::int64_t reconnects_done = 0;
    std::int64_t reconnects_failed = 0;
    histogram reconnect_latency_us;
};

// Runs the whole scenario; throws setup_error when it cannot be set up.
load_result run_load(const load_options& options, const load_limits& bounds = {});

}  // namespace mockroom::load
