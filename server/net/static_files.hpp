// Serving the web client's files: content types, cache policy, and no escape from the root.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace mockroom::net {

// Maps a request target to a file under `root` (canonical). nullopt when the target is not a
// safe path: "..", a backslash, NUL, bad %-escapes, or a symlink leading outside the root.
// The client's routes ("/", "/room/<id>") map to index.html.
std::optional<std::filesystem::path> resolve_static_path(const std::filesystem::path& root,
                                                         std::string_view target);
std::string_view content_type_for(const std::filesystem::path& file);

}  // namespace mockroom::net
