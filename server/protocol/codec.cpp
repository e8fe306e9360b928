#include "protocol/codec.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "protocol/change_json.hpp"
#include "protocol/hot_parse.hpp"
#include "protocol/json_writer.hpp"

namespace mockroom::protocol {
namespace {

using domain::error_code;
using nlohmann::json;

constexpr std::size_t max_ref_bytes = 64;
constexpr std::size_t max_id_bytes = 64;  // room ids, question ids
constexpr std::size_t max_token_bytes = 128;
constexpr std::size_t max_warnings = 4;

// Thrown only inside this file, while reading one message; turned into a protocol_error.
struct field_error {
    std::string message;
};

const json& field(const json& object, const char* name) {
    auto it = object.find(name);
    if (it == object.end()) throw field_error{std::string("missing field '") + name + "'"};
    return *it;
}

std::string string_field(const json& object, const char* name, std::size_t max_bytes) {
    const json& value = field(object, name);
    if (!value.is_string()) throw field_error{std::string("'") + name + "' must be a string"};
    const auto& text = value.get_ref<const std::string&>();
    if (text.size() > max_bytes) {
        throw field_error{std::string("'") + name + "' is longer than " +
                          std::to_string(max_bytes) + " bytes"};
    }
    return text;
}

std::string trim(std::string_view text) {
    auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return {};
    auto last = text.find_last_not_of(" \t\r\n");
    return std::string(text.substr(first, last - first + 1));
}

// C0 controls, DEL, and C1 controls (U+0080..U+009F, which UTF-8 writes as C2 80..C2 9F).
bool has_control_character(std::string_view text) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        auto byte = static_cast<unsigned char>(text[i]);
        if (byte < 0x20 || byte == 0x7f) return true;
        if (byte == 0xc2 && i + 1 < text.size()) {
            auto next = static_cast<unsigned char>(text[i + 1]);
            if (next >= 0x80 && next <= 0x9f) return true;
        }
    }
    return false;
}

bool is_client_id(std::string_view text) {
    if (text.empty()) return false;
    for (char ch : text) {
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
        if (!ok) return false;
    }
    return true;
}

std::string read_ref(const json& message) {
    auto it = message.find("id");
    if (it == message.end()) return {};
    if (it->is_number_integer()) return it->dump();
    if (it->is_string() && it->get_ref<const std::string&>().size() <= max_ref_bytes) {
        return it->dump();
    }
    throw field_error{"'id' must be an integer or a string of at most 64 bytes"};
}

std::size_t count_field(const json& object, const char* name) {
    const json& value = field(object, name);
    if (!value.is_number_unsigned()) {
        throw field_error{std::string("'") + name + "' must be a non-negative integer"};
    }
    return value.get<std::size_t>();
}

domain::held_versions read_held_versions(const json& notes) {
    if (!notes.is_object()) throw field_error{"'notes' must be an object"};
    domain::held_versions held;
    if (notes.contains("shared")) held.shared = count_field(notes, "shared");
    if (notes.contains("private")) held.private_notes = count_field(notes, "private");
    return held;
}

// An integer number of ms (negative allowed); ranges are the domain's to check.
domain::millis millis_field(const json& object, const char* name) {
    const json& value = field(object, name);
    if (!value.is_number_integer())
        throw field_error{std::string("'") + name + "' must be an integer"};
    if (value.is_number_unsigned() &&
        value.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
        throw field_error{std::string("'") + name + "' is out of range"};
    }
    return value.get<domain::millis>();
}

std::optional<domain::millis> optional_millis(const json& object, const char* name) {
    if (!object.contains(name) || object[name].is_null()) return std::nullopt;
    return millis_field(object, name);
}

domain::timer_command read_timer_command(const json& message) {
    domain::timer_command command;
    const std::string timer = string_field(message, "timer", 16);
    if (timer == "interview") {
        command.timer = domain::timer_id::interview;
    } else if (timer == "question") {
        command.timer = domain::timer_id::question;
    } else {
        throw field_error{"'timer' must be interview or question"};
    }
    const std::string action = string_field(message, "command", 16);
    static constexpr std::pair<std::string_view, domain::timer_action> actions[] = {
        {"start", domain::timer_action::start},
        {"pause", domain::timer_action::pause},
        {"resume", domain::timer_action::resume},
        {"reset", domain::timer_action::reset},
        {"add", domain::timer_action::add}};
    auto known = std::find_if(std::begin(actions), std::end(actions),
                              [&](const auto& a) { return a.first == action; });
    if (known == std::end(actions)) {
        throw field_error{"'command' must be start, pause, resume, reset or add"};
    }
    command.action = known->second;
    command.ms = optional_millis(message, "ms");
    command.expect_rev = count_field(message, "expect_rev");
    return command;
}

