#include "net/ws_frames.hpp"

#include <cstring>

namespace mockroom::net::ws {

namespace {

constexpr std::size_t max_control_payload = 125;
// Buffers above this capacity are given back when they empty (an idle connection holds
// almost nothing).
constexpr std::size_t keep_capacity = 512;

constexpr std::uint8_t fin_bit = 0x80;
constexpr std::uint8_t reserved_bits = 0x70;
constexpr std::uint8_t opcode_bits = 0x0F;
constexpr std::uint8_t mask_bit = 0x80;
constexpr std::uint8_t length_bits = 0x7F;
constexpr std::uint8_t length_16 = 126;
constexpr std::uint8_t length_64 = 127;

std::uint8_t byte_at(std::span<char> input, std::size_t i) {
    return static_cast<std::uint8_t>(input[i]);
}

bool is_continuation_byte(char c) {
    return (static_cast<std::uint8_t>(c) & 0xC0) == 0x80;
}

bool known_opcode(std::uint8_t op) {
    switch (op) {
        case 0x0:
        case 0x1:
        case 0x2:
        case 0x8:
        case 0x9:
        case 0xA:
            return true;
        default:
            return false;
    }
}

// The codes a peer may put in a close frame (RFC 6455 section 7.4).
bool receivable_close_code(std::uint16_t code) {
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011) ||
           (code >= 3000 && code <= 4999);
}

// Gives back the memory of a large buffer once it is empty or mostly unused.
void trim(std::string& s) {
    if (s.capacity() <= keep_capacity) return;
    if (s.empty()) {
        std::string().swap(s);
    } else if (s.size() < s.capacity() / 4) {
        std::string(s).swap(s);
    }
}

// XORs `data` with the 4-byte `key`, 8 bytes at a time.
void unmask(char* data, std::size_t size, const char* key) {
    char key8[8];
    std::memcpy(key8, key, 4);
    std::memcpy(key8 + 4, key, 4);
    std::uint64_t key64;
    std::memcpy(&key64, key8, sizeof key64);
    std::size_t i = 0;
    for (; i + 8 <= size; i += 8) {
        std::uint64_t word;
        std::memcpy(&word, data + i, sizeof word);
        word ^= key64;
        std::memcpy(data + i, &word, sizeof word);
    }
    for (; i < size; ++i) data[i] = static_cast<char>(data[i] ^ key8[i & 3]);
}

}  // namespace

namespace {
// Writes the header of a whole unmasked frame of `size` payload bytes; returns its length.
std::size_t write_header(char (&header)[10], opcode op, std::size_t size) {
    std::size_t header_size = 2;
    header[0] = static_cast<char>(fin_bit | static_cast<std::uint8_t>(op));
    if (size < length_16) {
        header[1] = static_cast<char>(size);
    } else if (size <= 0xFFFF) {
        header[1] = static_cast<char>(length_16);
        header[2] = static_cast<char>((size >> 8) & 0xFF);
        header[3] = static_cast<char>(size & 0xFF);
        header_size = 4;
    } else {
        header[1] = static_cast<char>(length_64);
        const auto wide = static_cast<std::uint64_t>(size);
        for (std::size_t i = 0; i < 8; ++i) {
            header[2 + i] = static_cast<char>((wide >> (56 - 8 * i)) & 0xFF);
        }
        header_size = 10;
    }
    return header_size;
}
}  // namespace

std::string encode_frame(opcode op, std::string_view payload) {
    const std::size_t size = payload.size();
    char header[10];
    const std::size_t header_size = write_header(header, op, size);
    std::string frame;
    frame.reserve(header_size + size);
    frame.append(header, header_size);
    frame.append(payload.data(), size);
    return frame;
}

std::string encode_close(std::uint16_t code, std::string_view reason) {
    constexpr std::size_t max_reason = max_control_payload - 2;
    std::size_t cut = reason.size();
    if (cut > max_reason) {
        cut = max_reason;
        // reason[cut] is the first byte left out: when it continues a sequence, leave out
        // that sequence's first bytes too (at most 3 of them in well-formed UTF-8).
        for (int back = 0; back < 3 && cut > 0 && is_continuation_byte(reason[cut]); ++back) {
            --cut;
        }
        if (is_continuation_byte(reason[cut])) cut = max_reason;  // not UTF-8 anyway
    }
    char payload[max_control_payload];
    payload[0] = static_cast<char>(code >> 8);
    payload[1] = static_cast<char>(code & 0xFF);
    if (cut > 0) std::memcpy(payload + 2, reason.data(), cut);
    return encode_frame(opcode::close, std::string_view(payload, 2 + cut));
}

