// RFC 6455 behaviour of the server's WebSocket layer, driven by a raw TCP client that builds its
// frames by hand: unmasked frames, reserved bits, unknown opcodes, oversized or fragmented
// control frames, bad close codes (what a WebSocket library refuses to send), and ordinary
// traffic cut into odd pieces. Every read has a deadline; nothing sleeps. The assertions
// describe what any correct server does, not the timings or reasons of one implementation.
#include <algorithm>
#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>
#include <cctype>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "loopback.hpp"

using namespace mockroom;
using namespace mockroom::test;

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using steady = std::chrono::steady_clock;

// Opcodes (RFC 6455 section 5.2).
constexpr std::uint8_t op_continuation = 0x0;
constexpr std::uint8_t op_text = 0x1;
constexpr std::uint8_t op_binary = 0x2;
constexpr std::uint8_t op_close = 0x8;
constexpr std::uint8_t op_ping = 0x9;
constexpr std::uint8_t op_pong = 0xA;

// Reserved bits, as they sit in the first header byte.
constexpr std::uint8_t rsv1 = 0x40;
constexpr std::uint8_t rsv2 = 0x20;
constexpr std::uint8_t rsv3 = 0x10;

struct frame_options {
    bool fin = true;
    bool masked = true;
    std::uint8_t rsv = 0;  // any of rsv1 | rsv2 | rsv3
    // Bytes of extended length: 0 for the shortest form (the only legal one), 2 or 8 to force
    // a longer one.
    int length_bytes = 0;
};

// One client frame: header, then the payload masked with a key that changes every frame (so a
// server that ignored the mask would read garbage).
std::string client_frame(std::uint8_t opcode, std::string_view payload,
                         frame_options options = {}) {
    static std::uint32_t key_seed = 0x9e3779b9u;
    std::string out;
    out.push_back(
        static_cast<char>((options.fin ? 0x80 : 0x00) | (options.rsv & 0x70) | (opcode & 0x0f)));
    const std::uint8_t mask_bit = options.masked ? 0x80 : 0x00;
    const std::size_t n = payload.size();
    const int length_bytes = options.length_bytes != 0 ? options.length_bytes
                             : n < 126                 ? 0
                             : n <= 0xffff             ? 2
                                                       : 8;
    if (length_bytes == 0) {
        out.push_back(static_cast<char>(mask_bit | n));
    } else if (length_bytes == 2) {
        out.push_back(static_cast<char>(mask_bit | 126));
        out.push_back(static_cast<char>((n >> 8) & 0xff));
        out.push_back(static_cast<char>(n & 0xff));
    } else {
        out.push_back(static_cast<char>(mask_bit | 127));
        for (int shift = 56; shift >= 0; shift -= 8) {
            out.push_back(static_cast<char>((static_cast<std::uint64_t>(n) >> shift) & 0xff));
        }
    }
    if (!options.masked) return out.append(payload);
    key_seed = key_seed * 1664525u + 1013904223u;
    std::array<char, 4> key{};
    for (std::size_t i = 0; i < 4; ++i) key[i] = static_cast<char>((key_seed >> (8 * i)) | 0x01);
    out.append(key.data(), key.size());
    for (std::size_t i = 0; i < n; ++i) out.push_back(static_cast<char>(payload[i] ^ key[i % 4]));
    return out;
}

// A close frame's payload: the code in network order, then the reason.
std::string close_payload(std::uint16_t code, std::string_view reason = "") {
    std::string out;
    out.push_back(static_cast<char>(code >> 8));
    out.push_back(static_cast<char>(code & 0xff));
    return out.append(reason);
}

std::string json_ping(int id, std::string_view extra = "") {
    return R"({"type":"ping","id":)" + std::to_string(id) + R"(,"t0":1)" + std::string(extra) + "}";
}

// What a read found: a whole data message (fragments joined), one control frame, the end of the
// connection, or nothing before the deadline.
struct event {
    enum class kind { text, binary, ping, pong, close, ended, timed_out };
    kind what = kind::timed_out;
    std::string payload;  // message, control payload, close reason, or why the socket ended
    int close_code = 0;   // close: the code, 1005 when the frame has none
};

