#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <thread>

#include "proc_stats.hpp"

using mockroom::load::process_cpu_us;
using mockroom::load::process_rss_bytes;

namespace {

std::int64_t thread_cpu_us() {
    timespec now{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return static_cast<std::int64_t>(now.tv_sec) * 1'000'000 + now.tv_nsec / 1'000;
}

}  // namespace

TEST_CASE("process CPU counts the work of every thread, to the microsecond") {
    const auto before = process_cpu_us(static_cast<int>(getpid()));
    REQUIRE(before);
    // Another thread runs for 30 ms of its own CPU; the process's clock must include all of it
    // (tick samples would move by 0 or by whole 4–10 ms ticks).
    std::int64_t burned_us = 0;
    std::thread worker([&] {
        const std::int64_t start = thread_cpu_us();
        volatile std::uint64_t sink = 0;
        while (thread_cpu_us() - start < 30'000) sink = sink + 1;
        burned_us = thread_cpu_us() - start;
    });
    worker.join();
    const auto after = process_cpu_us(static_cast<int>(getpid()));
    REQUIRE(after);
    CHECK(*after - *before >= burned_us);
}

TEST_CASE("process CPU and RSS of a process that is gone, or of no process, are empty") {
    CHECK_FALSE(process_cpu_us(0));
    CHECK_FALSE(process_cpu_us(-1));
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) _exit(0);
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);  // reaped: the pid names nothing now
    CHECK_FALSE(process_cpu_us(static_cast<int>(child)));
    CHECK_FALSE(process_rss_bytes(static_cast<int>(child)));
    CHECK(process_rss_bytes(static_cast<int>(getpid())).value_or(0) > 0);
}