std::shared_ptr<const std::string> shared_text_frame(std::string_view payload) {
    return std::make_shared<const std::string>(encode_frame(opcode::text, payload));
}

std::shared_ptr<const std::string> share_as_text_frame(std::string&& payload) {
    char header[10];
    const std::size_t header_size = write_header(header, opcode::text, payload.size());
    payload.insert(0, header, header_size);  // in place when the encoder left room
    return std::make_shared<const std::string>(std::move(payload));
}

bool is_valid_utf8(std::string_view bytes) {
    const char* const data = bytes.data();
    const std::size_t size = bytes.size();
    std::size_t i = 0;
    while (i < size) {
        // ASCII 8 bytes at a time.
        while (size - i >= 8) {
            std::uint64_t word;
            std::memcpy(&word, data + i, sizeof word);
            if ((word & 0x8080808080808080ULL) != 0) break;
            i += 8;
        }
        if (i == size) break;
        const auto lead = static_cast<std::uint8_t>(data[i]);
        if (lead < 0x80) {
            ++i;
            continue;
        }
        // The second byte's range depends on the lead (it rules out overlong forms,
        // surrogates and code points above U+10FFFF); later bytes are 0x80..0xBF.
        std::size_t length;
        std::uint8_t low = 0x80;
        std::uint8_t high = 0xBF;
        if (lead < 0xC2) {
            return false;  // a stray continuation byte, or an overlong 2-byte form
        } else if (lead < 0xE0) {
            length = 2;
        } else if (lead < 0xF0) {
            length = 3;
            if (lead == 0xE0) low = 0xA0;   // overlong
            if (lead == 0xED) high = 0x9F;  // U+D800..U+DFFF
        } else if (lead < 0xF5) {
            length = 4;
            if (lead == 0xF0) low = 0x90;   // overlong
            if (lead == 0xF4) high = 0x8F;  // above U+10FFFF
        } else {
            return false;
        }
        if (size - i < length) return false;
        const auto second = static_cast<std::uint8_t>(data[i + 1]);
        if (second < low || second > high) return false;
        for (std::size_t k = 2; k < length; ++k) {
            if (!is_continuation_byte(data[i + k])) return false;
        }
        i += length;
    }
    return true;
}

frame_reader::step frame_reader::fail(std::uint16_t code, const char* reason) {
    failed_code_ = code;
    failed_reason_ = reason;
    return step::failed;
}

void frame_reader::drop_buffers() {
    std::string().swap(pending_);
    std::string().swap(fragments_);
    fragments_delivered_ = false;
}

void frame_reader::forget_delivered_message() {
    if (!fragments_delivered_) return;
    fragments_delivered_ = false;
    fragments_.clear();
    trim(fragments_);
}

