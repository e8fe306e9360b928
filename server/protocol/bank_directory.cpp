#include "protocol/bank_directory.hpp"

#include <algorithm>
#include <cctype>
#include <map>

#include "protocol/bank_json.hpp"

namespace mockroom::protocol {

loaded_banks load_bank_directory(const std::filesystem::path& directory) {
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(directory)) {
        std::string ext = entry.path().extension().string();
        std::transform(ext.begin(), ext.end(), ext.begin(),
                       [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
        if (entry.is_regular_file() && (ext == ".txt" || ext == ".json")) {
            files.push_back(entry.path());
        }
    }
    std::sort(files.begin(), files.end());

    loaded_banks out;
    std::map<std::string, std::filesystem::path> file_of_id;
    for (const auto& file : files) {
        auto result = load_bank_file(file);
        if (auto* error = std::get_if<domain::bank_error>(&result)) {
            out.skipped.push_back(std::move(*error));
            continue;
        }
        auto& bank = std::get<domain::bank>(result);
        auto [it, inserted] = file_of_id.emplace(bank.id, file);
        if (!inserted) {
            out.skipped.push_back(
                {file.string(), 0,
                 "bank id '" + bank.id + "' is already used by " + it->second.string()});
            continue;
        }
        out.banks.push_back(std::make_shared<const domain::bank>(std::move(bank)));
    }
    return out;
}

}  // namespace mockroom::protocol
