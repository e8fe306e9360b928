#include "domain/timer.hpp"

#include <algorithm>

namespace mockroom::domain {

std::string_view to_string(timer_id t) {
    return t == timer_id::interview ? "interview" : "question";
}

std::string_view to_string(timer_state s) {
    switch (s) {
        case timer_state::idle:
            return "idle";
        case timer_state::running:
            return "running";
        case timer_state::paused:
            return "paused";
        case timer_state::expired:
            return "expired";
    }
    return "idle";
}

std::string_view to_string(timer_action a) {
    switch (a) {
        case timer_action::start:
            return "start";
        case timer_action::pause:
            return "pause";
        case timer_action::resume:
            return "resume";
        case timer_action::reset:
            return "reset";
        case timer_action::add:
            return "add";
    }
    return "start";
}

millis default_budget_ms(difficulty d) {
    switch (d) {
        case difficulty::easy:
            return 5 * minute_ms;
        case difficulty::medium:
            return 10 * minute_ms;
        case difficulty::hard:
            return 15 * minute_ms;
    }
    return 10 * minute_ms;
}

millis budget_ms(const bank& b, difficulty d) {
    if (auto minutes = b.minutes.of(d)) return *minutes * minute_ms;
    return default_budget_ms(d);
}

millis budget_ms(const bank& b, const question& q) {
    if (q.minutes) return *q.minutes * minute_ms;
    return budget_ms(b, q.level);
}

namespace {

bool is_active(timer_state s) {
    return s == timer_state::running || s == timer_state::expired;
}

timer_refusal bad_request(std::string message) {
    return {error_code::bad_request, std::move(message)};
}

}  // namespace

std::optional<millis> countdown::deadline() const {
    if (is_active(state_)) return deadline_;
    return std::nullopt;
}

millis countdown::remaining(millis now) const {
    switch (state_) {
        case timer_state::running:
            return std::max<millis>(deadline_ - now, 0);
        case timer_state::expired:
            return 0;
        case timer_state::idle:
        case timer_state::paused:
            return remaining_;
    }
    return remaining_;
}

millis countdown::active_time(millis now) const {
    const millis current = active_since_ ? std::max<millis>(now - *active_since_, 0) : 0;
    return active_before_ + current;
}

void countdown::enter(timer_state next, millis now) {
    const bool was_active = is_active(state_);
    const bool will_be_active = is_active(next);
    if (was_active && !will_be_active && active_since_) {
        active_before_ += std::max<millis>(now - *active_since_, 0);
        active_since_.reset();
    } else if (!was_active && will_be_active) {
        active_since_ = now;
    }
    state_ = next;
}

std::optional<timer_refusal> countdown::command(timer_action action, std::optional<millis> ms,
                                                std::uint64_t expect_rev, millis now) {
    if (expect_rev != rev_) {
        return timer_refusal{error_code::conflict, "the timer has changed since (it is at rev " +
                                                       std::to_string(rev_) + ", not " +
                                                       std::to_string(expect_rev) + ")"};
    }
    if (state_ == timer_state::running && now >= deadline_) {
        // Its owner expires due timers before commanding them; never hold negative time.
        return timer_refusal{error_code::conflict, "the timer has just expired"};
    }
    const auto not_in = [&](std::string_view wanted) {
        return bad_request("the timer is " + std::string(to_string(state_)) + ", not " +
                           std::string(wanted));
    };
    if (ms && action != timer_action::add && action != timer_action::reset) {
        return bad_request("'ms' is only for add and reset");
    }
    switch (action) {
        case timer_action::start:
            if (state_ != timer_state::idle) return not_in("idle");
            if (remaining_ <= 0) return bad_request("nothing to count down: reset it with 'ms'");
            deadline_ = now + remaining_;
            enter(timer_state::running, now);
            break;
        case timer_action::pause:
            if (state_ != timer_state::running) return not_in("running");
            remaining_ = deadline_ - now;
            enter(timer_state::paused, now);
            break;
        case timer_action::resume:
            if (state_ != timer_state::paused) return not_in("paused");
            deadline_ = now + remaining_;
            enter(timer_state::running, now);
            break;
        case timer_action::reset:
            if (ms && (*ms < min_timer_duration_ms || *ms > max_timer_ms)) {
                return bad_request("a timer is set to 1 s to 24 h");
            }
            if (ms) duration_ = *ms;
            remaining_ = duration_;
            enter(timer_state::idle, now);
            break;
        case timer_action::add: {
            if (!ms || *ms == 0 || *ms < -max_timer_ms || *ms > max_timer_ms) {
                return bad_request("add needs 'ms': a non-zero change of at most 24 h");
            }
            if (state_ == timer_state::expired) {
                if (*ms < 0) return bad_request("the timer has expired: add time or reset it");
                duration_ = std::min(duration_ + *ms, max_timer_ms);
                deadline_ = now + *ms;
                enter(timer_state::running, now);
                break;
            }
            const millis left = remaining(now) + *ms;
            if (left > max_timer_ms) return bad_request("a timer holds at most 24 h");
            duration_ = std::clamp<millis>(duration_ + *ms, 0, max_timer_ms);
            if (left <= 0) {
                deadline_ = now;  // it reaches zero now
                enter(timer_state::expired, now);
            } else if (state_ == timer_state::running) {
                deadline_ = now + left;
            } else {
                remaining_ = left;
            }
            break;
        }
    }
    ++rev_;
    return std::nullopt;
}

void countdown::restart(millis duration, millis now) {
    duration_ = duration;
    remaining_ = duration;
    deadline_ = now + duration;
    state_ = timer_state::running;
    active_before_ = 0;
    active_since_ = now;
    ++rev_;
}

bool countdown::expire_if_due(millis now) {
    if (state_ != timer_state::running || now < deadline_) return false;
    enter(timer_state::expired, now);
    ++rev_;
    return true;
}

}  // namespace mockroom::domain