domain::set_score read_score(const json& message, const limits& bounds) {
    domain::set_score score;
    score.field = string_field(message, "field", 32);
    const json& value = field(message, "value");
    if (value.is_null()) {
        score.value = std::monostate{};
    } else if (value.is_number_integer() && value.get<std::int64_t>() >= INT32_MIN &&
               value.get<std::int64_t>() <= INT32_MAX) {
        score.value = value.get<int>();
    } else if (value.is_string()) {
        // Over-long text is the domain's to refuse (too_large); here only absurd sizes are cut.
        score.value = string_field(message, "value", bounds.max_message_bytes);
    } else {
        throw field_error{"'value' must be null, an integer or a string"};
    }
    score.expect_rev = count_field(message, "expect_rev");
    return score;
}

json score_value_json(const domain::score_value& value) {
    if (const auto* number = std::get_if<int>(&value)) return *number;
    if (const auto* text = std::get_if<std::string>(&value)) return *text;
    return nullptr;
}

domain::doc_id read_doc(const json& message) {
    const std::string name = string_field(message, "doc", 16);
    if (name == "shared") return domain::doc_id::shared;
    if (name == "private") return domain::doc_id::private_notes;
    throw field_error{"'doc' must be \"shared\" or \"private\""};
}

domain::notes_push read_notes_push(const json& message, const limits& bounds) {
    domain::notes_push push{read_doc(message), count_field(message, "version"), {}};
    const json& updates = field(message, "updates");
    if (!updates.is_array()) throw field_error{"'updates' must be an array"};
    for (std::size_t i = 0; i < updates.size(); ++i) {
        const json& update = updates[i];
        if (!update.is_object()) throw field_error{"each update must be an object"};
        domain::text_update parsed;
        parsed.client_id = string_field(update, "clientID", bounds.max_client_id_bytes);
        auto changes = change_set_from_json(field(update, "changes"));
        if (auto* error = std::get_if<std::string>(&changes)) {
            throw field_error{"update " + std::to_string(i) + ": " + *error};
        }
        parsed.changes = std::move(std::get<domain::change_set>(changes));
        push.updates.push_back(std::move(parsed));
    }
    return push;
}

domain::set_language read_language(const json& message) {
    const std::string name = string_field(message, "language", 16);
    if (name == "plain") return {domain::language::plain};
    if (name == "markdown") return {domain::language::markdown};
    if (name == "python") return {domain::language::python};
    throw field_error{"'language' must be plain, markdown or python"};
}

domain::cursor_update read_cursor(const json& message) {
    domain::cursor_update cursor{read_doc(message), count_field(message, "version"), {}};
    const json& ranges = field(message, "ranges");
    if (!ranges.is_array()) throw field_error{"'ranges' must be an array"};
    for (const json& range : ranges) {
        if (!range.is_array() || range.size() != 2 || !range[0].is_number_unsigned() ||
            !range[1].is_number_unsigned()) {
            throw field_error{"each range must be [anchor, head] with non-negative integers"};
        }
        cursor.ranges.emplace_back(range[0].get<std::size_t>(), range[1].get<std::size_t>());
    }
    return cursor;
}

hello read_hello(const json& message, const limits& bounds) {
    hello h;
    h.room = string_field(message, "room", max_id_bytes);
    h.token = string_field(message, "token", max_token_bytes);
    h.name = trim(string_field(message, "name", bounds.max_message_bytes));
    if (h.name.empty()) throw field_error{"'name' must not be empty"};
    if (h.name.size() > bounds.max_name_bytes) {
        throw field_error{"'name' is longer than " + std::to_string(bounds.max_name_bytes) +
                          " bytes"};
    }
    if (has_control_character(h.name)) throw field_error{"'name' has control characters"};
    h.client = string_field(message, "client", bounds.max_client_id_bytes);
    if (!is_client_id(h.client)) {
        throw field_error{"'client' must be 1 to " + std::to_string(bounds.max_client_id_bytes) +
                          " characters of A-Z a-z 0-9 _ -"};
    }
    if (message.contains("notes")) h.notes = read_held_versions(message["notes"]);
    return h;
}

