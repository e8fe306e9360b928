// The JSON bank format ("mockroom-bank/1") and loading a bank file of either format.
// Lossless with the plain text: text -> JSON -> text gives the same bytes.
#pragma once

#include <filesystem>
#include <string_view>

#include <nlohmann/json.hpp>

#include "domain/bank.hpp"

namespace mockroom::protocol {

inline constexpr std::string_view bank_format = "mockroom-bank/1";

// {"format","id","title","navigation","description","minutes","questions":[{"number",
// "difficulty","text","sample_answer","minutes"}]}; navigation and description are always
// written, even when empty; the time budgets ("minutes":{"easy":4,"hard":20} on the bank,
// "minutes":12 on a question) only when set.
nlohmann::json bank_to_json(const domain::bank& b);

// Never throws. Syntax errors carry the line they were found on; other problems line 0.
// Texts are normalized (domain::normalize_text) and the result passes domain::validate_bank.
domain::bank_result bank_from_json(std::string_view text, std::string_view file);

// Picks the format by extension (.txt or .json, any letter case); a file that cannot be read
// is a bank_error naming it.
domain::bank_result load_bank_file(const std::filesystem::path& path);

}  // namespace mockroom::protocol
