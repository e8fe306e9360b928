// The generator's own framing (client_frames.hpp): masked frames out, the server's frames in.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "client_frames.hpp"

using namespace mockroom::load;

namespace {

// Reads a frame the way a server does: unmask it with its key.
std::string unmask_client_frame(const std::string& frame, ws_opcode& opcode) {
    REQUIRE(frame.size() >= 6);
    opcode = static_cast<ws_opcode>(static_cast<unsigned char>(frame[0]) & 0x0F);
    REQUIRE((static_cast<unsigned char>(frame[0]) & 0x80) != 0);  // FIN
    REQUIRE((static_cast<unsigned char>(frame[1]) & 0x80) != 0);  // masked
    std::size_t size = static_cast<unsigned char>(frame[1]) & 0x7F;
    std::size_t at = 2;
    if (size == 126) {
        size = (static_cast<std::size_t>(static_cast<unsigned char>(frame[2])) << 8) |
               static_cast<unsigned char>(frame[3]);
        at = 4;
    } else if (size == 127) {
        size = 0;
        for (std::size_t i = 0; i < 8; ++i)
            size = (size << 8) | static_cast<unsigned char>(frame[2 + i]);
        at = 10;
    }
    const std::string key = frame.substr(at, 4);
    at += 4;
    REQUIRE(frame.size() == at + size);
    std::string payload = frame.substr(at);
    for (std::size_t i = 0; i < payload.size(); ++i) payload[i] ^= key[i % 4];
    return payload;
}

// A server frame, unmasked, as mockroom and the relay send them.
std::string server_bytes(ws_opcode opcode, const std::string& payload, bool fin = true) {
    std::string frame;
    frame.push_back(static_cast<char>((fin ? 0x80 : 0) | static_cast<int>(opcode)));
    if (payload.size() < 126) {
        frame.push_back(static_cast<char>(payload.size()));
    } else if (payload.size() <= 0xFFFF) {
        frame.push_back(static_cast<char>(126));
        frame.push_back(static_cast<char>(payload.size() >> 8));
        frame.push_back(static_cast<char>(payload.size() & 0xFF));
    } else {
        frame.push_back(static_cast<char>(127));
        for (int shift = 56; shift >= 0; shift -= 8) {
            frame.push_back(static_cast<char>((payload.size() >> shift) & 0xFF));
        }
    }
    return frame + payload;
}

}  // namespace

TEST_CASE("client frames: every length form is masked and reads back") {
    for (const std::size_t size : {0u, 1u, 125u, 126u, 65535u, 65536u, 200000u}) {
        std::string payload(size, 'a');
        for (std::size_t i = 0; i < size; ++i) payload[i] = static_cast<char>('a' + i % 26);
        const std::string frame = encode_client_frame(ws_opcode::text, payload, 0xA1B2C3D4u);
        ws_opcode opcode{};
        CHECK(unmask_client_frame(frame, opcode) == payload);
        CHECK(opcode == ws_opcode::text);
        if (size >= 4) CHECK(frame.substr(frame.size() - size) != payload);  // really masked
    }
    CHECK(close_payload(1001, "bye") == std::string("\x03\xE9"
                                                    "bye",
                                                    5));
}

TEST_CASE("client frames: the server's frames are read whole, or asked for more bytes") {
    const std::string text = server_bytes(ws_opcode::text, std::string(300, 'x'));
    std::vector<char> bytes(text.begin(), text.end());
    server_frame frame;
    // Every prefix is incomplete.
    for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
        CHECK(read_server_frame(std::span<char>(bytes.data(), cut), frame, 1 << 20) == 0);
    }
    REQUIRE(read_server_frame(bytes, frame, 1 << 20) == static_cast<std::ptrdiff_t>(bytes.size()));
    CHECK(frame.fin);
    CHECK(frame.opcode == ws_opcode::text);
    CHECK(frame.payload == std::string(300, 'x'));

    // Two frames back to back: the first is read, its size says where the next begins.
    const std::string two =
        server_bytes(ws_opcode::ping, "p") + server_bytes(ws_opcode::text, "{}", false);
    std::vector<char> both(two.begin(), two.end());
    const auto first = read_server_frame(both, frame, 1 << 20);
    REQUIRE(first == 3);
    CHECK(frame.opcode == ws_opcode::ping);
    CHECK(frame.payload == "p");
    REQUIRE(read_server_frame(std::span<char>(both).subspan(3), frame, 1 << 20) == 4);
    CHECK_FALSE(frame.fin);
    CHECK(frame.payload == "{}");
}

TEST_CASE("client frames: a masked server frame is unmasked, broken ones are refused") {
    // The generator's own encoder makes a masked frame; read as a server frame it comes back.
    const std::string masked = encode_client_frame(ws_opcode::text, "hello", 0x01020304u);
    std::vector<char> bytes(masked.begin(), masked.end());
    server_frame frame;
    REQUIRE(read_server_frame(bytes, frame, 1 << 20) == static_cast<std::ptrdiff_t>(bytes.size()));
    CHECK(frame.payload == "hello");

    std::string reserved = server_bytes(ws_opcode::text, "x");
    reserved[0] = static_cast<char>(reserved[0] | 0x40);  // RSV1 without an extension
    std::vector<char> r(reserved.begin(), reserved.end());
    CHECK(read_server_frame(r, frame, 1 << 20) == -1);

    std::string unknown = server_bytes(ws_opcode::text, "x");
    unknown[0] = static_cast<char>(0x83);  // opcode 3 is reserved
    std::vector<char> u(unknown.begin(), unknown.end());
    CHECK(read_server_frame(u, frame, 1 << 20) == -1);

    const std::string large = server_bytes(ws_opcode::text, std::string(70000, 'y'));
    std::vector<char> l(large.begin(), large.end());
    CHECK(read_server_frame(l, frame, 65536) == -1);  // over the limit: refused, not read
    CHECK(read_server_frame(l, frame, 70000) == static_cast<std::ptrdiff_t>(l.size()));
}
