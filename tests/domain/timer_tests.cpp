// domain::countdown in isolation: the time is an input, nothing ticks. See PROTOCOL.md "Timing".
#include "domain/timer.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

namespace {

using namespace mockroom;
using namespace mockroom::domain;

constexpr millis t0 = 1'764'000'000'000;
constexpr millis second_ms = 1'000;
constexpr millis hour_ms = 60 * minute_ms;
constexpr millis day_ms = 24 * hour_ms;

// Everything observable about a countdown at `now`, as text, so that "nothing changed" compares
// all of it and a failure prints the difference.
std::string describe(const countdown& c, millis now) {
    const auto deadline = c.deadline();
    return "state=" + std::string(to_string(c.state())) +
           " duration=" + std::to_string(c.duration()) +
           " deadline=" + (deadline ? std::to_string(*deadline) : "none") +
           " remaining=" + std::to_string(c.remaining(now)) + " rev=" + std::to_string(c.rev()) +
           " active=" + std::to_string(c.active_time(now));
}

// A command with the countdown's current revision (what an up-to-date screen sends).
std::optional<timer_refusal> act(countdown& c, timer_action a, millis now,
                                 std::optional<millis> ms = std::nullopt) {
    return c.command(a, ms, c.rev(), now);
}

// The command is refused with `code`, and nothing about the countdown changes.
void require_refused(countdown& c, timer_action a, std::optional<millis> ms,
                     std::uint64_t expect_rev, millis now, error_code code) {
    const std::string before = describe(c, now);
    const std::string before_later = describe(c, now + 5 * minute_ms);
    const auto refused = c.command(a, ms, expect_rev, now);
    REQUIRE(refused.has_value());
    CHECK(refused->code == code);
    CHECK_FALSE(refused->message.empty());
    CHECK(describe(c, now) == before);
    CHECK(describe(c, now + 5 * minute_ms) == before_later);
}

void require_bad_request(countdown& c, timer_action a, millis now,
                         std::optional<millis> ms = std::nullopt) {
    require_refused(c, a, ms, c.rev(), now, error_code::bad_request);
}

// A countdown of `duration` that is running since t0 (rev 1).
countdown running_since_t0(millis duration = 10 * minute_ms) {
    countdown c(duration);
    REQUIRE_FALSE(act(c, timer_action::start, t0));
    return c;
}

// A countdown of `duration` started at t0 and expired at its deadline (rev 2).
countdown expired_at_deadline(millis duration = 10 * minute_ms) {
    countdown c = running_since_t0(duration);
    REQUIRE(c.expire_if_due(t0 + duration));
    return c;
}

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

}  // namespace

// ---- the basics -------------------------------------------------------------------------

TEST_CASE("countdown: a new countdown is idle and holds its whole duration", "[timer]") {
    countdown c(10 * minute_ms);
    CHECK(c.state() == timer_state::idle);
    CHECK(c.duration() == 10 * minute_ms);
    CHECK_FALSE(c.deadline().has_value());
    CHECK(c.rev() == 0);
    // Idle time does not pass.
    CHECK(c.remaining(t0) == 10 * minute_ms);
    CHECK(c.remaining(t0 + day_ms) == 10 * minute_ms);
    CHECK(c.active_time(t0 + day_ms) == 0);
}

TEST_CASE("countdown: names of ids, states and actions", "[timer]") {
    CHECK(to_string(timer_id::interview) == "interview");
    CHECK(to_string(timer_id::question) == "question");
    CHECK(to_string(timer_state::idle) == "idle");
    CHECK(to_string(timer_state::running) == "running");
    CHECK(to_string(timer_state::paused) == "paused");
    CHECK(to_string(timer_state::expired) == "expired");
    CHECK(to_string(timer_action::start) == "start");
    CHECK(to_string(timer_action::pause) == "pause");
    CHECK(to_string(timer_action::resume) == "resume");
    CHECK(to_string(timer_action::reset) == "reset");
    CHECK(to_string(timer_action::add) == "add");
}

TEST_CASE("countdown: start from idle runs until now + remaining", "[timer][start]") {
    countdown c(10 * minute_ms);
    REQUIRE_FALSE(c.command(timer_action::start, std::nullopt, 0, t0 + 7));
    CHECK(c.state() == timer_state::running);
    CHECK(c.deadline() == t0 + 7 + 10 * minute_ms);
    CHECK(c.duration() == 10 * minute_ms);
    CHECK(c.rev() == 1);
    CHECK(c.remaining(t0 + 7) == 10 * minute_ms);
    CHECK(c.remaining(t0 + 7 + minute_ms) == 9 * minute_ms);
    CHECK(c.remaining(t0 + 7 + 10 * minute_ms - 1) == 1);
    // Never negative, even when nobody has expired it yet.
    CHECK(c.remaining(t0 + 7 + 10 * minute_ms) == 0);
    CHECK(c.remaining(t0 + 7 + 11 * minute_ms) == 0);
    // Running without expiry keeps the state: expiry is the server's decision (expire_if_due).
    CHECK(c.state() == timer_state::running);

    SECTION("a start from idle after add and subtract uses what is left") {
        countdown d(10 * minute_ms);
        REQUIRE_FALSE(act(d, timer_action::add, t0, -3 * minute_ms));
        REQUIRE_FALSE(act(d, timer_action::start, t0 + minute_ms));
        CHECK(d.deadline() == t0 + minute_ms + 7 * minute_ms);
        CHECK(d.duration() == 7 * minute_ms);
        CHECK(d.rev() == 2);
    }
}

