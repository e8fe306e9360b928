#include "domain/room.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace mockroom::domain {

std::string_view to_string(role r) {
    switch (r) {
        case role::interviewer:
            return "interviewer";
        case role::candidate:
            return "candidate";
        case role::observer:
            return "observer";
    }
    return "observer";
}

std::string_view to_string(error_code c) {
    switch (c) {
        case error_code::bad_request:
            return "bad_request";
        case error_code::unauthorized:
            return "unauthorized";
        case error_code::forbidden:
            return "forbidden";
        case error_code::not_found:
            return "not_found";
        case error_code::conflict:
            return "conflict";
        case error_code::too_large:
            return "too_large";
        case error_code::rate_limited:
            return "rate_limited";
        case error_code::internal:
            return "internal";
    }
    return "internal";
}

std::string_view to_string(doc_id d) {
    return d == doc_id::shared ? "shared" : "private";
}

std::string_view to_string(language l) {
    switch (l) {
        case language::plain:
            return "plain";
        case language::markdown:
            return "markdown";
        case language::python:
            return "python";
    }
    return "plain";
}

namespace {

bool can_read(role r, doc_id d) {
    return d == doc_id::shared || r == role::interviewer;
}
bool can_write(role r, doc_id d) {
    return r == role::interviewer || (r == role::candidate && d == doc_id::shared);
}

}  // namespace

room::room(room_info info, const limits& bounds)
    : info_(std::move(info)),
      bounds_(bounds),
      shared_notes_(bounds.max_document_units, bounds.max_updates_per_push, bounds.max_rebase_work,
                    bounds.kept_note_updates),
      private_notes_(bounds.max_document_units, bounds.max_updates_per_push, bounds.max_rebase_work,
                     bounds.kept_note_updates),
      interview_timer_(info_.timing.interview_ms) {}

const participant& room::participant_of(connection_id c) const {
    return participants_[seat_of_connection_.at(c)];
}

std::optional<role> room::role_of(connection_id c) const {
    auto seat = seat_of_connection_.find(c);
    if (seat == seat_of_connection_.end()) return std::nullopt;
    return participants_[seat->second].role_in_room;
}

outcome room::join(connection_id c, role r, std::string name, std::string client_id, millis now,
                   held_versions held) {
    if (seat_of_connection_.contains(c)) {
        return error_to(c, error_code::bad_request, "already joined", "");
    }
    // Expiries due by now go to the others; the welcome below already shows them.
    outcome out = expire_due(now, c);
    auto same_person = std::find_if(participants_.begin(), participants_.end(), [&](auto& p) {
        return p.client_id == client_id && p.role_in_room == r;
    });
    if (same_person == participants_.end()) {
        if (participants_.size() >= bounds_.max_participants_per_room) {
            out.push_back({audience::only(c),
                           error_event{error_code::too_large,
                                       "the room is full (" +
                                           std::to_string(bounds_.max_participants_per_room) +
                                           " participants)",
                                       ""}});
            return out;
        }
        participant fresh;
        fresh.id = "p" + std::to_string(next_participant_number_++);
        fresh.role_in_room = r;
        fresh.client_id = std::move(client_id);
        participants_.push_back(std::move(fresh));
        same_person = participants_.end() - 1;
    }
    if (same_person->name != name) {  // new, or a reconnect with a corrected name
        same_person->name = std::move(name);
        journal_.push_back(
            participant_joined{same_person->id, same_person->name, r, same_person->client_id});
    }
    same_person->open_connections++;
    seat_of_connection_[c] = static_cast<std::size_t>(same_person - participants_.begin());

    room_snapshot state{&info_,
                        participants_,
                        history_,
                        language_,
                        view_of(timer_id::interview, now),
                        view_of(timer_id::question, now),
                        now,
                        ended_at_,
                        revealed_,
                        &scores_};
    if (!state.history.empty())
        state.history.back().time_spent_ms = question_timer_.active_time(now);
    out.push_back({audience::only(c), welcome_event{same_person->id, r, std::move(state)}});
    sync_notes(c, r, held, out);
    auto presence = presence_to_everyone();
    out.insert(out.end(), presence.begin(), presence.end());
    return out;
}

