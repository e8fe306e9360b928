// mockroom-load: an open-loop load generator speaking mockroom's protocol (or a bare relay's).
// See tests/load/README.md for the scenarios and how the benchmark script runs them.
#include <sys/resource.h>
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "load_run.hpp"

namespace {

using mockroom::load::histogram;
using mockroom::load::load_options;
using mockroom::load::load_result;
using mockroom::load::scenario_kind;
using mockroom::load::target_mode;
using json = nlohmann::json;

// The generator holds thousands of sockets: lift the soft open-file limit to the hard one.
void raise_open_file_limit() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
    limit.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0)
        std::fprintf(stderr, "mockroom-load: could not raise the open-file limit\n");
}

json latency_json(const histogram& h) {
    return {{"p50", h.percentile(50)},    {"p90", h.percentile(90)}, {"p99", h.percentile(99)},
            {"p999", h.percentile(99.9)}, {"max", h.max()},          {"count", h.count()}};
}

json optional_json(const std::optional<std::int64_t>& value) {
    return value ? json(*value) : json(nullptr);
}

std::string to_string(scenario_kind scenario) {
    switch (scenario) {
        case scenario_kind::nominal:
            return "nominal";
        case scenario_kind::idle:
            return "idle";
        case scenario_kind::churn:
            return "churn";
    }
    return "?";
}

json result_json(const load_options& o, const load_result& r, const std::string& label) {
    const std::int64_t expected = r.expected_edits + r.expected_cursors;
    const std::int64_t received = r.received_edits + r.received_cursors;
    const double window = r.window_s > 0 ? r.window_s : 1;
    json j = {
        {"label", label},
        {"mode", o.mode == target_mode::mockroom ? "mockroom" : "relay"},
        {"scenario", to_string(o.scenario)},
        {"rooms", r.rooms},
        {"participants", o.participants},
        {"typists", o.scenario == scenario_kind::idle ? 0 : o.typists},
        {"edit_rate", o.edit_rate},
        {"cursor_rate", o.cursor_rate},
        {"duration_s", r.window_s},
        {"connections", r.connections},
        {"sent", {{"edits", r.sent_edits}, {"cursors", r.sent_cursors}}},
        {"expected", expected},
        {"received", received},
        {"missing", std::max<std::int64_t>(0, expected - received)},
        {"expected_by_kind", {{"edits", r.expected_edits}, {"cursors", r.expected_cursors}}},
        {"received_by_kind", {{"edits", r.received_edits}, {"cursors", r.received_cursors}}},
        {"acks", {{"expected", r.expected_acks}, {"received", r.received_acks}}},
        {"unmatched_cursors", r.unmatched_cursors},
        {"replayed_cursors", r.replayed_cursors},
        {"length_mismatches", r.length_mismatches},
        {"max_push_backlog", r.max_push_backlog},
        {"delivered_per_s", static_cast<double>(received) / window},
        {"latency_us", latency_json(r.latency_us)},
        {"edit_latency_us", latency_json(r.edit_latency_us)},
        {"cursor_latency_us", latency_json(r.cursor_latency_us)},
        {"ack_latency_us", latency_json(r.ack_latency_us)},
        {"send_lag_max_us", r.send_lag_us.max()},
        {"send_lag_p99_us", r.send_lag_us.percentile(99)},
        {"server_cpu_us", optional_json(r.server_cpu_us)},
        {"server_cpu_read_late_us", r.server_cpu_read_late_us},
        {"server_rss_before", optional_json(r.server_rss_before)},
        {"server_rss_after", optional_json(r.server_rss_after)},
        {"errors", r.errors},
        {"closes", r.closes},
        {"close_reasons", r.close_codes},
        {"setup_failures", r.setup_failures},
        {"reconnect",
         {{"done", r.reconnects_done},
          {"failed", r.reconnects_failed},
          {"caught_up_tokens", r.caught_up},
          {"latency_us", latency_json(r.reconnect_latency_us)}}},
    };
    j["server_cpu_us_per_delivery"] =
        r.server_cpu_us && received > 0
            ? json(static_cast<double>(*r.server_cpu_us) / static_cast<double>(received))
            : json(nullptr);
    const std::int64_t with_acks = received + r.received_acks;
    j["server_cpu_us_per_message_including_acks"] =
        r.server_cpu_us && with_acks > 0
            ? json(static_cast<double>(*r.server_cpu_us) / static_cast<double>(with_acks))
            : json(nullptr);
    j["rss_per_connection"] =
        r.server_rss_before && r.server_rss_after && r.connections > 0
            ? json(static_cast<double>(*r.server_rss_after - *r.server_rss_before) /
                   static_cast<double>(r.connections))
            : json(nullptr);
    return j;
}

