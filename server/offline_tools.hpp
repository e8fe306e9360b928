// The command-line tools that work on a data directory without a running server:
// `mockroom export` (a room's report) and `mockroom purge` (retention).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "domain/bank.hpp"
#include "domain/room.hpp"
#include "protocol/report.hpp"

namespace mockroom::tools {

// Writes the report of `room_id` as `reader` sees it to stdout. Returns the exit status.
int export_report(const std::filesystem::path& data_dir, const std::string& room_id,
                  domain::role reader, protocol::report_format format,
                  const std::vector<std::shared_ptr<const domain::bank>>& banks);

// "30d", "12h", "90m", "45s" -> ms; nullopt for anything else.
std::optional<domain::millis> parse_age(const std::string& text);

// Deletes the rooms that ended more than `older_than` ms ago. Returns the exit status.
int purge_ended(const std::filesystem::path& data_dir, domain::millis older_than,
                const std::vector<std::shared_ptr<const domain::bank>>& banks);

}  // namespace mockroom::tools