outcome room::disconnect(connection_id c, millis /*now*/) {
    auto seat = seat_of_connection_.find(c);
    if (seat == seat_of_connection_.end()) return {};  // never joined: nobody to tell
    participant& gone = participants_[seat->second];
    gone.open_connections--;
    seat_of_connection_.erase(seat);
    cursor_budgets_.erase(c);
    outcome out;
    if (!gone.connected()) drop_cursors(gone.id, out);
    auto presence = presence_to_everyone();
    out.insert(out.end(), presence.begin(), presence.end());
    return out;
}

outcome room::apply(connection_id c, const command& cmd, std::string_view ref, millis now) {
    if (!seat_of_connection_.contains(c)) {
        return error_to(c, error_code::bad_request, "say hello first", ref);
    }
    // Expiry first, so a command at or after a deadline sees the timer as expired whether or
    // not the host's wake-up for it has run yet.
    outcome out = expire_due(now, 0);
    if (auto refusal = refused_after_end(c, cmd)) {
        auto answer = error_to(c, error_code::forbidden, *refusal, ref);
        out.insert(out.end(), answer.begin(), answer.end());
        return out;
    }
    outcome answer = std::visit(
        [&](const auto& cmd_value) -> outcome {
            using type = std::decay_t<decltype(cmd_value)>;
            if constexpr (std::is_same_v<type, push_question>) {
                return push(c, cmd_value, ref, now);
            } else if constexpr (std::is_same_v<type, notes_push>) {
                return push_notes(c, cmd_value, ref);
            } else if constexpr (std::is_same_v<type, notes_pull>) {
                return pull_notes(c, cmd_value, ref);
            } else if constexpr (std::is_same_v<type, set_language>) {
                return change_language(c, cmd_value, ref);
            } else if constexpr (std::is_same_v<type, cursor_update>) {
                return move_cursor(c, cmd_value, ref, now);
            } else if constexpr (std::is_same_v<type, timer_command>) {
                return command_timer(c, cmd_value, ref, now);
            } else if constexpr (std::is_same_v<type, end_interview>) {
                return end(c, ref, now);
            } else if constexpr (std::is_same_v<type, reveal_answers>) {
                return reveal(c, ref);
            } else if constexpr (std::is_same_v<type, set_score>) {
                return score(c, cmd_value, ref);
            } else {
                return leave_room(c);
            }
        },
        cmd);
    if (out.empty()) return answer;
    out.insert(out.end(), std::make_move_iterator(answer.begin()),
               std::make_move_iterator(answer.end()));
    return out;
}

std::vector<journal_entry> room::take_journal() {
    return std::exchange(journal_, {});
}

void room::replay(const journal_entry& entry) {
    std::visit(
        [&](const auto& e) {
            using type = std::decay_t<decltype(e)>;
            if constexpr (std::is_same_v<type, participant_joined>) {
                auto known = std::find_if(participants_.begin(), participants_.end(),
                                          [&](const participant& p) { return p.id == e.id; });
                if (known != participants_.end()) {
                    known->name = e.name;
                    return;
                }
                if (e.id.size() < 2 || e.id[0] != 'p') {
                    throw std::invalid_argument("a stored participant id is malformed");
                }
                participants_.push_back({e.id, e.name, e.role_in_room, e.client_id, 0});
                // Numbers are never reused, also after a restart.
                next_participant_number_ =
                    std::max(next_participant_number_, std::stoi(e.id.substr(1)) + 1);
            } else if constexpr (std::is_same_v<type, participant_left>) {
                std::erase_if(participants_, [&](const participant& p) { return p.id == e.id; });
            } else if constexpr (std::is_same_v<type, question_asked>) {
                if (e.question.seq != static_cast<int>(history_.size()) + 1) {
                    throw std::invalid_argument("a stored question is out of sequence");
                }
                if (!history_.empty()) history_.back().time_spent_ms = e.replaced_time_spent;
                history_.push_back(e.question);
            } else if constexpr (std::is_same_v<type, notes_accepted>) {
                mutable_document(e.doc).replay(e.updates);
            } else if constexpr (std::is_same_v<type, language_changed>) {
                language_ = e.to;
            } else if constexpr (std::is_same_v<type, interview_ended>) {
                ended_at_ = e.at;
            } else if constexpr (std::is_same_v<type, answers_revealed>) {
                revealed_ = true;
            } else if constexpr (std::is_same_v<type, score_changed>) {
                scores_[e.field] = e.now;
            } else if constexpr (std::is_same_v<type, notes_restored>) {
                mutable_document(e.doc).restore(e.first_version, e.text, e.kept);
            } else if constexpr (std::is_same_v<type, numbering_restored>) {
                if (e.next_participant < 1) {
                    throw std::invalid_argument("a stored participant number is malformed");
                }
                next_participant_number_ = std::max(next_participant_number_, e.next_participant);
            } else {
                (e.timer == timer_id::interview ? interview_timer_ : question_timer_) =
                    countdown::restore(e.state);
            }
        },
        entry);
}