std::string describe(const event& e) {
    switch (e.what) {
        case event::kind::text:
            return "text " + e.payload.substr(0, 200);
        case event::kind::binary:
            return "binary of " + std::to_string(e.payload.size()) + " bytes";
        case event::kind::ping:
            return "ping '" + e.payload + "'";
        case event::kind::pong:
            return "pong '" + e.payload + "'";
        case event::kind::close:
            return "close " + std::to_string(e.close_code) + " '" + e.payload + "'";
        case event::kind::ended:
            return "end of connection (" + e.payload + ")";
        case event::kind::timed_out:
            return "nothing before the deadline";
    }
    return "?";
}

// What is left of a deadline (zero once it has passed).
std::chrono::milliseconds left(steady::time_point until) {
    return std::max(std::chrono::milliseconds(0),
                    std::chrono::duration_cast<std::chrono::milliseconds>(until - steady::now()));
}

// A WebSocket client on a plain TCP socket: the upgrade request by hand, then frames by hand.
// Every operation runs the io_context only until its deadline.
class raw_ws {
  public:
    explicit raw_ws(std::uint16_t port) {
        socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
        socket_.set_option(tcp::no_delay(true));
        // The key and its accept value are the example of RFC 6455 section 1.3.
        send_raw("GET /ws HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                 "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                 "Sec-WebSocket-Version: 13\r\n\r\n");
        const auto until = steady::now() + default_deadline;
        std::size_t end = std::string::npos;
        while ((end = in_.find("\r\n\r\n")) == std::string::npos) {
            INFO("upgrade response so far: " << in_);
            REQUIRE(fill(until));
        }
        std::string head = in_.substr(0, end + 2);
        in_.erase(0, end + 4);  // frames sent right behind the 101 stay for next()
        INFO("upgrade response: " << head);
        REQUIRE(head.rfind("HTTP/1.1 101", 0) == 0);
        std::string lower = head;
        for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        REQUIRE(lower.find("\r\nupgrade: websocket\r\n") != std::string::npos);
        auto at = lower.find("\r\nsec-websocket-accept:");
        REQUIRE(at != std::string::npos);
        auto value_end = head.find("\r\n", at + 2);
        std::string accept = head.substr(at + 23, value_end - (at + 23));
        accept.erase(0, accept.find_first_not_of(" \t"));
        accept.erase(accept.find_last_not_of(" \t") + 1);
        REQUIRE(accept == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }

    // Bytes exactly as given, in one write.
    void send_raw(std::string_view bytes) {
        bool done = false;
        boost::system::error_code write_ec;
        asio::async_write(socket_, asio::buffer(bytes.data(), bytes.size()),
                          [&](boost::system::error_code ec, std::size_t) {
                              write_ec = ec;
                              done = true;
                          });
        run_until(done, steady::now() + default_deadline);
        INFO("write: " << write_ec.message());
        REQUIRE(done);
        REQUIRE(!write_ec);
    }

    void send(std::uint8_t opcode, std::string_view payload, frame_options options = {}) {
        send_raw(client_frame(opcode, payload, options));
    }
    void send_text(std::string_view text) { send(op_text, text); }

    // The next message or control frame. Checks every server frame against RFC 6455: unmasked,
    // no reserved bits, a known opcode, control frames whole and short, continuations only
    // inside a message, nothing after a close frame.
    event next(std::chrono::milliseconds deadline = default_deadline) {
        const auto until = steady::now() + deadline;
        while (true) {
            while (auto e = take_event()) {
                if (e->what != event::kind::timed_out) return *e;
            }
            if (ended_) return {event::kind::ended, end_reason_, 0};
            if (!fill(until)) {
                if (ended_) return {event::kind::ended, end_reason_, 0};
                return {};
            }
        }
    }

    // The next text message of this type, skipping other messages and answering pings.
    json expect(const std::string& type, std::chrono::milliseconds deadline = default_deadline) {
        const auto until = steady::now() + deadline;
        std::string skipped;
        while (true) {
            event e = next(left(until));
            if (e.what == event::kind::ping) {
                send(op_pong, e.payload);
                continue;
            }
            if (e.what == event::kind::pong) continue;
            INFO("waiting for '" << type << "'; skipped:\n" << skipped);
            INFO("got: " << describe(e));
            REQUIRE(e.what == event::kind::text);
            auto message = json::parse(e.payload, nullptr, false);
            REQUIRE(message.is_object());
            if (message["type"] == type) return message;
            skipped += e.payload.substr(0, 200) + "\n";
        }
    }

    // The next control frame with this opcode, skipping text messages.
    event expect_control(std::uint8_t opcode,
                         std::chrono::milliseconds deadline = default_deadline) {
        const auto until = steady::now() + deadline;
        while (true) {
            event e = next(left(until));
            if (e.what == event::kind::text) continue;
            INFO("waiting for opcode " << int{opcode} << ", got: " << describe(e));
            REQUIRE(e.what == kind_of(opcode));
            return e;
        }
    }

    // A close frame with one of `codes`, then the end of the TCP connection. Text messages
    // before the close are skipped only when `skip_messages` (e.g. presence after a hello).
    // Returns the close code.
    int expect_close_then_end(std::initializer_list<int> codes, bool skip_messages = false) {
        const auto until = steady::now() + default_deadline;
        event e;
        do {
            e = next(left(until));
        } while (skip_messages && e.what == event::kind::text);
        std::string wanted;
        for (int code : codes) wanted += " " + std::to_string(code);
        INFO("expected a close frame with code" << wanted << ", got: " << describe(e));
        REQUIRE(e.what == event::kind::close);
        bool expected = false;
        for (int code : codes) expected = expected || e.close_code == code;
        REQUIRE(expected);
        expect_end(until);
        return e.close_code;
    }

    // The server closes the TCP connection (EOF or reset) before `until`; no frame comes first.
    void expect_end(steady::time_point until) {
        event after = next(left(until));
        INFO("after the close frame: " << describe(after));
        REQUIRE(after.what == event::kind::ended);
    }

  private:
    static event::kind kind_of(std::uint8_t opcode) {
        switch (opcode) {
            case op_ping:
                return event::kind::ping;
            case op_pong:
                return event::kind::pong;
            case op_close:
                return event::kind::close;
            case op_binary:
                return event::kind::binary;
            default:
                return event::kind::text;
        }
    }

    // Runs the context until `done` or the deadline; an operation still pending is cancelled
    // (and its handler run) so nothing outlives the call.
    void run_until(const bool& done, steady::time_point until) {
        ioc_.restart();
        ioc_.run_until(until);
        if (!done) {
            boost::system::error_code ignored;
            socket_.cancel(ignored);
            ioc_.restart();
            ioc_.run();
        }
    }

    // Reads more bytes into in_; false on the deadline or the end of the connection (ended_).
    bool fill(steady::time_point until) {
        if (ended_) return false;
        bool done = false;
        boost::system::error_code read_ec;
        std::size_t n = 0;
        socket_.async_read_some(asio::buffer(chunk_),
                                [&](boost::system::error_code ec, std::size_t bytes) {
                                    read_ec = ec;
                                    n = bytes;
                                    done = true;
                                });
        run_until(done, until);
        in_.append(chunk_.data(), n);
        if (read_ec == asio::error::operation_aborted) return n > 0;
        if (read_ec) {
            ended_ = true;
            end_reason_ = read_ec.message();
            return false;
        }
        return true;
    }

    // The event completed by the next whole frame in in_: nullopt when in_ holds no whole frame,
    // an event of kind timed_out when the frame completes nothing yet (a data fragment).
    std::optional<event> take_event() {
        if (in_.size() < 2) return std::nullopt;
        const auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(in_[i]); };
        std::size_t header = 2;
        std::uint64_t length = byte(1) & 0x7fu;
        if (length == 126) {
            if (in_.size() < 4) return std::nullopt;
            length = (std::uint64_t{byte(2)} << 8) | byte(3);
            header = 4;
        } else if (length == 127) {
            if (in_.size() < 10) return std::nullopt;
            length = 0;
            for (std::size_t i = 2; i < 10; ++i) length = (length << 8) | byte(i);
            header = 10;
        }
        const bool masked = (byte(1) & 0x80) != 0;
        if (masked) header += 4;
        if (in_.size() < header || in_.size() - header < length) return std::nullopt;
        const bool fin = (byte(0) & 0x80) != 0;
        const std::uint8_t opcode = byte(0) & 0x0f;
        const std::uint8_t reserved = byte(0) & 0x70;
        std::string payload = in_.substr(header, static_cast<std::size_t>(length));
        in_.erase(0, header + static_cast<std::size_t>(length));

        INFO("server frame: opcode " << int{opcode} << ", fin " << fin << ", " << length
                                     << " bytes");
        REQUIRE(!close_received_);  // nothing may follow a close frame
        REQUIRE(!masked);           // server frames are never masked (section 5.1)
        REQUIRE(reserved == 0);     // no extension was negotiated
        const bool control = (opcode & 0x08) != 0;
        if (control) {
            REQUIRE((opcode == op_close || opcode == op_ping || opcode == op_pong));
            REQUIRE(fin);
            REQUIRE(length <= 125);
            event e{kind_of(opcode), std::move(payload), 0};
            if (opcode == op_close) {
                close_received_ = true;
                REQUIRE(e.payload.size() != 1);
                if (e.payload.empty()) {
                    e.close_code = 1005;
                } else {
                    e.close_code = (static_cast<std::uint8_t>(e.payload[0]) << 8) |
                                   static_cast<std::uint8_t>(e.payload[1]);
                    e.payload.erase(0, 2);
                }
            }
            return e;
        }
        REQUIRE((opcode == op_text || opcode == op_binary || opcode == op_continuation));
        if (opcode == op_continuation) {
            REQUIRE(message_open_);
            message_ += payload;
        } else {
            REQUIRE(!message_open_);
            message_open_ = true;
            message_opcode_ = opcode;
            message_ = std::move(payload);
        }
        if (!fin) return event{};
        message_open_ = false;
        return event{kind_of(message_opcode_), std::move(message_), 0};
    }