ping read_ping(const json& message, std::string ref) {
    const json& t0 = field(message, "t0");
    if (!t0.is_number() || !std::isfinite(t0.get<double>())) {
        throw field_error{"'t0' must be a number"};
    }
    return ping{ref.empty() ? "null" : std::move(ref), t0.dump()};
}

domain::push_question read_push(const json& message, const limits& bounds) {
    bool has_bank_question = message.contains("question");
    bool has_custom = message.contains("custom");
    if (has_bank_question == has_custom) {
        throw field_error{"give exactly one of 'question' or 'custom'"};
    }
    const auto budget = optional_millis(message, "budget_ms");
    if (has_bank_question) return {string_field(message, "question", max_id_bytes), budget};
    const json& custom = message["custom"];
    if (!custom.is_object()) throw field_error{"'custom' must be an object"};
    domain::custom_question q;
    // Over-long text is the domain's to refuse (too_large); here only absurd sizes are cut.
    q.text = string_field(custom, "text", bounds.max_message_bytes);
    auto level = domain::parse_difficulty(string_field(custom, "difficulty", 16));
    if (!level) throw field_error{"'difficulty' must be easy, medium or hard"};
    q.level = *level;
    return {std::move(q), budget};
}

client_message read_message(const json& message, const std::string& type, const std::string& ref,
                            const limits& bounds) {
    if (type == "hello") return read_hello(message, bounds);
    if (type == "ping") return read_ping(message, ref);
    if (type == "question.push") return domain::command{read_push(message, bounds)};
    if (type == "leave") return domain::command{domain::leave{}};
    if (type == "notes.push") return domain::command{read_notes_push(message, bounds)};
    if (type == "notes.pull") {
        return domain::command{
            domain::notes_pull{read_doc(message), count_field(message, "version")}};
    }
    if (type == "notes.language") return domain::command{read_language(message)};
    if (type == "cursor") return domain::command{read_cursor(message)};
    if (type == "timer.command") return domain::command{read_timer_command(message)};
    if (type == "room.end") return domain::command{domain::end_interview{}};
    if (type == "room.reveal") return domain::command{domain::reveal_answers{}};
    if (type == "score.set") return domain::command{read_score(message, bounds)};
    std::size_t shown = std::min<std::size_t>(type.size(), 40);
    while (shown > 0 && shown < type.size() &&
           (static_cast<unsigned char>(type[shown]) & 0xc0) == 0x80) {
        --shown;  // never cut a UTF-8 sequence in half
    }
    throw field_error{"unknown message type '" + type.substr(0, shown) + "'"};
}

// ---- encoding --------------------------------------------------------------------------

