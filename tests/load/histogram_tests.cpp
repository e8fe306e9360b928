#include <catch2/catch.hpp>
#include <cstdint>
#include <random>

#include "histogram.hpp"

using mockroom::load::histogram;

TEST_CASE("an empty histogram reports zeros") {
    const histogram h;
    CHECK(h.count() == 0);
    CHECK(h.max() == 0);
    CHECK(h.min() == 0);
    CHECK(h.percentile(50) == 0);
    CHECK(h.percentile(100) == 0);
    CHECK(h.mean() == 0.0);
}

TEST_CASE("small values are kept exactly") {
    histogram h;
    for (std::uint64_t v = 0; v < 256; ++v) h.record(v);
    CHECK(h.count() == 256);
    CHECK(h.min() == 0);
    CHECK(h.max() == 255);
    CHECK(h.percentile(50) == 127);  // the 128th of 0..255
    CHECK(h.percentile(100) == 255);
    CHECK(h.percentile(0) == 0);

    histogram one;
    one.record(42, 3);
    CHECK(one.count() == 3);
    CHECK(one.percentile(1) == 42);
    CHECK(one.percentile(99.9) == 42);
}

TEST_CASE("percentiles of a uniform distribution are within the relative error") {
    histogram h;
    const std::uint64_t n = 1'000'000;
    for (std::uint64_t v = 1; v <= n; ++v) h.record(v);
    for (const double p : {10.0, 50.0, 90.0, 99.0, 99.9, 99.99}) {
        const double exact = p / 100.0 * static_cast<double>(n);
        const auto reported = static_cast<double>(h.percentile(p));
        CHECK(reported >= exact);  // the highest value of its bucket: never below
        CHECK(reported <= exact * (1 + h.relative_error()));
    }
    CHECK(h.percentile(100) == n);
}

TEST_CASE("the maximum and minimum are exact, huge values included") {
    histogram h;
    std::mt19937_64 rng(7);
    std::uint64_t largest = 0, smallest = UINT64_MAX;
    for (int i = 0; i < 10'000; ++i) {
        const std::uint64_t v = rng() >> (rng() % 64);
        largest = std::max(largest, v);
        smallest = std::min(smallest, v);
        h.record(v);
    }
    h.record(UINT64_MAX);
    CHECK(h.max() == UINT64_MAX);
    CHECK(h.min() == smallest);
    CHECK(h.percentile(100) == UINT64_MAX);
    (void)largest;
}

TEST_CASE("every value lands in a bucket whose reported value is within the error") {
    histogram h;
    std::mt19937_64 rng(11);
    for (int i = 0; i < 100'000; ++i) {
        const std::uint64_t v = (rng() >> (rng() % 60)) + 1;
        h.clear();
        h.record(v);
        h.record(UINT64_MAX);  // so that clamping to max does not hide the top of the bucket
        const auto reported = h.percentile(50);
        REQUIRE(reported >= v);
        REQUIRE(static_cast<double>(reported - v) <= static_cast<double>(v) * h.relative_error());
    }
}

TEST_CASE("merging adds counts and keeps extremes") {
    histogram a, b;
    for (std::uint64_t v = 1; v <= 1000; ++v) a.record(v);
    for (std::uint64_t v = 1001; v <= 2000; ++v) b.record(v);
    a.merge(b);
    CHECK(a.count() == 2000);
    CHECK(a.min() == 1);
    CHECK(a.max() == 2000);
    const auto median = static_cast<double>(a.percentile(50));
    CHECK(median >= 1000);
    CHECK(median <= 1000 * (1 + a.relative_error()));
    CHECK(a.mean() == Approx(1000.5));

    histogram empty;
    a.merge(empty);
    CHECK(a.count() == 2000);
    CHECK(a.min() == 1);
}