    asio::io_context ioc_;
    tcp::socket socket_{ioc_};
    std::array<char, 16 * 1024> chunk_{};
    std::string in_;  // received bytes not yet read as frames
    bool ended_ = false;
    std::string end_reason_;
    bool close_received_ = false;
    bool message_open_ = false;  // a fragmented data message is being received
    std::uint8_t message_opcode_ = op_text;
    std::string message_;
};

// hello as the room's interviewer; the first message back must be the welcome.
void join(raw_ws& client, const created_room& room, const std::string& client_id = "i") {
    client.send_text(json{
        {"type", "hello"},
        {"room", room.id},
        {"token", room.interviewer},
        {"name", "Grace"},
        {"client",
         client_id}}.dump());
    event welcome = client.next();
    INFO("answer to hello: " << describe(welcome));
    REQUIRE(welcome.what == event::kind::text);
    REQUIRE(json::parse(welcome.payload, nullptr, false)["type"] == "welcome");
}

// RFC 6455 section 7.1.7: a client that breaks the framing rules gets a close frame with 1002,
// then the server closes the connection. Checked on a fresh socket before hello (where nothing
// else may arrive first: the bad frame must not have been read as a message) and after one.
void require_protocol_error(const running_server& server, const created_room& room,
                            const std::string& bytes) {
    {
        INFO("before hello");
        raw_ws client(server.port());
        client.send_raw(bytes);
        client.expect_close_then_end({1002});
    }
    {
        INFO("after hello");
        raw_ws client(server.port());
        join(client, room, "violator");
        client.send_raw(bytes);
        client.expect_close_then_end({1002}, true);
    }
}

}  // namespace

