#include "net/server_clock.hpp"

namespace mockroom::net::server_clock {
namespace {

struct anchor {
    std::chrono::steady_clock::time_point steady = std::chrono::steady_clock::now();
    domain::millis unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
};

const anchor& origin() {
    static const anchor fixed;  // set on first use, thread-safe
    return fixed;
}

}  // namespace

domain::millis now() {
    using namespace std::chrono;
    const anchor& o = origin();
    return o.unix_ms + duration_cast<milliseconds>(steady_clock::now() - o.steady).count();
}

std::chrono::steady_clock::time_point to_steady(domain::millis t) {
    const anchor& o = origin();
    return o.steady + std::chrono::milliseconds(t - o.unix_ms);
}

}  // namespace mockroom::net::server_clock