std::vector<journal_entry> room::snapshot() const {
    std::vector<journal_entry> entries;
    entries.push_back(numbering_restored{next_participant_number_});
    for (const auto& p : participants_) {
        entries.push_back(participant_joined{p.id, p.name, p.role_in_room, p.client_id});
    }
    millis replaced_time_spent = 0;
    for (const auto& q : history_) {
        entries.push_back(question_asked{q, replaced_time_spent});
        replaced_time_spent = q.time_spent_ms;
    }
    for (doc_id d : {doc_id::shared, doc_id::private_notes}) {
        const auto& doc = document(d);
        entries.push_back(notes_restored{d, doc.first_version(), doc.text(), doc.log()});
    }
    entries.push_back(language_changed{language_});
    for (timer_id t : {timer_id::interview, timer_id::question}) {
        entries.push_back(timer_changed{t, timer(t).save()});
    }
    if (ended_at_) entries.push_back(interview_ended{*ended_at_});
    if (revealed_) entries.push_back(answers_revealed{});
    for (const auto& [field, stored] : scores_) entries.push_back(score_changed{field, stored});
    return entries;
}

outcome room::tick(millis now) {
    return expire_due(now, 0);
}

std::optional<std::string> room::refused_after_end(connection_id c, const command& cmd) const {
    if (!ended_at_) return std::nullopt;
    const bool interviewer = role_of(c) == role::interviewer;
    const bool allowed = std::visit(
        [&](const auto& value) {
            using type = std::decay_t<decltype(value)>;
            if constexpr (std::is_same_v<type, notes_push> || std::is_same_v<type, cursor_update>) {
                return interviewer && value.doc == doc_id::private_notes;
            } else if constexpr (std::is_same_v<type, push_question> ||
                                 std::is_same_v<type, set_language> ||
                                 std::is_same_v<type, timer_command>) {
                return false;
            } else {
                // Reading, leaving, and what is for after the end (checked on their own).
                return true;
            }
        },
        cmd);
    if (allowed) return std::nullopt;
    return std::string("the interview has ended");
}

outcome room::end(connection_id c, std::string_view ref, millis now) {
    const participant& who = participant_of(c);
    if (who.role_in_room != role::interviewer) {
        return error_to(c, error_code::forbidden, "only interviewers can end the interview", ref);
    }
    if (ended_at_) return error_to(c, error_code::conflict, "the interview has already ended", ref);
    outcome out;
    // The clocks stop where they stand (a question's time spent stops counting with them).
    for (timer_id t : {timer_id::interview, timer_id::question}) {
        countdown& timer = t == timer_id::interview ? interview_timer_ : question_timer_;
        if (timer.state() != timer_state::running) continue;
        timer.command(timer_action::pause, std::nullopt, timer.rev(), now);
        record_timer(t);
        out.push_back({audience::everyone(), timer_event{view_of(t, now), "end", who.id}});
    }
    ended_at_ = now;
    journal_.push_back(interview_ended{now});
    out.push_back({audience::everyone(), ended_event{now, who.id}});
    return out;
}

