// A room is a pure state machine: commands in (with the time as an input), outbound events out.
// No sockets, JSON or threads here; net/ runs each room on one executor and encodes per role.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "domain/bank.hpp"
#include "domain/basics.hpp"
#include "domain/document.hpp"
#include "domain/flat_map.hpp"
#include "domain/limits.hpp"
#include "domain/rate_limit.hpp"
#include "domain/timer.hpp"

namespace mockroom::domain {

enum class role { interviewer, candidate, observer };
inline constexpr int role_count = 3;
std::string_view to_string(role r);

using connection_id = std::uint64_t;

// ---- what a room holds ----------------------------------------------------------------

struct participant {
    std::string id;  // "p1", "p2", ... in order of first join
    std::string name;
    role role_in_room = role::observer;
    std::string client_id;  // the browser tab's id; same tab + same role = same participant
    int open_connections = 0;
    bool connected() const { return open_connections > 0; }
};

struct pushed_question {
    int seq = 0;                // 1, 2, ... per room
    std::string id;             // bank id "q3", or "custom-<seq>"
    std::optional<int> number;  // bank number; none for a custom question
    std::string text;
    difficulty level = difficulty::medium;
    std::string sample_answer;  // interviewers only; "" for a custom question
    millis pushed_at = 0;
    millis budget_ms = 0;      // what the question timer was set to by the push
    millis time_spent_ms = 0;  // interviewers only: push to next push, pauses excluded
};

// Set when the room is created.
struct timing_settings {
    millis interview_ms = default_interview_ms;
    std::vector<millis> warn_ms{default_warning_ms};  // thresholds the clients warn at
};

struct room_info {
    std::string id;
    std::string title;
    std::shared_ptr<const bank> question_bank;
    millis created_at = 0;
    timing_settings timing{};
};

enum class doc_id { shared, private_notes };  // "shared", "private"
std::string_view to_string(doc_id d);
enum class language { plain, markdown, python };
std::string_view to_string(language l);

// Versions a reconnecting client already holds, per document (none: it holds nothing).
struct held_versions {
    std::optional<std::size_t> shared;
    std::optional<std::size_t> private_notes;
};

using cursor_ranges = std::vector<std::pair<std::size_t, std::size_t>>;  // [anchor, head]

// ---- commands (already authenticated: the connection's role is known to the room) -----

struct custom_question {
    std::string text;
    difficulty level = difficulty::medium;
};
struct push_question {
    std::variant<std::string, custom_question> what;  // bank question id, or an ad-hoc one
    std::optional<millis> budget_ms{};                // overrides the question's budget
};
struct leave {};  // the participant leaves for good (a disconnect only marks it offline)
struct notes_push {
    doc_id doc = doc_id::shared;
    std::size_t version = 0;
    std::vector<text_update> updates;
};
struct notes_pull {
    doc_id doc = doc_id::shared;
    std::size_t version = 0;
};
struct set_language {
    language to = language::plain;
};
struct cursor_update {
    doc_id doc = doc_id::shared;
    std::size_t version = 0;
    cursor_ranges ranges;
};

struct timer_command {
    timer_id timer = timer_id::interview;
    timer_action action = timer_action::start;
    std::optional<millis> ms;
    std::uint64_t expect_rev = 0;
};

struct end_interview {};
struct reveal_answers {};

// A scorecard field's value: null, a number (a rating) or text.
using score_value = std::variant<std::monostate, int, std::string>;
struct score_field {
    score_value value;
    std::uint64_t rev = 0;
};
// "q<seq>.rating", "q<seq>.comment", "recommendation", "summary" -> value (interviewers only)
using scorecard = std::map<std::string, score_field, std::less<>>;
struct set_score {
    std::string field;
    score_value value;
    std::uint64_t expect_rev = 0;
};

using command =
    std::variant<push_question, leave, notes_push, notes_pull, set_language, cursor_update,
                 timer_command, end_interview, reveal_answers, set_score>;

// ---- outbound events -------------------------------------------------------------------

// A timer as clients see it.
struct timer_view {
    timer_id timer = timer_id::interview;
    timer_state state = timer_state::idle;
    millis duration_ms = 0;
    std::optional<millis> deadline;
    millis remaining_ms = 0;
    std::uint64_t rev = 0;
    std::vector<millis> warn_ms;
    std::optional<int> question_seq;  // question timer: the question it times
};

struct room_snapshot {
    const room_info* info = nullptr;  // valid while the room lives; encode before returning
    std::vector<participant> participants;
    std::vector<pushed_question> history;  // oldest first; the last one is current
    language notes_language = language::plain;
    timer_view interview_timer;
    timer_view question_timer;
    millis now = 0;  // when the snapshot was taken
    std::optional<millis> ended_at;
    bool revealed = false;              // sample answers of asked questions are shown to everyone
    const scorecard* scores = nullptr;  // interviewers only; valid while the room lives
};
struct welcome_event {
    std::string you;
    role recipient_role = role::observer;
    room_snapshot state;
};
struct presence_event {
    std::vector<participant> participants;
};
struct question_event {
    pushed_question question;
    struct time_spent {
        int seq = 0;
        millis ms = 0;
    };
    std::optional<time_spent> replaced;  // interviewers only: the question it replaces
};
struct error_event {
    error_code code = error_code::bad_request;
    std::string message;
    std::string ref;  // the request's "id" as raw JSON text, or "" when it had none
};

struct notes_updates_event {
    doc_id doc = doc_id::shared;
    std::size_t from = 0;
    std::vector<text_update> updates;
};
struct notes_snapshot_event {
    doc_id doc = doc_id::shared;
    std::size_t version = 0;
    std::u16string text;
};
struct language_event {
    language to = language::plain;
    std::string by;  // participant id
};
struct cursor_event {
    doc_id doc = doc_id::shared;
    std::string participant;
    std::size_t version = 0;
    cursor_ranges ranges;  // empty: the cursor is gone
};

struct timer_event {
    timer_view timer;
    std::string cause;  // the command's name, "push" or "expire"
    std::string by;     // participant id; "" for the server (expiry)
};

struct ended_event {
    millis at = 0;
    std::string by;
};
struct revealed_event {
    std::vector<std::pair<int, std::string>> answers;  // seq, sample answer
};
struct score_event {  // interviewers only
    std::string field;
    score_value value;
    std::uint64_t rev = 0;
    std::string by;
};

using event = std::variant<welcome_event, presence_event, question_event, error_event,
                           notes_updates_event, notes_snapshot_event, language_event, cursor_event,
                           timer_event, ended_event, revealed_event, score_event>;

struct audience {
    enum class kind { everyone, one_connection } to = kind::everyone;
    connection_id connection = 0;    // one_connection: the target; everyone: left out (0: nobody)
    bool interviewers_only = false;  // e.g. everything about the private notes
    static audience everyone() { return {}; }
    static audience only(connection_id c) { return {kind::one_connection, c}; }
    static audience readers_of(doc_id d, connection_id except = 0) {
        return {kind::everyone, except, d == doc_id::private_notes};
    }
};

struct outbound {
    audience to;
    event what;
};
using outcome = std::vector<outbound>;

// ---- the journal: every change to what a room keeps, for the store ----------------------
// Replaying a room's entries in order on a fresh room with the same room_info gives the same
// room (connections and cursors aside: they are not kept). Outbound events are not enough for
// that: they are projections, and some changes (a rename) have none of their own.

struct participant_joined {  // a new participant, or a known one under a new name
    std::string id;
    std::string name;
    role role_in_room = role::observer;
    std::string client_id;
};
struct participant_left {
    std::string id;
};
struct question_asked {
    pushed_question question;
    millis replaced_time_spent = 0;  // the final time spent on the question it replaces
};
struct notes_accepted {
    doc_id doc = doc_id::shared;
    std::vector<text_update> updates;  // as accepted (rebased), appended to the log
};
struct language_changed {
    language to = language::plain;
};
struct timer_changed {
    timer_id timer = timer_id::interview;
    countdown::saved state;
};
struct interview_ended {
    millis at = 0;
};
struct answers_revealed {};
struct score_changed {
    std::string field;
    score_field now;
};

// Only in snapshots (room::snapshot): a document as it stands, and the participant numbering.
struct notes_restored {
    doc_id doc = doc_id::shared;
    std::size_t first_version = 0;  // the version the first kept update applies to
    std::u16string text;            // at the head
    std::vector<text_update> kept;  // the kept log: first_version .. head
};
struct numbering_restored {
    int next_participant = 1;  // numbers are never reused, also after everyone left
};

using journal_entry =
    std::variant<participant_joined, participant_left, question_asked, notes_accepted,
                 language_changed, timer_changed, interview_ended, answers_revealed, score_changed,
                 notes_restored, numbering_restored>;

// ---- the state machine -----------------------------------------------------------------

class room {
  public:
    room(room_info info, const limits& bounds);

