#include <catch2/catch.hpp>

#include "domain/rate_limit.hpp"

using mockroom::domain::token_bucket;

TEST_CASE("a token bucket allows its burst, then its rate") {
    token_bucket bucket;
    int allowed = 0;
    for (int i = 0; i < 10; ++i) allowed += bucket.take(1000, 2.0, 4.0);
    CHECK(allowed == 4);                       // the burst, all at one instant
    CHECK_FALSE(bucket.take(1400, 2.0, 4.0));  // 0.8 tokens after 400 ms
    CHECK(bucket.take(1500, 2.0, 4.0));        // 1.0 token after 500 ms
    CHECK_FALSE(bucket.take(1500, 2.0, 4.0));
    // A long pause refills only up to the burst.
    allowed = 0;
    for (int i = 0; i < 10; ++i) allowed += bucket.take(100'000, 2.0, 4.0);
    CHECK(allowed == 4);
    // Time going backwards refills nothing.
    CHECK_FALSE(bucket.take(50'000, 2.0, 4.0));
}
