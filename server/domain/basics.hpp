// Words every part of the domain uses: time and the error codes a command can be refused with.
#pragma once

#include <cstdint>
#include <string_view>

namespace mockroom::domain {

// A point in time or a duration in ms. Points are on the server clock: monotonic, set to Unix
// time when the server starts (net/server_clock.hpp); the domain only ever receives them.
using millis = std::int64_t;

enum class error_code {
    bad_request,
    unauthorized,
    forbidden,
    not_found,
    conflict,
    too_large,
    rate_limited,
    internal
};
std::string_view to_string(error_code c);

}  // namespace mockroom::domain