    // A socket authenticated as `r` says hello. Welcome to it, presence to everyone.
    outcome join(connection_id c, role r, std::string name, std::string client_id, millis now,
                 held_versions held = {});
    // The socket closed. Its participant stays listed, offline once its last socket is gone.
    outcome disconnect(connection_id c, millis now);
    // A command from a joined socket. `ref` is echoed on errors about it.
    outcome apply(connection_id c, const command& cmd, std::string_view ref, millis now);
    // Time passes: every timer due at `now` expires, and everyone is told (once per expiry).
    outcome tick(millis now);
    // The earliest deadline of a running timer: when tick has something to do.
    std::optional<millis> next_deadline() const;

    // The changes made since the last call, in order. The host stores them before it sends
    // the outcome that told of them (acknowledged means durable).
    std::vector<journal_entry> take_journal();
    // Restores a stored change on a room being rebuilt (nobody connected). Throws
    // std::invalid_argument for an entry that does not fit the room as it is.
    void replay(const journal_entry& entry);
    // The room as it stands, as entries that rebuild it when replayed on a fresh room (the
    // store saves this now and then, so a restart replays only the events after it).
    std::vector<journal_entry> snapshot() const;

    const room_info& info() const { return info_; }
    const limits& bounds() const { return bounds_; }
    const std::vector<participant>& participants() const { return participants_; }
    const std::vector<pushed_question>& history() const { return history_; }
    std::optional<role> role_of(connection_id c) const;
    std::size_t connection_count() const { return seat_of_connection_.size(); }
    const collab_document& document(doc_id d) const {
        return d == doc_id::shared ? shared_notes_ : private_notes_;
    }
    language notes_language() const { return language_; }
    const countdown& timer(timer_id t) const {
        return t == timer_id::interview ? interview_timer_ : question_timer_;
    }
    timer_view view_of(timer_id t, millis now) const;
    std::optional<millis> ended_at() const { return ended_at_; }
    bool revealed() const { return revealed_; }
    const scorecard& scores() const { return scores_; }