TEST_CASE("websocket: a ping gets a pong with the same payload, before and after hello") {
    running_server server;
    auto room = create_room(server.port());
    raw_ws client(server.port());
    const std::string binary_payload("\x00\xff\x7f\x80 payload", 12);
    for (const std::string& payload :
         {std::string(), std::string("before hello"), binary_payload, std::string(125, 'p')}) {
        client.send(op_ping, payload);
        REQUIRE(client.expect_control(op_pong).payload == payload);
    }
    join(client, room);
    for (const std::string& payload : {std::string("after hello"), std::string(125, 'q')}) {
        client.send(op_ping, payload);
        REQUIRE(client.expect_control(op_pong).payload == payload);
    }
    // The socket is still an ordinary one.
    client.send_text(json_ping(1));
    REQUIRE(client.expect("pong")["id"] == 1);
}

TEST_CASE("websocket: a fragmented text message with a ping between fragments is one message") {
    running_server server;
    raw_ws client(server.port());
    client.send(op_text, R"({"type":"ping",)", {.fin = false});
    client.send(op_continuation, R"("id":7,)", {.fin = false});
    client.send(op_ping, "between");
    // The control frame is answered in the middle of the message, and nothing else comes:
    // the message is not complete yet.
    event pong = client.next();
    INFO(describe(pong));
    REQUIRE(pong.what == event::kind::pong);
    REQUIRE(pong.payload == "between");
    client.send(op_continuation, R"("t0":1})", {.fin = true});
    json answer = client.expect("pong");
    REQUIRE(answer["id"] == 7);
    REQUIRE(answer["t0"] == 1);

    // Fragments of every size, empty ones included, are one message too.
    client.send(op_text, "", {.fin = false});
    client.send(op_continuation, R"({"type":"ping","id":8)", {.fin = false});
    client.send(op_continuation, "", {.fin = false});
    client.send(op_continuation, R"(,"t0":2})", {.fin = true});
    answer = client.expect("pong");
    REQUIRE(answer["id"] == 8);
    REQUIRE(answer["t0"] == 2);
}

