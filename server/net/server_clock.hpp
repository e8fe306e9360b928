// The server clock every time in the protocol is on: the monotonic clock, read as Unix time in
// ms, anchored to the wall clock once per process. Deadlines on it never jump when NTP or an
// administrator moves the wall clock, and its readings still look like dates to a person.
#pragma once

#include <chrono>

#include "domain/basics.hpp"

namespace mockroom::net::server_clock {

domain::millis now();
// When the steady clock reaches server time `t` (for arming a steady_timer at a deadline).
std::chrono::steady_clock::time_point to_steady(domain::millis t);

}  // namespace mockroom::net::server_clock
