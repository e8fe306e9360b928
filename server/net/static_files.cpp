#include "net/static_files.hpp"

#include <algorithm>
#include <system_error>

namespace mockroom::net {
namespace {

int hex_value(char ch) {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

std::optional<std::string> percent_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out.push_back(text[i]);
            continue;
        }
        if (i + 2 >= text.size()) return std::nullopt;
        int high = hex_value(text[i + 1]);
        int low = hex_value(text[i + 2]);
        if (high < 0 || low < 0) return std::nullopt;
        out.push_back(static_cast<char>(high * 16 + low));
        i += 2;
    }
    return out;
}

bool is_inside(const std::filesystem::path& root, const std::filesystem::path& candidate) {
    auto [root_end, _] =
        std::mismatch(root.begin(), root.end(), candidate.begin(), candidate.end());
    return root_end == root.end();
}

}  // namespace

std::optional<std::filesystem::path> resolve_static_path(const std::filesystem::path& root,
                                                         std::string_view target) {
    target = target.substr(0, target.find_first_of("?#"));
    auto decoded = percent_decode(target);
    if (!decoded || decoded->empty() || decoded->front() != '/') return std::nullopt;
    if (decoded->find('\0') != std::string::npos || decoded->find('\\') != std::string::npos) {
        return std::nullopt;
    }
    // The web client's own routes.
    if (*decoded == "/" || decoded->starts_with("/room/")) return root / "index.html";

    std::filesystem::path relative;
    std::string_view rest(*decoded);
    while (!rest.empty()) {
        auto slash = rest.find('/');
        std::string_view segment = rest.substr(0, slash);
        rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
        if (segment.empty() || segment == ".") continue;
        if (segment.front() == '.') return std::nullopt;  // "..", and hidden files
        relative /= std::string(segment);
    }
    if (relative.empty()) return root / "index.html";

    std::error_code ec;
    auto resolved = std::filesystem::weakly_canonical(root / relative, ec);
    if (ec || !is_inside(root, resolved)) return std::nullopt;  // e.g. a symlink out of the root
    return resolved;
}

std::string_view content_type_for(const std::filesystem::path& file) {
    const std::string ext = file.extension().string();
    if (ext == ".html") return "text/html; charset=utf-8";
    if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
    if (ext == ".css") return "text/css; charset=utf-8";
    if (ext == ".json" || ext == ".map") return "application/json";
    if (ext == ".svg") return "image/svg+xml";
    if (ext == ".png") return "image/png";
    if (ext == ".ico") return "image/x-icon";
    if (ext == ".woff2") return "font/woff2";
    if (ext == ".txt") return "text/plain; charset=utf-8";
    if (ext == ".webmanifest") return "application/manifest+json";
    return "application/octet-stream";
}

}  // namespace mockroom::net
