#include "client_frames.hpp"

#include <array>

namespace mockroom::load {

std::string encode_client_frame(ws_opcode opcode, std::string_view payload, std::uint32_t mask) {
    std::string frame;
    frame.reserve(payload.size() + 14);
    frame.push_back(static_cast<char>(0x80 | static_cast<std::uint8_t>(opcode)));
    const std::size_t size = payload.size();
    if (size < 126) {
        frame.push_back(static_cast<char>(0x80 | size));
    } else if (size <= 0xFFFF) {
        frame.push_back(static_cast<char>(0x80 | 126));
        frame.push_back(static_cast<char>(size >> 8));
        frame.push_back(static_cast<char>(size & 0xFF));
    } else {
        frame.push_back(static_cast<char>(0x80 | 127));
        for (int shift = 56; shift >= 0; shift -= 8) {
            frame.push_back(static_cast<char>((static_cast<std::uint64_t>(size) >> shift) & 0xFF));
        }
    }
    const std::array<char, 4> key{static_cast<char>(mask >> 24), static_cast<char>(mask >> 16),
                                  static_cast<char>(mask >> 8), static_cast<char>(mask)};
    frame.append(key.data(), key.size());
    const std::size_t start = frame.size();
    frame.append(payload);
    for (std::size_t i = 0; i < size; ++i) frame[start + i] ^= key[i % 4];
    return frame;
}

std::string close_payload(std::uint16_t code, std::string_view reason) {
    std::string payload;
    payload.push_back(static_cast<char>(code >> 8));
    payload.push_back(static_cast<char>(code & 0xFF));
    payload.append(reason);
    return payload;
}

std::ptrdiff_t read_server_frame(std::span<char> bytes, server_frame& out,
                                 std::size_t max_payload) {
    if (bytes.size() < 2) return 0;
    const auto b0 = static_cast<std::uint8_t>(bytes[0]);
    const auto b1 = static_cast<std::uint8_t>(bytes[1]);
    if ((b0 & 0x70) != 0) return -1;  // reserved bits: no extension was negotiated
    const auto opcode = static_cast<std::uint8_t>(b0 & 0x0F);
    const bool known = opcode <= 0x2 || (opcode >= 0x8 && opcode <= 0xA);
    if (!known) return -1;
    std::size_t at = 2;
    std::uint64_t size = b1 & 0x7F;
    if (size == 126 || size == 127) {
        const std::size_t width = size == 126 ? 2 : 8;
        if (bytes.size() < at + width) return 0;
        size = 0;
        for (std::size_t i = 0; i < width; ++i) {
            size = (size << 8) | static_cast<std::uint8_t>(bytes[at + i]);
        }
        at += width;
    }
    if (size > max_payload) return -1;
    const bool masked = (b1 & 0x80) != 0;
    std::array<char, 4> key{};
    if (masked) {
        if (bytes.size() < at + 4) return 0;
        for (std::size_t i = 0; i < 4; ++i) key[i] = bytes[at + i];
        at += 4;
    }
    if (bytes.size() < at + size) return 0;
    char* payload = bytes.data() + at;
    if (masked) {
        for (std::size_t i = 0; i < size; ++i) payload[i] ^= key[i % 4];
    }
    out.fin = (b0 & 0x80) != 0;
    out.opcode = static_cast<ws_opcode>(opcode);
    out.payload = std::string_view(payload, static_cast<std::size_t>(size));
    return static_cast<std::ptrdiff_t>(at + size);
}

}  // namespace mockroom::load