std::string latency_line(const json& l) {
    char line[200];
    std::snprintf(line, sizeof line, "p50 %lld  p90 %lld  p99 %lld  p99.9 %lld  max %lld  (n=%lld)",
                  l["p50"].get<long long>(), l["p90"].get<long long>(), l["p99"].get<long long>(),
                  l["p999"].get<long long>(), l["max"].get<long long>(),
                  l["count"].get<long long>());
    return line;
}

void print_summary(const json& j) {
    auto& out = std::cout;
    out << "mockroom-load " << j["mode"].get<std::string>() << " "
        << j["scenario"].get<std::string>();
    if (!j["label"].get<std::string>().empty()) out << " [" << j["label"].get<std::string>() << "]";
    out << "\n  rooms " << j["rooms"] << ", connections " << j["connections"] << ", window "
        << j["duration_s"] << " s\n";
    if (j["scenario"] != "idle") {
        out << "  sent        edits " << j["sent"]["edits"] << ", cursors " << j["sent"]["cursors"]
            << "\n  deliveries  expected " << j["expected"] << ", received " << j["received"]
            << ", missing " << j["missing"] << " (edits " << j["received_by_kind"]["edits"] << "/"
            << j["expected_by_kind"]["edits"] << ", cursors " << j["received_by_kind"]["cursors"]
            << "/" << j["expected_by_kind"]["cursors"] << ")\n";
        char rate[64];
        std::snprintf(rate, sizeof rate, "%.0f", j["delivered_per_s"].get<double>());
        out << "  delivered/s " << rate << "\n";
        out << "  latency µs  " << latency_line(j["latency_us"]) << "\n";
        out << "    edits     " << latency_line(j["edit_latency_us"]) << "\n";
        out << "    cursors   " << latency_line(j["cursor_latency_us"]) << "\n";
        if (j["mode"] == "mockroom") {
            out << "  acks µs     " << latency_line(j["ack_latency_us"]) << "  ("
                << j["acks"]["received"] << "/" << j["acks"]["expected"] << ")\n";
        }
        out << "  send lag µs max " << j["send_lag_max_us"] << ", p99 " << j["send_lag_p99_us"]
            << " (the generator's own lateness)\n";
        if (!j["server_cpu_us"].is_null()) {
            char cpu[160];
            std::snprintf(cpu, sizeof cpu,
                          "  server CPU  %lld µs in the window: %.2f µs per delivery, %.2f µs "
                          "per message with acks\n",
                          j["server_cpu_us"].get<long long>(),
                          j["server_cpu_us_per_delivery"].is_null()
                              ? 0.0
                              : j["server_cpu_us_per_delivery"].get<double>(),
                          j["server_cpu_us_per_message_including_acks"].is_null()
                              ? 0.0
                              : j["server_cpu_us_per_message_including_acks"].get<double>());
            out << cpu;
        }
    }
    if (!j["server_rss_before"].is_null()) {
        char rss[160];
        std::snprintf(
            rss, sizeof rss,
            "  server RSS  %.1f MiB before, %.1f MiB after: %.0f B per connection\n",
            j["server_rss_before"].get<double>() / 1048576.0,
            j["server_rss_after"].is_null() ? 0.0 : j["server_rss_after"].get<double>() / 1048576.0,
            j["rss_per_connection"].is_null() ? 0.0 : j["rss_per_connection"].get<double>());
        out << rss;
    }
    if (j["scenario"] == "churn") {
        out << "  reconnects  done " << j["reconnect"]["done"] << ", failed "
            << j["reconnect"]["failed"] << ", latency µs "
            << latency_line(j["reconnect"]["latency_us"]) << "\n";
    }
    out << "  errors " << j["errors"].dump() << ", closes " << j["closes"];
    if (!j["close_reasons"].empty()) out << " " << j["close_reasons"].dump();
    if (j["length_mismatches"] != 0) out << ", length mismatches " << j["length_mismatches"];
    if (j["unmatched_cursors"] != 0) out << ", unmatched cursors " << j["unmatched_cursors"];
    out << "\n";
}

}  // namespace

