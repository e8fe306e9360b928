#include "protocol/journal_json.hpp"

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "domain/utf8.hpp"
#include "protocol/change_json.hpp"
#include "protocol/json_writer.hpp"

namespace mockroom::protocol {
namespace {

using nlohmann::json;

struct bad_entry : std::runtime_error {
    using std::runtime_error::runtime_error;
};

template <class Enum, std::size_t N>
Enum enum_from(const json& value, const std::pair<std::string_view, Enum> (&names)[N]) {
    const std::string text = value.get<std::string>();
    for (const auto& [name, e] : names) {
        if (name == text) return e;
    }
    throw bad_entry("unknown value '" + text + "'");
}

constexpr std::pair<std::string_view, domain::role> roles[] = {
    {"interviewer", domain::role::interviewer},
    {"candidate", domain::role::candidate},
    {"observer", domain::role::observer}};
constexpr std::pair<std::string_view, domain::doc_id> docs[] = {
    {"shared", domain::doc_id::shared}, {"private", domain::doc_id::private_notes}};
constexpr std::pair<std::string_view, domain::language> languages[] = {
    {"plain", domain::language::plain},
    {"markdown", domain::language::markdown},
    {"python", domain::language::python}};
constexpr std::pair<std::string_view, domain::timer_id> timers[] = {
    {"interview", domain::timer_id::interview}, {"question", domain::timer_id::question}};
constexpr std::pair<std::string_view, domain::timer_state> states[] = {
    {"idle", domain::timer_state::idle},
    {"running", domain::timer_state::running},
    {"paused", domain::timer_state::paused},
    {"expired", domain::timer_state::expired}};

json question_json(const domain::pushed_question& q) {
    return {{"seq", q.seq},
            {"id", q.id},
            {"number", q.number ? json(*q.number) : json(nullptr)},
            {"text", q.text},
            {"difficulty", domain::to_string(q.level)},
            {"sample_answer", q.sample_answer},
            {"pushed_at", q.pushed_at},
            {"budget_ms", q.budget_ms},
            {"time_spent_ms", q.time_spent_ms}};
}

domain::pushed_question question_from(const json& j) {
    domain::pushed_question q;
    q.seq = j.at("seq").get<int>();
    q.id = j.at("id").get<std::string>();
    if (!j.at("number").is_null()) q.number = j.at("number").get<int>();
    q.text = j.at("text").get<std::string>();
    auto level = domain::parse_difficulty(j.at("difficulty").get<std::string>());
    if (!level) throw bad_entry("unknown difficulty");
    q.level = *level;
    q.sample_answer = j.at("sample_answer").get<std::string>();
    q.pushed_at = j.at("pushed_at").get<domain::millis>();
    q.budget_ms = j.at("budget_ms").get<domain::millis>();
    q.time_spent_ms = j.at("time_spent_ms").get<domain::millis>();
    return q;
}

json updates_json(const std::vector<domain::text_update>& updates) {
    json list = json::array();
    for (const auto& u : updates) {
        list.push_back({{"clientID", u.client_id}, {"changes", change_set_to_json(u.changes)}});
    }
    return list;
}

std::vector<domain::text_update> updates_from(const json& list) {
    std::vector<domain::text_update> updates;
    for (const auto& u : list) {
        auto changes = change_set_from_json(u.at("changes"));
        if (auto* error = std::get_if<std::string>(&changes)) throw bad_entry(*error);
        updates.push_back({u.at("clientID").get<std::string>(),
                           std::move(std::get<domain::change_set>(changes))});
    }
    return updates;
}

json score_json(const domain::score_value& value) {
    if (const auto* number = std::get_if<int>(&value)) return *number;
    if (const auto* text = std::get_if<std::string>(&value)) return *text;
    return nullptr;
}

json entry_json(const domain::journal_entry& entry) {
    return std::visit(
        [](const auto& e) -> json {
            using type = std::decay_t<decltype(e)>;
            if constexpr (std::is_same_v<type, domain::participant_joined>) {
                return {{"kind", "joined"},
                        {"id", e.id},
                        {"name", e.name},
                        {"role", domain::to_string(e.role_in_room)},
                        {"client", e.client_id}};
            } else if constexpr (std::is_same_v<type, domain::participant_left>) {
                return {{"kind", "left"}, {"id", e.id}};
            } else if constexpr (std::is_same_v<type, domain::question_asked>) {
                return {{"kind", "asked"},
                        {"question", question_json(e.question)},
                        {"replaced_time_spent", e.replaced_time_spent}};
            } else if constexpr (std::is_same_v<type, domain::notes_accepted>) {
                return {{"kind", "notes"},
                        {"doc", domain::to_string(e.doc)},
                        {"updates", updates_json(e.updates)}};
            } else if constexpr (std::is_same_v<type, domain::language_changed>) {
                return {{"kind", "language"}, {"language", domain::to_string(e.to)}};
            } else if constexpr (std::is_same_v<type, domain::interview_ended>) {
                return {{"kind", "ended"}, {"at", e.at}};
            } else if constexpr (std::is_same_v<type, domain::answers_revealed>) {
                return {{"kind", "revealed"}};
            } else if constexpr (std::is_same_v<type, domain::score_changed>) {
                return {{"kind", "score"},
                        {"field", e.field},
                        {"value", score_json(e.now.value)},
                        {"rev", e.now.rev}};
            } else if constexpr (std::is_same_v<type, domain::notes_restored>) {
                return {{"kind", "notes_restored"},
                        {"doc", domain::to_string(e.doc)},
                        {"first_version", e.first_version},
                        {"text", domain::utf16_to_utf8(e.text)},
                        {"kept", updates_json(e.kept)}};
            } else if constexpr (std::is_same_v<type, domain::numbering_restored>) {
                return {{"kind", "numbering"}, {"next_participant", e.next_participant}};
            } else {
                const auto& s = e.state;
                return {{"kind", "timer"},
                        {"timer", domain::to_string(e.timer)},
                        {"state", domain::to_string(s.state)},
                        {"duration", s.duration},
                        {"remaining", s.remaining},
                        {"deadline", s.deadline},
                        {"rev", s.rev},
                        {"active_before", s.active_before},
                        {"active_since", s.active_since ? json(*s.active_since) : json(nullptr)}};
            }
        },
        entry);
}

// Throws (bad_entry, json errors) for anything that is not a valid entry.
domain::journal_entry entry_from(const json& j) {
    if (!j.is_object()) throw bad_entry("an entry is not a JSON object");
    const std::string kind = j.at("kind").get<std::string>();
    if (kind == "joined") {
        return domain::participant_joined{
            j.at("id").get<std::string>(), j.at("name").get<std::string>(),
            enum_from(j.at("role"), roles), j.at("client").get<std::string>()};
    }
    if (kind == "left") return domain::participant_left{j.at("id").get<std::string>()};
    if (kind == "asked") {
        return domain::question_asked{question_from(j.at("question")),
                                      j.at("replaced_time_spent").get<domain::millis>()};
    }
    if (kind == "notes") {
        return domain::notes_accepted{enum_from(j.at("doc"), docs), updates_from(j.at("updates"))};
    }
    if (kind == "language") return domain::language_changed{enum_from(j.at("language"), languages)};
    if (kind == "ended") return domain::interview_ended{j.at("at").get<domain::millis>()};
    if (kind == "revealed") return domain::answers_revealed{};
    if (kind == "score") {
        const json& value = j.at("value");
        domain::score_value stored;
        if (value.is_number_integer()) {
            stored = value.get<int>();
        } else if (value.is_string()) {
            stored = value.get<std::string>();
        } else if (!value.is_null()) {
            throw bad_entry("a score is null, a number or text");
        }
        return domain::score_changed{j.at("field").get<std::string>(),
                                     {std::move(stored), j.at("rev").get<std::uint64_t>()}};
    }
    if (kind == "timer") {
        domain::countdown::saved s;
        s.state = enum_from(j.at("state"), states);
        s.duration = j.at("duration").get<domain::millis>();
        s.remaining = j.at("remaining").get<domain::millis>();
        s.deadline = j.at("deadline").get<domain::millis>();
        s.rev = j.at("rev").get<std::uint64_t>();
        s.active_before = j.at("active_before").get<domain::millis>();
        if (!j.at("active_since").is_null()) {
            s.active_since = j.at("active_since").get<domain::millis>();
        }
        return domain::timer_changed{enum_from(j.at("timer"), timers), s};
    }
    if (kind == "notes_restored") {
        auto text = domain::utf8_to_utf16(j.at("text").get<std::string>());
        if (!text) throw bad_entry("a snapshot's text is not UTF-8");
        return domain::notes_restored{enum_from(j.at("doc"), docs),
                                      j.at("first_version").get<std::size_t>(), std::move(*text),
                                      updates_from(j.at("kept"))};
    }
    if (kind == "numbering") {
        return domain::numbering_restored{j.at("next_participant").get<int>()};
    }
    throw bad_entry("unknown kind '" + kind + "'");
}

// A lone surrogate in a document (a client may delete half a pair) has no UTF-8 form.
bool has_lone_surrogate(std::u16string_view text) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (domain::is_high_surrogate(text[i]) && i + 1 < text.size() &&
            domain::is_low_surrogate(text[i + 1])) {
            ++i;
        } else if (domain::is_high_surrogate(text[i]) || domain::is_low_surrogate(text[i])) {
            return true;
        }
    }
    return false;
}

}  // namespace