TEST_CASE("websocket: UTF-8 is checked over the whole fragmented text message") {
    running_server server;
    raw_ws client(server.port());
    // A character cut between two fragments is valid: only the joined message counts.
    client.send(op_text, "{\"type\":\"ping\",\"id\":9,\"t0\":3,\"name\":\"Ad\xc3", {.fin = false});
    client.send(op_continuation, "\xa9\"}", {.fin = true});
    REQUIRE(client.expect("pong")["id"] == 9);
    // A character cut by the end of the message is not: close 1007 (RFC 6455 section 8.1).
    client.send(op_text, "{\"type\":\"ping\",\"id\":10,\"t0\":3,\"name\":\"Ad\xc3", {.fin = false});
    client.send(op_continuation, "\"}", {.fin = true});
    client.expect_close_then_end({1007});
}

TEST_CASE("websocket: an unmasked client frame closes with 1002") {
    running_server server;
    auto room = create_room(server.port());
    require_protocol_error(server, room, client_frame(op_text, json_ping(99), {.masked = false}));
    require_protocol_error(server, room, client_frame(op_ping, "hi", {.masked = false}));
}

TEST_CASE("websocket: reserved bits without a negotiated extension close with 1002") {
    running_server server;
    auto room = create_room(server.port());
    for (std::uint8_t bits : {rsv1, rsv2, rsv3}) {
        INFO("reserved bits " << int{bits});
        require_protocol_error(server, room, client_frame(op_text, json_ping(99), {.rsv = bits}));
    }
    INFO("on a ping");
    require_protocol_error(server, room, client_frame(op_ping, "hi", {.rsv = rsv1}));
    INFO("on a continuation");
    require_protocol_error(
        server, room,
        client_frame(op_text, R"({"type":)", {.fin = false}) +
            client_frame(op_continuation, R"("ping","id":99,"t0":1})", {.rsv = rsv1}));
}

TEST_CASE("websocket: an unknown opcode closes with 1002") {
    running_server server;
    auto room = create_room(server.port());
    for (std::uint8_t opcode :
         {std::uint8_t{0x3}, std::uint8_t{0x7}, std::uint8_t{0xB}, std::uint8_t{0xF}}) {
        INFO("opcode " << int{opcode});
        require_protocol_error(server, room, client_frame(opcode, json_ping(99)));
    }
}

TEST_CASE("websocket: a continuation outside a message, or a new message inside one, is 1002") {
    running_server server;
    auto room = create_room(server.port());
    INFO("a continuation with no message started");
    require_protocol_error(server, room, client_frame(op_continuation, json_ping(99)));
    INFO("a text frame while a fragmented message is open");
    require_protocol_error(server, room,
                           client_frame(op_text, R"({"type":)", {.fin = false}) +
                               client_frame(op_text, json_ping(99)));
}

