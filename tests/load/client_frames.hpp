// The client's side of RFC 6455 framing, for the generator: masked frames out, the server's
// frames in. Pure functions, so the tests drive them without sockets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace mockroom::load {

enum class ws_opcode : std::uint8_t {
    continuation = 0x0,
    text = 0x1,
    binary = 0x2,
    close = 0x8,
    ping = 0x9,
    pong = 0xA
};

// One whole frame (FIN set), masked with `mask` as a client's must be.
std::string encode_client_frame(ws_opcode opcode, std::string_view payload, std::uint32_t mask);

// A close frame's payload: the code (network order), then the reason.
std::string close_payload(std::uint16_t code, std::string_view reason);

struct server_frame {
    bool fin = false;
    ws_opcode opcode = ws_opcode::text;
    std::string_view payload;  // into the bytes read (unmasked in place if the server masked)
};

// Reads the frame at the front of `bytes`. Returns its whole size, 0 when more bytes are needed,
// or -1 when it cannot be a frame (reserved bits, an unknown opcode, a payload over
// `max_payload`).
std::ptrdiff_t read_server_frame(std::span<char> bytes, server_frame& out, std::size_t max_payload);

}  // namespace mockroom::load
