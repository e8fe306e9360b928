// Cheap reading of the frames a load client receives by the ten thousand a second: a single
// pass over the text that finds the members it needs as views into the frame, with no tree,
// no allocation and no unescaping. Only well-formed JSON from the server or the relay is
// expected; anything it cannot follow makes the scan return false.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace mockroom::load {

// The members of a top-level object a load client looks at; each is the raw value text
// (strings with their quotes), empty when absent.
struct frame_fields {
    std::string_view type;
    std::string_view doc;
    std::string_view from;
    std::string_view version;
    std::string_view participant;
    std::string_view updates;
    std::string_view ranges;
    std::string_view code;
    std::string_view you;
    std::string_view text;
};

bool scan_frame(std::string_view frame, frame_fields& out);

// The characters between the quotes of a raw string value (escapes left as they are); the
// text unchanged if it is not a string.
std::string_view unquote(std::string_view raw);

std::optional<std::int64_t> to_integer(std::string_view raw);

// UTF-16 code units of a JSON string's raw contents (between the quotes).
std::int64_t utf16_length(std::string_view raw_contents);

// Calls visit(element) for each element of a raw array. False if it is not a well-formed array.
template <typename Visit>
bool for_each_element(std::string_view array, Visit&& visit);

// Calls visit(key, value) for each member of a raw object (the key without quotes).
template <typename Visit>
bool for_each_member(std::string_view object, Visit&& visit);

// A latency token the generator inserts: `~<scheduled µs>.<typist>;`.
struct latency_token {
    std::int64_t scheduled_us;
    std::int64_t typist;
};

// Calls found(token) for every latency token in a raw string's contents.
template <typename Found>
void for_each_token(std::string_view contents, Found&& found);

// A change set (CodeMirror ChangeSet.toJSON()): its lengths before and after, and the tokens
// in its insertions through found(token).
struct change_lengths {
    std::int64_t before = 0;
    std::int64_t after = 0;
};
template <typename Found>
std::optional<change_lengths> walk_changes(std::string_view changes, Found&& found);

namespace detail {
// The end (one past) of the JSON value starting at `at` (after whitespace), or npos.
std::size_t skip_value(std::string_view text, std::size_t at);
std::size_t skip_space(std::string_view text, std::size_t at);
}  // namespace detail

template <typename Visit>
bool for_each_element(std::string_view array, Visit&& visit) {
    std::size_t at = detail::skip_space(array, 0);
    if (at >= array.size() || array[at] != '[') return false;
    at = detail::skip_space(array, at + 1);
    if (at < array.size() && array[at] == ']') return true;
    while (at < array.size()) {
        const std::size_t end = detail::skip_value(array, at);
        if (end == std::string_view::npos) return false;
        visit(array.substr(at, end - at));
        at = detail::skip_space(array, end);
        if (at >= array.size()) return false;
        if (array[at] == ']') return true;
        if (array[at] != ',') return false;
        at = detail::skip_space(array, at + 1);
    }
    return false;
}

template <typename Visit>
bool for_each_member(std::string_view object, Visit&& visit) {
    std::size_t at = detail::skip_space(object, 0);
    if (at >= object.size() || object[at] != '{') return false;
    at = detail::skip_space(object, at + 1);
    if (at < object.size() && object[at] == '}') return true;
    while (at < object.size()) {
        if (object[at] != '"') return false;
        const std::size_t key_end = detail::skip_value(object, at);
        if (key_end == std::string_view::npos) return false;
        const std::string_view key = object.substr(at + 1, key_end - at - 2);
        at = detail::skip_space(object, key_end);
        if (at >= object.size() || object[at] != ':') return false;
        at = detail::skip_space(object, at + 1);
        const std::size_t end = detail::skip_value(object, at);
        if (end == std::string_view::npos) return false;
        visit(key, object.substr(at, end - at));
        at = detail::skip_space(object, end);
        if (at >= object.size()) return false;
        if (object[at] == '}') return true;
        if (object[at] != ',') return false;
        at = detail::skip_space(object, at + 1);
    }
    return false;
}

template <typename Found>
void for_each_token(std::string_view contents, Found&& found) {
    std::size_t at = contents.find('~');
    while (at != std::string_view::npos) {
        // ~digits.digits;
        std::size_t i = at + 1;
        std::int64_t scheduled = 0, typist = 0;
        const std::size_t scheduled_start = i;
        while (i < contents.size() && contents[i] >= '0' && contents[i] <= '9')
            scheduled = scheduled * 10 + (contents[i++] - '0');
        bool ok = i > scheduled_start && i < contents.size() && contents[i] == '.';
        if (ok) {
            const std::size_t typist_start = ++i;
            while (i < contents.size() && contents[i] >= '0' && contents[i] <= '9')
                typist = typist * 10 + (contents[i++] - '0');
            ok = i > typist_start && i < contents.size() && contents[i] == ';';
        }
        if (ok) found(latency_token{scheduled, typist});
        at = contents.find('~', at + 1);
    }
}

template <typename Found>
std::optional<change_lengths> walk_changes(std::string_view changes, Found&& found) {
    change_lengths lengths;
    bool ok = true;
    const bool well_formed = for_each_element(changes, [&](std::string_view part) {
        if (!ok) return;
        if (part.front() != '[') {  // a number: kept units
            const auto kept = to_integer(part);
            if (!kept) {
                ok = false;
                return;
            }
            lengths.before += *kept;
            lengths.after += *kept;
            return;
        }
        // [deleted, "line", "line", ...]: the lines are joined by "\n".
        bool first = true;
        std::int64_t lines = 0;
        ok = for_each_element(part,
                              [&](std::string_view item) {
                                  if (first) {
                                      first = false;
                                      const auto deleted = to_integer(item);
                                      if (!deleted) {
                                          ok = false;
                                          return;
                                      }
                                      lengths.before += *deleted;
                                      return;
                                  }
                                  const std::string_view contents = unquote(item);
                                  lengths.after += utf16_length(contents);
                                  ++lines;
                                  for_each_token(contents, found);
                              }) &&
             ok && !first;
        if (lines > 1) lengths.after += lines - 1;
    });
    if (!well_formed || !ok) return std::nullopt;
    return lengths;
}

}  // namespace mockroom::load
