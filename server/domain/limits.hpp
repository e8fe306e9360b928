// Every bound the server enforces, in one place, passed in rather than scattered as constants.
#pragma once

#include <chrono>
#include <cstddef>

namespace mockroom {

struct limits {
    // WebSocket
    std::size_t max_message_bytes = 64 * 1024;       // larger frames close the socket with 1009
    std::size_t max_queued_bytes = 4 * 1024 * 1024;  // a slower reader is closed with 1013
    std::chrono::milliseconds hello_timeout{5000};   // upgrade to hello, else close 1008
    // Silence for half of this gets a ping; silence for the next half closes the socket.
    std::chrono::seconds idle_timeout{60};
    std::chrono::milliseconds upgrade_timeout{10'000};  // the HTTP upgrade's answer
    std::chrono::milliseconds close_timeout{5'000};     // the peer's answer to our close frame

    int messages_per_second = 100;  // per socket, with a burst of twice that; then rate_limited

    // HTTP
    std::size_t max_http_body_bytes = 64 * 1024;  // 413 above this
    std::size_t max_http_header_bytes = 8 * 1024;
    std::chrono::seconds http_timeout{30};

    // Rooms
    std::size_t max_rooms = 10'000;
    double room_creations_per_minute = 30;  // per client address, with a burst of as many
    std::size_t max_participants_per_room = 64;
    std::size_t max_history = 1'000;  // pushed questions per room
    std::size_t max_title_bytes = 200;
    std::size_t max_name_bytes = 64;
    std::size_t max_client_id_bytes = 64;
    std::size_t max_question_bytes = 10'000;
    std::size_t max_score_text_bytes = 10'000;  // a scorecard comment or summary

    // Notes
    std::size_t max_document_units = 1 << 20;  // UTF-16 code units per document (1 MiB of ASCII)
    std::size_t max_updates_per_push = 100;
    // Rebasing costs (updates pushed) x (versions behind) maps; above this a push is refused
    // with conflict and the client catches up (notes.pull) and pushes again, at no cost here.
    std::size_t max_rebase_work = 20'000;
    std::size_t max_cursor_ranges = 32;
    int cursor_messages_per_second = 20;  // relayed per socket; extra ones are dropped
    // Accepted updates kept per document (memory, snapshots): when the log reaches twice this,
    // the older half is dropped. A client further behind gets a snapshot instead of updates.
    std::size_t kept_note_updates = 1'000;

    // Store: a room writes a snapshot of itself after this many events, so a restart loads the
    // snapshot and replays only the events after it.
    std::size_t snapshot_every_events = 1'000;
};

}  // namespace mockroom
