#include "protocol/codec.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

#include "protocol/change_json.hpp"

namespace mockroom::protocol {
namespace {

using domain::error_code;
using nlohmann::json;

constexpr std::size_t max_ref_bytes = 64;
constexpr std::size_t max_id_bytes = 64;  // room ids, question ids
constexpr std::size_t max_token_bytes = 128;

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
    if (has_bank_question) return {string_field(message, "question", max_id_bytes)};
    const json& custom = message["custom"];
    if (!custom.is_object()) throw field_error{"'custom' must be an object"};
    domain::custom_question q;
    // Over-long text is the domain's to refuse (too_large); here only absurd sizes are cut.
    q.text = string_field(custom, "text", bounds.max_message_bytes);
    auto level = domain::parse_difficulty(string_field(custom, "difficulty", 16));
    if (!level) throw field_error{"'difficulty' must be easy, medium or hard"};
    q.level = *level;
    return {std::move(q)};
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
            {"pushed_at", q.pushed_at}};
}

json interviewer_question_json(const domain::pushed_question& q) {
    json j = public_question_json(q);
    j["sample_answer"] = q.sample_answer;
    return j;
}

json question_json(const domain::pushed_question& q, domain::role recipient) {
    return recipient == domain::role::interviewer ? interviewer_question_json(q)
                                                  : public_question_json(q);
}

json bank_json_for_interviewers(const domain::bank& b) {
    json questions = json::array();
    for (const auto& q : b.questions) {
        questions.push_back({{"id", q.id},
                             {"number", q.number},
                             {"text", q.text},
                             {"difficulty", domain::to_string(q.level)},
                             {"sample_answer", q.sample_answer}});
    }
    return {{"id", b.id},
            {"title", b.title},
            {"description", b.description},
            {"questions", std::move(questions)}};
}

json welcome_json(const domain::welcome_event& w, domain::role recipient) {
    const domain::room_info& info = *w.state.info;
    json history = json::array();
    for (const auto& q : w.state.history) history.push_back(question_json(q, recipient));
    json state = {
        {"participants", participants_json(w.state.participants)},
        {"current", w.state.history.empty() ? json(nullptr)
                                            : question_json(w.state.history.back(), recipient)},
        {"history", std::move(history)},
        {"language", domain::to_string(w.state.notes_language)}};
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
            {"state", std::move(state)}};
}

json updates_json(const std::vector<domain::text_update>& updates) {
    json list = json::array();
    for (const auto& update : updates) {
        list.push_back(
            {{"clientID", update.client_id}, {"changes", change_set_to_json(update.changes)}});
    }
    return list;
}

json ranges_json(const domain::cursor_ranges& ranges) {
    json list = json::array();
    for (const auto& [anchor, head] : ranges) list.push_back({anchor, head});
    return list;
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
                return dump(
                    {{"type", "question"}, {"question", question_json(ev.question, recipient)}});
            } else if constexpr (std::is_same_v<type, domain::notes_updates_event>) {
                if (!may_see(ev.doc, recipient)) return {};
                return dump({{"type", "notes.updates"},
                             {"doc", domain::to_string(ev.doc)},
                             {"from", ev.from},
                             {"updates", updates_json(ev.updates)}});
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
                return dump({{"type", "cursor"},
                             {"doc", domain::to_string(ev.doc)},
                             {"participant", ev.participant},
                             {"version", ev.version},
                             {"ranges", ranges_json(ev.ranges)}});
            } else {
                return dump(error_json(ev.code, ev.message, ev.ref));
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
        return r;
    } catch (const field_error& e) {
        return protocol_error{error_code::bad_request, e.message, ""};
    }
}

std::string http_error_body(error_code code, std::string_view message) {
    return dump({{"error", {{"code", domain::to_string(code)}, {"message", message}}}});
}

}  // namespace mockroom::protocol
