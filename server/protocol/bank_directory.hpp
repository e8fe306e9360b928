// Loading every bank in a directory: the good ones are served, each bad one is reported.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "domain/bank.hpp"

namespace mockroom::protocol {

struct loaded_banks {
    std::vector<std::shared_ptr<const domain::bank>> banks;  // sorted by file name
    std::vector<domain::bank_error> skipped;                 // file, line, reason
};

// Reads *.txt and *.json files, any letter case (not recursively). A second bank with an id already
// taken is skipped with an error naming both files. Throws std::filesystem::filesystem_error when
// the directory itself cannot be read.
loaded_banks load_bank_directory(const std::filesystem::path& directory);

}  // namespace mockroom::protocol