TEST_CASE("websocket: a control frame over 125 bytes closes with 1002") {
    running_server server;
    auto room = create_room(server.port());
    for (std::uint8_t opcode : {op_ping, op_pong}) {
        INFO("opcode " << int{opcode});
        require_protocol_error(server, room, client_frame(opcode, std::string(126, 'x')));
    }
}

TEST_CASE("websocket: a fragmented control frame closes with 1002") {
    running_server server;
    auto room = create_room(server.port());
    require_protocol_error(server, room, client_frame(op_ping, "part", {.fin = false}));
    require_protocol_error(server, room, client_frame(op_pong, "part", {.fin = false}));
}

TEST_CASE("websocket: a client close gets a close back, then the server ends the connection") {
    running_server server;
    auto room = create_room(server.port());
    {
        INFO("before hello");
        raw_ws client(server.port());
        client.send(op_close, close_payload(1000, "bye"));
        client.expect_close_then_end({1000});
    }
    {
        INFO("after hello");
        raw_ws client(server.port());
        join(client, room);
        client.send(op_close, close_payload(1000, "bye"));
        client.expect_close_then_end({1000}, true);
    }
    {
        INFO("a close with no code: answered with 1000 or with no code");
        raw_ws client(server.port());
        join(client, room);
        client.send(op_close, "");
        client.expect_close_then_end({1000, 1005}, true);
    }
    // The room noticed: a new socket joins as usual.
    raw_ws again(server.port());
    join(again, room);
}

TEST_CASE("websocket: a close with a code that may not be sent, or a 1-byte body, is 1002") {
    running_server server;
    auto room = create_room(server.port());
    for (int code : {0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999}) {
        INFO("code " << code);
        require_protocol_error(
            server, room,
            client_frame(op_close, close_payload(static_cast<std::uint16_t>(code), "x")));
    }
    INFO("a 1-byte close body");
    require_protocol_error(server, room, client_frame(op_close, std::string(1, '\x03')));
}

TEST_CASE("websocket: a close reason that is not UTF-8 fails the connection") {
    running_server server;
    raw_ws client(server.port());
    client.send(op_close, close_payload(1000, "bye \xff"));
    // 1007 (section 8.1: not UTF-8) or 1002: Beast sends 1002.
    client.expect_close_then_end({1002, 1007});
}

TEST_CASE("websocket: a payload length not in its shortest form closes with 1002") {
    running_server server;
    auto room = create_room(server.port());
    INFO("5 bytes in the 16-bit form");
    require_protocol_error(server, room, client_frame(op_text, json_ping(99), {.length_bytes = 2}));
    INFO("5 bytes in the 64-bit form");
    require_protocol_error(server, room, client_frame(op_text, json_ping(99), {.length_bytes = 8}));
    INFO("300 bytes in the 64-bit form");
    require_protocol_error(
        server, room,
        client_frame(op_text, json_ping(99, R"(,"padding":")" + std::string(260, 'x') + "\""),
                     {.length_bytes = 8}));
}

TEST_CASE("websocket: a 64-bit length with its top bit set fails the connection") {
    running_server server;
    raw_ws client(server.port());
    // Only the header: text, FIN, masked, length 2^63, a mask key.
    std::string header = "\x81\xff\x80";
    header.append(7, '\0');
    header.append("\x11\x22\x33\x44");
    client.send_raw(header);
    // 1002 (the top bit must be 0, section 5.2) or 1009 (too big): Beast sends 1009.
    client.expect_close_then_end({1002, 1009});
}

TEST_CASE("websocket: a binary message gets a bad_request error and the socket stays usable") {
    running_server server;
    auto room = create_room(server.port());
    raw_ws client(server.port());
    client.send(op_binary, json_ping(1));
    json error = client.expect("error");
    REQUIRE(error["code"] == "bad_request");
    client.send_text(json_ping(2));
    REQUIRE(client.expect("pong")["id"] == 2);

    join(client, room);
    client.send(op_binary, std::string("\x00\x01\x02", 3));
    REQUIRE(client.expect("error")["code"] == "bad_request");
    client.send_text(json_ping(3));
    REQUIRE(client.expect("pong")["id"] == 3);
}

