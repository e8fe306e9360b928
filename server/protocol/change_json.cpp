#include "protocol/change_json.hpp"

#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include "protocol/json_writer.hpp"

namespace mockroom::protocol {
namespace {

using nlohmann::json;

// A non-negative integer no larger than max_change_units, or nullopt. nlohmann stores
// non-negative literals as unsigned, but a json built in code may hold a signed or a float.
std::optional<std::size_t> read_length(const json& value) {
    if (value.is_number_unsigned()) {
        const auto n = value.get<std::uint64_t>();
        if (n <= max_change_units) return static_cast<std::size_t>(n);
    } else if (value.is_number_integer()) {
        const auto n = value.get<std::int64_t>();
        if (n >= 0 && static_cast<std::uint64_t>(n) <= max_change_units) {
            return static_cast<std::size_t>(n);
        }
    } else if (value.is_number_float()) {
        const double d = value.get<double>();
        if (d >= 0 && d <= static_cast<double>(max_change_units) && std::floor(d) == d) {
            return static_cast<std::size_t>(d);
        }
    }
    return std::nullopt;
}

std::string at(std::size_t index) {
    return "changes[" + std::to_string(index) + "]";
}

// [n, line...] -> the replacement, or an error naming what is wrong.
std::variant<std::string, domain::change_set::replace> read_replace(const json& part,
                                                                    std::size_t index) {
    if (part.empty()) return at(index) + ": an empty array";
    const auto deleted = read_length(part[0]);
    if (!deleted) {
        return at(index) + ": the length must be an integer from 0 to " +
               std::to_string(max_change_units);
    }
    domain::change_set::replace result{*deleted, {}};
    for (std::size_t line = 1; line < part.size(); ++line) {
        const json& text = part[line];
        auto error = [&](const char* what) {
            return at(index) + "[" + std::to_string(line) + "]: " + what;
        };
        if (!text.is_string()) return error("a line must be a string");
        const auto& utf8 = text.get_ref<const std::string&>();
        if (utf8.find('\r') != std::string::npos) return error("a line cannot contain \\r");
        if (utf8.find('\n') != std::string::npos) return error("a line cannot contain \\n");
        auto units = utf8_to_utf16(utf8);
        if (!units) return error("invalid UTF-8 or a lone surrogate");
        if (line > 1) result.inserted.push_back(u'\n');
        result.inserted.append(*units);
        if (result.inserted.size() > max_change_units) return error("the insertion is too long");
    }
    return result;
}

}  // namespace

std::variant<std::string, domain::change_set> change_set_from_json(const json& changes) {
    if (!changes.is_array()) return std::string("changes: must be an array");
    std::vector<domain::change_set::part> parts;
    parts.reserve(changes.size());
    std::size_t length = 0;      // of the document before
    std::size_t new_length = 0;  // and after
    for (std::size_t i = 0; i < changes.size(); ++i) {
        const auto& part = changes[i];
        if (part.is_number()) {
            const auto kept = read_length(part);
            if (!kept) {
                return at(i) + ": a kept length must be an integer from 0 to " +
                       std::to_string(max_change_units);
            }
            parts.emplace_back(domain::change_set::keep{*kept});
            length += *kept;
            new_length += *kept;
        } else if (part.is_array()) {
            auto replaced = read_replace(part, i);
            if (auto* error = std::get_if<std::string>(&replaced)) return std::move(*error);
            auto& r = std::get<domain::change_set::replace>(replaced);
            length += r.deleted;
            new_length += r.inserted.size();
            parts.emplace_back(std::move(r));
        } else {
            return at(i) + ": must be a number or an array";
        }
        // Each step adds at most max_change_units, so the sums cannot overflow before this.
        if (length > max_change_units || new_length > max_change_units) {
            return std::string("changes: the document would be longer than ") +
                   std::to_string(max_change_units) + " units";
        }
    }
    return domain::change_set::from_parts(parts);
}

json change_set_to_json(const domain::change_set& changes) {
    json result = json::array();
    for (const auto& part : changes.parts()) {
        if (const auto* k = std::get_if<domain::change_set::keep>(&part)) {
            result.push_back(k->length);
            continue;
        }
        const auto& r = std::get<domain::change_set::replace>(part);
        json replaced = json::array({r.deleted});
        if (!r.inserted.empty()) {
            // One string per line, as CodeMirror's Text keeps them: "" before/after a leading
            // or trailing '\n'.
            std::u16string_view rest = r.inserted;
            for (;;) {
                const auto newline = rest.find(u'\n');
                replaced.push_back(utf16_to_utf8(rest.substr(0, newline)));
                if (newline == std::u16string_view::npos) break;
                rest.remove_prefix(newline + 1);
            }
        }
        result.push_back(std::move(replaced));
    }
    return result;
}

void append_change_set_json(std::string& out, const domain::change_set& changes) {
    // parts() makes one vector, and copies the insertions too long for the small-string
    // buffer; the change set offers no cheaper way to read its sections.
    const auto parts = changes.parts();
    // Room for a long insertion at once; the callers' reserve covers a keystroke's change set.
    std::size_t estimate = 2 + 8 * parts.size();
    for (const auto& part : parts) {
        if (const auto* r = std::get_if<domain::change_set::replace>(&part)) {
            estimate += r->inserted.size();
        }
    }
    out.reserve(out.size() + estimate);
    out.push_back('[');
    bool first = true;
    for (const auto& part : parts) {
        if (!first) out.push_back(',');
        first = false;
        if (const auto* k = std::get_if<domain::change_set::keep>(&part)) {
            append_unsigned(out, k->length);
            continue;
        }
        const auto& r = std::get<domain::change_set::replace>(part);
        out.push_back('[');
        append_unsigned(out, r.deleted);
        if (!r.inserted.empty()) {
            // One string per line, as in change_set_to_json.
            std::u16string_view rest = r.inserted;
            for (;;) {
                const auto newline = rest.find(u'\n');
                out.push_back(',');
                append_json_string(out, rest.substr(0, newline));
                if (newline == std::u16string_view::npos) break;
                rest.remove_prefix(newline + 1);
            }
        }
        out.push_back(']');
    }
    out.push_back(']');
}

void append_updates_json(std::string& out, const std::vector<domain::text_update>& updates) {
    out.push_back('[');
    bool first = true;
    for (const auto& update : updates) {
        out.append(first ? "{\"changes\":" : ",{\"changes\":");
        first = false;
        append_change_set_json(out, update.changes);
        out.append(",\"clientID\":");
        append_json_string(out, update.client_id);
        out.push_back('}');
    }
    out.push_back(']');
}

}  // namespace mockroom::protocol