outcome room::reveal(connection_id c, std::string_view ref) {
    if (role_of(c) != role::interviewer) {
        return error_to(c, error_code::forbidden, "only interviewers can reveal the answers", ref);
    }
    if (!ended_at_) return error_to(c, error_code::bad_request, "end the interview first", ref);
    if (revealed_) return error_to(c, error_code::conflict, "the answers are already shown", ref);
    revealed_ = true;
    journal_.push_back(answers_revealed{});
    revealed_event shown;
    for (const auto& q : history_) shown.answers.emplace_back(q.seq, q.sample_answer);
    return {{audience::everyone(), std::move(shown)}};
}

std::optional<std::string> room::invalid_score(const std::string& field,
                                               const score_value& value) const {
    const auto* text = std::get_if<std::string>(&value);
    const auto* number = std::get_if<int>(&value);
    const bool null = std::holds_alternative<std::monostate>(value);
    const auto text_fits = [&]() -> std::optional<std::string> {
        if (!text) return "this field holds text";
        if (text->size() > bounds_.max_score_text_bytes) {
            return "at most " + std::to_string(bounds_.max_score_text_bytes) + " bytes";
        }
        return std::nullopt;
    };
    if (field == "summary") return text_fits();
    if (field == "recommendation") {
        if (null) return std::nullopt;
        for (std::string_view allowed : {"strong_no", "no", "yes", "strong_yes"}) {
            if (text && *text == allowed) return std::nullopt;
        }
        return "a recommendation is strong_no, no, yes, strong_yes or null";
    }
    // "q<seq>.rating" or "q<seq>.comment", for an asked question
    const auto dot = field.find('.');
    if (field.empty() || field[0] != 'q' || dot == std::string::npos || dot < 2 || dot > 6) {
        return "unknown scorecard field";
    }
    int seq = 0;
    for (std::size_t i = 1; i < dot; ++i) {
        if (field[i] < '0' || field[i] > '9') return "unknown scorecard field";
        seq = seq * 10 + (field[i] - '0');
    }
    if (seq < 1 || static_cast<std::size_t>(seq) > history_.size() ||
        field.substr(1, dot - 1) != std::to_string(seq)) {
        return "no asked question " + field.substr(0, dot);
    }
    const std::string part = field.substr(dot + 1);
    if (part == "comment") return text_fits();
    if (part == "rating") {
        if (null || (number && *number >= 1 && *number <= 4)) return std::nullopt;
        return "a rating is 1 to 4, or null";
    }
    return "unknown scorecard field";
}

outcome room::score(connection_id c, const set_score& cmd, std::string_view ref) {
    const participant& who = participant_of(c);
    if (who.role_in_room != role::interviewer) {
        return error_to(c, error_code::forbidden, "only interviewers can do this", ref);
    }
    if (auto why = invalid_score(cmd.field, cmd.value)) {
        const bool too_long = why->starts_with("at most");
        return error_to(c, too_long ? error_code::too_large : error_code::bad_request,
                        cmd.field + ": " + *why, ref);
    }
    auto found = scores_.find(cmd.field);
    const std::uint64_t rev = found == scores_.end() ? 0 : found->second.rev;
    if (cmd.expect_rev != rev) {
        return error_to(c, error_code::conflict,
                        cmd.field + " has changed since (it is at rev " + std::to_string(rev) + ")",
                        ref);
    }
    score_field& stored = scores_[cmd.field];
    stored = {cmd.value, rev + 1};
    journal_.push_back(score_changed{cmd.field, stored});
    audience interviewers = audience::everyone();
    interviewers.interviewers_only = true;
    return {{interviewers, score_event{cmd.field, cmd.value, stored.rev, who.id}}};
}

std::optional<millis> room::next_deadline() const {
    std::optional<millis> earliest;
    for (const countdown* t : {&interview_timer_, &question_timer_}) {
        if (t->state() != timer_state::running) continue;
        if (!earliest || *t->deadline() < *earliest) earliest = t->deadline();
    }
    return earliest;
}

