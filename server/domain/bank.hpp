// Question banks: the interviewer's library of questions with sample answers.
// Pure data and the plain-text format; the JSON format lives in protocol/bank_json.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace mockroom::domain {

enum class difficulty { easy, medium, hard };

std::string_view to_string(difficulty d);
// Case-insensitive; nullopt for anything but easy / medium / hard.
std::optional<difficulty> parse_difficulty(std::string_view text);

struct question {
    std::string id;  // stable within its bank: "q<number>"
    int number = 0;  // 1-based, contiguous
    difficulty level = difficulty::medium;
    std::string text;              // paragraphs separated by "\n\n", lines within one by "\n"
    std::string sample_answer;     // same shape; interviewers only, never sent to candidates
    std::optional<int> minutes{};  // its own time budget ("Time: 12 min"), else the bank's
    bool operator==(const question&) const = default;
};

// Whole minutes, 1 to max_budget_minutes; unset means "use the next default".
inline constexpr int max_budget_minutes = 1440;
struct minutes_by_difficulty {
    std::optional<int> easy, medium, hard;
    std::optional<int> of(difficulty d) const {
        return d == difficulty::easy ? easy : d == difficulty::medium ? medium : hard;
    }
    bool operator==(const minutes_by_difficulty&) const = default;
};

struct bank {
    std::string id;          // URL-safe slug of the title, e.g. "python-developer"
    std::string title;       // "Python Developer"
    std::string navigation;  // optional first line of pasted pages ("Back to all roles"), kept
    std::string description;
    std::vector<question> questions;
    minutes_by_difficulty minutes;  // "Time per question: easy 4 min, hard 20 min"

    const question* find(std::string_view question_id) const;
    bool operator==(const bank&) const = default;
};

// Where a bank file is wrong: file, 1-based line (0 when the file as a whole is wrong), reason.
struct bank_error {
    std::string file;
    int line = 0;
    std::string reason;
    std::string to_string() const;  // "file:line: reason", or "file: reason" when line is 0
};

using bank_result = std::variant<bank_error, bank>;

// Parses the plain-text bank format. `file` only names the source in errors. Time budgets:
// "Time per question: easy 4 min, hard 20 min" directly after the "N questions" line, and
// "Time: 12 min" directly after a question's "Difficulty:" line ("min" or "minutes", any case).
bank_result parse_bank_text(std::string_view text, std::string_view file);

// Canonical plain text: parse_bank_text(to_text(b)) == b, and for a canonical input
// (the seed document) to_text(parse_bank_text(t)) == t byte for byte.
std::string to_text(const bank& b);

// Why `b` is not a valid bank, or nullopt when it is. Valid means: a title, a slug id,
// questions numbered 1..N with ids "q<N>", non-empty texts and answers, time budgets (set ones)
// of 1..max_budget_minutes, and nothing the plain-text format cannot carry
// (parse_bank_text(to_text(b)) gives b back, id aside; e.g. no text line that reads as a
// keyword such as "Sample answer", no question text whose first line reads as "Time: ...", no
// title or description line that reads as "Time per question: ..."). parse_bank_text only
// returns valid banks; other sources (JSON) should check.
std::optional<std::string> validate_bank(const bank& b);

// Free text shaped the way banks store it: CR and trailing spaces/tabs dropped, blank lines at
// either end dropped, each run of blank lines turned into one paragraph break ("\n\n").
std::string normalize_text(std::string_view text);

// "Python Developer" -> "python-developer"; ASCII letters and digits kept, runs of anything
// else become one '-'. Empty when nothing is left.
std::string slugify(std::string_view title);

}  // namespace mockroom::domain
