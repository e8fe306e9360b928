// RFC 6455 framing without sockets: the server-side encoders, the UTF-8 check and the
// incremental reader of client frames (every violation, every split of the input).
#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "net/ws_frames.hpp"

using namespace mockroom::net::ws;

namespace {

using key_bytes = std::array<std::uint8_t, 4>;
using bytes8 = std::initializer_list<std::uint8_t>;
using codes = std::initializer_list<std::uint16_t>;
using sizes = std::initializer_list<std::size_t>;
constexpr key_bytes default_key = {0x37, 0xFA, 0x21, 0x3D};

// How the length of a test frame is written: the shortest form, or a forced one.
enum class length_form { shortest, bits7, bits16, bits64 };

struct frame_spec {
    std::uint8_t op = 0x1;
    bool fin = true;
    std::uint8_t rsv = 0;  // the 3 reserved bits, in place (0x40, 0x20, 0x10)
    bool masked = true;
    key_bytes key = default_key;
    length_form form = length_form::shortest;
    std::optional<std::uint64_t> declared_length;  // the length written, if not the payload's
};

// A client frame: header, masking key and masked payload, as a browser would send it.
std::string raw_frame(const frame_spec& spec, std::string_view payload) {
    std::string out;
    out += static_cast<char>((spec.fin ? 0x80 : 0x00) | spec.rsv | spec.op);
    const std::uint64_t length = spec.declared_length.value_or(payload.size());
    length_form form = spec.form;
    if (form == length_form::shortest) {
        form = length < 126       ? length_form::bits7
               : length <= 0xFFFF ? length_form::bits16
                                  : length_form::bits64;
    }
    const int mask = spec.masked ? 0x80 : 0x00;
    if (form == length_form::bits7) {
        out += static_cast<char>(mask | static_cast<int>(length));
    } else if (form == length_form::bits16) {
        out += static_cast<char>(mask | 126);
        out += static_cast<char>((length >> 8) & 0xFF);
        out += static_cast<char>(length & 0xFF);
    } else {
        out += static_cast<char>(mask | 127);
        for (int shift = 56; shift >= 0; shift -= 8) {
            out += static_cast<char>((length >> shift) & 0xFF);
        }
    }
    if (spec.masked) {
        for (const auto b : spec.key) out += static_cast<char>(b);
    }
    for (std::size_t i = 0; i < payload.size(); ++i) {
        const auto b = static_cast<std::uint8_t>(payload[i]);
        out += static_cast<char>(spec.masked ? b ^ spec.key[i % 4] : b);
    }
    return out;
}

std::string client_frame(opcode op, std::string_view payload, bool fin = true,
                         key_bytes key = default_key) {
    frame_spec spec;
    spec.op = static_cast<std::uint8_t>(op);
    spec.fin = fin;
    spec.key = key;
    return raw_frame(spec, payload);
}

std::string close_payload(std::uint16_t code, std::string_view reason = "") {
    std::string out;
    out += static_cast<char>(code >> 8);
    out += static_cast<char>(code & 0xFF);
    out += reason;
    return out;
}

struct recorded {
    frame_event::kind what;
    std::string payload;
    std::uint16_t close_code;
    bool operator==(const recorded&) const = default;
};

std::ostream& operator<<(std::ostream& os, const recorded& r) {
    return os << "{kind " << static_cast<int>(r.what) << ", \"" << r.payload << "\", "
              << r.close_code << "}";
}

recorded text_event(std::string payload) {
    return {frame_event::kind::text, std::move(payload), 0};
}
recorded binary_event(std::string payload) {
    return {frame_event::kind::binary, std::move(payload), 0};
}
recorded ping_event(std::string payload) {
    return {frame_event::kind::ping, std::move(payload), 0};
}
recorded pong_event(std::string payload) {
    return {frame_event::kind::pong, std::move(payload), 0};
}
recorded close_event(std::uint16_t code, std::string reason = "") {
    return {frame_event::kind::close, std::move(reason), code};
}

// Feeds a copy of `bytes` (the reader unmasks in place) and records every event.
std::optional<violation> feed(frame_reader& reader, std::string bytes,
                              std::vector<recorded>& events) {
    return reader.feed(std::span<char>(bytes.data(), bytes.size()), [&](const frame_event& e) {
        events.push_back({e.what, std::string(e.payload), e.close_code});
        return true;
    });
}

constexpr std::size_t big_limit = std::size_t{1} << 20;

struct outcome {
    std::vector<recorded> events;
    std::optional<violation> broken;
};

outcome read_all(std::string bytes, std::size_t max_message = big_limit) {
    frame_reader reader(max_message);
    outcome out;
    out.broken = feed(reader, std::move(bytes), out.events);
    return out;
}

// The close code of the violation found in `bytes`, or 0.
std::uint16_t violation_code(std::string bytes, std::size_t max_message = big_limit) {
    const auto out = read_all(std::move(bytes), max_message);
    return out.broken ? out.broken->close_code : std::uint16_t{0};
}

std::string header_bytes(const std::string& frame, std::size_t n) {
    return frame.substr(0, n);
}

std::uint8_t byte_of(const std::string& s, std::size_t i) {
    return static_cast<std::uint8_t>(s[i]);
}

// The reference UTF-8 check for the differential test: decode each sequence to its code
// point, then reject overlong forms, surrogates and values above U+10FFFF.
bool reference_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto b = static_cast<std::uint8_t>(s[i]);
        std::size_t length;
        std::uint32_t cp;
        std::uint32_t minimum;
        if (b < 0x80) {
            ++i;
            continue;
        } else if ((b & 0xE0) == 0xC0) {
            length = 2;
            cp = b & 0x1Fu;
            minimum = 0x80;
        } else if ((b & 0xF0) == 0xE0) {
            length = 3;
            cp = b & 0x0Fu;
            minimum = 0x800;
        } else if ((b & 0xF8) == 0xF0) {
            length = 4;
            cp = b & 0x07u;
            minimum = 0x10000;
        } else {
            return false;
        }
        if (s.size() - i < length) return false;
        for (std::size_t k = 1; k < length; ++k) {
            const auto c = static_cast<std::uint8_t>(s[i + k]);
            if ((c & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (c & 0x3Fu);
        }
        if (cp < minimum || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += length;
    }
    return true;
}

// UTF-8 of one code point (surrogates included, for the negative cases).
std::string utf8_of(std::uint32_t cp) {
    std::string out;
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
    return out;
}

std::string bytes_of(std::initializer_list<int> values) {
    std::string out;
    for (const int v : values) out += static_cast<char>(v);
    return out;
}

std::size_t random_below(std::mt19937& rng, std::size_t n) {
    return static_cast<std::size_t>(rng() % static_cast<std::uint32_t>(n));
}

key_bytes random_key(std::mt19937& rng) {
    return {static_cast<std::uint8_t>(rng()), static_cast<std::uint8_t>(rng()),
            static_cast<std::uint8_t>(rng()), static_cast<std::uint8_t>(rng())};
}

std::string random_bytes(std::mt19937& rng, std::size_t n) {
    std::string out(n, '\0');
    for (auto& c : out) c = static_cast<char>(rng() & 0xFF);
    return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Encoders

TEST_CASE("ws frames: encode_frame writes FIN, the opcode, no mask and the shortest length") {
    SECTION("0 bytes") {
        const auto f = encode_frame(opcode::text, "");
        REQUIRE(f == bytes_of({0x81, 0x00}));
    }
    SECTION("125 bytes") {
        const std::string payload(125, 'a');
        const auto f = encode_frame(opcode::text, payload);
        REQUIRE(f.size() == 2 + 125);
        CHECK(byte_of(f, 0) == 0x81);
        CHECK(byte_of(f, 1) == 125);
        CHECK(f.substr(2) == payload);
    }
    SECTION("126 bytes") {
        const std::string payload(126, 'b');
        const auto f = encode_frame(opcode::binary, payload);
        REQUIRE(f.size() == 4 + 126);
        CHECK(f.substr(0, 4) == bytes_of({0x82, 0x7E, 0x00, 0x7E}));
        CHECK(f.substr(4) == payload);
    }
    SECTION("65535 bytes") {
        const std::string payload(65535, 'c');
        const auto f = encode_frame(opcode::text, payload);
        REQUIRE(f.size() == 4 + 65535);
        CHECK(f.substr(0, 4) == bytes_of({0x81, 0x7E, 0xFF, 0xFF}));
        CHECK(f.substr(4) == payload);
    }
    SECTION("65536 bytes") {
        const std::string payload(65536, 'd');
        const auto f = encode_frame(opcode::text, payload);
        REQUIRE(f.size() == 10 + 65536);
        CHECK(f.substr(0, 10) ==
              bytes_of({0x81, 0x7F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00}));
        CHECK(f.substr(10) == payload);
    }
    SECTION("the opcode of each kind") {
        CHECK(byte_of(encode_frame(opcode::binary, "x"), 0) == 0x82);
        CHECK(byte_of(encode_frame(opcode::close, ""), 0) == 0x88);
        CHECK(byte_of(encode_frame(opcode::ping, "x"), 0) == 0x89);
        CHECK(byte_of(encode_frame(opcode::pong, "x"), 0) == 0x8A);
    }
    SECTION("reserves exactly the frame") {
        const auto f = encode_frame(opcode::text, std::string(1000, 'e'));
        CHECK(f.size() == 1004);
        CHECK(f.capacity() == 1004);
    }
}

TEST_CASE("ws frames: shared_text_frame is the text frame of the payload") {
    const auto f = shared_text_frame("{\"type\":\"x\"}");
    REQUIRE(f != nullptr);
    CHECK(*f == encode_frame(opcode::text, "{\"type\":\"x\"}"));
    // Framed in place: every length form, with and without room for the header.
    for (std::size_t size :
         std::initializer_list<std::size_t>{0, 1, 125, 126, 127, 65535, 65536, 70000}) {
        CAPTURE(size);
        std::string text(size, 'a');
        if (size > 0) text.back() = 'z';
        const std::string expected = encode_frame(opcode::text, text);
        CHECK(*share_as_text_frame(std::string(text)) == expected);
        std::string roomy;
        roomy.reserve(size + 10);
        roomy = text;
        CHECK(*share_as_text_frame(std::move(roomy)) == expected);
    }
}

TEST_CASE("ws frames: encode_close writes the code big-endian and fits the reason in 125 bytes") {
    SECTION("short reason") {
        CHECK(encode_close(1000, "bye") == bytes_of({0x88, 0x05, 0x03, 0xE8, 'b', 'y', 'e'}));
        CHECK(encode_close(4001, "") == bytes_of({0x88, 0x02, 0x0F, 0xA1}));
    }
    SECTION("a long ASCII reason is cut to a 125-byte payload") {
        const std::string reason(300, 'r');
        const auto f = encode_close(close_code::policy_error, reason);
        REQUIRE(f.size() == 2 + 125);
        CHECK(byte_of(f, 1) == 125);
        CHECK(f.substr(2, 2) == bytes_of({0x03, 0xF0}));
        CHECK(f.substr(4) == reason.substr(0, 123));
    }
    SECTION("a reason of exactly 123 bytes is kept whole") {
        const std::string reason(123, 'r');
        CHECK(encode_close(1000, reason).substr(4) == reason);
    }
    SECTION("multi-byte characters are never cut") {
        // Every width, after 0..3 ASCII bytes, so the 123-byte limit falls at every position
        // inside a sequence.
        for (const std::string& ch : {utf8_of(0xE9), utf8_of(0x20AC), utf8_of(0x1F600)}) {
            for (std::size_t lead = 0; lead < 4; ++lead) {
                std::string reason(lead, 'x');
                while (reason.size() < 200) reason += ch;
                const auto f = encode_close(1001, reason);
                const std::string kept = f.substr(4);
                INFO("width " << ch.size() << ", lead " << lead);
                CHECK(byte_of(f, 1) == kept.size() + 2);
                CHECK(kept.size() <= 123);
                CHECK(kept.size() > 123 - ch.size());
                CHECK(reason.substr(0, kept.size()) == kept);
                CHECK(is_valid_utf8(kept));
                CHECK((kept.size() - lead) % ch.size() == 0);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// UTF-8

TEST_CASE("ws frames: is_valid_utf8 accepts ASCII and 2, 3 and 4-byte characters") {
    CHECK(is_valid_utf8(""));
    CHECK(is_valid_utf8("hello"));
    CHECK(is_valid_utf8(std::string(1000, 'a')));
    CHECK(is_valid_utf8(std::string_view("\0\x7F", 2)));
    CHECK(is_valid_utf8("caf\xC3\xA9"));       // é
    CHECK(is_valid_utf8("\xC2\x80"));          // U+0080
    CHECK(is_valid_utf8("\xDF\xBF"));          // U+07FF
    CHECK(is_valid_utf8("\xE0\xA0\x80"));      // U+0800
    CHECK(is_valid_utf8("\xE2\x82\xAC"));      // €
    CHECK(is_valid_utf8("\xED\x9F\xBF"));      // U+D7FF
    CHECK(is_valid_utf8("\xEE\x80\x80"));      // U+E000
    CHECK(is_valid_utf8("\xEF\xBF\xBF"));      // U+FFFF
    CHECK(is_valid_utf8("\xF0\x90\x80\x80"));  // U+10000
    CHECK(is_valid_utf8("\xF0\x9F\x98\x80"));  // 😀
    CHECK(is_valid_utf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF
    CHECK(
        is_valid_utf8("abcdefgh\xC3\xA9"
                      "abcdefghij"));  // around the 8-byte steps
}

TEST_CASE("ws frames: is_valid_utf8 rejects every malformed category") {
    SECTION("overlong forms") {
        CHECK_FALSE(is_valid_utf8("\xC0\x80"));
        CHECK_FALSE(is_valid_utf8("\xC1\xBF"));
        CHECK_FALSE(is_valid_utf8("\xE0\x80\x80"));
        CHECK_FALSE(is_valid_utf8("\xE0\x9F\xBF"));
        CHECK_FALSE(is_valid_utf8("\xF0\x80\x80\x80"));
        CHECK_FALSE(is_valid_utf8("\xF0\x8F\xBF\xBF"));
    }
    SECTION("UTF-16 surrogates") {
        CHECK_FALSE(is_valid_utf8("\xED\xA0\x80"));              // U+D800
        CHECK_FALSE(is_valid_utf8("\xED\xBF\xBF"));              // U+DFFF
        CHECK_FALSE(is_valid_utf8("\xED\xA0\xBD\xED\xB8\x80"));  // a CESU-8 pair
    }
    SECTION("above U+10FFFF") {
        CHECK_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));
        CHECK_FALSE(is_valid_utf8("\xF7\xBF\xBF\xBF"));
    }
    SECTION("truncated sequences") {
        CHECK_FALSE(is_valid_utf8("\xC3"));
        CHECK_FALSE(is_valid_utf8("abc\xE2\x82"));
        CHECK_FALSE(is_valid_utf8("\xF0\x9F\x98"));
        CHECK_FALSE(is_valid_utf8("\xE2\x82x"));
        CHECK_FALSE(is_valid_utf8("\xF0\x9F\x98x"));
        CHECK_FALSE(is_valid_utf8("abcdefgh\xF0\x9F"));
    }
    SECTION("stray continuation bytes") {
        CHECK_FALSE(is_valid_utf8("\x80"));
        CHECK_FALSE(is_valid_utf8("abc\xBF"));
        CHECK_FALSE(is_valid_utf8("\xC3\xA9\xA9"));
        CHECK_FALSE(is_valid_utf8("abcdefghijklmnop\x80"));
    }
    SECTION("bytes that never occur") {
        for (const int b : {0xC0, 0xC1, 0xF5, 0xF6, 0xF7, 0xF8, 0xFB, 0xFC, 0xFE, 0xFF}) {
            INFO("byte " << b);
            CHECK_FALSE(is_valid_utf8(bytes_of({b})));
            CHECK_FALSE(is_valid_utf8(bytes_of({b, 0x80})));
            CHECK_FALSE(is_valid_utf8(bytes_of({b, 0x80, 0x80})));
            CHECK_FALSE(is_valid_utf8(bytes_of({b, 0x80, 0x80, 0x80})));
        }
    }
}

TEST_CASE("ws frames: is_valid_utf8 agrees with a reference decoder") {
    SECTION("every code point, encoded") {
        for (std::uint32_t cp = 0; cp <= 0x10FFFF; ++cp) {
            const bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
            if (is_valid_utf8(utf8_of(cp)) == surrogate) {
                FAIL("code point " << cp);
            }
        }
    }
    SECTION("every string of 1 and 2 bytes") {
        for (int a = 0; a < 256; ++a) {
            const auto one = bytes_of({a});
            REQUIRE(is_valid_utf8(one) == reference_utf8(one));
            for (int b = 0; b < 256; ++b) {
                const auto two = bytes_of({a, b});
                if (is_valid_utf8(two) != reference_utf8(two)) FAIL("bytes " << a << " " << b);
            }
        }
    }
    SECTION("every string of 3 bytes with a 3 or 4-byte lead") {
        std::string s(3, '\0');
        for (int a = 0xE0; a <= 0xF4; ++a) {
            for (int b = 0; b < 256; ++b) {
                for (int c = 0; c < 256; ++c) {
                    s[0] = static_cast<char>(a);
                    s[1] = static_cast<char>(b);
                    s[2] = static_cast<char>(c);
                    if (is_valid_utf8(s) != reference_utf8(s)) {
                        FAIL("bytes " << a << " " << b << " " << c);
                    }
                }
            }
        }
    }
    SECTION("100k random strings from a biased alphabet") {
        // Half the draws are one byte (boundary bytes of every range, continuation bytes
        // weighted up), half a whole well-formed character at a boundary of its range; a
        // string is cut to its length, which may end inside a character. So valid and invalid
        // multi-byte sequences are both common.
        const std::vector<int> single = {'a',  0x00, 0x7F, 0x80, 0x80, 0x8F, 0x8F, 0x90, 0x90, 0x9F,
                                         0x9F, 0xA0, 0xA0, 0xBF, 0xBF, 0x85, 0xAA, 0xB3, 0xC0, 0xC1,
                                         0xC2, 0xC3, 0xDF, 0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0,
                                         0xF1, 0xF3, 0xF4, 0xF5, 0xF7, 0xF8, 0xFE, 0xFF};
        std::vector<std::string> whole;
        for (const std::uint32_t cp :
             {0x80u, 0xE9u, 0x7FFu, 0x800u, 0xFFFu, 0x1000u, 0x20ACu, 0xD7FFu, 0xE000u, 0xFFFFu,
              0x10000u, 0x1F600u, 0x3FFFFu, 0x40000u, 0xFFFFFu, 0x100000u, 0x10FFFFu}) {
            whole.push_back(utf8_of(cp));
        }
        std::mt19937 rng(20240611);
        std::size_t valid = 0;
        std::size_t multibyte_valid = 0;
        for (int n = 0; n < 100000; ++n) {
            const std::size_t length = random_below(rng, 13);
            std::string s;
            while (s.size() < length) {
                if (rng() % 2 == 0) {
                    s += static_cast<char>(single[random_below(rng, single.size())]);
                } else {
                    s += whole[random_below(rng, whole.size())];
                }
            }
            s.resize(length);
            const bool expected = reference_utf8(s);
            // Also behind and before ASCII, so the 8-byte steps meet every alignment.
            const std::string before(random_below(rng, 17), 'p');
            const std::string after(random_below(rng, 17), 's');
            if (is_valid_utf8(s) != expected || is_valid_utf8(before + s + after) != expected) {
                FAIL("string #" << n);
            }
            if (expected) {
                ++valid;
                for (const char c : s) {
                    if (static_cast<std::uint8_t>(c) >= 0xC2) {
                        ++multibyte_valid;
                        break;
                    }
                }
            }
        }
        // Both answers are common, and valid strings with multi-byte characters too.
        CHECK(valid > 10000);
        CHECK(multibyte_valid > 5000);
        CHECK(valid < 90000);
    }
}

// ---------------------------------------------------------------------------------------------
// Reader: events

TEST_CASE("ws frames: reads one frame, with its payload a view of the input") {
    frame_reader reader(big_limit);
    std::string bytes = client_frame(opcode::text, "hello");
    std::vector<recorded> events;
    const char* begin = bytes.data();
    const char* end = bytes.data() + bytes.size();
    bool in_input = false;
    const auto broken =
        reader.feed(std::span<char>(bytes.data(), bytes.size()), [&](const frame_event& e) {
            events.push_back({e.what, std::string(e.payload), e.close_code});
            in_input = e.payload.data() >= begin && e.payload.data() + e.payload.size() <= end;
            return true;
        });
    REQUIRE_FALSE(broken);
    REQUIRE(events == std::vector<recorded>{text_event("hello")});
    CHECK(in_input);
    CHECK(reader.buffered_bytes() == 0);
}

TEST_CASE("ws frames: reads many frames from one buffer") {
    const std::string bytes = client_frame(opcode::text, "one") +
                              client_frame(opcode::binary, std::string("\xFF\x00\x80", 3)) +
                              client_frame(opcode::ping, "p?") + client_frame(opcode::pong, "") +
                              client_frame(opcode::text, "") +
                              client_frame(opcode::text, std::string(300, 'z')) +
                              client_frame(opcode::close, close_payload(1000, "done"));
    const auto out = read_all(bytes);
    REQUIRE_FALSE(out.broken);
    CHECK(out.events ==
          std::vector<recorded>{text_event("one"), binary_event(std::string("\xFF\x00\x80", 3)),
                                ping_event("p?"), pong_event(""), text_event(""),
                                text_event(std::string(300, 'z')), close_event(1000, "done")});
}

TEST_CASE("ws frames: a close frame gives its code and reason, or 1005 without a payload") {
    CHECK(read_all(client_frame(opcode::close, "")).events ==
          std::vector<recorded>{close_event(close_code::none_given)});
    CHECK(read_all(client_frame(opcode::close, close_payload(1001))).events ==
          std::vector<recorded>{close_event(1001)});
    CHECK(read_all(client_frame(opcode::close, close_payload(4999, "caf\xC3\xA9"))).events ==
          std::vector<recorded>{close_event(4999, "caf\xC3\xA9")});
    for (const std::uint16_t code :
         codes{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999}) {
        INFO("code " << code);
        const auto out = read_all(client_frame(opcode::close, close_payload(code, "r")));
        CHECK_FALSE(out.broken);
        CHECK(out.events == std::vector<recorded>{close_event(code, "r")});
    }
}

TEST_CASE("ws frames: joins a fragmented message, with control frames between the fragments") {
    SECTION("text with a ping in the middle") {
        const std::string bytes =
            client_frame(opcode::text, "Hel", false) + client_frame(opcode::ping, "p") +
            client_frame(opcode::continuation, "lo", false) + client_frame(opcode::pong, "q") +
            client_frame(opcode::continuation, " world");
        const auto out = read_all(bytes);
        REQUIRE_FALSE(out.broken);
        CHECK(out.events ==
              std::vector<recorded>{ping_event("p"), pong_event("q"), text_event("Hello world")});
    }
    SECTION("binary, not checked as UTF-8, then another message") {
        const std::string bytes = client_frame(opcode::binary, "\xFF", false) +
                                  client_frame(opcode::continuation, "", false) +
                                  client_frame(opcode::continuation, "\xC0") +
                                  client_frame(opcode::text, "next", false) +
                                  client_frame(opcode::continuation, "!");
        const auto out = read_all(bytes);
        REQUIRE_FALSE(out.broken);
        CHECK(out.events == std::vector<recorded>{binary_event("\xFF\xC0"), text_event("next!")});
    }
    SECTION("a close between fragments is delivered") {
        const std::string bytes = client_frame(opcode::text, "a", false) +
                                  client_frame(opcode::close, close_payload(1000));
        const auto out = read_all(bytes);
        REQUIRE_FALSE(out.broken);
        CHECK(out.events == std::vector<recorded>{close_event(1000)});
    }
    SECTION("a character split across two fragments is accepted") {
        const std::string bytes = client_frame(opcode::text, "caf\xC3", false) +
                                  client_frame(opcode::continuation, "\xA9") +
                                  client_frame(opcode::text, "\xF0\x9F", false) +
                                  client_frame(opcode::continuation, "\x98", false) +
                                  client_frame(opcode::continuation, "\x80");
        const auto out = read_all(bytes);
        REQUIRE_FALSE(out.broken);
        CHECK(out.events ==
              std::vector<recorded>{text_event("caf\xC3\xA9"), text_event("\xF0\x9F\x98\x80")});
    }
    SECTION("buffered_bytes counts the fragments until the message ends") {
        frame_reader reader(big_limit);
        std::vector<recorded> events;
        REQUIRE_FALSE(feed(reader, client_frame(opcode::text, "abcd", false), events));
        CHECK(reader.buffered_bytes() == 4);
        REQUIRE_FALSE(feed(reader, client_frame(opcode::continuation, "ef", false), events));
        CHECK(reader.buffered_bytes() == 6);
        CHECK(events.empty());
        REQUIRE_FALSE(feed(reader, client_frame(opcode::continuation, "g"), events));
        CHECK(events == std::vector<recorded>{text_event("abcdefg")});
        CHECK(reader.buffered_bytes() == 0);
    }
}

TEST_CASE("ws frames: a frame split at every byte gives the same events") {
    const std::string bytes =
        client_frame(opcode::text, "first") + client_frame(opcode::text, "fr\xC3", false) +
        client_frame(opcode::ping, "mid") + client_frame(opcode::continuation, "\xA9g", false) +
        client_frame(opcode::continuation, "ment") +
        client_frame(opcode::binary, std::string(130, '\x9C')) + client_frame(opcode::close, "") +
        client_frame(opcode::pong, "last");
    const auto whole = read_all(bytes);
    REQUIRE_FALSE(whole.broken);
    REQUIRE(whole.events.size() == 6);
    REQUIRE(whole.events[2] == text_event("fr\xC3\xA9gment"));

    SECTION("in two pieces, at each split point") {
        for (std::size_t split = 0; split <= bytes.size(); ++split) {
            frame_reader reader(big_limit);
            std::vector<recorded> events;
            REQUIRE_FALSE(feed(reader, bytes.substr(0, split), events));
            REQUIRE_FALSE(feed(reader, bytes.substr(split), events));
            INFO("split at " << split);
            REQUIRE(events == whole.events);
            REQUIRE(reader.buffered_bytes() == 0);
        }
    }
    SECTION("byte by byte") {
        frame_reader reader(big_limit);
        std::vector<recorded> events;
        for (const char c : bytes) REQUIRE_FALSE(feed(reader, std::string(1, c), events));
        CHECK(events == whole.events);
        CHECK(reader.buffered_bytes() == 0);
    }
    SECTION("in random pieces") {
        std::mt19937 rng(7);
        for (int round = 0; round < 200; ++round) {
            frame_reader reader(big_limit);
            std::vector<recorded> events;
            std::size_t at = 0;
            while (at < bytes.size()) {
                const std::size_t n = std::min(bytes.size() - at, random_below(rng, 40));
                REQUIRE_FALSE(feed(reader, bytes.substr(at, n), events));
                at += n;
            }
            REQUIRE(events == whole.events);
        }
    }
}

TEST_CASE("ws frames: unmasks payloads of every length with any key") {
    std::mt19937 rng(12345);
    std::vector<std::size_t> lengths;
    for (std::size_t n = 0; n <= 40; ++n) lengths.push_back(n);
    for (const std::size_t n : sizes{125, 126, 127, 1000, 65535, 65536, 70000})
        lengths.push_back(n);
    for (const std::size_t n : lengths) {
        INFO("length " << n);
        const std::string payload = random_bytes(rng, n);
        const key_bytes key = random_key(rng);
        // After a frame of odd length, so the payload starts at an unaligned address too.
        const std::string bytes = client_frame(opcode::ping, "odd", true, random_key(rng)) +
                                  client_frame(opcode::binary, payload, true, key);
        const auto out = read_all(bytes);
        REQUIRE_FALSE(out.broken);
        REQUIRE(out.events.size() == 2);
        CHECK(out.events[1] == binary_event(payload));
    }
    SECTION("fragmented, with a different key per fragment") {
        const std::string payload = random_bytes(rng, 70000);
        std::string bytes;
        for (std::size_t at = 0; at < payload.size(); at += 9999) {
            const bool first = at == 0;
            const bool last = at + 9999 >= payload.size();
            bytes +=
                client_frame(first ? opcode::binary : opcode::continuation,
                             std::string_view(payload).substr(at, 9999), last, random_key(rng));
        }
        const auto out = read_all(bytes);
        REQUIRE_FALSE(out.broken);
        CHECK(out.events == std::vector<recorded>{binary_event(payload)});
    }
}

TEST_CASE("ws frames: when on_event stops, the rest is kept and an empty feed resumes") {
    const std::string bytes =
        client_frame(opcode::text, "one") + client_frame(opcode::ping, "two") +
        client_frame(opcode::text, "th", false) + client_frame(opcode::continuation, "ree") +
        client_frame(opcode::text, "four") + header_bytes(client_frame(opcode::text, "five"), 3);
    frame_reader reader(big_limit);
    std::vector<recorded> events;
    auto stop_after_one = [&](const frame_event& e) {
        events.push_back({e.what, std::string(e.payload), e.close_code});
        return false;
    };
    std::string copy = bytes;
    REQUIRE_FALSE(reader.feed(std::span<char>(copy.data(), copy.size()), stop_after_one));
    CHECK(events == std::vector<recorded>{text_event("one")});
    CHECK(reader.buffered_bytes() > 0);
    REQUIRE_FALSE(reader.feed({}, stop_after_one));
    CHECK(events.size() == 2);
    REQUIRE_FALSE(reader.feed({}, stop_after_one));  // the joined message
    REQUIRE(events.size() == 3);
    CHECK(events[2] == text_event("three"));
    // New bytes after a stop go behind the kept ones.
    std::string rest = client_frame(opcode::text, "five").substr(3);
    REQUIRE_FALSE(reader.feed(std::span<char>(rest.data(), rest.size()), stop_after_one));
    CHECK(events.size() == 4);
    REQUIRE_FALSE(feed(reader, "", events));  // goes on to the end
    CHECK(events == std::vector<recorded>{text_event("one"), ping_event("two"), text_event("three"),
                                          text_event("four"), text_event("five")});
    CHECK(reader.buffered_bytes() == 0);
    REQUIRE_FALSE(reader.feed({}, stop_after_one));  // nothing left
    CHECK(events.size() == 5);
}

TEST_CASE("ws frames: stopping on every event of split input gives the same events") {
    const std::string bytes =
        client_frame(opcode::text, "a") + client_frame(opcode::binary, "b", false) +
        client_frame(opcode::ping, "c") + client_frame(opcode::continuation, "d") +
        client_frame(opcode::close, close_payload(1000, "e"));
    const auto whole = read_all(bytes);
    REQUIRE(whole.events.size() == 4);
    for (std::size_t split = 0; split <= bytes.size(); ++split) {
        frame_reader reader(big_limit);
        std::vector<recorded> events;
        auto stop = [&](const frame_event& e) {
            events.push_back({e.what, std::string(e.payload), e.close_code});
            return false;
        };
        std::string first = bytes.substr(0, split);
        std::string second = bytes.substr(split);
        REQUIRE_FALSE(reader.feed(std::span<char>(first.data(), first.size()), stop));
        REQUIRE_FALSE(reader.feed(std::span<char>(second.data(), second.size()), stop));
        for (int i = 0; i < 10; ++i) REQUIRE_FALSE(reader.feed({}, stop));
        INFO("split at " << split);
        REQUIRE(events == whole.events);
        REQUIRE(reader.buffered_bytes() == 0);
    }
}

TEST_CASE("ws frames: buffered_bytes holds only an unfinished frame") {
    frame_reader reader(big_limit);
    std::vector<recorded> events;
    const std::string big = client_frame(opcode::binary, std::string(5000, 'x'));
    REQUIRE_FALSE(feed(reader, big.substr(0, 1), events));
    CHECK(reader.buffered_bytes() == 1);
    REQUIRE_FALSE(feed(reader, big.substr(1, 2000), events));
    CHECK(reader.buffered_bytes() == 2001);
    // The end of the big frame and a small unfinished one: only the small one stays.
    const std::string small = client_frame(opcode::text, "hi");
    REQUIRE_FALSE(feed(reader, big.substr(2001) + small.substr(0, 4), events));
    CHECK(events == std::vector<recorded>{binary_event(std::string(5000, 'x'))});
    CHECK(reader.buffered_bytes() == 4);
    REQUIRE_FALSE(feed(reader, small.substr(4), events));
    CHECK(reader.buffered_bytes() == 0);
    CHECK(events.size() == 2);
    // An idle reader is small.
    CHECK(sizeof(frame_reader) <= 256);
}

// ---------------------------------------------------------------------------------------------
// Reader: violations

TEST_CASE("ws frames: every protocol violation gives its close code") {
    SECTION("reserved bits") {
        for (const std::uint8_t rsv : bytes8{0x40, 0x20, 0x10, 0x70}) {
            frame_spec spec;
            spec.rsv = rsv;
            CHECK(violation_code(raw_frame(spec, "x")) == 1002);
            // Known from the first byte.
            CHECK(violation_code(raw_frame(spec, "x").substr(0, 1)) == 1002);
        }
    }
    SECTION("unknown opcodes") {
        for (const std::uint8_t op : bytes8{3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
            INFO("opcode " << int{op});
            frame_spec spec;
            spec.op = op;
            CHECK(violation_code(raw_frame(spec, "x")) == 1002);
            CHECK(violation_code(raw_frame(spec, "x").substr(0, 1)) == 1002);
        }
    }
    SECTION("unmasked frames") {
        for (const std::uint8_t op : bytes8{0x1, 0x2, 0x8, 0x9, 0xA}) {
            frame_spec spec;
            spec.op = op;
            spec.masked = false;
            CHECK(violation_code(raw_frame(spec, "")) == 1002);
            CHECK(violation_code(raw_frame(spec, "").substr(0, 2)) == 1002);
        }
    }
    SECTION("fragmented control frames") {
        for (const std::uint8_t op : bytes8{0x8, 0x9, 0xA}) {
            frame_spec spec;
            spec.op = op;
            spec.fin = false;
            CHECK(violation_code(raw_frame(spec, "")) == 1002);
        }
    }
    SECTION("control frames over 125 bytes") {
        for (const std::uint8_t op : bytes8{0x8, 0x9, 0xA}) {
            frame_spec spec;
            spec.op = op;
            const std::string payload = close_payload(1000, std::string(124, 'r'));
            CHECK(violation_code(raw_frame(spec, payload)) == 1002);
            CHECK(violation_code(raw_frame(spec, payload).substr(0, 2)) == 1002);
            // 125 is fine.
            CHECK(violation_code(raw_frame(spec, payload.substr(0, 125))) == 0);
        }
    }
    SECTION("lengths not in their shortest form") {
        frame_spec spec;
        spec.form = length_form::bits16;
        CHECK(violation_code(raw_frame(spec, std::string(125, 'a'))) == 1002);
        CHECK(violation_code(raw_frame(spec, "")) == 1002);
        CHECK(violation_code(raw_frame(spec, std::string(126, 'a'))) == 0);
        spec.form = length_form::bits64;
        CHECK(violation_code(raw_frame(spec, std::string(65535, 'a'))) == 1002);
        CHECK(violation_code(raw_frame(spec, std::string(5, 'a'))) == 1002);
        CHECK(violation_code(raw_frame(spec, std::string(65536, 'a'))) == 0);
    }
    SECTION("a 64-bit length with its top bit set") {
        frame_spec spec;
        spec.form = length_form::bits64;
        spec.declared_length = std::uint64_t{1} << 63;
        CHECK(violation_code(raw_frame(spec, "")) == 1002);
        spec.declared_length = ~std::uint64_t{0};
        CHECK(violation_code(raw_frame(spec, "")) == 1002);
    }
    SECTION("a continuation outside a message") {
        CHECK(violation_code(client_frame(opcode::continuation, "x")) == 1002);
        CHECK(violation_code(client_frame(opcode::continuation, "x", false)) == 1002);
        CHECK(violation_code(client_frame(opcode::text, "a") +
                             client_frame(opcode::continuation, "b")) == 1002);
    }
    SECTION("a new data frame inside a fragmented message") {
        for (const opcode op : {opcode::text, opcode::binary}) {
            for (const bool fin : {true, false}) {
                CHECK(violation_code(client_frame(opcode::text, "a", false) +
                                     client_frame(op, "b", fin)) == 1002);
                CHECK(violation_code(client_frame(opcode::binary, "a", false) +
                                     client_frame(opcode::continuation, "a", false) +
                                     client_frame(op, "b", fin)) == 1002);
            }
        }
    }
    SECTION("a close payload of 1 byte") {
        CHECK(violation_code(client_frame(opcode::close, "x")) == 1002);
    }
    SECTION("close codes that may not be received") {
        for (const std::uint16_t code : codes{0, 999, 1004, 1005, 1006, 1012, 1013, 1014, 1015,
                                              1016, 2000, 2999, 5000, 65535}) {
            INFO("code " << code);
            CHECK(violation_code(client_frame(opcode::close, close_payload(code))) == 1002);
        }
    }
    SECTION("a close reason that is not UTF-8") {
        CHECK(violation_code(client_frame(opcode::close, close_payload(1000, "\xC3"))) == 1007);
        CHECK(violation_code(client_frame(opcode::close, close_payload(1000, "\xED\xA0\x80"))) ==
              1007);
    }
    SECTION("a text message that is not UTF-8") {
        CHECK(violation_code(client_frame(opcode::text, "abc\xFF")) == 1007);
        CHECK(violation_code(client_frame(opcode::text, "\xC0\xAF")) == 1007);
        // Split across fragments: each fragment alone could be a prefix of valid text.
        CHECK(violation_code(client_frame(opcode::text, "caf\xC3", false) +
                             client_frame(opcode::continuation, "x")) == 1007);
        CHECK(violation_code(client_frame(opcode::text, "\xE2\x82", false) +
                             client_frame(opcode::ping, "") +
                             client_frame(opcode::continuation, "\xAC\x80")) == 1007);
        // A message that ends inside a character.
        CHECK(violation_code(client_frame(opcode::text, "ok", false) +
                             client_frame(opcode::continuation, "\xF0\x9F\x98")) == 1007);
    }
}

TEST_CASE("ws frames: a message over the limit gives 1009 from its header alone") {
    const std::size_t limit = 1000;
    SECTION("one frame, at and over the limit") {
        CHECK(violation_code(client_frame(opcode::text, std::string(1000, 'a')), limit) == 0);
        CHECK(violation_code(client_frame(opcode::text, std::string(1001, 'a')), limit) == 1009);
        CHECK(violation_code(client_frame(opcode::binary, std::string(1001, 'a')), limit) == 1009);
    }
    SECTION("only the header of a huge frame") {
        frame_spec spec;
        spec.declared_length = std::uint64_t{1} << 40;
        const std::string header = raw_frame(spec, "");  // 14 bytes: no payload at all
        REQUIRE(header.size() == 14);
        CHECK(violation_code(header, limit) == 1009);
        spec.declared_length = 1001;
        CHECK(violation_code(raw_frame(spec, ""), limit) == 1009);
    }
    SECTION("fragments that add up to more than the limit") {
        const std::string first = client_frame(opcode::text, std::string(600, 'a'), false);
        CHECK(violation_code(first + client_frame(opcode::continuation, std::string(400, 'b')),
                             limit) == 0);
        // The header of the fragment that overflows is enough.
        CHECK(
            violation_code(
                first + header_bytes(client_frame(opcode::continuation, std::string(401, 'b')), 8),
                limit) == 1009);
        CHECK(violation_code(first +
                                 client_frame(opcode::continuation, std::string(399, 'b'), false) +
                                 client_frame(opcode::continuation, "cc"),
                             limit) == 1009);
    }
    SECTION("control frames are not counted against a small limit") {
        const auto out = read_all(client_frame(opcode::text, "abcd", false) +
                                      client_frame(opcode::ping, std::string(100, 'p')) +
                                      client_frame(opcode::continuation, "ef"),
                                  8);
        REQUIRE_FALSE(out.broken);
        CHECK(out.events.size() == 2);
    }
}

TEST_CASE("ws frames: after a violation the reader is dead") {
    frame_reader reader(big_limit);
    std::vector<recorded> events;
    const std::string bytes = client_frame(opcode::text, "before") +
                              client_frame(opcode::continuation, "x") +
                              client_frame(opcode::text, "after");
    const auto first = feed(reader, bytes, events);
    REQUIRE(first);
    CHECK(first->close_code == 1002);
    CHECK_FALSE(first->reason.empty());
    CHECK(events == std::vector<recorded>{text_event("before")});  // what came before it
    CHECK(reader.buffered_bytes() == 0);
    for (const std::string& more :
         {client_frame(opcode::text, "valid"), std::string(), std::string("\x81")}) {
        const auto again = feed(reader, more, events);
        REQUIRE(again);
        CHECK(again->close_code == first->close_code);
        CHECK(again->reason == first->reason);
    }
    CHECK(events.size() == 1);
    CHECK(reader.buffered_bytes() == 0);
}

TEST_CASE("ws frames: a violation while fragments and pending bytes are held drops them") {
    frame_reader reader(big_limit);
    std::vector<recorded> events;
    REQUIRE_FALSE(feed(reader, client_frame(opcode::text, std::string(3000, 'a'), false), events));
    REQUIRE_FALSE(feed(reader, client_frame(opcode::ping, "abc").substr(0, 3), events));
    CHECK(reader.buffered_bytes() == 3003);
    std::string bad = client_frame(opcode::ping, "abc").substr(3) +
                      client_frame(opcode::text, "\xFF", false);  // a new message inside one
    const auto broken = feed(reader, bad, events);
    REQUIRE(broken);
    CHECK(broken->close_code == 1002);
    CHECK(events == std::vector<recorded>{ping_event("abc")});
    CHECK(reader.buffered_bytes() == 0);
}