std::string journal_to_json(const domain::journal_entry& entry) {
    // Notes entries, one per accepted push, are written directly (protocol/json_writer.hpp) with
    // the bytes entry_json would have dumped; the rare kinds go through the DOM.
    if (const auto* notes = std::get_if<domain::notes_accepted>(&entry)) {
        std::size_t estimate = 64;
        for (const auto& update : notes->updates) estimate += 96 + update.client_id.size();
        std::string out;
        out.reserve(estimate);
        out.append("{\"doc\":");
        append_json_string(out, domain::to_string(notes->doc));
        out.append(",\"kind\":\"notes\",\"updates\":");
        append_updates_json(out, notes->updates);
        out.push_back('}');
        return out;
    }
    return entry_json(entry).dump(-1, ' ', false, json::error_handler_t::replace);
}

std::variant<std::string, domain::journal_entry> journal_from_json(std::string_view text) {
    const json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return std::string("not a JSON object");
    try {
        return entry_from(j);
    } catch (const std::exception& e) {
        return std::string(e.what());
    }
}

std::optional<std::string> snapshot_to_json(const std::vector<domain::journal_entry>& entries) {
    json list = json::array();
    for (const auto& entry : entries) {
        if (const auto* notes = std::get_if<domain::notes_restored>(&entry);
            notes != nullptr && has_lone_surrogate(notes->text)) {
            return std::nullopt;
        }
        list.push_back(entry_json(entry));
    }
    const json j = {{"kind", "snapshot"}, {"entries", std::move(list)}};
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::variant<std::string, std::vector<domain::journal_entry>> snapshot_from_json(
    std::string_view text) {
    const json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return std::string("not a JSON object");
    try {
        if (j.at("kind") != "snapshot") return std::string("not a snapshot");
        std::vector<domain::journal_entry> entries;
        for (const auto& entry : j.at("entries")) entries.push_back(entry_from(entry));
        return entries;
    } catch (const std::exception& e) {
        return std::string(e.what());
    }
}

std::string settings_to_json(const domain::timing_settings& timing) {
    return json{{"interview_ms", timing.interview_ms}, {"warn_ms", timing.warn_ms}}.dump();
}

std::variant<std::string, domain::timing_settings> settings_from_json(std::string_view text) {
    const json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        return std::string("room settings are not a JSON object");
    try {
        domain::timing_settings timing;
        timing.interview_ms = j.at("interview_ms").get<domain::millis>();
        timing.warn_ms = j.at("warn_ms").get<std::vector<domain::millis>>();
        return timing;
    } catch (const std::exception& e) {
        return std::string(e.what());
    }
}

}  // namespace mockroom::protocol