// A server whose idle timeout is 1 s, and a client joined to one of its rooms.
struct idle_setup {
    static limits short_idle() {
        limits bounds;
        bounds.idle_timeout = std::chrono::seconds(1);
        return bounds;
    }
    running_server server{short_idle()};
    created_room room = create_room(server.port());
    raw_ws client{server.port()};
    idle_setup() { join(client, room); }
};

TEST_CASE("websocket: an idle client that answers no ping is pinged, then disconnected") {
    idle_setup setup;
    auto& client = setup.client;
    // Read without answering: at least one ping comes, then the connection ends (with or
    // without a close frame first).
    const auto until = steady::now() + std::chrono::seconds(10);
    int pings = 0;
    while (true) {
        event e = client.next(left(until));
        INFO("after " << pings << " pings: " << describe(e));
        REQUIRE(e.what != event::kind::timed_out);
        if (e.what == event::kind::ended) break;
        if (e.what == event::kind::ping) ++pings;
        if (e.what == event::kind::close) REQUIRE(pings > 0);
    }
    REQUIRE(pings > 0);
}

TEST_CASE("websocket: an idle client that answers every ping stays connected") {
    idle_setup setup;
    auto& client = setup.client;
    // Three pings without any other traffic: at least three idle periods, each answered.
    const auto until = steady::now() + std::chrono::seconds(10);
    int pings = 0;
    while (pings < 3) {
        event e = client.next(left(until));
        INFO("after " << pings << " pings: " << describe(e));
        REQUIRE((e.what == event::kind::ping || e.what == event::kind::text));
        if (e.what == event::kind::ping) {
            ++pings;
            client.send(op_pong, e.payload);
        }
    }
    client.send_text(json_ping(42));
    REQUIRE(client.expect("pong")["id"] == 42);
}

TEST_CASE("websocket: a large message written a few bytes at a time is read once") {
    running_server server;
    raw_ws client(server.port());
    // 20 KB of valid JSON: a protocol ping with a long field the server ignores.
    const std::string text = json_ping(13, R"(,"padding":")" + std::string(20'000, 'x') + "\"");
    const std::string bytes = client_frame(op_text, text);
    for (std::size_t at = 0; at < bytes.size(); at += 7) client.send_raw(bytes.substr(at, 7));
    json pong = client.expect("pong");
    REQUIRE(pong["id"] == 13);
    REQUIRE(pong["t0"] == 1);

    // The same message as 100 fragments, each written in pieces too.
    std::string fragments;
    const std::string text14 = json_ping(14, R"(,"padding":")" + std::string(20'000, 'y') + "\"");
    const std::size_t piece = text14.size() / 100 + 1;
    for (std::size_t at = 0; at < text14.size(); at += piece) {
        fragments += client_frame(at == 0 ? op_text : op_continuation, text14.substr(at, piece),
                                  {.fin = at + piece >= text14.size()});
    }
    for (std::size_t at = 0; at < fragments.size(); at += 5) {
        client.send_raw(fragments.substr(at, 5));
    }
    // Exactly one answer each: the very next message answers the next ping.
    event e = client.next();
    INFO(describe(e));
    REQUIRE(e.what == event::kind::text);
    REQUIRE(json::parse(e.payload)["id"] == 14);
    client.send_text(json_ping(15));
    e = client.next();
    REQUIRE(e.what == event::kind::text);
    REQUIRE(json::parse(e.payload)["id"] == 15);
}

TEST_CASE("websocket: frames pipelined in one TCP write are all answered, in order") {
    running_server server;
    auto room = create_room(server.port());
    raw_ws client(server.port());
    join(client, room);
    std::string burst;
    for (int id = 1; id <= 5; ++id) {
        burst += client_frame(op_text, json_ping(id));
        if (id == 3) burst += client_frame(op_ping, "in the burst");
    }
    client.send_raw(burst);
    bool control_pong = false;
    int next_id = 1;
    const auto until = steady::now() + default_deadline;
    while (next_id <= 5 || !control_pong) {
        event e = client.next(left(until));
        INFO("waiting for pong " << next_id << ": " << describe(e));
        if (e.what == event::kind::pong) {
            REQUIRE(e.payload == "in the burst");
            REQUIRE(!control_pong);
            control_pong = true;
            continue;
        }
        REQUIRE(e.what == event::kind::text);
        json message = json::parse(e.payload);
        if (message["type"] != "pong") continue;  // presence and the like
        REQUIRE(message["id"] == next_id);
        ++next_id;
    }
}

