#include "protocol/bank_json.hpp"

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <utility>

namespace mockroom::protocol {
namespace {

using nlohmann::json;

// Thrown by the readers below and caught in bank_from_json, which never lets it out: it keeps
// each reader a few lines long instead of threading an error through every call.
struct invalid_bank {
    std::string reason;
};

[[noreturn]] void fail(std::string reason) {
    throw invalid_bank{std::move(reason)};
}

domain::bank_error error_in(std::string_view file, int line, std::string reason) {
    return {std::string(file), line, std::move(reason)};
}

// ---- Syntax ----

// nlohmann reports the offset just past the offending byte.
int line_at_byte(std::string_view text, std::size_t byte) {
    const auto end = std::min(byte > 0 ? byte - 1 : 0, text.size());
    return 1 + static_cast<int>(
                   std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(end), '\n'));
}

// "[json.exception.parse_error.101] parse error at line 1, column 2: syntax error ..." -> the
// part after the position, which already says what was wrong.
std::string describe_parse_error(const json::parse_error& e) {
    const std::string_view what = e.what();
    const auto column = what.find("column");
    const auto colon = what.find(": ", column == std::string_view::npos ? 0 : column);
    if (colon == std::string_view::npos) return "invalid json";
    return "invalid json: " + std::string(what.substr(colon + 2));
}

std::variant<domain::bank_error, json> parse_json(std::string_view text, std::string_view file) {
    try {
        return json::parse(text.begin(), text.end());
    } catch (const json::parse_error& e) {
        return error_in(file, line_at_byte(text, e.byte), describe_parse_error(e));
    }
}

// ---- Fields ----

const json& required(const json& object, const char* key, const std::string& where) {
    const auto it = object.find(key);
    if (it == object.end()) fail(where + " is missing");
    return *it;
}

std::string as_string(const json& value, const std::string& where) {
    if (!value.is_string()) fail(where + " must be a string");
    return value.get<std::string>();
}

std::string required_string(const json& object, const char* key, const std::string& where) {
    return as_string(required(object, key, where), where);
}

std::optional<std::string> optional_string(const json& object, const char* key) {
    const auto it = object.find(key);
    if (it == object.end()) return std::nullopt;
    return as_string(*it, key);
}

// Normalized so that what JSON carries is exactly what the text format would read back.
std::string required_text(const json& object, const char* key, const std::string& where) {
    auto text = domain::normalize_text(required_string(object, key, where));
    if (text.empty()) fail(where + " is empty");
    return text;
}

domain::difficulty read_difficulty(const json& object, const std::string& where) {
    const auto name = required_string(object, "difficulty", where);
    if (auto level = domain::parse_difficulty(name)) return *level;
    fail(where + " \"" + name + "\" is not easy, medium or hard");
}

// A budget in whole minutes, 1 to domain::max_budget_minutes.
int read_minutes(const json& value, const std::string& where) {
    const auto range = " (1 to " + std::to_string(domain::max_budget_minutes) + ")";
    if (!value.is_number_integer()) fail(where + " must be an integer number of minutes" + range);
    if (!value.is_number_unsigned() || value.get<std::uint64_t>() < 1 ||
        value.get<std::uint64_t>() > static_cast<std::uint64_t>(domain::max_budget_minutes))
        fail(where + " is " + value.dump() + ", out of range" + range);
    return value.get<int>();
}

std::optional<int> optional_minutes(const json& object, const std::string& where) {
    const auto it = object.find("minutes");
    if (it == object.end()) return std::nullopt;
    return read_minutes(*it, where);
}

// {"easy":4,"hard":20}: any of the three difficulties, nothing else.
domain::minutes_by_difficulty read_minutes_by_difficulty(const json& root) {
    domain::minutes_by_difficulty out;
    const auto it = root.find("minutes");
    if (it == root.end()) return out;
    if (!it->is_object()) fail("minutes must be an object like {\"easy\":4,\"hard\":20}");
    for (const auto& [key, value] : it->items()) {
        const auto level = domain::parse_difficulty(key);
        if (!level || domain::to_string(*level) != key)
            fail("minutes has an unknown key \"" + key + "\" (expected easy, medium or hard)");
        auto& slot = *level == domain::difficulty::easy     ? out.easy
                     : *level == domain::difficulty::medium ? out.medium
                                                            : out.hard;
        slot = read_minutes(value, "minutes." + key);
    }
    return out;
}

json minutes_to_json(const domain::minutes_by_difficulty& minutes) {
    json out = json::object();
    for (auto d : {domain::difficulty::easy, domain::difficulty::medium, domain::difficulty::hard})
        if (auto value = minutes.of(d)) out[std::string(domain::to_string(d))] = *value;
    return out;
}

int read_number(const json& object, const std::string& where, std::size_t expected) {
    const json& value = required(object, "number", where);
    if (!value.is_number_integer()) fail(where + " must be an integer");
    if (!value.is_number_unsigned() || value.get<std::uint64_t>() != expected)
        fail(where + " is " + value.dump() + " but expected " + std::to_string(expected) +
             " (questions are numbered 1, 2, 3... in order)");
    return static_cast<int>(expected);
}

domain::question read_question(const json& value, std::size_t index) {
    const auto where = "questions[" + std::to_string(index) + "]";
    if (!value.is_object()) fail(where + " must be an object");
    domain::question q;
    q.number = read_number(value, where + ".number", index + 1);
    q.id = "q";  // appended, not "q" + to_string(): GCC 12 at -O3 warns falsely (-Wrestrict)
    q.id += std::to_string(q.number);
    q.level = read_difficulty(value, where + ".difficulty");
    q.minutes = optional_minutes(value, where + ".minutes");
    q.text = required_text(value, "text", where + ".text");
    q.sample_answer = required_text(value, "sample_answer", where + ".sample_answer");
    return q;
}

std::vector<domain::question> read_questions(const json& root) {
    const json& list = required(root, "questions", "questions");
    if (!list.is_array()) fail("questions must be an array");
    if (list.empty()) fail("questions is empty");
    std::vector<domain::question> questions;
    for (std::size_t i = 0; i < list.size(); ++i) questions.push_back(read_question(list[i], i));
    return questions;
}

void check_format(const json& root) {
    const auto format = required_string(root, "format", "format");
    if (format != bank_format)
        fail("unsupported format \"" + format + "\" (expected \"" + std::string(bank_format) +
             "\")");
}

domain::bank read_bank(const json& root) {
    if (!root.is_object()) fail("a bank must be a json object");
    check_format(root);
    domain::bank b;
    b.title = required_string(root, "title", "title");
    if (b.title.empty()) fail("title is empty");
    b.id = optional_string(root, "id").value_or(domain::slugify(b.title));
    b.navigation = optional_string(root, "navigation").value_or("");
    b.description = domain::normalize_text(optional_string(root, "description").value_or(""));
    b.minutes = read_minutes_by_difficulty(root);
    b.questions = read_questions(root);
    return b;
}

// ---- Files ----

std::string lower_ascii(std::string text) {
    for (char& c : text)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return text;
}

// A file's bytes, or why they could not be read.
struct file_read {
    std::optional<std::string> bytes;
    std::string problem;
};

file_read read_file(const std::filesystem::path& path) {
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (status.type() == std::filesystem::file_type::not_found) return {{}, "file not found"};
    if (ec) return {{}, "cannot read the file"};
    if (!std::filesystem::is_regular_file(status)) return {{}, "not a regular file"};

    std::ifstream in(path, std::ios::binary);
    if (!in.is_open()) return {{}, "cannot open the file"};
    std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (in.bad()) return {{}, "cannot read the file"};
    return {std::move(bytes), {}};
}

}  // namespace

