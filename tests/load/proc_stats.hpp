// The server's CPU time and resident memory, read from /proc/PID (Linux).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace mockroom::load {

// utime + stime (fields 14 and 15 of /proc/PID/stat) in microseconds.
std::optional<std::int64_t> process_cpu_us(int pid);

// VmRSS of /proc/PID/status in bytes.
std::optional<std::int64_t> process_rss_bytes(int pid);

}  // namespace mockroom::load