int main(int argc, char** argv) {
    load_options options;
    std::string mode = "mockroom", scenario = "nominal", json_file, label;

    CLI::App app{"mockroom-load: open-loop load generator for mockroom (or a bare relay)"};
    app.add_option("--target", options.target,
                   "http://HOST:PORT (mockroom) or ws://HOST:PORT (relay)")
        ->required();
    app.add_option("--mode", mode, "mockroom or relay")
        ->capture_default_str()
        ->check(CLI::IsMember({"mockroom", "relay"}));
    app.add_option("--scenario", scenario, "nominal, idle or churn")
        ->capture_default_str()
        ->check(CLI::IsMember({"nominal", "idle", "churn"}));
    app.add_option("--rooms", options.rooms, "rooms (nominal, churn)")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--participants", options.participants, "sockets per room")
        ->capture_default_str()
        ->check(CLI::Range(1, 64));
    app.add_option("--typists", options.typists, "typing sockets per room")
        ->capture_default_str()
        ->check(CLI::Range(0, 64));
    app.add_option("--edit-rate", options.edit_rate, "edits a second per typist")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    app.add_option("--cursor-rate", options.cursor_rate, "cursor messages a second per typist")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    app.add_option("--connections", options.connections,
                   "idle: total sockets (rooms = ceil(connections / participants))")
        ->check(CLI::PositiveNumber);
    app.add_option("--churn-rate", options.churn_rate,
                   "churn: observer reconnects a second across all rooms")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    app.add_option("--warmup", options.warmup_s, "seconds before the measurement window")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    app.add_option("--duration", options.duration_s, "seconds of the measurement window")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--server-pid", options.server_pid,
                   "the server's pid: its CPU-time clock and RSS (/proc/PID/status)")
        ->check(CLI::PositiveNumber);
    app.add_option("--seed", options.seed, "random seed (phases, cursor positions, churn)")
        ->capture_default_str();
    app.add_option("--bank", options.bank, "question bank for the rooms (mockroom)")
        ->capture_default_str();
    app.add_option("--json", json_file, "write the result object to FILE");
    app.add_option("--label", label, "copied into the result");
    CLI11_PARSE(app, argc, argv);

    options.mode = mode == "relay" ? target_mode::relay : target_mode::mockroom;
    options.scenario = scenario == "idle"    ? scenario_kind::idle
                       : scenario == "churn" ? scenario_kind::churn
                                             : scenario_kind::nominal;
    auto usage_error = [](const std::string& message) {
        std::fprintf(stderr, "mockroom-load: error: %s\n", message.c_str());
        return 2;
    };
    if (options.scenario == scenario_kind::idle && options.connections <= 0)
        return usage_error("--scenario idle needs --connections");
    if (options.scenario != scenario_kind::idle) {
        if (options.typists > options.participants)
            return usage_error("--typists must be at most --participants");
        if (options.mode == target_mode::mockroom && options.participants < 2)
            return usage_error("--participants must be at least 2 in mockroom mode");
        if (options.scenario == scenario_kind::churn && options.participants <= options.typists)
            return usage_error(
                "--scenario churn reconnects observers: --participants must be "
                "greater than --typists");
    }

    raise_open_file_limit();
    load_result result;
    try {
        result = mockroom::load::run_load(options);
    } catch (const mockroom::load::setup_error& e) {
        std::fprintf(stderr, "mockroom-load: error: %s\n", e.what());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "mockroom-load: error: %s\n", e.what());
        return 1;
    }

    const json j = result_json(options, result, label);
    print_summary(j);
    if (!json_file.empty()) {
        std::ofstream file(json_file);
        file << j.dump(2) << "\n";
        if (!file) {
            std::fprintf(stderr, "mockroom-load: error: cannot write %s\n", json_file.c_str());
            return 1;
        }
    }
    if (options.scenario == scenario_kind::idle && result.closes > 0) {
        std::fprintf(stderr, "mockroom-load: error: %lld socket(s) closed while idle\n",
                     static_cast<long long>(result.closes));
        return 1;
    }
    std::fflush(stdout);
    // Thousands of sockets need no orderly teardown: the kernel closes them.
    std::_Exit(0);
}