std::string dump(const json& j) {
    // Bank text comes from files: replace invalid UTF-8 instead of throwing mid-broadcast.
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

json participants_json(const std::vector<domain::participant>& participants) {
    json list = json::array();
    for (const auto& p : participants) {
        list.push_back({{"id", p.id},
                        {"name", p.name},
                        {"role", domain::to_string(p.role_in_room)},
                        {"connected", p.connected()}});
    }
    return list;
}

// What everyone may see of a pushed question.
json public_question_json(const domain::pushed_question& q) {
    return {{"seq", q.seq},
            {"id", q.id},
            {"number", q.number ? json(*q.number) : json(nullptr)},
            {"text", q.text},
            {"difficulty", domain::to_string(q.level)},
            {"pushed_at", q.pushed_at},
            {"budget_ms", q.budget_ms}};
}

json interviewer_question_json(const domain::pushed_question& q) {
    json j = public_question_json(q);
    j["sample_answer"] = q.sample_answer;
    return j;
}

// `revealed`: the interviewer showed the sample answers of asked questions to everyone.
json question_json(const domain::pushed_question& q, domain::role recipient,
                   bool revealed = false) {
    return recipient == domain::role::interviewer || revealed ? interviewer_question_json(q)
                                                              : public_question_json(q);
}

json bank_json_for_interviewers(const domain::bank& b) {
    json questions = json::array();
    for (const auto& q : b.questions) {
        questions.push_back({{"id", q.id},
                             {"number", q.number},
                             {"text", q.text},
                             {"difficulty", domain::to_string(q.level)},
                             {"budget_ms", domain::budget_ms(b, q)},
                             {"sample_answer", q.sample_answer}});
    }
    return {{"id", b.id},
            {"title", b.title},
            {"description", b.description},
            {"questions", std::move(questions)}};
}

// The timer's state; the `timer` message adds its name, cause and author.
json timer_json(const domain::timer_view& t) {
    json j = {{"state", domain::to_string(t.state)},
              {"duration_ms", t.duration_ms},
              {"deadline", t.deadline ? json(*t.deadline) : json(nullptr)},
              {"remaining_ms", t.remaining_ms},
              {"rev", t.rev},
              {"warn_ms", t.warn_ms}};
    if (t.timer == domain::timer_id::question) {
        j["question"] = t.question_seq ? json(*t.question_seq) : json(nullptr);
    }
    return j;
}

json welcome_json(const domain::welcome_event& w, domain::role recipient) {
    const domain::room_info& info = *w.state.info;
    const bool interviewer = recipient == domain::role::interviewer;
    // Time spent is for interviewers only.
    const auto history_entry = [&](const domain::pushed_question& q) {
        json j = question_json(q, recipient, w.state.revealed);
        if (interviewer) j["time_spent_ms"] = q.time_spent_ms;
        return j;
    };
    json history = json::array();
    for (const auto& q : w.state.history) history.push_back(history_entry(q));
    json state = {{"participants", participants_json(w.state.participants)},
                  {"current",
                   w.state.history.empty() ? json(nullptr) : history_entry(w.state.history.back())},
                  {"history", std::move(history)},
                  {"language", domain::to_string(w.state.notes_language)},
                  {"timers",
                   {{"interview", timer_json(w.state.interview_timer)},
                    {"question", timer_json(w.state.question_timer)}}},
                  {"ended_at", w.state.ended_at ? json(*w.state.ended_at) : json(nullptr)},
                  {"revealed", w.state.revealed}};
    if (interviewer) {
        json scores = json::object();
        if (w.state.scores != nullptr) {
            for (const auto& [name, stored] : *w.state.scores) {
                scores[name] = {{"value", score_value_json(stored.value)}, {"rev", stored.rev}};
            }
        }
        state["scorecard"] = std::move(scores);
    }
    if (recipient == domain::role::interviewer) {
        state["bank"] = bank_json_for_interviewers(*info.question_bank);
    }
    return {{"type", "welcome"},
            {"role", domain::to_string(w.recipient_role)},
            {"you", w.you},
            {"room",
             {{"id", info.id},
              {"title", info.title},
              {"bank", {{"id", info.question_bank->id}, {"title", info.question_bank->title}}}}},
            {"now", w.state.now},
            {"state", std::move(state)}};
}

// The two messages sent for every keystroke, written directly (protocol/json_writer.hpp) with
// the bytes the DOM would have dumped: keys in nlohmann's (sorted) order.
std::string notes_updates_text(const domain::notes_updates_event& ev) {
    // One allocation for a keystroke: the fixed part and `from`, then per update its keys, id
    // and a small change set (append_change_set_json reserves more for a long insertion).
    std::size_t estimate = 64;
    for (const auto& update : ev.updates) estimate += 96 + update.client_id.size();
    std::string out;
    out.reserve(estimate);
    out.append("{\"doc\":");
    append_json_string(out, domain::to_string(ev.doc));
    out.append(",\"from\":");
    append_unsigned(out, ev.from);
    out.append(",\"type\":\"notes.updates\",\"updates\":");
    append_updates_json(out, ev.updates);
    out.push_back('}');
    return out;
}

std::string cursor_text(const domain::cursor_event& ev) {
    std::string out;
    out.reserve(80 + ev.participant.size() + 42 * ev.ranges.size());
    out.append("{\"doc\":");
    append_json_string(out, domain::to_string(ev.doc));
    out.append(",\"participant\":");
    append_json_string(out, ev.participant);
    out.append(",\"ranges\":[");
    bool first = true;
    for (const auto& [anchor, head] : ev.ranges) {
        out.append(first ? "[" : ",[");
        first = false;
        append_unsigned(out, anchor);
        out.push_back(',');
        append_unsigned(out, head);
        out.push_back(']');
    }
    out.append("],\"type\":\"cursor\",\"version\":");
    append_unsigned(out, ev.version);
    out.push_back('}');
    return out;
}

// Everything about the private notes is for interviewers only.
bool may_see(domain::doc_id doc, domain::role recipient) {
    return doc == domain::doc_id::shared || recipient == domain::role::interviewer;
}

json error_json(error_code code, std::string_view message, std::string_view ref) {
    json j = {{"type", "error"}, {"code", domain::to_string(code)}, {"message", message}};
    if (!ref.empty()) {
        auto parsed_ref = json::parse(ref, nullptr, false);
        if (!parsed_ref.is_discarded()) j["ref"] = std::move(parsed_ref);
    }
    return j;
}

}  // namespace