outcome room::expire_due(millis now, connection_id except) {
    outcome out;
    for (timer_id t : {timer_id::interview, timer_id::question}) {
        countdown& timer = t == timer_id::interview ? interview_timer_ : question_timer_;
        if (!timer.expire_if_due(now)) continue;
        record_timer(t);
        audience everyone = audience::everyone();
        everyone.connection = except;
        out.push_back({everyone, timer_event{view_of(t, now), "expire", ""}});
    }
    return out;
}

timer_view room::view_of(timer_id t, millis now) const {
    const countdown& timer = this->timer(t);
    timer_view view{
        t,           timer.state(),        timer.duration(), timer.deadline(), timer.remaining(now),
        timer.rev(), info_.timing.warn_ms, std::nullopt};
    if (t == timer_id::question && !history_.empty()) view.question_seq = history_.back().seq;
    return view;
}

outcome room::command_timer(connection_id c, const timer_command& cmd, std::string_view ref,
                            millis now) {
    const participant& who = participant_of(c);
    if (who.role_in_room != role::interviewer) {
        return error_to(c, error_code::forbidden, "only interviewers can control the timers", ref);
    }
    if (cmd.timer == timer_id::question && history_.empty()) {
        return error_to(c, error_code::bad_request,
                        "the question timer starts with the first question", ref);
    }
    countdown& timer = cmd.timer == timer_id::interview ? interview_timer_ : question_timer_;
    if (auto refused = timer.command(cmd.action, cmd.ms, cmd.expect_rev, now)) {
        return error_to(c, refused->code, std::move(refused->message), ref);
    }
    record_timer(cmd.timer);
    return {{audience::everyone(),
             timer_event{view_of(cmd.timer, now), std::string(to_string(cmd.action)), who.id}}};
}

outcome room::push(connection_id c, const push_question& cmd, std::string_view ref, millis now) {
    if (role_of(c) != role::interviewer) {
        return error_to(c, error_code::forbidden, "only interviewers can push questions", ref);
    }
    if (history_.size() >= bounds_.max_history) {
        return error_to(c, error_code::too_large, "the room's question history is full", ref);
    }
    if (cmd.budget_ms &&
        (*cmd.budget_ms < min_timer_duration_ms || *cmd.budget_ms > max_timer_ms)) {
        return error_to(c, error_code::bad_request, "budget_ms is 1 s to 24 h", ref);
    }
    pushed_question pushed;
    pushed.seq = static_cast<int>(history_.size()) + 1;
    pushed.pushed_at = now;
    if (const auto* question_id = std::get_if<std::string>(&cmd.what)) {
        const question* from_bank = info_.question_bank->find(*question_id);
        if (from_bank == nullptr) {
            return error_to(c, error_code::not_found,
                            "no question '" + *question_id + "' in bank " + info_.question_bank->id,
                            ref);
        }
        pushed.id = from_bank->id;
        pushed.number = from_bank->number;
        pushed.text = from_bank->text;
        pushed.level = from_bank->level;
        pushed.sample_answer = from_bank->sample_answer;
        pushed.budget_ms = budget_ms(*info_.question_bank, *from_bank);
    } else {
        const auto& custom = std::get<custom_question>(cmd.what);
        if (custom.text.find_first_not_of(" \t\r\n") == std::string::npos) {
            return error_to(c, error_code::bad_request, "a custom question needs text", ref);
        }
        if (custom.text.size() > bounds_.max_question_bytes) {
            return error_to(c, error_code::too_large,
                            "a custom question is at most " +
                                std::to_string(bounds_.max_question_bytes) + " bytes",
                            ref);
        }
        pushed.id = "custom-" + std::to_string(pushed.seq);
        pushed.text = custom.text;
        pushed.level = custom.level;
        pushed.budget_ms = budget_ms(*info_.question_bank, custom.level);
    }
    if (cmd.budget_ms) pushed.budget_ms = *cmd.budget_ms;

    // Checked; now change. The replaced question's time spent is final.
    question_event asked{pushed, std::nullopt};
    if (!history_.empty()) {
        history_.back().time_spent_ms = question_timer_.active_time(now);
        asked.replaced =
            question_event::time_spent{history_.back().seq, history_.back().time_spent_ms};
    }
    history_.push_back(std::move(pushed));
    question_timer_.restart(history_.back().budget_ms, now);
    journal_.push_back(
        question_asked{history_.back(), asked.replaced ? asked.replaced->ms : millis{0}});
    record_timer(timer_id::question);

    const std::string& by = participant_of(c).id;
    outcome out{{audience::everyone(), std::move(asked)},
                {audience::everyone(), timer_event{view_of(timer_id::question, now), "push", by}}};
    // The first push starts the interview clock unless an interviewer already ran it.
    if (interview_timer_.state() == timer_state::idle &&
        !interview_timer_.command(timer_action::start, std::nullopt, interview_timer_.rev(), now)) {
        record_timer(timer_id::interview);
        out.push_back(
            {audience::everyone(), timer_event{view_of(timer_id::interview, now), "push", by}});
    }
    return out;
}

