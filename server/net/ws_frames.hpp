// RFC 6455 framing for the server side, with no sockets: an incremental reader of client frames
// and the encoders of server frames. Beast still does the HTTP upgrade; after it the session
// speaks frames itself, because Beast's stream costs about 6 KB per connection (a 1.5 KB read
// buffer inside every stream, timers) and writes one message per call, where a queued burst
// should go out in one system call. Server frames are unmasked, so a broadcast is framed once
// and the same bytes go to every socket.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace mockroom::net::ws {

enum class opcode : std::uint8_t {
    continuation = 0x0,
    text = 0x1,
    binary = 0x2,
    close = 0x8,
    ping = 0x9,
    pong = 0xA,
};

// Close codes this server sends (RFC 6455 section 7.4.1).
namespace close_code {
inline constexpr std::uint16_t normal = 1000;
inline constexpr std::uint16_t going_away = 1001;
inline constexpr std::uint16_t protocol_error = 1002;
inline constexpr std::uint16_t none_given = 1005;   // never sent: a close frame with no code
inline constexpr std::uint16_t bad_payload = 1007;  // a text message that is not UTF-8
inline constexpr std::uint16_t policy_error = 1008;
inline constexpr std::uint16_t too_big = 1009;
inline constexpr std::uint16_t internal_error = 1011;
inline constexpr std::uint16_t try_again_later = 1013;
}  // namespace close_code

// One whole server frame (FIN set, unmasked): header then payload.
std::string encode_frame(opcode op, std::string_view payload);
// A close frame with `code` and `reason` (cut to fit the 125-byte control payload, never in
// the middle of a UTF-8 sequence).
std::string encode_close(std::uint16_t code, std::string_view reason);
// A text frame shared by every recipient of a broadcast.
std::shared_ptr<const std::string> shared_text_frame(std::string_view payload);
// The same, framing the text where it is (no copy when its capacity has room for the header).
std::shared_ptr<const std::string> share_as_text_frame(std::string&& payload);

// True when `bytes` is well-formed UTF-8 (no overlong forms, no surrogates, at most U+10FFFF).
bool is_valid_utf8(std::string_view bytes);

// What the reader found: a whole data message (fragments joined) or one control frame.
struct frame_event {
    enum class kind { text, binary, ping, pong, close };
    kind what = kind::text;
    // text (valid UTF-8) / binary: the message; ping / pong: the payload; close: the reason.
    // Valid only during the callback.
    std::string_view payload;
    std::uint16_t close_code = 0;  // close only: the code, or close_code::none_given
};

// The client broke the protocol: close with this code (1002, 1007 or 1009).
struct violation {
    std::uint16_t close_code = close_code::protocol_error;
    std::string reason;
};

// Reads client frames incrementally. Enforces: every frame masked; no reserved bits (no
// extension is negotiated); known opcodes; control frames unfragmented with at most 125 bytes;
// continuation only inside a fragmented message and no new data frame inside one; lengths in
// their shortest form with the top bit clear; a message (all its fragments) at most
// `max_message_bytes` (else 1009, found from the header, before the payload arrives); text
// messages UTF-8 (else 1007); a close payload of 0 or at least 2 bytes, a code that may be
// sent (1000-1003, 1007-1011, 3000-4999; else 1002) and a UTF-8 reason (else 1007).
class frame_reader {
  public:
    explicit frame_reader(std::size_t max_message_bytes) : max_message_bytes_(max_message_bytes) {}

    // Reads the frames in `bytes` (unmasked in place, which is why it is mutable) after what
    // was left over from earlier calls, and calls `on_event(const frame_event&)` for each whole
    // message and each control frame, in order. `on_event` returns true to go on, false to
    // stop: then the unread bytes are kept and the next call (possibly with empty `bytes`)
    // resumes there. Bytes of an unfinished frame are kept for the next call.
    // Returns the first violation; the reader is then dead (every later call returns it too).
    template <class OnEvent>
    std::optional<violation> feed(std::span<char> bytes, OnEvent&& on_event);

    // Bytes held between calls (an unfinished frame, the fragments of an unfinished message).
    std::size_t buffered_bytes() const { return pending_.size() + fragments_.size(); }

  private:
    enum class step { event, need_more, failed };
    // Reads frames from `input` (from `offset`, advancing it past each whole frame) until one
    // completes a message or is a control frame (`event` filled), the bytes of the next frame
    // are not all there (need_more: `offset` stays at its start) or a violation (failed_code_ set).
    // Fragments that do not finish their message are moved to fragments_ on the way.
    step next(std::span<char> input, std::size_t& offset, frame_event& event);
    // Keeps input[offset..] for the next call.
    void keep_rest(std::span<char> input, std::size_t offset, bool input_is_pending);
    step fail(std::uint16_t code, const char* reason);
    // Empties both buffers and gives their memory back (the reader is dead).
    void drop_buffers();
    // Empties fragments_ once the message it holds was delivered (after the callback).
    void forget_delivered_message();

    std::size_t max_message_bytes_;
    std::string pending_;               // received bytes not yet read as frames
    std::string fragments_;             // the data of a fragmented message so far
    std::optional<opcode> fragmented_;  // text or binary while a fragmented message is open
    bool fragments_delivered_ = false;  // fragments_ holds a message already handed out
    // The violation, kept small (every idle connection holds a reader): code 0 while alive.
    std::uint16_t failed_code_ = 0;
    const char* failed_reason_ = "";
    std::optional<violation> failure() const {
        if (failed_code_ == 0) return std::nullopt;
        return violation{failed_code_, failed_reason_};
    }
};

template <class OnEvent>
std::optional<violation> frame_reader::feed(std::span<char> bytes, OnEvent&& on_event) {
    if (failed_code_ != 0) return failure();
    // Read straight from `bytes` when nothing is pending (the usual case: whole frames);
    // otherwise append and read from the pending buffer.
    const bool from_pending = !pending_.empty();
    if (from_pending) pending_.append(bytes.data(), bytes.size());
    std::span<char> input =
        from_pending ? std::span<char>(pending_.data(), pending_.size()) : bytes;
    std::size_t offset = 0;
    frame_event event;
    while (true) {
        const step s = next(input, offset, event);
        if (s == step::failed) {
            drop_buffers();
            return failure();
        }
        if (s == step::need_more) break;
        if (!on_event(static_cast<const frame_event&>(event))) break;
    }
    keep_rest(input, offset, from_pending);
    return std::nullopt;
}

}  // namespace mockroom::net::ws
