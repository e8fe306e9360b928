#include "proc_stats.hpp"

#include <unistd.h>
#include <fstream>
#include <sstream>

namespace mockroom::load {

std::optional<std::int64_t> process_cpu_us(int pid) {
    std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(file, line)) return std::nullopt;
    // Field 2 is the command in parentheses and may hold spaces or ')': start after the last ')'.
    const auto close = line.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream fields(line.substr(close + 1));
    std::string field;
    std::int64_t utime = 0, stime = 0;
    for (int number = 3; number <= 15 && fields >> field; ++number) {
        if (number == 14) utime = std::stoll(field);
        if (number == 15) {
            stime = std::stoll(field);
            const long ticks_per_second = sysconf(_SC_CLK_TCK);
            if (ticks_per_second <= 0) return std::nullopt;
            return (utime + stime) * 1'000'000 / ticks_per_second;
        }
    }
    return std::nullopt;
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