json bank_to_json(const domain::bank& b) {
    json questions = json::array();
    for (const auto& q : b.questions) {
        json question = {{"number", q.number},
                         {"difficulty", domain::to_string(q.level)},
                         {"text", q.text},
                         {"sample_answer", q.sample_answer}};
        if (q.minutes) question["minutes"] = *q.minutes;
        questions.push_back(std::move(question));
    }
    json out = {{"format", bank_format},
                {"id", b.id},
                {"title", b.title},
                {"navigation", b.navigation},
                {"description", b.description},
                {"questions", std::move(questions)}};
    if (auto minutes = minutes_to_json(b.minutes); !minutes.empty())
        out["minutes"] = std::move(minutes);
    return out;
}

domain::bank_result bank_from_json(std::string_view text, std::string_view file) {
    auto root = parse_json(text, file);
    if (auto* e = std::get_if<domain::bank_error>(&root)) return *e;
    try {
        auto b = read_bank(std::get<json>(root));
        if (auto problem = domain::validate_bank(b)) return error_in(file, 0, *problem);
        return b;
    } catch (const invalid_bank& e) {
        return error_in(file, 0, e.reason);
    } catch (const json::exception& e) {  // a reader missed a type check; still not a throw
        return error_in(file, 0, std::string("invalid bank: ") + e.what());
    }
}

domain::bank_result load_bank_file(const std::filesystem::path& path) {
    const auto name = path.string();
    const auto extension = lower_ascii(path.extension().string());
    if (extension != ".txt" && extension != ".json")
        return error_in(name, 0,
                        "unsupported extension \"" + extension + "\" (expected .txt or .json)");
    const auto file = read_file(path);
    if (!file.bytes) return error_in(name, 0, file.problem);
    return extension == ".json" ? bank_from_json(*file.bytes, name)
                                : domain::parse_bank_text(*file.bytes, name);
}

}  // namespace mockroom::protocol
