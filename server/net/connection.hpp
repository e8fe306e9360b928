// What a room needs of a participant's socket. Both calls are thread-safe: they hand the work
// to the socket's own executor, so a room never touches a socket directly.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "domain/room.hpp"

namespace mockroom::net {

using shared_message = std::shared_ptr<const std::string>;

class connection {
  public:
    virtual ~connection() = default;
    virtual domain::connection_id id() const = 0;
    // Send one whole WebSocket frame (ws::shared_text_frame): server frames are unmasked, so
    // the same bytes, framed once, are shared by every recipient of a broadcast.
    virtual void send(shared_message frame) = 0;
    // Send what is queued, then close with this WebSocket close code.
    virtual void close_after_flush(std::uint16_t code, std::string reason) = 0;
    // Every half idle timeout, from the socket's room (one timer per room, not per socket): a
    // socket that received nothing since the last tick is pinged, then dropped at the next.
    virtual void keep_alive_tick() = 0;
};

}  // namespace mockroom::net