std::variant<protocol_error, parsed_message> parse_client_message(std::string_view text,
                                                                  const limits& bounds) {
    if (auto hot = parse_hot_message(text, bounds)) return std::move(*hot);
    return parse_client_message_dom(text, bounds);
}

std::variant<protocol_error, parsed_message> parse_client_message_dom(std::string_view text,
                                                                      const limits& bounds) {
    json message = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (message.is_discarded()) return protocol_error{error_code::bad_request, "invalid JSON", ""};
    if (!message.is_object()) {
        return protocol_error{error_code::bad_request, "a message must be a JSON object", ""};
    }
    std::string ref;
    try {
        ref = read_ref(message);
        const json& type = field(message, "type");
        if (!type.is_string()) throw field_error{"'type' must be a string"};
        auto parsed = read_message(message, type.get<std::string>(), ref, bounds);
        return parsed_message{std::move(parsed), std::move(ref)};
    } catch (const field_error& e) {
        return protocol_error{error_code::bad_request, e.message, ref};
    } catch (const json::exception& e) {
        return protocol_error{error_code::bad_request, e.what(), ref};
    }
}

std::string encode(const domain::event& e, domain::role recipient) {
    return std::visit(
        [&](const auto& ev) -> std::string {
            using type = std::decay_t<decltype(ev)>;
            if constexpr (std::is_same_v<type, domain::welcome_event>) {
                return dump(welcome_json(ev, recipient));
            } else if constexpr (std::is_same_v<type, domain::presence_event>) {
                return dump(
                    {{"type", "presence"}, {"participants", participants_json(ev.participants)}});
            } else if constexpr (std::is_same_v<type, domain::question_event>) {
                json j = {{"type", "question"},
                          {"question", question_json(ev.question, recipient)}};
                if (ev.replaced && recipient == domain::role::interviewer) {
                    j["time_spent"] = {{"seq", ev.replaced->seq}, {"ms", ev.replaced->ms}};
                }
                return dump(j);
            } else if constexpr (std::is_same_v<type, domain::ended_event>) {
                return dump({{"type", "ended"}, {"at", ev.at}, {"by", ev.by}});
            } else if constexpr (std::is_same_v<type, domain::revealed_event>) {
                json answers = json::array();
                for (const auto& [seq, answer] : ev.answers) {
                    answers.push_back({{"seq", seq}, {"sample_answer", answer}});
                }
                return dump({{"type", "revealed"}, {"answers", std::move(answers)}});
            } else if constexpr (std::is_same_v<type, domain::score_event>) {
                if (recipient != domain::role::interviewer) return {};  // never anyone else's
                return dump({{"type", "score"},
                             {"field", ev.field},
                             {"value", score_value_json(ev.value)},
                             {"rev", ev.rev},
                             {"by", ev.by}});
            } else if constexpr (std::is_same_v<type, domain::timer_event>) {
                json j = timer_json(ev.timer);
                j["type"] = "timer";
                j["timer"] = domain::to_string(ev.timer.timer);
                j["cause"] = ev.cause;
                j["by"] = ev.by.empty() ? json(nullptr) : json(ev.by);
                return dump(j);
            } else if constexpr (std::is_same_v<type, domain::notes_updates_event>) {
                if (!may_see(ev.doc, recipient)) return {};
                return notes_updates_text(ev);
            } else if constexpr (std::is_same_v<type, domain::notes_snapshot_event>) {
                if (!may_see(ev.doc, recipient)) return {};
                return dump({{"type", "notes.snapshot"},
                             {"doc", domain::to_string(ev.doc)},
                             {"version", ev.version},
                             {"text", utf16_to_utf8(ev.text)}});
            } else if constexpr (std::is_same_v<type, domain::language_event>) {
                return dump({{"type", "notes.language"},
                             {"language", domain::to_string(ev.to)},
                             {"by", ev.by}});
            } else if constexpr (std::is_same_v<type, domain::cursor_event>) {
                if (!may_see(ev.doc, recipient)) return {};
                return cursor_text(ev);
            } else {
                return dump(error_json(ev.code, ev.message, ev.ref));
            }
        },
        e);
}