  private:
    outcome push(connection_id c, const push_question& cmd, std::string_view ref, millis now);
    outcome leave_room(connection_id c);
    outcome push_notes(connection_id c, const notes_push& cmd, std::string_view ref);
    outcome pull_notes(connection_id c, const notes_pull& cmd, std::string_view ref);
    outcome change_language(connection_id c, const set_language& cmd, std::string_view ref);
    outcome move_cursor(connection_id c, const cursor_update& cmd, std::string_view ref,
                        millis now);
    outcome command_timer(connection_id c, const timer_command& cmd, std::string_view ref,
                          millis now);
    // Why a command is refused because the interview has ended, or nullopt.
    std::optional<std::string> refused_after_end(connection_id c, const command& cmd) const;
    outcome end(connection_id c, std::string_view ref, millis now);
    outcome reveal(connection_id c, std::string_view ref);
    outcome score(connection_id c, const set_score& cmd, std::string_view ref);
    // Why `field` = `value` cannot be on the scorecard, or nullopt when it can.
    std::optional<std::string> invalid_score(const std::string& field,
                                             const score_value& value) const;
    // Expires every timer due at `now`; the events go to everyone but `except` (0: nobody).
    outcome expire_due(millis now, connection_id except);
    outcome presence_to_everyone() const;
    // The notes a newly joined socket needs: per readable document a snapshot or the updates
    // since the version it holds, then the other participants' cursors.
    void sync_notes(connection_id c, role r, const held_versions& held, outcome& out) const;
    // Cursor removals for a participant that has gone (offline or left).
    void drop_cursors(const std::string& participant_id, outcome& out);
    const participant& participant_of(connection_id c) const;
    collab_document& mutable_document(doc_id d) {
        return d == doc_id::shared ? shared_notes_ : private_notes_;
    }
    static outcome error_to(connection_id c, error_code code, std::string message,
                            std::string_view ref);

    room_info info_;
    const limits& bounds_;
    std::vector<participant> participants_;
    std::vector<pushed_question> history_;
    flat_map<connection_id, std::size_t> seat_of_connection_;  // -> participants_ index
    int next_participant_number_ = 1;

    collab_document shared_notes_;
    collab_document private_notes_;
    language language_ = language::plain;
    struct placed_cursor {
        std::size_t version = 0;
        cursor_ranges ranges;
    };
    // participant id -> cursor, per document
    flat_map<std::string, placed_cursor> cursors_[2];
    flat_map<connection_id, token_bucket> cursor_budgets_;

    countdown interview_timer_;
    countdown question_timer_;
    std::vector<journal_entry> journal_;
    std::optional<millis> ended_at_;
    bool revealed_ = false;
    scorecard scores_;
    void record_timer(timer_id t) { journal_.push_back(timer_changed{t, timer(t).save()}); }
};

}  // namespace mockroom::domain
