#include "proc_stats.hpp"

#include <sys/types.h>
#include <time.h>
#include <fstream>
#include <sstream>

namespace mockroom::load {

std::optional<std::int64_t> process_cpu_us(int pid) {
    clockid_t clock{};
    if (pid <= 0 || clock_getcpuclockid(static_cast<pid_t>(pid), &clock) != 0) return std::nullopt;
    timespec now{};
    if (clock_gettime(clock, &now) != 0) return std::nullopt;
    return static_cast<std::int64_t>(now.tv_sec) * 1'000'000 + now.tv_nsec / 1'000;
}

std::optional<std::int64_t> process_rss_bytes(int pid) {
    std::ifstream file("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(file, line)) {
        if (line.rfind("VmRSS:", 0) == 0) {
            std::istringstream value(line.substr(6));
            std::int64_t kib = 0;
            if (value >> kib) return kib * 1024;
            return std::nullopt;
        }
    }
    return std::nullopt;
}

}  // namespace mockroom::load
