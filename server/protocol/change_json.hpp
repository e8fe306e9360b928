// The JSON form of a change set, exactly as @codemirror/state writes it (ChangeSet.toJSON) and
// reads it (ChangeSet.fromJSON, but validating), plus the UTF-8 <-> UTF-16 conversions the
// server needs because CodeMirror counts positions in UTF-16 code units.
//
// [5, [2], [0, "a", "b"], 3] keeps 5 units, deletes 2, inserts "a\nb", keeps 3: a number keeps
// that many units, [n] deletes n, [n, line...] replaces n units with the lines joined by "\n".
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "domain/change_set.hpp"
#include "domain/document.hpp"
#include "domain/utf8.hpp"

namespace mockroom::protocol {

// Largest length accepted: any number in the JSON form, and the document lengths before and
// after the change (the document limits of the server are far lower; this keeps arithmetic far
// from overflow).
inline constexpr std::size_t max_change_units = std::size_t{1} << 31;

// Never throws. Rejects what CodeMirror could not have produced: anything but an array of
// non-negative integers and non-empty arrays [n, line...] with n a non-negative integer and
// every line a string of valid UTF-8 without '\r' or '\n' (a line break separates lines; it is
// never inside one) and without encoded surrogates; and lengths above max_change_units.
// Integral floats (2.0) count as integers, as they do in JavaScript. The result is normalized
// (change_set::from_parts), which leaves CodeMirror's own output unchanged.
std::variant<std::string, domain::change_set> change_set_from_json(const nlohmann::json& changes);

// Byte-identical to JSON.stringify(changes.toJSON()) once dumped with dump(). A lone surrogate
// in an inserted text (impossible in texts that came through change_set_from_json, but
// compose can cut a pair that a later change half-deletes) becomes U+FFFD.
nlohmann::json change_set_to_json(const domain::change_set& changes);

// Appends the text change_set_to_json(changes).dump() (with the replace error handler) would be,
// without building it (protocol/json_writer.hpp).
void append_change_set_json(std::string& out, const domain::change_set& changes);

// Appends [{"changes":...,"clientID":...},...]: a list of updates as notes.updates and the
// journal write it, keys sorted as nlohmann sorts them.
void append_updates_json(std::string& out, const std::vector<domain::text_update>& updates);

// The conversions live in the domain (the bank parser validates with them too).
using domain::utf16_to_utf8;
using domain::utf8_to_utf16;

}  // namespace mockroom::protocol
