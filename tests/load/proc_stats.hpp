// The server's CPU time and resident memory (Linux).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace mockroom::load {

// The CPU time all threads of process `pid` have run, user and system, in microseconds: the
// process's CPU-time clock (clock_getcpuclockid), which the scheduler keeps to the nanosecond.
// (/proc/PID/stat's utime and stime are tick samples, scaled and held monotonic by the kernel:
// coarse over a few seconds.)
std::optional<std::int64_t> process_cpu_us(int pid);

// VmRSS of /proc/PID/status in bytes.
std::optional<std::int64_t> process_rss_bytes(int pid);

}  // namespace mockroom::load
