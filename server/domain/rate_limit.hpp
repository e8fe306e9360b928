// A token bucket with the time passed in: `rate` tokens a second, up to `burst` saved up.
#pragma once

#include <algorithm>
#include <cstdint>

namespace mockroom::domain {

class token_bucket {
  public:
    // True, and one token spent, when the action may happen at `now_ms`.
    bool take(std::int64_t now_ms, double rate_per_second, double burst) {
        if (!started_) {  // a new bucket starts full
            tokens_ = burst;
            started_ = true;
        } else {
            const auto elapsed =
                static_cast<double>(std::max<std::int64_t>(0, now_ms - refilled_at_));
            tokens_ = std::min(burst, tokens_ + rate_per_second * elapsed / 1000.0);
        }
        refilled_at_ = now_ms;
        if (tokens_ < 1) return false;
        tokens_ -= 1;
        return true;
    }

  private:
    double tokens_ = 0;
    std::int64_t refilled_at_ = 0;
    bool started_ = false;
};

}  // namespace mockroom::domain