// Answers to frames read before the hello wait in a send batch on the socket's own strand; the
// hello moves the socket to its room's strand. They must be sent before the move, not beside
// the welcome from another thread (the server runs 2 threads; ThreadSanitizer checks the tsan
// run of this test).
TEST_CASE(
    "websocket: frames before the hello, in the same TCP write, are answered before the welcome") {
    running_server server;
    auto room = create_room(server.port());
    for (int attempt = 0; attempt < 20; ++attempt) {
        raw_ws client(server.port());
        const std::string hello = json{{"type", "hello"},
                                       {"room", room.id},
                                       {"token", room.interviewer},
                                       {"name", "Grace"},
                                       {"client", "c" + std::to_string(attempt)}}
                                      .dump();
        client.send_raw(client_frame(op_ping, "before hello") + client_frame(op_text, "{") +
                        client_frame(op_text, hello) + client_frame(op_text, json_ping(7)));
        std::vector<std::string> order;
        const auto until = steady::now() + default_deadline;
        const auto seen = [&](const std::string& what) {
            return std::find(order.begin(), order.end(), what) != order.end();
        };
        while (!seen("welcome") || !seen("pong 7")) {
            event e = client.next(left(until));
            INFO("so far: " << order.size() << " answers; now " << describe(e));
            if (e.what == event::kind::pong) {
                REQUIRE(e.payload == "before hello");
                order.push_back("control pong");
                continue;
            }
            REQUIRE(e.what == event::kind::text);
            const json message = json::parse(e.payload);
            const std::string type = message["type"];
            if (type == "pong") {
                REQUIRE(message["id"] == 7);
                order.push_back("pong 7");
            } else if (type == "error" || type == "welcome") {
                order.push_back(type);
            }
        }
        // The answers to what came before the hello, first and in order. (The welcome waits for
        // the store, so the answer to the ping behind the hello may overtake it.)
        REQUIRE(order.size() == 4);
        CHECK(order[0] == "control pong");
        CHECK(order[1] == "error");
    }
}

TEST_CASE("websocket: a ping flood from a client that does not read keeps one pong, the latest") {
    running_server server;
    auto room = create_room(server.port());
    raw_ws client(server.port());
    join(client, room);
    // 100,000 pings of 125 bytes ask for 12.7 MB of pongs, far more than the kernel buffers
    // hold (a send buffer is at most 4 MiB here; a receive buffer grows only as it is read). Once
    // they are full the server keeps a single pong waiting and replaces it with each newer one (RFC
    // 6455 5.5.3), instead of queueing 100,000 frames for a client that does not read.
    constexpr int pings = 100'000;
    auto payload_of = [](int i) {
        std::string payload = std::to_string(i);
        payload.resize(125, '.');
        return payload;
    };
    std::string batch;
    for (int i = 1; i <= pings; ++i) {
        batch += client_frame(op_ping, payload_of(i));
        if (i % 1000 == 0) {
            client.send_raw(batch);
            batch.clear();
        }
    }
    const std::string last = payload_of(pings);
    int pongs = 0;
    std::string previous;
    while (true) {
        event e = client.next();
        INFO("after " << pongs << " pongs: " << describe(e));
        if (e.what == event::kind::text) continue;  // presence and the like
        REQUIRE(e.what == event::kind::pong);
        REQUIRE(std::stoi(e.payload) > (previous.empty() ? 0 : std::stoi(previous)));  // in order
        previous = e.payload;
        ++pongs;
        if (e.payload == last) break;
    }
    CHECK(pongs < pings);
    client.send_text(json_ping(1));
    REQUIRE(client.expect("pong")["id"] == 1);
}