frame_reader::step frame_reader::next(std::span<char> input, std::size_t& offset,
                                      frame_event& event) {
    forget_delivered_message();
    while (true) {
        const std::span<char> frame = input.subspan(offset);
        const std::size_t available = frame.size();

        // First byte: FIN, reserved bits, opcode.
        if (available < 1) return step::need_more;
        const std::uint8_t first = byte_at(frame, 0);
        if ((first & reserved_bits) != 0)
            return fail(close_code::protocol_error, "reserved bits set");
        const auto op_bits = static_cast<std::uint8_t>(first & opcode_bits);
        if (!known_opcode(op_bits)) return fail(close_code::protocol_error, "unknown opcode");
        const auto op = static_cast<opcode>(op_bits);
        const bool fin = (first & fin_bit) != 0;
        const bool control = (op_bits & 0x8) != 0;

        // Second byte: MASK, 7-bit length.
        if (available < 2) return step::need_more;
        const std::uint8_t second = byte_at(frame, 1);
        if ((second & mask_bit) == 0) {
            return fail(close_code::protocol_error, "unmasked client frame");
        }
        std::uint64_t length = second & length_bits;
        if (control && !fin) return fail(close_code::protocol_error, "fragmented control frame");
        if (control && length > max_control_payload) {
            return fail(close_code::protocol_error, "control frame over 125 bytes");
        }

        // Extended length.
        std::size_t header_size = 2;
        if (length == length_16) {
            header_size = 4;
            if (available < header_size) return step::need_more;
            length = (std::uint64_t{byte_at(frame, 2)} << 8) | byte_at(frame, 3);
            if (length < length_16) {
                return fail(close_code::protocol_error, "length not in its shortest form");
            }
        } else if (length == length_64) {
            header_size = 10;
            if (available < header_size) return step::need_more;
            length = 0;
            for (std::size_t i = 2; i < 10; ++i) length = (length << 8) | byte_at(frame, i);
            if ((length >> 63) != 0) return fail(close_code::protocol_error, "length top bit set");
            if (length <= 0xFFFF) {
                return fail(close_code::protocol_error, "length not in its shortest form");
            }
        }

        // Message structure and size, from the header alone.
        if (!control) {
            if (op == opcode::continuation && !fragmented_) {
                return fail(close_code::protocol_error, "continuation outside a message");
            }
            if (op != opcode::continuation && fragmented_) {
                return fail(close_code::protocol_error, "new message inside a fragmented one");
            }
            // fragments_ never holds more than max_message_bytes_, so this cannot wrap.
            if (length > max_message_bytes_ - fragments_.size()) {
                return fail(close_code::too_big, "message too big");
            }
        }

        // Masking key and payload.
        header_size += 4;
        const auto size = static_cast<std::size_t>(length);  // bounded just above
        if (available < header_size || available - header_size < size) return step::need_more;
        char* const payload = frame.data() + header_size;
        unmask(payload, size, payload - 4);
        offset += header_size + size;
        const std::string_view data(payload, size);

        event.payload = {};
        event.close_code = 0;
        switch (op) {
            case opcode::text:
            case opcode::binary:
                if (!fin) {
                    fragmented_ = op;
                    fragments_.assign(data);
                    continue;
                }
                if (op == opcode::text && !is_valid_utf8(data)) {
                    return fail(close_code::bad_payload, "text message not UTF-8");
                }
                event.what =
                    op == opcode::text ? frame_event::kind::text : frame_event::kind::binary;
                event.payload = data;
                return step::event;
            case opcode::continuation: {
                fragments_.append(data);
                if (!fin) continue;
                const bool text = fragmented_ == opcode::text;
                fragmented_.reset();
                fragments_delivered_ = true;  // emptied by the next call, after the callback
                if (text && !is_valid_utf8(fragments_)) {
                    return fail(close_code::bad_payload, "text message not UTF-8");
                }
                event.what = text ? frame_event::kind::text : frame_event::kind::binary;
                event.payload = fragments_;
                return step::event;
            }
            case opcode::ping:
            case opcode::pong:
                event.what = op == opcode::ping ? frame_event::kind::ping : frame_event::kind::pong;
                event.payload = data;
                return step::event;
            case opcode::close: {
                if (size == 1) return fail(close_code::protocol_error, "close payload of 1 byte");
                event.what = frame_event::kind::close;
                if (size == 0) {
                    event.close_code = close_code::none_given;
                    return step::event;
                }
                const auto code = static_cast<std::uint16_t>(
                    (static_cast<unsigned>(static_cast<std::uint8_t>(data[0])) << 8) |
                    static_cast<std::uint8_t>(data[1]));
                if (!receivable_close_code(code)) {
                    return fail(close_code::protocol_error, "invalid close code");
                }
                const std::string_view reason = data.substr(2);
                if (!is_valid_utf8(reason)) {
                    return fail(close_code::bad_payload, "close reason not UTF-8");
                }
                event.close_code = code;
                event.payload = reason;
                return step::event;
            }
        }
        return fail(close_code::protocol_error, "unknown opcode");  // not reached
    }
}

void frame_reader::keep_rest(std::span<char> input, std::size_t offset, bool input_is_pending) {
    forget_delivered_message();
    if (input_is_pending) {
        pending_.erase(0, offset);
    } else {
        pending_.assign(input.data() + offset, input.size() - offset);
    }
    trim(pending_);
}

}  // namespace mockroom::net::ws
