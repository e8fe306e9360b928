// The stored form of a room's journal entries and settings: one JSON text per entry. Written
// and read only by the server (the store keeps the texts opaque), versioned by "kind".
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "domain/room.hpp"

namespace mockroom::protocol {

std::string journal_to_json(const domain::journal_entry& entry);
// Never throws: a text that is not a valid entry gives the reason.
std::variant<std::string, domain::journal_entry> journal_from_json(std::string_view text);

// A room snapshot (domain::room::snapshot) as one JSON text. nullopt when it has no faithful
// JSON form (a document holding a lone surrogate): then no snapshot is written, the log is.
std::optional<std::string> snapshot_to_json(const std::vector<domain::journal_entry>& entries);
std::variant<std::string, std::vector<domain::journal_entry>> snapshot_from_json(
    std::string_view text);

std::string settings_to_json(const domain::timing_settings& timing);
std::variant<std::string, domain::timing_settings> settings_from_json(std::string_view text);

}  // namespace mockroom::protocol
