// The room's countdowns. The server owns each deadline (principle: timing is server-authoritative);
// interviewers' commands name the revision they saw, so a double click or two interviewers
// racing act once. Pure: the time is an input, and nothing here ticks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "domain/bank.hpp"
#include "domain/basics.hpp"

namespace mockroom::domain {

enum class timer_id { interview, question };
enum class timer_state { idle, running, paused, expired };
enum class timer_action { start, pause, resume, reset, add };
std::string_view to_string(timer_id t);
std::string_view to_string(timer_state s);
std::string_view to_string(timer_action a);

inline constexpr millis minute_ms = 60'000;
inline constexpr millis max_timer_ms = 24 * 60 * minute_ms;  // no timer holds more
inline constexpr millis min_timer_duration_ms = 1'000;       // a reset or push sets at least this
inline constexpr millis default_interview_ms = 45 * minute_ms;
inline constexpr millis default_warning_ms = 2 * minute_ms;

// A question's budget when neither the push, the question nor its bank says otherwise.
millis default_budget_ms(difficulty d);
// The bank's budget for a difficulty, else the default (for custom questions).
millis budget_ms(const bank& b, difficulty d);
// The question's own budget, else its bank's for its difficulty, else the default.
millis budget_ms(const bank& b, const question& q);

struct timer_refusal {
    error_code code = error_code::bad_request;
    std::string message;
};

class countdown {
  public:
    explicit countdown(millis duration = 0) : duration_(duration), remaining_(duration) {}

    timer_state state() const { return state_; }
    millis duration() const { return duration_; }  // as set, with additions
    std::uint64_t rev() const { return rev_; }
    // Running: when it reaches zero. Expired: when it did. Idle, paused: none.
    std::optional<millis> deadline() const;
    // What is left at `now` (0 once expired; never negative).
    millis remaining(millis now) const;
    // How long it has been running or expired since its last restart; pauses and idle time do
    // not count (a question's time spent).
    millis active_time(millis now) const;

    // An interviewer's command. On refusal nothing changes. `ms`: required for add (non-zero),
    // optional for reset (the new duration), refused for the others.
    std::optional<timer_refusal> command(timer_action action, std::optional<millis> ms,
                                         std::uint64_t expect_rev, millis now);
    // Running with a fresh duration from `now` and no active time yet (a question push).
    void restart(millis duration, millis now);
    // Running and due at `now` -> expired. True only on that change, so expiry happens once.
    bool expire_if_due(millis now);

    // Everything it holds, for the store: restore(save()) is the same countdown.
    struct saved {
        timer_state state = timer_state::idle;
        millis duration = 0;
        millis remaining = 0;
        millis deadline = 0;
        std::uint64_t rev = 0;
        millis active_before = 0;
        std::optional<millis> active_since;
        bool operator==(const saved&) const = default;
    };
    saved save() const {
        return {state_, duration_, remaining_, deadline_, rev_, active_before_, active_since_};
    }
    static countdown restore(const saved& s) {
        countdown c(s.duration);
        c.state_ = s.state;
        c.remaining_ = s.remaining;
        c.deadline_ = s.deadline;
        c.rev_ = s.rev;
        c.active_before_ = s.active_before;
        c.active_since_ = s.active_since;
        return c;
    }

  private:
    void enter(timer_state next, millis now);  // keeps the active-time account

    timer_state state_ = timer_state::idle;
    millis duration_ = 0;
    millis remaining_ = 0;  // idle, paused
    millis deadline_ = 0;   // running, expired
    std::uint64_t rev_ = 0;
    millis active_before_ = 0;            // active time up to active_since_ (or in total)
    std::optional<millis> active_since_;  // set while running or expired
};

}  // namespace mockroom::domain