bool encoding_depends_on_role(const domain::event& e) {
    return std::visit(
        [](const auto& ev) {
            using type = std::decay_t<decltype(ev)>;
            if constexpr (std::is_same_v<type, domain::notes_updates_event> ||
                          std::is_same_v<type, domain::notes_snapshot_event> ||
                          std::is_same_v<type, domain::cursor_event>) {
                return !may_see(ev.doc, domain::role::candidate);  // the private notes
            } else {
                // The welcome and questions are redacted per role, scores are interviewers'
                // only; the rest says the same to everyone.
                return std::is_same_v<type, domain::welcome_event> ||
                       std::is_same_v<type, domain::question_event> ||
                       std::is_same_v<type, domain::score_event>;
            }
        },
        e);
}

std::string encode_error(error_code code, std::string_view message, std::string_view ref) {
    return dump(error_json(code, message, ref));
}

std::string encode_pong(std::string_view id, std::string_view t0, std::int64_t t1,
                        std::int64_t t2) {
    return dump({{"type", "pong"},
                 {"id", json::parse(id, nullptr, false)},
                 {"t0", json::parse(t0, nullptr, false)},
                 {"t1", t1},
                 {"t2", t2}});
}

std::variant<protocol_error, create_room_request> parse_create_room(std::string_view body,
                                                                    const limits& bounds) {
    json request = json::parse(body, nullptr, false);
    if (request.is_discarded()) return protocol_error{error_code::bad_request, "invalid JSON", ""};
    if (!request.is_object()) {
        return protocol_error{error_code::bad_request, "the body must be a JSON object", ""};
    }
    try {
        create_room_request r;
        r.bank = string_field(request, "bank", max_id_bytes);
        if (request.contains("title") && !request["title"].is_null()) {
            r.title = trim(string_field(request, "title", bounds.max_title_bytes));
            if (has_control_character(r.title)) {
                throw field_error{"'title' has control characters"};
            }
        }
        if (auto length = optional_millis(request, "interview_ms")) {
            if (*length < 60'000 || *length > domain::max_timer_ms) {
                throw field_error{"'interview_ms' must be 60000 (1 min) to 86400000 (24 h)"};
            }
            r.timing.interview_ms = *length;
        }
        if (request.contains("warn_ms") && !request["warn_ms"].is_null()) {
            const json& thresholds = request["warn_ms"];
            if (!thresholds.is_array() || thresholds.size() > max_warnings) {
                throw field_error{"'warn_ms' must be an array of at most " +
                                  std::to_string(max_warnings) + " thresholds"};
            }
            r.timing.warn_ms.clear();
            for (const json& threshold : thresholds) {
                if (!threshold.is_number_integer() || threshold.get<std::int64_t>() < 1'000 ||
                    threshold.get<std::int64_t>() > domain::max_timer_ms) {
                    throw field_error{"each 'warn_ms' threshold is 1000 (1 s) to 86400000 (24 h)"};
                }
                r.timing.warn_ms.push_back(threshold.get<domain::millis>());
            }
            // Largest first, once each: the first threshold is where the warning colour starts.
            std::sort(r.timing.warn_ms.rbegin(), r.timing.warn_ms.rend());
            r.timing.warn_ms.erase(std::unique(r.timing.warn_ms.begin(), r.timing.warn_ms.end()),
                                   r.timing.warn_ms.end());
        }
        return r;
    } catch (const field_error& e) {
        return protocol_error{error_code::bad_request, e.message, ""};
    }
}

std::string http_error_body(error_code code, std::string_view message) {
    return dump({{"error", {{"code", domain::to_string(code)}, {"message", message}}}});
}

}  // namespace mockroom::protocol