outcome room::leave_room(connection_id c) {
    // Leaving is for the person, not the socket: a stale socket of the same tab (one that has
    // not noticed its reconnect yet) goes too, so the participant cannot reappear offline.
    const std::size_t index = seat_of_connection_.at(c);
    outcome out;
    drop_cursors(participants_[index].id, out);
    journal_.push_back(participant_left{participants_[index].id});
    erase_if(seat_of_connection_, [&](const auto& seat) {
        if (seat.second != index) return false;
        cursor_budgets_.erase(seat.first);
        return true;
    });
    participants_.erase(participants_.begin() + static_cast<std::ptrdiff_t>(index));
    for (auto& [connection, seat_index] : seat_of_connection_) {
        if (seat_index > index) --seat_index;
    }
    auto presence = presence_to_everyone();
    out.insert(out.end(), presence.begin(), presence.end());
    return out;
}

// ---- notes ----------------------------------------------------------------------------

outcome room::push_notes(connection_id c, const notes_push& cmd, std::string_view ref) {
    const participant& pusher = participant_of(c);
    if (!can_write(pusher.role_in_room, cmd.doc)) {
        return error_to(c, error_code::forbidden, "you cannot edit these notes", ref);
    }
    for (const auto& update : cmd.updates) {
        if (update.client_id != pusher.client_id) {
            return error_to(c, error_code::forbidden,
                            "every update's clientID must be the client id sent in hello", ref);
        }
    }
    auto result = mutable_document(cmd.doc).push(cmd.version, cmd.updates);
    if (auto* refused = std::get_if<push_refused>(&result)) {
        using reason = push_refused::reason;
        const bool catch_up =
            refused->why == reason::version_ahead || refused->why == reason::too_far_behind;
        const error_code code = catch_up                             ? error_code::conflict
                                : refused->why == reason::bad_length ? error_code::bad_request
                                                                     : error_code::too_large;
        return error_to(c, code, refused->message, ref);
    }
    auto& accepted = std::get<push_accepted>(result);
    if (accepted.accepted.empty()) return {};  // all of it was accepted before
    journal_.push_back(notes_accepted{cmd.doc, accepted.accepted});
    return {{audience::readers_of(cmd.doc),
             notes_updates_event{cmd.doc, accepted.from, std::move(accepted.accepted)}}};
}

outcome room::pull_notes(connection_id c, const notes_pull& cmd, std::string_view ref) {
    if (!can_read(participant_of(c).role_in_room, cmd.doc)) {
        return error_to(c, error_code::forbidden, "you cannot read these notes", ref);
    }
    const collab_document& doc = document(cmd.doc);
    if (!doc.knows_version(cmd.version)) {  // ahead of the server, or older than its kept log
        return {{audience::only(c), notes_snapshot_event{cmd.doc, doc.version(), doc.text()}}};
    }
    return {{audience::only(c),
             notes_updates_event{cmd.doc, cmd.version, doc.updates_since(cmd.version)}}};
}

