// The room's timers through domain::room: commands, pushes, expiry, time spent and what
// clients are told. No sockets; the time is an input. See PROTOCOL.md "Timing".
#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "domain/room.hpp"

namespace {

using namespace mockroom;
using namespace mockroom::domain;

constexpr millis t0 = 1'764'000'000'000;
constexpr millis second_ms = 1'000;
constexpr millis hour_ms = 60 * minute_ms;
constexpr millis day_ms = 24 * hour_ms;

question make_question(int number, difficulty level, std::optional<int> minutes) {
    question q;
    q.id = "q" + std::to_string(number);
    q.number = number;
    q.level = level;
    q.text = "Question " + std::to_string(number);
    q.sample_answer = "Answer " + std::to_string(number);
    q.minutes = minutes;
    return q;
}

// q1 medium, q2 easy, q3 hard, q4 medium with its own 12 min, q5 hard with its own 7 min.
std::shared_ptr<const bank> make_bank(minutes_by_difficulty minutes) {
    auto b = std::make_shared<bank>();
    b->id = "python-developer";
    b->title = "Python Developer";
    b->questions = {make_question(1, difficulty::medium, std::nullopt),
                    make_question(2, difficulty::easy, std::nullopt),
                    make_question(3, difficulty::hard, std::nullopt),
                    make_question(4, difficulty::medium, 12),
                    make_question(5, difficulty::hard, 7)};
    b->minutes = minutes;
    return b;
}

timing_settings timing_of(millis interview_ms, std::vector<millis> warn_ms) {
    timing_settings timing;
    timing.interview_ms = interview_ms;
    timing.warn_ms = std::move(warn_ms);
    return timing;
}

room_info make_info(timing_settings timing, minutes_by_difficulty minutes) {
    room_info info;
    info.id = "k3x9q2m7tz4c";
    info.title = "Mock interview";
    info.question_bank = make_bank(minutes);
    info.created_at = t0;
    info.timing = std::move(timing);
    return info;
}

// The room keeps a reference to its limits, so they live next to it.
struct fixture {
    limits bounds;
    room r;
    explicit fixture(timing_settings timing = {}, minutes_by_difficulty minutes = {})
        : r(make_info(std::move(timing), minutes), bounds) {}

    // Interviewer p1 on connection 1, candidate p2 on 2, observer p3 on 3, interviewer p4 on 4.
    void seat_everyone(millis at = t0) {
        r.join(1, role::interviewer, "Grace", "tab-grace", at);
        r.join(2, role::candidate, "Ada", "tab-ada", at);
        r.join(3, role::observer, "Alan", "tab-alan", at);
        r.join(4, role::interviewer, "Barbara", "tab-barbara", at);
    }

    // A timer command with the revision the room is at (an up-to-date screen).
    outcome command(connection_id c, timer_id t, timer_action a, millis now,
                    std::optional<millis> ms = std::nullopt) {
        return r.apply(c, make_command(t, a, r.timer(t).rev(), ms), "7", now);
    }

    static timer_command make_command(timer_id t, timer_action a, std::uint64_t expect_rev,
                                      std::optional<millis> ms = std::nullopt) {
        timer_command cmd;
        cmd.timer = t;
        cmd.action = a;
        cmd.ms = ms;
        cmd.expect_rev = expect_rev;
        return cmd;
    }
};

push_question bank_push(std::string id, std::optional<millis> budget = std::nullopt) {
    push_question p;
    p.what = std::move(id);
    p.budget_ms = budget;
    return p;
}

push_question custom_push(std::string text, difficulty level,
                          std::optional<millis> budget = std::nullopt) {
    custom_question q;
    q.text = std::move(text);
    q.level = level;
    push_question p;
    p.what = std::move(q);
    p.budget_ms = budget;
    return p;
}

// ---- describing, so that "nothing changed" compares everything and failures print it ----

std::string at(millis t) {
    return t >= t0 ? "t0+" + std::to_string(t - t0) : "t0-" + std::to_string(t0 - t);
}

std::string describe(const timer_view& v) {
    std::string warn;
    for (millis w : v.warn_ms) warn += (warn.empty() ? "" : ",") + std::to_string(w);
    return std::string(to_string(v.timer)) + " " + std::string(to_string(v.state)) +
           " duration=" + std::to_string(v.duration_ms) +
           " deadline=" + (v.deadline ? at(*v.deadline) : "none") +
           " remaining=" + std::to_string(v.remaining_ms) + " rev=" + std::to_string(v.rev) +
           " warn=[" + warn +
           "] question=" + (v.question_seq ? std::to_string(*v.question_seq) : "none");
}

std::string describe(const pushed_question& q) {
    return "question seq=" + std::to_string(q.seq) + " id=" + q.id +
           " level=" + std::string(to_string(q.level)) + " at=" + at(q.pushed_at) +
           " budget=" + std::to_string(q.budget_ms) + " spent=" + std::to_string(q.time_spent_ms);
}

std::vector<std::string> describe_history(const std::vector<pushed_question>& history) {
    std::vector<std::string> out;
    for (const auto& q : history) out.push_back(describe(q));
    return out;
}

// Everything observable about the room's timers, questions and people at `now`.
std::vector<std::string> state_of(const room& r, millis now) {
    std::vector<std::string> out;
    for (const auto& p : r.participants()) {
        out.push_back("participant " + p.id + " " + std::string(to_string(p.role_in_room)) +
                      " open=" + std::to_string(p.open_connections));
    }
    for (auto& line : describe_history(r.history())) out.push_back(std::move(line));
    for (timer_id t : {timer_id::interview, timer_id::question}) {
        out.push_back(describe(r.view_of(t, now)));
        out.push_back(std::string(to_string(t)) +
                      " active=" + std::to_string(r.timer(t).active_time(now)));
    }
    const auto next = r.next_deadline();
    out.push_back("next deadline " + (next ? at(*next) : "none"));
    out.push_back("connections " + std::to_string(r.connection_count()));
    return out;
}

// ---- reading outcomes -------------------------------------------------------------------

bool to_everyone(const outbound& o) {
    return o.to.to == audience::kind::everyone && o.to.connection == 0 && !o.to.interviewers_only;
}

bool to_only(const outbound& o, connection_id c) {
    return o.to.to == audience::kind::one_connection && o.to.connection == c;
}

template <class Event>
Event event_as(const outbound& o) {
    REQUIRE(std::holds_alternative<Event>(o.what));
    return std::get<Event>(o.what);
}

template <class Event>
std::vector<Event> events_of(const outcome& out) {
    std::vector<Event> found;
    for (const auto& o : out) {
        if (const auto* e = std::get_if<Event>(&o.what)) found.push_back(*e);
    }
    return found;
}

// Exactly one error, addressed only to `c`, echoing the request's id.
error_event only_error(const outcome& out, connection_id c, std::string_view ref = "7") {
    REQUIRE(out.size() == 1);
    CHECK(to_only(out[0], c));
    auto error = event_as<error_event>(out[0]);
    CHECK(error.ref == ref);
    CHECK_FALSE(error.message.empty());
    return error;
}

// An event to everyone, about `timer`, with the cause and who caused it.
timer_event timer_event_in(const outbound& o, timer_id timer, std::string_view cause,
                           std::string_view by) {
    CHECK(to_everyone(o));
    auto ev = event_as<timer_event>(o);
    CHECK(ev.timer.timer == timer);
    CHECK(ev.cause == cause);
    CHECK(ev.by == by);
    return ev;
}

// Exactly one timer event, to everyone.
timer_event only_timer_event(const outcome& out, timer_id timer, std::string_view cause,
                             std::string_view by) {
    REQUIRE(out.size() == 1);
    return timer_event_in(out[0], timer, cause, by);
}

// The welcome addressed to `c` in a join's outcome.
welcome_event welcome_in(const outcome& out, connection_id c) {
    for (const auto& o : out) {
        if (std::holds_alternative<welcome_event>(o.what)) {
            CHECK(to_only(o, c));
            return std::get<welcome_event>(o.what);
        }
    }
    FAIL("no welcome in the outcome");
    return {};
}

}  // namespace

