#include "domain/room.hpp"

#include <algorithm>
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

room::room(room_info info, const limits& bounds) : info_(std::move(info)), bounds_(bounds) {}

std::optional<role> room::role_of(connection_id c) const {
    auto seat = seat_of_connection_.find(c);
    if (seat == seat_of_connection_.end()) return std::nullopt;
    return participants_[seat->second].role_in_room;
}

outcome room::join(connection_id c, role r, std::string name, std::string client_id,
                   millis /*now*/) {
    if (seat_of_connection_.contains(c)) {
        return error_to(c, error_code::bad_request, "already joined", "");
    }
    auto same_person = std::find_if(participants_.begin(), participants_.end(), [&](auto& p) {
        return p.client_id == client_id && p.role_in_room == r;
    });
    if (same_person == participants_.end()) {
        if (participants_.size() >= bounds_.max_participants_per_room) {
            return error_to(c, error_code::too_large,
                            "the room is full (" +
                                std::to_string(bounds_.max_participants_per_room) +
                                " participants)",
                            "");
        }
        participant fresh;
        fresh.id = "p" + std::to_string(next_participant_number_++);
        fresh.role_in_room = r;
        fresh.client_id = std::move(client_id);
        participants_.push_back(std::move(fresh));
        same_person = participants_.end() - 1;
    }
    same_person->name = std::move(name);  // a reconnect may carry a corrected name
    same_person->open_connections++;
    seat_of_connection_[c] = static_cast<std::size_t>(same_person - participants_.begin());

    outcome out;
    out.push_back(
        {audience::only(c),
         welcome_event{same_person->id, r, room_snapshot{&info_, participants_, history_}}});
    auto presence = presence_to_everyone();
    out.insert(out.end(), presence.begin(), presence.end());
    return out;
}

outcome room::disconnect(connection_id c, millis /*now*/) {
    auto seat = seat_of_connection_.find(c);
    if (seat == seat_of_connection_.end()) return {};  // never joined: nobody to tell
    participants_[seat->second].open_connections--;
    seat_of_connection_.erase(seat);
    return presence_to_everyone();
}

outcome room::apply(connection_id c, const command& cmd, std::string_view ref, millis now) {
    if (!seat_of_connection_.contains(c)) {
        return error_to(c, error_code::bad_request, "say hello first", ref);
    }
    return std::visit(
        [&](const auto& cmd_value) -> outcome {
            using type = std::decay_t<decltype(cmd_value)>;
            if constexpr (std::is_same_v<type, push_question>) {
                return push(c, cmd_value, ref, now);
            } else {
                return leave_room(c);
            }
        },
        cmd);
}

outcome room::push(connection_id c, const push_question& cmd, std::string_view ref, millis now) {
    if (role_of(c) != role::interviewer) {
        return error_to(c, error_code::forbidden, "only interviewers can push questions", ref);
    }
    if (history_.size() >= bounds_.max_history) {
        return error_to(c, error_code::too_large, "the room's question history is full", ref);
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
    }
    history_.push_back(pushed);
    return {{audience::everyone(), question_event{std::move(pushed)}}};
}

outcome room::leave_room(connection_id c) {
    // Leaving is for the person, not the socket: a stale socket of the same tab (one that has
    // not noticed its reconnect yet) goes too, so the participant cannot reappear offline.
    const std::size_t index = seat_of_connection_.at(c);
    std::erase_if(seat_of_connection_, [&](const auto& seat) { return seat.second == index; });
    participants_.erase(participants_.begin() + static_cast<std::ptrdiff_t>(index));
    for (auto& [connection, seat_index] : seat_of_connection_) {
        if (seat_index > index) --seat_index;
    }
    return presence_to_everyone();
}

outcome room::presence_to_everyone() const {
    return {{audience::everyone(), presence_event{participants_}}};
}

outcome room::error_to(connection_id c, error_code code, std::string message,
                       std::string_view ref) {
    return {{audience::only(c), error_event{code, std::move(message), std::string(ref)}}};
}

}  // namespace mockroom::domain