outcome room::change_language(connection_id c, const set_language& cmd, std::string_view ref) {
    const participant& who = participant_of(c);
    if (!can_write(who.role_in_room, doc_id::shared)) {
        return error_to(c, error_code::forbidden,
                        "only editors of the shared notes can change this", ref);
    }
    language_ = cmd.to;
    journal_.push_back(language_changed{cmd.to});
    return {{audience::everyone(), language_event{cmd.to, who.id}}};
}

outcome room::move_cursor(connection_id c, const cursor_update& cmd, std::string_view ref,
                          millis now) {
    const participant& who = participant_of(c);
    if (!can_write(who.role_in_room, cmd.doc)) {
        return error_to(c, error_code::forbidden, "you cannot place a cursor in these notes", ref);
    }
    const collab_document& doc = document(cmd.doc);
    if (cmd.version > doc.version()) {
        return error_to(c, error_code::conflict, "cursor version is ahead of the document", ref);
    }
    // Older than the kept log: it cannot be mapped, and a newer one is surely on its way.
    if (!doc.knows_version(cmd.version)) return {};
    if (cmd.ranges.size() > bounds_.max_cursor_ranges) {
        return error_to(c, error_code::too_large,
                        "at most " + std::to_string(bounds_.max_cursor_ranges) + " ranges", ref);
    }
    const std::size_t length = doc.length_at(cmd.version);
    for (const auto& [anchor, head] : cmd.ranges) {
        if (anchor > length || head > length) {
            return error_to(c, error_code::bad_request, "a cursor range is outside the document",
                            ref);
        }
    }
    // Over the rate, cursor messages are dropped without an answer: the next one supersedes it.
    const double rate = bounds_.cursor_messages_per_second;
    if (!cursor_budgets_[c].take(now, rate, rate / 4)) return {};

    cursor_event moved{cmd.doc, who.id, doc.version(), {}};
    for (const auto& [anchor, head] : cmd.ranges) {
        moved.ranges.emplace_back(doc.map_to_head(anchor, cmd.version, -1),
                                  doc.map_to_head(head, cmd.version, -1));
    }
    auto& placed = cursors_[static_cast<int>(cmd.doc)];
    if (moved.ranges.empty()) {
        placed.erase(who.id);
    } else {
        placed[who.id] = placed_cursor{moved.version, moved.ranges};
    }
    return {{audience::readers_of(cmd.doc, c), std::move(moved)}};
}

void room::sync_notes(connection_id c, role r, const held_versions& held, outcome& out) const {
    for (doc_id d : {doc_id::shared, doc_id::private_notes}) {
        if (!can_read(r, d)) continue;
        const collab_document& doc = document(d);
        const auto& version = d == doc_id::shared ? held.shared : held.private_notes;
        if (version && doc.knows_version(*version)) {
            out.push_back(
                {audience::only(c), notes_updates_event{d, *version, doc.updates_since(*version)}});
        } else {
            out.push_back({audience::only(c), notes_snapshot_event{d, doc.version(), doc.text()}});
        }
        const std::string& self = participant_of(c).id;
        for (const auto& [who, cursor] : cursors_[static_cast<int>(d)]) {
            if (who == self) continue;
            cursor_event current{d, who, doc.version(), {}};
            for (const auto& [anchor, head] : cursor.ranges) {
                current.ranges.emplace_back(doc.map_to_head(anchor, cursor.version, -1),
                                            doc.map_to_head(head, cursor.version, -1));
            }
            out.push_back({audience::only(c), std::move(current)});
        }
    }
}

void room::drop_cursors(const std::string& participant_id, outcome& out) {
    for (doc_id d : {doc_id::shared, doc_id::private_notes}) {
        auto& placed = cursors_[static_cast<int>(d)];
        if (placed.erase(participant_id) == 0) continue;
        out.push_back(
            {audience::readers_of(d), cursor_event{d, participant_id, document(d).version(), {}}});
    }
}

outcome room::presence_to_everyone() const {
    return {{audience::everyone(), presence_event{participants_}}};
}

outcome room::error_to(connection_id c, error_code code, std::string message,
                       std::string_view ref) {
    return {{audience::only(c), error_event{code, std::move(message), std::string(ref)}}};
}

}  // namespace mockroom::domain