// ---- views ------------------------------------------------------------------------------

TEST_CASE("room timers: a new room's timers are idle, set from its timing settings",
          "[room][timer][view]") {
    SECTION("the defaults: a 45 min interview, a warning from 2 min left") {
        fixture f;
        CHECK(describe(f.r.view_of(timer_id::interview, t0 + 5)) ==
              "interview idle duration=2700000 deadline=none remaining=2700000 rev=0 "
              "warn=[120000] question=none");
        CHECK(describe(f.r.view_of(timer_id::question, t0 + 5)) ==
              "question idle duration=0 deadline=none remaining=0 rev=0 warn=[120000] "
              "question=none");
        CHECK_FALSE(f.r.next_deadline().has_value());
    }
    SECTION("the room's own length and thresholds") {
        fixture f(timing_of(30 * minute_ms, {300'000, 60'000}));
        CHECK(describe(f.r.view_of(timer_id::interview, t0)) ==
              "interview idle duration=1800000 deadline=none remaining=1800000 rev=0 "
              "warn=[300000,60000] question=none");
        CHECK(f.r.view_of(timer_id::question, t0).warn_ms == std::vector<millis>{300'000, 60'000});
    }
    SECTION("no thresholds") {
        fixture f(timing_of(30 * minute_ms, {}));
        CHECK(f.r.view_of(timer_id::interview, t0).warn_ms.empty());
        CHECK(f.r.view_of(timer_id::question, t0).warn_ms.empty());
    }
}