TEST_CASE("countdown: pause and resume keep the remaining time exactly", "[timer][pause]") {
    countdown c = running_since_t0(10 * minute_ms);
    const millis paused_at = t0 + 123'457;
    REQUIRE_FALSE(act(c, timer_action::pause, paused_at));
    const millis left = 10 * minute_ms - 123'457;
    CHECK(c.state() == timer_state::paused);
    CHECK_FALSE(c.deadline().has_value());
    CHECK(c.rev() == 2);
    CHECK(c.duration() == 10 * minute_ms);
    CHECK(c.remaining(paused_at) == left);

    const millis pause_length =
        GENERATE(as<millis>{}, 0, 1, 999, 59'999, 3 * hour_ms + 17, 30 * day_ms + 1);
    CAPTURE(pause_length);
    const millis resumed_at = paused_at + pause_length;
    // A pause holds the remaining time however long it lasts.
    CHECK(c.remaining(resumed_at) == left);
    REQUIRE_FALSE(act(c, timer_action::resume, resumed_at));
    CHECK(c.state() == timer_state::running);
    CHECK(c.deadline() == resumed_at + left);
    CHECK(c.remaining(resumed_at) == left);
    CHECK(c.remaining(resumed_at + 1) == left - 1);
    CHECK(c.rev() == 3);
    CHECK(c.duration() == 10 * minute_ms);

    SECTION("a second pause and resume keep what is left after the first") {
        REQUIRE_FALSE(act(c, timer_action::pause, resumed_at + 2 * minute_ms + 1));
        CHECK(c.remaining(resumed_at + 5 * hour_ms) == left - 2 * minute_ms - 1);
        REQUIRE_FALSE(act(c, timer_action::resume, resumed_at + 6 * hour_ms));
        CHECK(c.deadline() == resumed_at + 6 * hour_ms + left - 2 * minute_ms - 1);
        CHECK(c.rev() == 5);
        // In all, the timer ran exactly its duration: 123'457 + (2 min + 1) + the rest.
        CHECK(*c.deadline() - (resumed_at + 6 * hour_ms) + 123'457 + 2 * minute_ms + 1 ==
              10 * minute_ms);
    }
    SECTION("it expires at the resumed deadline, not the original one") {
        CHECK_FALSE(c.expire_if_due(t0 + 10 * minute_ms + pause_length - 1));
        CHECK(c.expire_if_due(resumed_at + left));
        CHECK(c.deadline() == resumed_at + left);
    }
}

TEST_CASE("countdown: reset goes back to idle with the duration", "[timer][reset]") {
    SECTION("from running") {
        countdown c = running_since_t0(10 * minute_ms);
        REQUIRE_FALSE(act(c, timer_action::reset, t0 + 4 * minute_ms));
        CHECK(describe(c, t0 + 4 * minute_ms) ==
              "state=idle duration=600000 deadline=none remaining=600000 rev=2 active=240000");
        // Idle again: time does not pass.
        CHECK(c.remaining(t0 + day_ms) == 10 * minute_ms);
    }
    SECTION("from paused") {
        countdown c = running_since_t0(10 * minute_ms);
        REQUIRE_FALSE(act(c, timer_action::pause, t0 + minute_ms));
        REQUIRE_FALSE(act(c, timer_action::reset, t0 + 2 * minute_ms));
        CHECK(c.state() == timer_state::idle);
        CHECK(c.remaining(t0 + 2 * minute_ms) == 10 * minute_ms);
        CHECK(c.rev() == 3);
    }
    SECTION("from expired") {
        countdown c = expired_at_deadline(10 * minute_ms);
        REQUIRE_FALSE(act(c, timer_action::reset, t0 + 20 * minute_ms));
        CHECK(c.state() == timer_state::idle);
        CHECK_FALSE(c.deadline().has_value());
        CHECK(c.remaining(t0 + 20 * minute_ms) == 10 * minute_ms);
        CHECK(c.rev() == 3);
    }
    SECTION("from idle (after a subtraction) it refills") {
        countdown c(10 * minute_ms);
        REQUIRE_FALSE(act(c, timer_action::add, t0, -minute_ms));
        CHECK(c.remaining(t0) == 9 * minute_ms);
        REQUIRE_FALSE(act(c, timer_action::reset, t0));
        // The duration includes additions (and subtractions): reset goes back to it.
        CHECK(c.duration() == 9 * minute_ms);
        CHECK(c.remaining(t0) == 9 * minute_ms);
        CHECK(c.rev() == 2);
    }
    SECTION("the duration includes additions, so a reset goes back to it") {
        countdown c = running_since_t0(10 * minute_ms);
        REQUIRE_FALSE(act(c, timer_action::add, t0 + minute_ms, 2 * minute_ms));
        REQUIRE_FALSE(act(c, timer_action::reset, t0 + 2 * minute_ms));
        CHECK(c.duration() == 12 * minute_ms);
        CHECK(c.remaining(t0 + 2 * minute_ms) == 12 * minute_ms);
    }
    SECTION("with ms: a new duration") {
        countdown c = running_since_t0(10 * minute_ms);
        REQUIRE_FALSE(act(c, timer_action::reset, t0 + minute_ms, 3 * minute_ms + 500));
        CHECK(describe(c, t0 + hour_ms) ==
              "state=idle duration=180500 deadline=none remaining=180500 rev=2 active=60000");
        REQUIRE_FALSE(act(c, timer_action::start, t0 + hour_ms));
        CHECK(c.deadline() == t0 + hour_ms + 3 * minute_ms + 500);
    }
    SECTION("a countdown made with no duration can be set by reset, not started") {
        countdown c;
        require_bad_request(c, timer_action::start, t0);
        REQUIRE_FALSE(act(c, timer_action::reset, t0, minute_ms));
        REQUIRE_FALSE(act(c, timer_action::start, t0));
        CHECK(c.deadline() == t0 + minute_ms);
    }
}

TEST_CASE("countdown: reset accepts 1 s to 24 h and refuses anything else", "[timer][reset]") {
    SECTION("the bounds themselves are accepted") {
        countdown c(10 * minute_ms);
        REQUIRE_FALSE(act(c, timer_action::reset, t0, second_ms));
        CHECK(c.duration() == 1'000);
        CHECK(c.remaining(t0) == 1'000);
        REQUIRE_FALSE(act(c, timer_action::reset, t0, day_ms));
        CHECK(c.duration() == 86'400'000);
        CHECK(c.remaining(t0) == 86'400'000);
        CHECK(c.rev() == 2);
        CHECK(min_timer_duration_ms == 1'000);
        CHECK(max_timer_ms == 86'400'000);
    }
    SECTION("anything outside is bad_request and changes nothing, in every state") {
        const millis bad =
            GENERATE(as<millis>{}, 999, 0, -1, -second_ms, day_ms + 1, 2 * day_ms,
                     std::numeric_limits<millis>::min(), std::numeric_limits<millis>::max());
        CAPTURE(bad);
        countdown idle(10 * minute_ms);
        require_bad_request(idle, timer_action::reset, t0, bad);
        countdown running = running_since_t0();
        require_bad_request(running, timer_action::reset, t0 + minute_ms, bad);
        countdown paused = running_since_t0();
        REQUIRE_FALSE(act(paused, timer_action::pause, t0 + minute_ms));
        require_bad_request(paused, timer_action::reset, t0 + 2 * minute_ms, bad);
        countdown expired = expired_at_deadline();
        require_bad_request(expired, timer_action::reset, t0 + hour_ms, bad);
    }
}

// ---- add and subtract -------------------------------------------------------------------

TEST_CASE("countdown: add and subtract while idle", "[timer][add]") {
    countdown c(10 * minute_ms);
    REQUIRE_FALSE(act(c, timer_action::add, t0, minute_ms));
    CHECK(describe(c, t0 + hour_ms) ==
          "state=idle duration=660000 deadline=none remaining=660000 rev=1 active=0");
    REQUIRE_FALSE(act(c, timer_action::add, t0 + 1, -90 * second_ms));
    CHECK(describe(c, t0 + hour_ms) ==
          "state=idle duration=570000 deadline=none remaining=570000 rev=2 active=0");
}

TEST_CASE("countdown: add and subtract while running move the deadline", "[timer][add]") {
    countdown c = running_since_t0(10 * minute_ms);
    REQUIRE_FALSE(act(c, timer_action::add, t0 + minute_ms, 2 * minute_ms));
    CHECK(c.state() == timer_state::running);
    CHECK(c.deadline() == t0 + 12 * minute_ms);
    CHECK(c.remaining(t0 + minute_ms) == 11 * minute_ms);
    CHECK(c.duration() == 12 * minute_ms);
    CHECK(c.rev() == 2);

    REQUIRE_FALSE(act(c, timer_action::add, t0 + 2 * minute_ms, -5 * minute_ms - 1));
    CHECK(c.state() == timer_state::running);
    CHECK(c.deadline() == t0 + 7 * minute_ms - 1);
    CHECK(c.remaining(t0 + 2 * minute_ms) == 5 * minute_ms - 1);
    CHECK(c.duration() == 7 * minute_ms - 1);
    CHECK(c.rev() == 3);
}

TEST_CASE("countdown: add and subtract while paused change what is held", "[timer][add]") {
    countdown c = running_since_t0(10 * minute_ms);
    REQUIRE_FALSE(act(c, timer_action::pause, t0 + 4 * minute_ms));
    REQUIRE_FALSE(act(c, timer_action::add, t0 + 5 * minute_ms, 30 * second_ms));
    CHECK(describe(c, t0 + hour_ms) ==
          "state=paused duration=630000 deadline=none remaining=390000 rev=3 active=240000");
    REQUIRE_FALSE(act(c, timer_action::add, t0 + 6 * minute_ms, -6 * minute_ms));
    CHECK(describe(c, t0 + hour_ms) ==
          "state=paused duration=270000 deadline=none remaining=30000 rev=4 active=240000");
    REQUIRE_FALSE(act(c, timer_action::resume, t0 + 7 * minute_ms));
    CHECK(c.deadline() == t0 + 7 * minute_ms + 30 * second_ms);
}

TEST_CASE("countdown: subtracting to exactly zero or below expires it now", "[timer][add]") {
    const millis below = GENERATE(as<millis>{}, 0, 1, 5 * minute_ms);
    CAPTURE(below);
    const millis now = t0 + 3 * minute_ms;

    SECTION("idle") {
        countdown c(10 * minute_ms);
        REQUIRE_FALSE(act(c, timer_action::add, now, -(10 * minute_ms + below)));
        CHECK(c.state() == timer_state::expired);
        CHECK(c.deadline() == now);
        CHECK(c.remaining(now) == 0);
        CHECK(c.rev() == 1);
        CHECK(c.duration() >= 0);
    }
    SECTION("running") {
        countdown c = running_since_t0(10 * minute_ms);
        // 7 min are left at `now`.
        REQUIRE_FALSE(act(c, timer_action::add, now, -(7 * minute_ms + below)));
        CHECK(c.state() == timer_state::expired);
        CHECK(c.deadline() == now);
        CHECK(c.remaining(now) == 0);
        CHECK(c.remaining(now + hour_ms) == 0);
        CHECK(c.rev() == 2);
        CHECK(c.duration() == std::max<millis>(3 * minute_ms - below, 0));
    }
    SECTION("paused") {
        countdown c = running_since_t0(10 * minute_ms);
        REQUIRE_FALSE(act(c, timer_action::pause, t0 + minute_ms));  // 9 min held
        REQUIRE_FALSE(act(c, timer_action::add, now, -(9 * minute_ms + below)));
        CHECK(c.state() == timer_state::expired);
        CHECK(c.deadline() == now);
        CHECK(c.remaining(now) == 0);
        CHECK(c.rev() == 3);
    }
    SECTION("the duration never goes below zero") {
        countdown c(minute_ms);
        REQUIRE_FALSE(act(c, timer_action::add, now, -day_ms));
        CHECK(c.state() == timer_state::expired);
        CHECK(c.duration() == 0);
    }
}

TEST_CASE("countdown: adding to an expired timer runs it again with ms left", "[timer][add]") {
    countdown c = expired_at_deadline(10 * minute_ms);
    REQUIRE(c.rev() == 2);
    const millis now = t0 + 15 * minute_ms;
    REQUIRE_FALSE(act(c, timer_action::add, now, 30 * second_ms));
    CHECK(c.state() == timer_state::running);
    CHECK(c.deadline() == now + 30 * second_ms);
    CHECK(c.remaining(now) == 30 * second_ms);
    CHECK(c.duration() == 10 * minute_ms + 30 * second_ms);
    CHECK(c.rev() == 3);
    // And it can expire again, once.
    CHECK_FALSE(c.expire_if_due(now + 30 * second_ms - 1));
    CHECK(c.expire_if_due(now + 30 * second_ms));
    CHECK_FALSE(c.expire_if_due(now + hour_ms));
    CHECK(c.rev() == 4);

    SECTION("a timer expired by a subtraction reopens the same way") {
        countdown d(10 * minute_ms);
        REQUIRE_FALSE(act(d, timer_action::add, t0, -10 * minute_ms));
        REQUIRE(d.state() == timer_state::expired);
        REQUIRE_FALSE(act(d, timer_action::add, t0 + minute_ms, 2 * minute_ms));
        CHECK(d.state() == timer_state::running);
        CHECK(d.deadline() == t0 + 3 * minute_ms);
        CHECK(d.duration() == 2 * minute_ms);
    }
}

TEST_CASE("countdown: subtracting from an expired timer is bad_request", "[timer][add]") {
    countdown c = expired_at_deadline(10 * minute_ms);
    require_bad_request(c, timer_action::add, t0 + 11 * minute_ms, -1);
    require_bad_request(c, timer_action::add, t0 + 11 * minute_ms, -minute_ms);
    require_bad_request(c, timer_action::add, t0 + 11 * minute_ms, -day_ms);
    CHECK(c.state() == timer_state::expired);
    CHECK(c.deadline() == t0 + 10 * minute_ms);
}

TEST_CASE("countdown: add needs a non-zero ms", "[timer][add]") {
    countdown idle(10 * minute_ms);
    require_bad_request(idle, timer_action::add, t0);
    require_bad_request(idle, timer_action::add, t0, 0);
    countdown running = running_since_t0();
    require_bad_request(running, timer_action::add, t0 + 1);
    require_bad_request(running, timer_action::add, t0 + 1, 0);
    countdown expired = expired_at_deadline();
    require_bad_request(expired, timer_action::add, t0 + hour_ms);
    require_bad_request(expired, timer_action::add, t0 + hour_ms, 0);
}

TEST_CASE("countdown: a timer never holds more than 24 h", "[timer][add]") {
    SECTION("idle: up to exactly 24 h, not one ms more") {
        countdown c(23 * hour_ms);
        REQUIRE_FALSE(act(c, timer_action::add, t0, hour_ms));
        CHECK(c.remaining(t0) == day_ms);
        CHECK(c.duration() == day_ms);
        require_bad_request(c, timer_action::add, t0, 1);
    }
    SECTION("running") {
        countdown c = running_since_t0(23 * hour_ms);
        // An hour later 22 h are left: 2 h more fit, 2 h + 1 ms do not.
        require_bad_request(c, timer_action::add, t0 + hour_ms, 2 * hour_ms + 1);
        REQUIRE_FALSE(act(c, timer_action::add, t0 + hour_ms, 2 * hour_ms));
        CHECK(c.remaining(t0 + hour_ms) == day_ms);
        CHECK(c.duration() <= day_ms);
    }
    SECTION("paused") {
        countdown c = running_since_t0(day_ms);
        REQUIRE_FALSE(act(c, timer_action::pause, t0 + minute_ms));
        require_bad_request(c, timer_action::add, t0 + 2 * minute_ms, minute_ms + 1);
        REQUIRE_FALSE(act(c, timer_action::add, t0 + 2 * minute_ms, minute_ms));
        CHECK(c.remaining(t0) == day_ms);
        CHECK(c.duration() <= day_ms);
    }
    SECTION("expired: at most 24 h left, and the duration stays within 24 h") {
        countdown c = expired_at_deadline(20 * hour_ms);
        require_bad_request(c, timer_action::add, t0 + 21 * hour_ms, day_ms + 1);
        REQUIRE_FALSE(act(c, timer_action::add, t0 + 21 * hour_ms, day_ms));
        CHECK(c.remaining(t0 + 21 * hour_ms) == day_ms);
        CHECK(c.duration() == day_ms);
    }
    SECTION("a change of more than 24 h either way is bad_request") {
        countdown c(10 * minute_ms);
        require_bad_request(c, timer_action::add, t0, day_ms + 1);
        require_bad_request(c, timer_action::add, t0, -(day_ms + 1));
        require_bad_request(c, timer_action::add, t0, std::numeric_limits<millis>::max());
        // Exactly -24 h is a valid change (it expires the timer).
        REQUIRE_FALSE(act(c, timer_action::add, t0, -day_ms));
        CHECK(c.state() == timer_state::expired);
    }
}

// Regression: the range check once negated ms, which is undefined for INT64_MIN (the codec lets
// any int64 through), and such an add was accepted.
TEST_CASE("countdown: add with the most negative ms is bad_request", "[timer][add]") {
    countdown c(10 * minute_ms);
    require_bad_request(c, timer_action::add, t0, std::numeric_limits<millis>::min());
    countdown running = running_since_t0();
    require_bad_request(running, timer_action::add, t0 + 1, std::numeric_limits<millis>::min());
}

TEST_CASE("countdown: ms is refused for start, pause and resume", "[timer]") {
    const millis ms = GENERATE(as<millis>{}, 1, minute_ms, -minute_ms, 0);
    CAPTURE(ms);
    countdown idle(10 * minute_ms);
    require_bad_request(idle, timer_action::start, t0, ms);
    countdown running = running_since_t0();
    require_bad_request(running, timer_action::pause, t0 + 1, ms);
    countdown paused = running_since_t0();
    REQUIRE_FALSE(act(paused, timer_action::pause, t0 + 1));
    require_bad_request(paused, timer_action::resume, t0 + 2, ms);
}

// ---- revisions --------------------------------------------------------------------------

TEST_CASE("countdown: a stale expect_rev is a conflict and changes nothing", "[timer][rev]") {
    const auto action = GENERATE(timer_action::start, timer_action::pause, timer_action::resume,
                                 timer_action::reset, timer_action::add);
    const std::optional<millis> ms =
        action == timer_action::add ? std::optional<millis>(minute_ms) : std::nullopt;
    CAPTURE(to_string(action));

    SECTION("idle") {
        countdown c(10 * minute_ms);
        require_refused(c, action, ms, 1, t0, error_code::conflict);
        CHECK(c.rev() == 0);
    }
    SECTION("running") {
        countdown c = running_since_t0();
        require_refused(c, action, ms, 0, t0 + minute_ms, error_code::conflict);
        require_refused(c, action, ms, 2, t0 + minute_ms, error_code::conflict);
    }
    SECTION("paused") {
        countdown c = running_since_t0();
        REQUIRE_FALSE(act(c, timer_action::pause, t0 + minute_ms));
        require_refused(c, action, ms, 1, t0 + 2 * minute_ms, error_code::conflict);
        require_refused(c, action, ms, 0, t0 + 2 * minute_ms, error_code::conflict);
    }
    SECTION("expired") {
        countdown c = expired_at_deadline();
        // The rev the screen showed before the expiry is stale.
        require_refused(c, action, ms, 1, t0 + hour_ms, error_code::conflict);
    }
    SECTION("the revision is checked first: even a malformed command is a conflict") {
        countdown c(10 * minute_ms);
        require_refused(c, timer_action::pause, minute_ms, 5, t0, error_code::conflict);
        require_refused(c, timer_action::add, std::nullopt, 5, t0, error_code::conflict);
    }
}

TEST_CASE("countdown: a double click acts once", "[timer][rev]") {
    SECTION("pause twice") {
        countdown c = running_since_t0();
        const std::uint64_t seen = c.rev();
        REQUIRE_FALSE(c.command(timer_action::pause, std::nullopt, seen, t0 + minute_ms));
        const std::string after_first = describe(c, t0 + minute_ms + 20);
        require_refused(c, timer_action::pause, std::nullopt, seen, t0 + minute_ms + 20,
                        error_code::conflict);
        CHECK(describe(c, t0 + minute_ms + 20) == after_first);
    }
    SECTION("add a minute twice adds one minute") {
        countdown c = running_since_t0();
        const std::uint64_t seen = c.rev();
        REQUIRE_FALSE(c.command(timer_action::add, minute_ms, seen, t0 + minute_ms));
        const auto second = c.command(timer_action::add, minute_ms, seen, t0 + minute_ms + 30);
        REQUIRE(second);
        CHECK(second->code == error_code::conflict);
        CHECK(c.deadline() == t0 + 11 * minute_ms);
        CHECK(c.duration() == 11 * minute_ms);
        CHECK(c.rev() == seen + 1);
    }
    SECTION("two interviewers: one pauses, the other adds on the same rev") {
        countdown c = running_since_t0();
        const std::uint64_t seen = c.rev();
        REQUIRE_FALSE(c.command(timer_action::pause, std::nullopt, seen, t0 + minute_ms));
        const auto loser = c.command(timer_action::add, minute_ms, seen, t0 + minute_ms);
        REQUIRE(loser);
        CHECK(loser->code == error_code::conflict);
        CHECK(c.state() == timer_state::paused);
        CHECK(c.remaining(t0 + minute_ms) == 9 * minute_ms);
        // With the new rev, the second command goes through.
        REQUIRE_FALSE(c.command(timer_action::add, minute_ms, c.rev(), t0 + minute_ms));
        CHECK(c.remaining(t0 + minute_ms) == 10 * minute_ms);
    }
}

TEST_CASE("countdown: every change grows the revision by one", "[timer][rev]") {
    countdown c(10 * minute_ms);
    std::uint64_t expected = 0;
    const auto step = [&](timer_action a, millis now, std::optional<millis> ms = std::nullopt) {
        REQUIRE_FALSE(act(c, a, now, ms));
        CHECK(c.rev() == ++expected);
    };
    step(timer_action::start, t0);
    step(timer_action::add, t0 + 1, minute_ms);
    step(timer_action::pause, t0 + 2);
    step(timer_action::add, t0 + 3, -minute_ms);
    step(timer_action::resume, t0 + 4);
    REQUIRE(c.expire_if_due(t0 + 4 + 10 * minute_ms - 2));
    CHECK(c.rev() == ++expected);
    step(timer_action::add, t0 + hour_ms, minute_ms);
    step(timer_action::reset, t0 + hour_ms + 1);
    step(timer_action::reset, t0 + hour_ms + 2, 5 * minute_ms);
    c.restart(3 * minute_ms, t0 + 2 * hour_ms);
    CHECK(c.rev() == ++expected);
}

// ---- commands that do not fit ------------------------------------------------------------

TEST_CASE("countdown: commands that do not fit the state are bad_request", "[timer]") {
    SECTION("idle: pause and resume") {
        countdown c(10 * minute_ms);
        require_bad_request(c, timer_action::pause, t0);
        require_bad_request(c, timer_action::resume, t0);
    }
    SECTION("running: start and resume") {
        countdown c = running_since_t0();
        require_bad_request(c, timer_action::start, t0 + minute_ms);
        require_bad_request(c, timer_action::resume, t0 + minute_ms);
    }
    SECTION("paused: start and pause") {
        countdown c = running_since_t0();
        REQUIRE_FALSE(act(c, timer_action::pause, t0 + minute_ms));
        require_bad_request(c, timer_action::start, t0 + 2 * minute_ms);
        require_bad_request(c, timer_action::pause, t0 + 2 * minute_ms);
    }
    SECTION("expired: start, pause, resume and subtract") {
        countdown c = expired_at_deadline();
        require_bad_request(c, timer_action::start, t0 + hour_ms);
        require_bad_request(c, timer_action::pause, t0 + hour_ms);
        require_bad_request(c, timer_action::resume, t0 + hour_ms);
        require_bad_request(c, timer_action::add, t0 + hour_ms, -second_ms);
    }
}

// ---- expiry -----------------------------------------------------------------------------

TEST_CASE("countdown: expire_if_due is true once, at or after the deadline", "[timer][expiry]") {
    countdown c = running_since_t0(10 * minute_ms);
    const millis deadline = t0 + 10 * minute_ms;
    CHECK_FALSE(c.expire_if_due(t0));
    CHECK_FALSE(c.expire_if_due(deadline - 1));
    CHECK(c.state() == timer_state::running);
    CHECK(c.rev() == 1);

    const millis late = GENERATE(as<millis>{}, 0, 1, 37 * second_ms, day_ms);
    CAPTURE(late);
    CHECK(c.expire_if_due(deadline + late));
    CHECK(c.state() == timer_state::expired);
    // The deadline is when it reached zero, however late the check ran.
    CHECK(c.deadline() == deadline);
    CHECK(c.remaining(deadline + late) == 0);
    CHECK(c.rev() == 2);
    const std::string after = describe(c, deadline + late + hour_ms);

    CHECK_FALSE(c.expire_if_due(deadline + late));
    CHECK_FALSE(c.expire_if_due(deadline + late + 1));
    CHECK_FALSE(c.expire_if_due(deadline + 30 * day_ms));
    CHECK(describe(c, deadline + late + hour_ms) == after);
}

TEST_CASE("countdown: only a running timer expires", "[timer][expiry]") {
    countdown idle(10 * minute_ms);
    CHECK_FALSE(idle.expire_if_due(t0 + day_ms));
    CHECK(idle.state() == timer_state::idle);
    CHECK(idle.rev() == 0);

    countdown paused = running_since_t0(10 * minute_ms);
    REQUIRE_FALSE(act(paused, timer_action::pause, t0 + minute_ms));
    CHECK_FALSE(paused.expire_if_due(t0 + day_ms));
    CHECK(paused.state() == timer_state::paused);
    CHECK(paused.remaining(t0 + day_ms) == 9 * minute_ms);
    CHECK(paused.rev() == 2);
}

// The room expires due timers before commanding them; a countdown that is due but was not
// expired refuses commands (conflict) rather than hold negative time.
TEST_CASE("countdown: a pause after the deadline without an expiry never holds negative time",
          "[timer][expiry]") {
    countdown c = running_since_t0(10 * minute_ms);
    const millis late = t0 + 10 * minute_ms + 5 * second_ms;
    const auto refused = act(c, timer_action::pause, late);
    REQUIRE(refused);
    CHECK(refused->code == error_code::conflict);
    CHECK(c.state() == timer_state::running);
    CHECK(c.rev() == 1);
    CHECK(c.remaining(late) >= 0);
    CHECK(c.remaining(late + hour_ms) >= 0);
}

// ---- restart and active time --------------------------------------------------------------

TEST_CASE("countdown: restart runs a fresh duration from now, from any state", "[timer]") {
    countdown c(10 * minute_ms);
    SECTION("idle") {}
    SECTION("running") {
        REQUIRE_FALSE(act(c, timer_action::start, t0 - hour_ms));
    }
    SECTION("paused") {
        REQUIRE_FALSE(act(c, timer_action::start, t0 - hour_ms));
        REQUIRE_FALSE(act(c, timer_action::pause, t0 - hour_ms + minute_ms));
    }
    SECTION("expired") {
        REQUIRE_FALSE(act(c, timer_action::start, t0 - hour_ms));
        REQUIRE(c.expire_if_due(t0 - 50 * minute_ms));
    }
    const std::uint64_t before = c.rev();
    c.restart(7 * minute_ms, t0);
    CHECK(c.state() == timer_state::running);
    CHECK(c.duration() == 7 * minute_ms);
    CHECK(c.deadline() == t0 + 7 * minute_ms);
    CHECK(c.remaining(t0 + minute_ms) == 6 * minute_ms);
    CHECK(c.rev() == before + 1);
    CHECK(c.active_time(t0) == 0);
    CHECK(c.active_time(t0 + minute_ms) == minute_ms);
}

TEST_CASE("countdown: active time counts running and expired time, not pauses or idle",
          "[timer][active]") {
    countdown c(10 * minute_ms);
    CHECK(c.active_time(t0 + hour_ms) == 0);  // idle: nothing counts
    c.restart(10 * minute_ms, t0);
    CHECK(c.active_time(t0 + 2 * minute_ms) == 2 * minute_ms);

    REQUIRE_FALSE(act(c, timer_action::pause, t0 + 2 * minute_ms));
    CHECK(c.active_time(t0 + 2 * minute_ms) == 2 * minute_ms);
    CHECK(c.active_time(t0 + 9 * minute_ms) == 2 * minute_ms);  // the pause does not count

    REQUIRE_FALSE(act(c, timer_action::resume, t0 + 9 * minute_ms));
    CHECK(c.active_time(t0 + 10 * minute_ms) == 3 * minute_ms);

    // 8 min were left at the resume: it expires at t0 + 17 min and keeps counting after.
    REQUIRE(c.expire_if_due(t0 + 17 * minute_ms));
    CHECK(c.active_time(t0 + 17 * minute_ms) == 10 * minute_ms);
    CHECK(c.active_time(t0 + 20 * minute_ms) == 13 * minute_ms);

    // Adding to the expired timer: still counting, without a gap or a double count.
    REQUIRE_FALSE(act(c, timer_action::add, t0 + 20 * minute_ms, 2 * minute_ms));
    CHECK(c.active_time(t0 + 21 * minute_ms) == 14 * minute_ms);

    // A reset timer does not count until it starts again.
    REQUIRE_FALSE(act(c, timer_action::reset, t0 + 21 * minute_ms));
    CHECK(c.active_time(t0 + 40 * minute_ms) == 14 * minute_ms);
    REQUIRE_FALSE(act(c, timer_action::start, t0 + 40 * minute_ms));
    CHECK(c.active_time(t0 + 41 * minute_ms) == 15 * minute_ms);

    // A subtraction that expires a paused timer makes it count again from then.
    REQUIRE_FALSE(act(c, timer_action::pause, t0 + 41 * minute_ms));
    REQUIRE_FALSE(act(c, timer_action::add, t0 + 50 * minute_ms, -day_ms));
    REQUIRE(c.state() == timer_state::expired);
    CHECK(c.active_time(t0 + 52 * minute_ms) == 17 * minute_ms);

    // A refused command does not touch the account.
    require_bad_request(c, timer_action::pause, t0 + 52 * minute_ms);
    CHECK(c.active_time(t0 + 52 * minute_ms) == 17 * minute_ms);

    // A restart starts a new account.
    c.restart(5 * minute_ms, t0 + 60 * minute_ms);
    CHECK(c.active_time(t0 + 60 * minute_ms) == 0);
    CHECK(c.active_time(t0 + 61 * minute_ms) == minute_ms);
}

// ---- budgets ----------------------------------------------------------------------------

TEST_CASE("budgets: defaults by difficulty are easy 5, medium 10, hard 15 min", "[timer][budget]") {
    CHECK(default_budget_ms(difficulty::easy) == 300'000);
    CHECK(default_budget_ms(difficulty::medium) == 600'000);
    CHECK(default_budget_ms(difficulty::hard) == 900'000);
    CHECK(default_interview_ms == 2'700'000);
    CHECK(default_warning_ms == 120'000);

    const bank plain;
    CHECK(budget_ms(plain, difficulty::easy) == 300'000);
    CHECK(budget_ms(plain, difficulty::medium) == 600'000);
    CHECK(budget_ms(plain, difficulty::hard) == 900'000);
    CHECK(budget_ms(plain, make_question(1, difficulty::hard, std::nullopt)) == 900'000);
}

TEST_CASE("budgets: the question's own minutes, else the bank's, else the default",
          "[timer][budget]") {
    bank b;
    b.minutes.easy = 4;
    b.minutes.hard = 20;
    // The bank's time for a difficulty, else the default (custom questions use this).
    CHECK(budget_ms(b, difficulty::easy) == 4 * minute_ms);
    CHECK(budget_ms(b, difficulty::medium) == 10 * minute_ms);
    CHECK(budget_ms(b, difficulty::hard) == 20 * minute_ms);

    CHECK(budget_ms(b, make_question(1, difficulty::easy, std::nullopt)) == 4 * minute_ms);
    CHECK(budget_ms(b, make_question(2, difficulty::medium, std::nullopt)) == 10 * minute_ms);
    CHECK(budget_ms(b, make_question(3, difficulty::hard, std::nullopt)) == 20 * minute_ms);
    // The question's own time wins over the bank's and the default.
    CHECK(budget_ms(b, make_question(4, difficulty::hard, 7)) == 7 * minute_ms);
    CHECK(budget_ms(b, make_question(5, difficulty::medium, 12)) == 12 * minute_ms);
    CHECK(budget_ms(b, make_question(6, difficulty::easy, 1)) == minute_ms);
    CHECK(budget_ms(b, make_question(7, difficulty::easy, max_budget_minutes)) == max_timer_ms);
}