TEST_CASE("room timers: views while running, paused and expired", "[room][timer][view]") {
    fixture f(timing_of(30 * minute_ms, {300'000, 60'000}));
    f.seat_everyone();
    f.r.apply(1, bank_push("q1"), "", t0);  // medium: 10 min

    // Running: the deadline, and what is left when the view is taken.
    CHECK(describe(f.r.view_of(timer_id::question, t0 + 90 * second_ms)) ==
          "question running duration=600000 deadline=t0+600000 remaining=510000 rev=1 "
          "warn=[300000,60000] question=1");
    CHECK(describe(f.r.view_of(timer_id::interview, t0 + 90 * second_ms)) ==
          "interview running duration=1800000 deadline=t0+1800000 remaining=1710000 rev=1 "
          "warn=[300000,60000] question=none");
    // remaining = deadline - now, whenever the view is taken.
    for (millis now : {t0, t0 + 1, t0 + 599'999}) {
        const auto view = f.r.view_of(timer_id::question, now);
        REQUIRE(view.deadline.has_value());
        CHECK(view.remaining_ms == *view.deadline - now);
    }

    // Paused: no deadline, what is left is held.
    f.command(1, timer_id::question, timer_action::pause, t0 + 2 * minute_ms);
    CHECK(describe(f.r.view_of(timer_id::question, t0 + 2 * minute_ms)) ==
          "question paused duration=600000 deadline=none remaining=480000 rev=2 "
          "warn=[300000,60000] question=1");
    CHECK(describe(f.r.view_of(timer_id::question, t0 + day_ms)) ==
          describe(f.r.view_of(timer_id::question, t0 + 2 * minute_ms)));

    // Running again, then expired: the deadline is when it reached zero, and nothing is left.
    f.command(1, timer_id::question, timer_action::resume, t0 + 3 * minute_ms);
    CHECK(describe(f.r.view_of(timer_id::question, t0 + 3 * minute_ms)) ==
          "question running duration=600000 deadline=t0+660000 remaining=480000 rev=3 "
          "warn=[300000,60000] question=1");
    f.r.tick(t0 + 11 * minute_ms);
    CHECK(describe(f.r.view_of(timer_id::question, t0 + 12 * minute_ms)) ==
          "question expired duration=600000 deadline=t0+660000 remaining=0 rev=4 "
          "warn=[300000,60000] question=1");

    // Idle after a reset: no deadline, the whole duration.
    f.command(1, timer_id::question, timer_action::reset, t0 + 13 * minute_ms);
    CHECK(describe(f.r.view_of(timer_id::question, t0 + 13 * minute_ms)) ==
          "question idle duration=600000 deadline=none remaining=600000 rev=5 "
          "warn=[300000,60000] question=1");

    // The question timer names the question it times.
    f.r.apply(1, bank_push("q2"), "", t0 + 14 * minute_ms);
    CHECK(f.r.view_of(timer_id::question, t0 + 14 * minute_ms).question_seq == 2);
    CHECK_FALSE(f.r.view_of(timer_id::interview, t0 + 14 * minute_ms).question_seq.has_value());
}

TEST_CASE("room timers: the welcome carries both timers and the server's time",
          "[room][timer][view]") {
    fixture f;
    f.r.join(1, role::interviewer, "Grace", "tab-grace", t0 - minute_ms);
    {
        const auto welcome = welcome_in(f.r.join(9, role::candidate, "Ada", "a", t0), 9);
        CHECK(welcome.state.now == t0);
        CHECK(describe(welcome.state.interview_timer) ==
              describe(f.r.view_of(timer_id::interview, t0)));
        CHECK(describe(welcome.state.question_timer) ==
              "question idle duration=0 deadline=none remaining=0 rev=0 warn=[120000] "
              "question=none");
    }
    f.r.apply(1, bank_push("q3"), "", t0);  // hard: 15 min
    f.command(1, timer_id::interview, timer_action::pause, t0 + minute_ms);
    const millis now = t0 + 90 * second_ms;
    const auto welcome = welcome_in(f.r.join(2, role::observer, "Alan", "tab-alan", now), 2);
    CHECK(welcome.state.now == now);
    CHECK(describe(welcome.state.question_timer) ==
          "question running duration=900000 deadline=t0+900000 remaining=810000 rev=1 "
          "warn=[120000] question=1");
    CHECK(describe(welcome.state.interview_timer) ==
          "interview paused duration=2700000 deadline=none remaining=2640000 rev=2 "
          "warn=[120000] question=none");
    CHECK(describe(welcome.state.question_timer) == describe(f.r.view_of(timer_id::question, now)));
    // The join itself told nobody about the timers: nothing changed.
    for (const auto& o : f.r.join(3, role::candidate, "Ada", "tab-ada", now)) {
        CHECK_FALSE(std::holds_alternative<timer_event>(o.what));
    }
}

// ---- commands ---------------------------------------------------------------------------

TEST_CASE("room timers: each command is told to everyone with its cause and who",
          "[room][timer][command]") {
    fixture f;
    f.seat_everyone();

    auto out = f.command(1, timer_id::interview, timer_action::start, t0);
    auto ev = only_timer_event(out, timer_id::interview, "start", "p1");
    CHECK(describe(ev.timer) ==
          "interview running duration=2700000 deadline=t0+2700000 remaining=2700000 rev=1 "
          "warn=[120000] question=none");

    out = f.command(4, timer_id::interview, timer_action::pause, t0 + minute_ms);
    ev = only_timer_event(out, timer_id::interview, "pause", "p4");
    CHECK(describe(ev.timer) ==
          "interview paused duration=2700000 deadline=none remaining=2640000 rev=2 "
          "warn=[120000] question=none");

    out = f.command(1, timer_id::interview, timer_action::add, t0 + 2 * minute_ms, 5 * minute_ms);
    ev = only_timer_event(out, timer_id::interview, "add", "p1");
    CHECK(describe(ev.timer) ==
          "interview paused duration=3000000 deadline=none remaining=2940000 rev=3 "
          "warn=[120000] question=none");

    out = f.command(4, timer_id::interview, timer_action::resume, t0 + 3 * minute_ms);
    ev = only_timer_event(out, timer_id::interview, "resume", "p4");
    CHECK(describe(ev.timer) ==
          "interview running duration=3000000 deadline=t0+3120000 remaining=2940000 rev=4 "
          "warn=[120000] question=none");

    out =
        f.command(1, timer_id::interview, timer_action::reset, t0 + 4 * minute_ms, 20 * minute_ms);
    ev = only_timer_event(out, timer_id::interview, "reset", "p1");
    CHECK(describe(ev.timer) ==
          "interview idle duration=1200000 deadline=none remaining=1200000 rev=5 "
          "warn=[120000] question=none");
    CHECK(describe(ev.timer) == describe(f.r.view_of(timer_id::interview, t0 + 4 * minute_ms)));

    // The question timer after a push, the same way.
    f.r.apply(1, bank_push("q1"), "", t0 + 5 * minute_ms);
    out = f.command(4, timer_id::question, timer_action::add, t0 + 6 * minute_ms, -minute_ms);
    ev = only_timer_event(out, timer_id::question, "add", "p4");
    CHECK(describe(ev.timer) ==
          "question running duration=540000 deadline=t0+840000 remaining=480000 rev=2 "
          "warn=[120000] question=1");
}

TEST_CASE("room timers: a stale expect_rev is a conflict and changes nothing",
          "[room][timer][rev]") {
    fixture f;
    f.seat_everyone();
    f.r.apply(1, bank_push("q1"), "", t0);
    f.command(1, timer_id::question, timer_action::pause, t0 + minute_ms);
    REQUIRE(f.r.timer(timer_id::question).rev() == 2);
    REQUIRE(f.r.timer(timer_id::interview).rev() == 1);

    const auto action = GENERATE(timer_action::start, timer_action::pause, timer_action::resume,
                                 timer_action::reset, timer_action::add);
    const std::optional<millis> ms =
        action == timer_action::add ? std::optional<millis>(minute_ms) : std::nullopt;
    const timer_id timer = GENERATE(timer_id::interview, timer_id::question);
    const std::uint64_t stale = GENERATE(as<std::uint64_t>{}, 0, 1, 3, 100);
    CAPTURE(to_string(action), to_string(timer), stale);
    if (stale == f.r.timer(timer).rev()) return;  // not stale for this timer

    const millis now = t0 + 2 * minute_ms;
    const auto before = state_of(f.r, now);
    const auto before_later = state_of(f.r, now + hour_ms);
    const auto out =
        f.r.apply(1, fixture::make_command(timer, action, stale, ms), "\"req-1\"", now);
    CHECK(only_error(out, 1, "\"req-1\"").code == error_code::conflict);
    CHECK(state_of(f.r, now) == before);
    CHECK(state_of(f.r, now + hour_ms) == before_later);
}

TEST_CASE("room timers: a double click acts once", "[room][timer][rev]") {
    fixture f;
    f.seat_everyone();
    f.r.apply(1, bank_push("q1"), "", t0);
    const std::uint64_t seen = f.r.timer(timer_id::question).rev();

    SECTION("pause, pause") {
        const auto click = fixture::make_command(timer_id::question, timer_action::pause, seen);
        only_timer_event(f.r.apply(1, click, "1", t0 + minute_ms), timer_id::question, "pause",
                         "p1");
        const auto after_first = state_of(f.r, t0 + minute_ms + 80);
        CHECK(only_error(f.r.apply(1, click, "2", t0 + minute_ms + 80), 1, "2").code ==
              error_code::conflict);
        CHECK(state_of(f.r, t0 + minute_ms + 80) == after_first);
    }
    SECTION("+1 min, +1 min adds one minute") {
        const auto click =
            fixture::make_command(timer_id::question, timer_action::add, seen, minute_ms);
        const auto ev = only_timer_event(f.r.apply(1, click, "1", t0 + minute_ms),
                                         timer_id::question, "add", "p1");
        CHECK(ev.timer.deadline == t0 + 11 * minute_ms);
        const auto after_first = state_of(f.r, t0 + minute_ms + 80);
        CHECK(only_error(f.r.apply(1, click, "2", t0 + minute_ms + 80), 1, "2").code ==
              error_code::conflict);
        CHECK(state_of(f.r, t0 + minute_ms + 80) == after_first);
        CHECK(f.r.view_of(timer_id::question, t0).deadline == t0 + 11 * minute_ms);
        CHECK(f.r.view_of(timer_id::question, t0).duration_ms == 11 * minute_ms);
    }
}

TEST_CASE("room timers: two interviewers racing: the first command wins", "[room][timer][rev]") {
    fixture f;
    f.seat_everyone();
    f.command(1, timer_id::interview, timer_action::start, t0);
    const std::uint64_t seen = f.r.timer(timer_id::interview).rev();
    const millis now = t0 + 10 * minute_ms;

    // Both screens show `seen`; p1's pause arrives first, p4's +5 min second.
    only_timer_event(
        f.r.apply(1, fixture::make_command(timer_id::interview, timer_action::pause, seen), "1",
                  now),
        timer_id::interview, "pause", "p1");
    const auto after_first = state_of(f.r, now);
    const auto lost = f.r.apply(
        4, fixture::make_command(timer_id::interview, timer_action::add, seen, 5 * minute_ms), "9",
        now);
    CHECK(only_error(lost, 4, "9").code == error_code::conflict);
    CHECK(state_of(f.r, now) == after_first);
    CHECK(f.r.timer(timer_id::interview).state() == timer_state::paused);
    CHECK(f.r.view_of(timer_id::interview, now).remaining_ms == 35 * minute_ms);

    // p4 has been sent the pause (to everyone); retrying with that rev works.
    const auto retried = f.command(4, timer_id::interview, timer_action::add, now, 5 * minute_ms);
    const auto ev = only_timer_event(retried, timer_id::interview, "add", "p4");
    CHECK(ev.timer.state == timer_state::paused);
    CHECK(ev.timer.remaining_ms == 40 * minute_ms);
    CHECK(ev.timer.rev == seen + 2);
}

TEST_CASE("room timers: commands that do not fit are bad_request and change nothing",
          "[room][timer][command]") {
    fixture f;
    f.seat_everyone();
    const auto refused = [&](timer_id t, timer_action a, millis now,
                             std::optional<millis> ms = std::nullopt) {
        const auto before = state_of(f.r, now);
        CHECK(only_error(f.command(1, t, a, now, ms), 1).code == error_code::bad_request);
        CHECK(state_of(f.r, now) == before);
    };

    // Idle interview timer.
    refused(timer_id::interview, timer_action::pause, t0);
    refused(timer_id::interview, timer_action::resume, t0);
    refused(timer_id::interview, timer_action::start, t0, minute_ms);  // ms not allowed
    refused(timer_id::interview, timer_action::add, t0);               // ms required
    refused(timer_id::interview, timer_action::add, t0, 0);
    refused(timer_id::interview, timer_action::add, t0, day_ms);  // over 24 h in all
    refused(timer_id::interview, timer_action::reset, t0, 999);
    refused(timer_id::interview, timer_action::reset, t0, day_ms + 1);

    // Running question timer.
    f.r.apply(1, bank_push("q2"), "", t0);  // easy: 5 min
    refused(timer_id::question, timer_action::start, t0 + 1);
    refused(timer_id::question, timer_action::resume, t0 + 1);
    refused(timer_id::question, timer_action::pause, t0 + 1, second_ms);
    refused(timer_id::question, timer_action::add, t0 + 1, day_ms);

    // Paused.
    f.command(1, timer_id::question, timer_action::pause, t0 + minute_ms);
    refused(timer_id::question, timer_action::pause, t0 + 2 * minute_ms);
    refused(timer_id::question, timer_action::start, t0 + 2 * minute_ms);
    refused(timer_id::question, timer_action::resume, t0 + 2 * minute_ms, second_ms);

    // Expired.
    f.command(1, timer_id::question, timer_action::resume, t0 + 3 * minute_ms);
    REQUIRE(f.r.tick(t0 + 7 * minute_ms).size() == 1);
    refused(timer_id::question, timer_action::add, t0 + 8 * minute_ms, -second_ms);
    refused(timer_id::question, timer_action::start, t0 + 8 * minute_ms);
    refused(timer_id::question, timer_action::pause, t0 + 8 * minute_ms);
    refused(timer_id::question, timer_action::resume, t0 + 8 * minute_ms);
}

TEST_CASE("room timers: candidates and observers cannot command the timers",
          "[room][timer][roles]") {
    fixture f;
    f.seat_everyone();
    const bool pushed = GENERATE(false, true);
    if (pushed) f.r.apply(1, bank_push("q1"), "", t0);
    const auto action = GENERATE(timer_action::start, timer_action::pause, timer_action::resume,
                                 timer_action::reset, timer_action::add);
    const timer_id timer = GENERATE(timer_id::interview, timer_id::question);
    const connection_id who = GENERATE(as<connection_id>{}, 2, 3);
    CAPTURE(pushed, to_string(action), to_string(timer), who);
    const std::optional<millis> ms =
        action == timer_action::add ? std::optional<millis>(minute_ms) : std::nullopt;

    const millis now = t0 + minute_ms;
    const auto before = state_of(f.r, now);
    CHECK(only_error(f.command(who, timer, action, now, ms), who).code == error_code::forbidden);
    CHECK(state_of(f.r, now) == before);
}

TEST_CASE("room timers: the question timer cannot be commanded before the first push",
          "[room][timer]") {
    fixture f;
    f.seat_everyone();
    const auto action = GENERATE(timer_action::start, timer_action::pause, timer_action::resume,
                                 timer_action::reset, timer_action::add);
    const std::optional<millis> ms = action == timer_action::add || action == timer_action::reset
                                         ? std::optional<millis>(minute_ms)
                                         : std::nullopt;
    CAPTURE(to_string(action));
    const auto before = state_of(f.r, t0);
    CHECK(only_error(f.command(1, timer_id::question, action, t0, ms), 1).code ==
          error_code::bad_request);
    CHECK(state_of(f.r, t0) == before);
    // The interview timer needs no question.
    only_timer_event(f.command(1, timer_id::interview, timer_action::start, t0),
                     timer_id::interview, "start", "p1");
}

// ---- expiry -----------------------------------------------------------------------------

TEST_CASE("room timers: tick expires a due timer once and tells everyone",
          "[room][timer][expiry]") {
    fixture f;
    f.seat_everyone();
    f.r.apply(1, bank_push("q2"), "", t0);  // easy: 5 min; the interview: 45 min

    CHECK(f.r.tick(t0).empty());
    CHECK(f.r.tick(t0 + 5 * minute_ms - 1).empty());
    CHECK(f.r.timer(timer_id::question).state() == timer_state::running);

    const millis late = GENERATE(as<millis>{}, 0, 1, 90 * second_ms);
    CAPTURE(late);
    const auto out = f.r.tick(t0 + 5 * minute_ms + late);
    const auto ev = only_timer_event(out, timer_id::question, "expire", "");
    CHECK(describe(ev.timer) ==
          "question expired duration=300000 deadline=t0+300000 remaining=0 rev=2 warn=[120000] "
          "question=1");
    CHECK(f.r.timer(timer_id::question).state() == timer_state::expired);

    // Once: later ticks have nothing to say about it.
    CHECK(f.r.tick(t0 + 5 * minute_ms + late).empty());
    CHECK(f.r.tick(t0 + 6 * minute_ms + late).empty());
    CHECK(f.r.tick(t0 + 44 * minute_ms).empty());
    CHECK(f.r.timer(timer_id::question).rev() == 2);

    // The interview timer expires at its own deadline, once.
    const auto interview = f.r.tick(t0 + 45 * minute_ms);
    const auto iv = only_timer_event(interview, timer_id::interview, "expire", "");
    CHECK(describe(iv.timer) ==
          "interview expired duration=2700000 deadline=t0+2700000 remaining=0 rev=2 "
          "warn=[120000] question=none");
    CHECK(f.r.tick(t0 + 45 * minute_ms).empty());
    CHECK(f.r.tick(t0 + day_ms).empty());
}

TEST_CASE("room timers: two timers due at one tick give one event each", "[room][timer][expiry]") {
    fixture f(timing_of(5 * minute_ms, {120'000}));
    f.seat_everyone();
    f.r.apply(1, bank_push("q2"), "", t0);  // 5 min, like the interview
    const auto out = f.r.tick(t0 + 5 * minute_ms);
    REQUIRE(out.size() == 2);
    const auto first = timer_event_in(out[0], timer_id::interview, "expire", "");
    const auto second = timer_event_in(out[1], timer_id::question, "expire", "");
    CHECK(first.timer.state == timer_state::expired);
    CHECK(second.timer.state == timer_state::expired);
    CHECK(f.r.tick(t0 + 5 * minute_ms).empty());
    CHECK(f.r.tick(t0 + 10 * minute_ms).empty());
    CHECK_FALSE(f.r.next_deadline().has_value());
}

TEST_CASE("room timers: next_deadline is the earliest running deadline", "[room][timer][expiry]") {
    fixture f;
    f.seat_everyone();
    CHECK_FALSE(f.r.next_deadline().has_value());

    f.command(1, timer_id::interview, timer_action::start, t0);
    CHECK(f.r.next_deadline() == t0 + 45 * minute_ms);

    f.r.apply(1, bank_push("q2"), "", t0 + minute_ms);  // 5 min: due at t0 + 6 min
    CHECK(f.r.next_deadline() == t0 + 6 * minute_ms);

    f.command(1, timer_id::question, timer_action::pause, t0 + 2 * minute_ms);  // 4 min held
    CHECK(f.r.next_deadline() == t0 + 45 * minute_ms);

    f.command(1, timer_id::interview, timer_action::pause, t0 + 3 * minute_ms);  // 42 min held
    CHECK_FALSE(f.r.next_deadline().has_value());

    f.command(1, timer_id::interview, timer_action::resume, t0 + 10 * minute_ms);
    CHECK(f.r.next_deadline() == t0 + 52 * minute_ms);
    f.command(1, timer_id::question, timer_action::resume, t0 + 10 * minute_ms);
    CHECK(f.r.next_deadline() == t0 + 14 * minute_ms);

    // An added minute moves it.
    f.command(1, timer_id::question, timer_action::add, t0 + 11 * minute_ms, minute_ms);
    CHECK(f.r.next_deadline() == t0 + 15 * minute_ms);

    // Nothing to do before the deadline; at it, one expiry; then the next one.
    CHECK(f.r.tick(*f.r.next_deadline() - 1).empty());
    CHECK(f.r.tick(t0 + 15 * minute_ms).size() == 1);
    CHECK(f.r.next_deadline() == t0 + 52 * minute_ms);
    CHECK(f.r.tick(t0 + 52 * minute_ms).size() == 1);
    CHECK_FALSE(f.r.next_deadline().has_value());
}

TEST_CASE("room timers: a command after the deadline sees the expiry first",
          "[room][timer][expiry]") {
    fixture f;
    f.seat_everyone();
    f.r.apply(1, bank_push("q2"), "", t0);  // due at t0 + 5 min
    const std::uint64_t on_screen = f.r.timer(timer_id::question).rev();
    REQUIRE(on_screen == 1);
    // The host's wake-up has not run yet.
    const millis now = GENERATE(as<millis>{}, 5 * minute_ms, 5 * minute_ms + 1, 6 * minute_ms) + t0;
    CAPTURE(now - t0);

    SECTION("with the rev the screen showed before the expiry: conflict after the expiry") {
        const auto out = f.r.apply(
            1, fixture::make_command(timer_id::question, timer_action::add, on_screen, minute_ms),
            "5", now);
        REQUIRE(out.size() == 2);
        const auto expiry = timer_event_in(out[0], timer_id::question, "expire", "");
        CHECK(expiry.timer.state == timer_state::expired);
        CHECK(expiry.timer.deadline == t0 + 5 * minute_ms);
        CHECK(expiry.timer.rev == 2);
        CHECK(to_only(out[1], 1));
        CHECK(event_as<error_event>(out[1]).code == error_code::conflict);
        CHECK(event_as<error_event>(out[1]).ref == "5");
        CHECK(f.r.timer(timer_id::question).state() == timer_state::expired);
        CHECK(f.r.timer(timer_id::question).rev() == 2);
        CHECK(f.r.tick(now).empty());
    }
    SECTION("with the post-expiry rev: the expiry, then the command on the expired timer") {
        const auto out =
            f.r.apply(1, fixture::make_command(timer_id::question, timer_action::add, 2, minute_ms),
                      "5", now);
        REQUIRE(out.size() == 2);
        const auto expiry = timer_event_in(out[0], timer_id::question, "expire", "");
        CHECK(expiry.timer.rev == 2);
        const auto added = timer_event_in(out[1], timer_id::question, "add", "p1");
        CHECK(describe(added.timer) ==
              "question running duration=360000 deadline=" + at(now + minute_ms) +
                  " remaining=60000 rev=3 warn=[120000] question=1");
        CHECK(f.r.tick(now).empty());
        CHECK(f.r.next_deadline() == now + minute_ms);
    }
    SECTION("a pause at or after the deadline is refused: the timer has expired") {
        const auto out = f.r.apply(
            1, fixture::make_command(timer_id::question, timer_action::pause, 2), "5", now);
        REQUIRE(out.size() == 2);
        timer_event_in(out[0], timer_id::question, "expire", "");
        CHECK(event_as<error_event>(out[1]).code == error_code::bad_request);
        CHECK(f.r.view_of(timer_id::question, now).remaining_ms == 0);
    }
    SECTION("any command carries the expiry, even a refused one from a candidate") {
        const auto out = f.r.apply(
            2, fixture::make_command(timer_id::question, timer_action::reset, 2), "5", now);
        REQUIRE(out.size() == 2);
        timer_event_in(out[0], timer_id::question, "expire", "");
        CHECK(to_only(out[1], 2));
        CHECK(event_as<error_event>(out[1]).code == error_code::forbidden);
        CHECK(f.r.tick(now).empty());
    }
    SECTION("a push: the expiry, then the question and its restarted timer") {
        const auto out = f.r.apply(1, bank_push("q1"), "5", now);
        REQUIRE(out.size() == 3);
        timer_event_in(out[0], timer_id::question, "expire", "");
        const auto asked = event_as<question_event>(out[1]);
        CHECK(asked.question.seq == 2);
        REQUIRE(asked.replaced.has_value());
        CHECK(asked.replaced->ms == now - t0);  // the expired time counts
        const auto restarted = timer_event_in(out[2], timer_id::question, "push", "p1");
        CHECK(restarted.timer.rev == 3);
        CHECK(restarted.timer.state == timer_state::running);
    }
}

TEST_CASE("room timers: a join after the deadline: the others are told, the joiner sees it",
          "[room][timer][expiry]") {
    fixture f;
    f.r.join(1, role::interviewer, "Grace", "tab-grace", t0);
    f.r.join(2, role::candidate, "Ada", "tab-ada", t0);
    f.r.apply(1, bank_push("q2"), "", t0);  // due at t0 + 5 min
    const millis now = t0 + 5 * minute_ms + 1;

    const auto out = f.r.join(3, role::observer, "Alan", "tab-alan", now);
    const auto timers = events_of<timer_event>(out);
    REQUIRE(timers.size() == 1);
    REQUIRE(std::holds_alternative<timer_event>(out[0].what));
    // To everyone but the joiner.
    CHECK(out[0].to.to == audience::kind::everyone);
    CHECK(out[0].to.connection == 3);
    CHECK_FALSE(out[0].to.interviewers_only);
    CHECK(timers[0].cause == "expire");
    CHECK(timers[0].by.empty());
    CHECK(timers[0].timer.timer == timer_id::question);
    CHECK(describe(timers[0].timer) ==
          "question expired duration=300000 deadline=t0+300000 remaining=0 rev=2 warn=[120000] "
          "question=1");

    const auto welcome = welcome_in(out, 3);
    CHECK(describe(welcome.state.question_timer) == describe(timers[0].timer));
    CHECK(welcome.state.interview_timer.state == timer_state::running);
    CHECK(welcome.state.now == now);

    // Told once: neither a tick nor the next join repeats it.
    CHECK(f.r.tick(now).empty());
    CHECK(events_of<timer_event>(f.r.join(4, role::observer, "Linus", "l", now + 1)).empty());

    SECTION("a join by a reconnecting participant does the same") {
        fixture g;
        g.r.join(1, role::interviewer, "Grace", "tab-grace", t0);
        g.r.apply(1, bank_push("q2"), "", t0);
        const auto again = g.r.join(5, role::interviewer, "Grace", "tab-grace", now);
        REQUIRE(events_of<timer_event>(again).size() == 1);
        CHECK(again[0].to.connection == 5);
        CHECK(welcome_in(again, 5).state.question_timer.state == timer_state::expired);
    }
}

// ---- budgets ----------------------------------------------------------------------------

TEST_CASE("room timers: a question's budget by difficulty", "[room][timer][budget]") {
    fixture f;
    f.seat_everyone();
    const auto check_push = [&](const push_question& p, millis now, millis budget) {
        const auto out = f.r.apply(1, p, "", now);
        const auto asked = events_of<question_event>(out);
        REQUIRE(asked.size() == 1);
        CHECK(asked[0].question.budget_ms == budget);
        CHECK(f.r.history().back().budget_ms == budget);
        const auto view = f.r.view_of(timer_id::question, now);
        CHECK(view.duration_ms == budget);
        CHECK(view.deadline == now + budget);
        CHECK(view.remaining_ms == budget);
    };
    check_push(bank_push("q2"), t0, 5 * minute_ms);       // easy
    check_push(bank_push("q1"), t0 + 1, 10 * minute_ms);  // medium
    check_push(bank_push("q3"), t0 + 2, 15 * minute_ms);  // hard
    check_push(bank_push("q4"), t0 + 3, 12 * minute_ms);  // its own time
    check_push(bank_push("q5"), t0 + 4, 7 * minute_ms);   // its own time, under hard
    check_push(custom_push("Why?", difficulty::easy), t0 + 5, 5 * minute_ms);
    check_push(custom_push("Why?", difficulty::medium), t0 + 6, 10 * minute_ms);
    check_push(custom_push("Why?", difficulty::hard), t0 + 7, 15 * minute_ms);
}

TEST_CASE("room timers: budgets: the push, else the question, else the bank, else the default",
          "[room][timer][budget]") {
    minutes_by_difficulty bank_minutes;
    bank_minutes.easy = 4;
    bank_minutes.hard = 20;
    fixture f(timing_settings{}, bank_minutes);
    f.seat_everyone();
    const auto pushed_budget = [&](const push_question& p) {
        const millis now = t0 + static_cast<millis>(f.r.history().size()) * minute_ms;
        const auto out = f.r.apply(1, p, "", now);
        REQUIRE(events_of<question_event>(out).size() == 1);
        CHECK(f.r.view_of(timer_id::question, now).duration_ms == f.r.history().back().budget_ms);
        return f.r.history().back().budget_ms;
    };
    // The bank's time for the difficulty, where it has one.
    CHECK(pushed_budget(bank_push("q2")) == 4 * minute_ms);
    CHECK(pushed_budget(bank_push("q3")) == 20 * minute_ms);
    // No bank time for medium: the default.
    CHECK(pushed_budget(bank_push("q1")) == 10 * minute_ms);
    // The question's own time wins over the bank's.
    CHECK(pushed_budget(bank_push("q4")) == 12 * minute_ms);
    CHECK(pushed_budget(bank_push("q5")) == 7 * minute_ms);
    // The push's budget wins over everything.
    CHECK(pushed_budget(bank_push("q5", 90 * second_ms)) == 90 * second_ms);
    CHECK(pushed_budget(bank_push("q2", 25 * minute_ms)) == 25 * minute_ms);
    // Custom questions: the bank's time for their difficulty, else the default; the push wins.
    CHECK(pushed_budget(custom_push("Tell me more.", difficulty::easy)) == 4 * minute_ms);
    CHECK(pushed_budget(custom_push("Tell me more.", difficulty::hard)) == 20 * minute_ms);
    CHECK(pushed_budget(custom_push("Tell me more.", difficulty::medium)) == 10 * minute_ms);
    CHECK(pushed_budget(custom_push("Tell me more.", difficulty::hard, 2 * minute_ms)) ==
          2 * minute_ms);
    // The budget is kept per question.
    std::vector<millis> budgets;
    for (const auto& q : f.r.history()) budgets.push_back(q.budget_ms);
    CHECK(budgets == std::vector<millis>{240'000, 1'200'000, 600'000, 720'000, 420'000, 90'000,
                                         1'500'000, 240'000, 1'200'000, 600'000, 120'000});
}

TEST_CASE("room timers: a push's budget_ms outside 1 s to 24 h is bad_request",
          "[room][timer][budget]") {
    fixture f;
    f.seat_everyone();
    f.r.apply(1, bank_push("q1"), "", t0);
    f.command(1, timer_id::question, timer_action::pause, t0 + minute_ms);
    const millis now = t0 + 2 * minute_ms;

    SECTION("refused, nothing changed") {
        const millis bad =
            GENERATE(as<millis>{}, 999, 0, -1, -minute_ms, day_ms + 1,
                     std::numeric_limits<millis>::min(), std::numeric_limits<millis>::max());
        const bool custom = GENERATE(false, true);
        CAPTURE(bad, custom);
        const auto before = state_of(f.r, now);
        const auto p = custom ? custom_push("Why?", difficulty::easy, bad) : bank_push("q2", bad);
        CHECK(only_error(f.r.apply(1, p, "\"p\"", now), 1, "\"p\"").code ==
              error_code::bad_request);
        CHECK(state_of(f.r, now) == before);
        CHECK(f.r.history().size() == 1);
    }
    SECTION("the bounds are accepted") {
        f.r.apply(1, bank_push("q2", second_ms), "", now);
        CHECK(f.r.history().back().budget_ms == 1'000);
        CHECK(f.r.view_of(timer_id::question, now).deadline == now + 1'000);
        f.r.apply(1, bank_push("q2", day_ms), "", now + 1);
        CHECK(f.r.history().back().budget_ms == 86'400'000);
        CHECK(f.r.view_of(timer_id::question, now + 1).deadline == now + 1 + 86'400'000);
    }
}

// ---- pushes and the timers -----------------------------------------------------------------

TEST_CASE("room timers: a push restarts the question timer and starts an idle interview timer",
          "[room][timer][push]") {
    fixture f;
    f.seat_everyone();

    const auto first = f.r.apply(1, bank_push("q1"), "", t0);
    REQUIRE(first.size() == 3);
    CHECK(to_everyone(first[0]));
    CHECK(event_as<question_event>(first[0]).question.seq == 1);
    const auto question_timer = timer_event_in(first[1], timer_id::question, "push", "p1");
    CHECK(describe(question_timer.timer) ==
          "question running duration=600000 deadline=t0+600000 remaining=600000 rev=1 "
          "warn=[120000] question=1");
    const auto interview_timer = timer_event_in(first[2], timer_id::interview, "push", "p1");
    CHECK(describe(interview_timer.timer) ==
          "interview running duration=2700000 deadline=t0+2700000 remaining=2700000 rev=1 "
          "warn=[120000] question=none");

    SECTION("the next push restarts the question timer only") {
        const millis now = t0 + 3 * minute_ms;
        const auto second = f.r.apply(4, bank_push("q3"), "", now);
        REQUIRE(second.size() == 2);
        CHECK(event_as<question_event>(second[0]).question.seq == 2);
        const auto restarted = timer_event_in(second[1], timer_id::question, "push", "p4");
        CHECK(describe(restarted.timer) ==
              "question running duration=900000 deadline=t0+1080000 remaining=900000 rev=2 "
              "warn=[120000] question=2");
        CHECK(describe(f.r.view_of(timer_id::interview, now)) ==
              "interview running duration=2700000 deadline=t0+2700000 remaining=2520000 rev=1 "
              "warn=[120000] question=none");
    }
    SECTION("a paused question timer is restarted, running") {
        f.command(1, timer_id::question, timer_action::pause, t0 + minute_ms);
        const auto out = f.r.apply(1, bank_push("q2"), "", t0 + 2 * minute_ms);
        REQUIRE(out.size() == 2);
        const auto restarted = timer_event_in(out[1], timer_id::question, "push", "p1");
        CHECK(describe(restarted.timer) ==
              "question running duration=300000 deadline=t0+420000 remaining=300000 rev=3 "
              "warn=[120000] question=2");
    }
    SECTION("an expired question timer is restarted, running") {
        REQUIRE(f.r.tick(t0 + 10 * minute_ms).size() == 1);
        const auto out = f.r.apply(1, bank_push("q2"), "", t0 + 12 * minute_ms);
        REQUIRE(out.size() == 2);
        const auto restarted = timer_event_in(out[1], timer_id::question, "push", "p1");
        CHECK(restarted.timer.state == timer_state::running);
        CHECK(restarted.timer.rev == 3);
        CHECK(restarted.timer.deadline == t0 + 17 * minute_ms);
        CHECK(restarted.timer.question_seq == 2);
    }
    SECTION("a stale rev from the previous question is a conflict after a push") {
        const auto old_rev = f.r.timer(timer_id::question).rev();
        f.r.apply(1, bank_push("q2"), "", t0 + minute_ms);
        CHECK(only_error(
                  f.r.apply(1,
                            fixture::make_command(timer_id::question, timer_action::pause, old_rev),
                            "7", t0 + 2 * minute_ms),
                  1)
                  .code == error_code::conflict);
    }
    SECTION("a refused push changes no timer") {
        const auto before = state_of(f.r, t0 + minute_ms);
        CHECK(only_error(f.r.apply(1, bank_push("q99"), "7", t0 + minute_ms), 1).code ==
              error_code::not_found);
        CHECK(only_error(f.r.apply(2, bank_push("q2"), "7", t0 + minute_ms), 2).code ==
              error_code::forbidden);
        CHECK(only_error(f.r.apply(1, custom_push("  ", difficulty::easy), "7", t0 + minute_ms), 1)
                  .code == error_code::bad_request);
        CHECK(state_of(f.r, t0 + minute_ms) == before);
    }
}

TEST_CASE("room timers: a push starts the interview timer only when it is idle",
          "[room][timer][push]") {
    fixture f(timing_of(10 * minute_ms, {120'000}));
    f.seat_everyone();
    const auto push_keeps_interview = [&](millis now) {
        const auto before = describe(f.r.view_of(timer_id::interview, now));
        const auto out = f.r.apply(1, bank_push("q1"), "", now);
        REQUIRE(out.size() == 2);  // question, question timer
        CHECK(timer_event_in(out[1], timer_id::question, "push", "p1").timer.state ==
              timer_state::running);
        CHECK(describe(f.r.view_of(timer_id::interview, now)) == before);
    };

    SECTION("running") {
        f.command(1, timer_id::interview, timer_action::start, t0 - minute_ms);
        push_keeps_interview(t0);
        CHECK(f.r.timer(timer_id::interview).rev() == 1);
        CHECK(f.r.timer(timer_id::interview).deadline() == t0 + 9 * minute_ms);
    }
    SECTION("paused") {
        f.command(1, timer_id::interview, timer_action::start, t0 - 2 * minute_ms);
        f.command(1, timer_id::interview, timer_action::pause, t0 - minute_ms);
        push_keeps_interview(t0);
        CHECK(f.r.timer(timer_id::interview).state() == timer_state::paused);
        CHECK(f.r.timer(timer_id::interview).rev() == 2);
    }
    SECTION("expired") {
        f.command(1, timer_id::interview, timer_action::start, t0 - 20 * minute_ms);
        REQUIRE(f.r.tick(t0 - 10 * minute_ms).size() == 1);
        push_keeps_interview(t0);
        CHECK(f.r.timer(timer_id::interview).state() == timer_state::expired);
        CHECK(f.r.timer(timer_id::interview).rev() == 2);
    }
    SECTION("idle again after a reset: the push starts it") {
        f.r.apply(1, bank_push("q1"), "", t0);
        f.command(1, timer_id::interview, timer_action::reset, t0 + minute_ms, 20 * minute_ms);
        REQUIRE(f.r.timer(timer_id::interview).state() == timer_state::idle);
        const auto out = f.r.apply(1, bank_push("q2"), "", t0 + 2 * minute_ms);
        REQUIRE(out.size() == 3);
        const auto started = timer_event_in(out[2], timer_id::interview, "push", "p1");
        CHECK(describe(started.timer) ==
              "interview running duration=1200000 deadline=t0+1320000 remaining=1200000 rev=3 "
              "warn=[120000] question=none");
    }
}

// ---- time spent -------------------------------------------------------------------------

TEST_CASE("room timers: time spent on a question excludes pauses and a reset timer",
          "[room][timer][time-spent]") {
    fixture f;
    f.seat_everyone();
    const auto first = f.r.apply(1, bank_push("q1"), "", t0);  // 10 min
    REQUIRE_FALSE(event_as<question_event>(first[0]).replaced.has_value());
    CHECK(event_as<question_event>(first[0]).question.time_spent_ms == 0);

    const auto spent_so_far = [&](millis now) {
        const auto welcome =
            welcome_in(f.r.join(100, role::interviewer, "Grace", "tab-grace", now), 100);
        f.r.disconnect(100, now);
        REQUIRE(!welcome.state.history.empty());
        return welcome.state.history.back().time_spent_ms;
    };

    CHECK(spent_so_far(t0 + 2 * minute_ms) == 2 * minute_ms);
    f.command(1, timer_id::question, timer_action::pause, t0 + 2 * minute_ms);
    CHECK(spent_so_far(t0 + 7 * minute_ms) == 2 * minute_ms);  // the pause does not count
    f.command(1, timer_id::question, timer_action::resume, t0 + 7 * minute_ms);
    CHECK(spent_so_far(t0 + 8 * minute_ms) == 3 * minute_ms);
    f.command(1, timer_id::question, timer_action::reset, t0 + 9 * minute_ms);
    CHECK(spent_so_far(t0 + 20 * minute_ms) == 4 * minute_ms);  // nor the idle time
    f.command(1, timer_id::question, timer_action::start, t0 + 20 * minute_ms);
    // Due at t0 + 30 min; the time after the expiry counts until the next push.
    REQUIRE(f.r.tick(t0 + 30 * minute_ms).size() == 1);
    CHECK(spent_so_far(t0 + 35 * minute_ms) == 19 * minute_ms);
    // The history keeps the current question's time unset until it is replaced.
    CHECK(f.r.history().back().time_spent_ms == 0);

    const auto second = f.r.apply(4, bank_push("q2"), "", t0 + 40 * minute_ms);
    const auto asked = event_as<question_event>(second[0]);
    REQUIRE(asked.replaced.has_value());
    CHECK(asked.replaced->seq == 1);
    CHECK(asked.replaced->ms == 24 * minute_ms);
    CHECK(asked.question.seq == 2);
    CHECK(asked.question.time_spent_ms == 0);
    REQUIRE(f.r.history().size() == 2);
    CHECK(f.r.history()[0].time_spent_ms == 24 * minute_ms);
    CHECK(f.r.history()[1].time_spent_ms == 0);

    // The new question counts from its push; the welcome shows both.
    const auto welcome = welcome_in(
        f.r.join(101, role::interviewer, "Grace", "tab-grace", t0 + 41 * minute_ms), 101);
    REQUIRE(welcome.state.history.size() == 2);
    CHECK(welcome.state.history[0].time_spent_ms == 24 * minute_ms);
    CHECK(welcome.state.history[1].time_spent_ms == minute_ms);
    CHECK(welcome.state.history[1].budget_ms == 5 * minute_ms);

    // A third push finalises the second; the first keeps its time.
    const auto third = f.r.apply(1, custom_push("And?", difficulty::hard), "", t0 + 43 * minute_ms);
    const auto replaced = event_as<question_event>(third[0]).replaced;
    REQUIRE(replaced.has_value());
    CHECK(replaced->seq == 2);
    CHECK(replaced->ms == 3 * minute_ms);
    std::vector<millis> spent;
    for (const auto& q : f.r.history()) spent.push_back(q.time_spent_ms);
    CHECK(spent == std::vector<millis>{24 * minute_ms, 3 * minute_ms, 0});
}

TEST_CASE("room timers: time spent through subtractions, additions and refusals",
          "[room][timer][time-spent]") {
    fixture f;
    f.seat_everyone();
    f.r.apply(1, bank_push("q1"), "", t0);
    // Paused at 1 min, then a subtraction expires it at 3 min: from then it counts again.
    f.command(1, timer_id::question, timer_action::pause, t0 + minute_ms);
    f.command(1, timer_id::question, timer_action::add, t0 + 3 * minute_ms, -day_ms);
    REQUIRE(f.r.timer(timer_id::question).state() == timer_state::expired);
    // Adding to the expired timer keeps counting without a gap.
    f.command(1, timer_id::question, timer_action::add, t0 + 4 * minute_ms, minute_ms);
    // A refused command changes nothing.
    f.r.apply(1, fixture::make_command(timer_id::question, timer_action::pause, 0), "",
              t0 + 5 * minute_ms);
    const auto out = f.r.apply(1, bank_push("q2"), "", t0 + 5 * minute_ms + 30 * second_ms);
    // 1 min before the pause, 2 min 30 s since the expiry (running again for 1 min of it, then
    // expired again at t0 + 5 min).
    const auto events = events_of<question_event>(out);
    REQUIRE(events.size() == 1);
    REQUIRE(events[0].replaced.has_value());
    CHECK(events[0].replaced->ms == 3 * minute_ms + 30 * second_ms);
    CHECK(f.r.history()[0].time_spent_ms == 3 * minute_ms + 30 * second_ms);
}
