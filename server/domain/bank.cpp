// The plain-text bank format: a line-based reader that tolerates what copy-paste produces
// (CRLF, BOM, trailing blanks, blank-line runs, keyword case) and a canonical writer.
#include "domain/bank.hpp"

#include "domain/utf8.hpp"

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <span>
#include <utility>

namespace mockroom::domain {
namespace {

constexpr std::string_view utf8_bom = "\xEF\xBB\xBF";
constexpr std::string_view navigation_words = "back to all roles";
constexpr std::string_view sample_answer_words = "sample answer";
constexpr std::string_view time_words = "time";
constexpr std::string_view time_per_question_words = "time per question";

// ---- Small string helpers (ASCII-only case folding: keywords are ASCII) ----

char ascii_lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool is_ascii_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

bool iequals(std::string_view a, std::string_view b) {
    return std::ranges::equal(a, b,
                              [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
}

bool istarts_with(std::string_view text, std::string_view prefix) {
    return text.size() >= prefix.size() && iequals(text.substr(0, prefix.size()), prefix);
}

std::string_view trim_left(std::string_view text) {
    const auto start = text.find_first_not_of(" \t");
    return start == std::string_view::npos ? std::string_view{} : text.substr(start);
}

// Trailing CR too: a CRLF file split on '\n' leaves it at the end of every line.
std::string_view trim_right(std::string_view text) {
    const auto end = text.find_last_not_of(" \t\r");
    return end == std::string_view::npos ? std::string_view{} : text.substr(0, end + 1);
}

// Digits only (no sign, no spaces) that fit an int.
std::optional<int> parse_number(std::string_view digits) {
    if (digits.empty() || !std::ranges::all_of(digits, is_digit)) return std::nullopt;
    int value = 0;
    const char* end = digits.data() + digits.size();
    const auto [stop, error] = std::from_chars(digits.data(), end, value);
    if (error != std::errc{} || stop != end) return std::nullopt;
    return value;
}

// The text after `word` when at least one space or tab separates them.
std::optional<std::string_view> after_word(std::string_view line, std::string_view word) {
    if (!istarts_with(line, word)) return std::nullopt;
    const auto rest = line.substr(word.size());
    const auto value = trim_left(rest);
    if (value.size() == rest.size()) return std::nullopt;
    return value;
}

std::string_view trim(std::string_view text) {
    return trim_right(trim_left(text));
}

std::string quoted(std::string_view text) {
    return "\"" + std::string(text) + "\"";
}

std::string plural(int n, std::string_view noun) {
    return std::to_string(n) + " " + std::string(noun) + (n == 1 ? "" : "s");
}

// ---- Lines and keywords ----

struct text_line {
    int number = 0;         // 1-based
    std::string_view text;  // without line break and trailing spaces/tabs
    bool blank() const { return text.empty(); }
};

using line_span = std::span<const text_line>;

std::vector<text_line> split_lines(std::string_view text) {
    std::vector<text_line> lines;
    for (int number = 1;; ++number) {
        const auto end = text.find('\n');
        lines.push_back({number, trim_right(text.substr(0, end))});
        if (end == std::string_view::npos) break;
        text.remove_prefix(end + 1);
    }
    return lines;
}

// "Question 3" -> 3
std::optional<int> question_keyword(std::string_view line) {
    const auto number = after_word(line, "question");
    return number ? parse_number(*number) : std::nullopt;
}

// "<word> : value" -> "value" (maybe empty); nullopt when the line does not start so.
std::optional<std::string_view> colon_keyword(std::string_view line, std::string_view word) {
    if (!istarts_with(line, word)) return std::nullopt;
    const auto rest = trim_left(line.substr(word.size()));
    if (rest.empty() || rest.front() != ':') return std::nullopt;
    return trim_left(rest.substr(1));
}

// "Time: 12 min" -> "12 min"; the value may be anything, the caller judges it.
std::optional<std::string_view> time_keyword(std::string_view line) {
    return colon_keyword(line, time_words);
}

// "Time per question: easy 4 min, hard 20 min" -> "easy 4 min, hard 20 min"
std::optional<std::string_view> time_per_question_keyword(std::string_view line) {
    return colon_keyword(line, time_per_question_words);
}

// "Difficulty: hard" -> "hard"; the value may be empty or unknown, the caller judges it.
std::optional<std::string_view> difficulty_keyword(std::string_view line) {
    return colon_keyword(line, "difficulty");
}

bool sample_answer_keyword(std::string_view line) {
    return iequals(line, sample_answer_words);
}

bool navigation_keyword(std::string_view line) {
    return iequals(line, navigation_words);
}

// "10 questions" (or "1 question") -> 10
std::optional<int> count_keyword(std::string_view line) {
    const auto digits_end = std::min(line.find_first_not_of("0123456789"), line.size());
    const auto rest = line.substr(digits_end);
    const auto word = trim_left(rest);
    const bool separated = word.size() < rest.size();
    if (!separated || !(iequals(word, "questions") || iequals(word, "question")))
        return std::nullopt;
    return parse_number(line.substr(0, digits_end));
}

std::size_t first_non_blank(line_span lines, std::size_t from) {
    while (from < lines.size() && lines[from].blank()) ++from;
    return from;
}

// Paragraphs joined by "\n\n", lines within one by "\n"; blank lines at either end dropped.
std::string join_paragraphs(line_span lines) {
    std::string out;
    bool paragraph_break = false;
    for (const auto& line : lines) {
        if (line.blank()) {
            paragraph_break = !out.empty();
            continue;
        }
        if (!out.empty()) out += paragraph_break ? "\n\n" : "\n";
        out += line.text;
        paragraph_break = false;
    }
    return out;
}

// ---- Time budgets ----

bool in_budget_range(int minutes) {
    return minutes >= 1 && minutes <= max_budget_minutes;
}

std::string minutes_text(int minutes) {
    return std::to_string(minutes) + " min";
}

std::string budget_range() {
    return "(1 to " + std::to_string(max_budget_minutes) + " minutes)";
}

// "12 min", "12 minutes", "12MIN" -> 12. On failure, the reason for a bank_error: `subject`
// and `where` name the value ("time", " in question 3").
std::variant<std::string, int> parse_minutes(std::string_view value, std::string_view subject,
                                             std::string_view where) {
    const auto name = std::string(subject);
    if (value.empty()) return "empty " + name + std::string(where);
    const auto digits_end = std::min(value.find_first_not_of("0123456789"), value.size());
    const auto digits = value.substr(0, digits_end);
    const auto unit = trim_left(value.substr(digits_end));
    if (digits.empty() || !(iequals(unit, "min") || iequals(unit, "minutes")))
        return name + " " + quoted(value) + std::string(where) +
               " is not whole minutes like \"12 min\"";
    const auto number = parse_number(digits);
    if (!number || !in_budget_range(*number))
        return name + " " + std::string(digits) + " min" + std::string(where) +
               " is out of range " + budget_range();
    return *number;
}

constexpr std::string_view time_per_question_line = "the time per question line";

// "easy 4 min, hard 20 min" -> {easy 4, hard 20}; any of the three, each at most once.
std::variant<std::string, minutes_by_difficulty> parse_minutes_by_difficulty(
    std::string_view value) {
    const auto where = " in " + std::string(time_per_question_line);
    if (value.empty()) return "empty time per question line";
    minutes_by_difficulty out;
    while (true) {
        const auto comma = value.find(',');
        const auto item = trim(value.substr(0, comma));
        if (item.empty()) return "empty entry" + where + " (expected e.g. \"easy 4 min\")";
        const auto name = item.substr(0, std::min(item.find_first_of(" \t"), item.size()));
        const auto level = parse_difficulty(name);
        if (!level)
            return "unknown difficulty " + quoted(name) + where +
                   " (expected easy, medium or hard, e.g. \"easy 4 min\")";
        auto& slot = *level == difficulty::easy     ? out.easy
                     : *level == difficulty::medium ? out.medium
                                                    : out.hard;
        if (slot) return std::string(to_string(*level)) + " given twice" + where;
        auto minutes = parse_minutes(trim_left(item.substr(name.size())),
                                     "time for " + std::string(to_string(*level)), where);
        if (auto* reason = std::get_if<std::string>(&minutes)) return std::move(*reason);
        slot = std::get<int>(minutes);
        if (comma == std::string_view::npos) return out;
        value.remove_prefix(comma + 1);
    }
}

// The canonical line, or empty when no budget is set.
std::string time_per_question_text(const minutes_by_difficulty& minutes) {
    std::string out;
    for (auto d : {difficulty::easy, difficulty::medium, difficulty::hard}) {
        const auto value = minutes.of(d);
        if (!value) continue;
        out += out.empty() ? "Time per question: " : ", ";
        out += std::string(to_string(d)) + " " + minutes_text(*value);
    }
    return out;
}

// ---- The parser ----

template <class T>
using parsed = std::variant<bank_error, T>;

struct source {
    std::string_view file;
    bank_error error(int line, std::string reason) const {
        return {std::string(file), line, std::move(reason)};
    }
};

struct header {
    std::string navigation;
    std::string title;
    std::string description;
    std::optional<int> count;  // from the "N questions" line, when present
    int count_line = 0;
    minutes_by_difficulty minutes;  // from the "Time per question:" line after it
};

// Question keywords are caught by the section split; these two only belong inside a question,
// and "Time per question:" only directly after the count line.
std::optional<bank_error> find_misplaced_keyword(const source& src, line_span lines) {
    bool after_count = false;
    for (const auto& line : lines) {
        if (line.blank()) continue;
        if (sample_answer_keyword(line.text))
            return src.error(line.number, "\"sample answer\" before any question");
        if (difficulty_keyword(line.text))
            return src.error(line.number, "difficulty line before any question");
        if (time_per_question_keyword(line.text) && !after_count)
            return src.error(line.number,
                             "a time per question line must come directly after the count "
                             "line (\"N questions\")");
        after_count = count_keyword(line.text).has_value();
    }
    return std::nullopt;
}

// Everything after the title: description lines, then the optional count line, then nothing.
std::optional<bank_error> read_description_and_count(const source& src, line_span lines,
                                                     header& h) {
    std::size_t count_at = 0;
    while (count_at < lines.size() && !count_keyword(lines[count_at].text)) ++count_at;
    h.description = join_paragraphs(lines.first(count_at));
    if (count_at == lines.size()) return std::nullopt;

    h.count = count_keyword(lines[count_at].text);
    h.count_line = lines[count_at].number;
    auto after = first_non_blank(lines, count_at + 1);
    std::string_view last = "the count line";
    if (after < lines.size()) {
        if (const auto value = time_per_question_keyword(lines[after].text)) {
            auto minutes = parse_minutes_by_difficulty(*value);
            if (auto* reason = std::get_if<std::string>(&minutes))
                return src.error(lines[after].number, std::move(*reason));
            h.minutes = std::get<minutes_by_difficulty>(minutes);
            after = first_non_blank(lines, after + 1);
            last = time_per_question_line;
        }
    }
    if (after < lines.size())
        return src.error(lines[after].number, "unexpected text after " + std::string(last));
    return std::nullopt;
}

// `lines` runs up to the first "Question N" line; `end_line` is that line's number, or 0.
parsed<header> parse_header(const source& src, line_span lines, int end_line) {
    if (auto misplaced = find_misplaced_keyword(src, lines)) return *misplaced;
    header h;
    auto at = first_non_blank(lines, 0);
    if (at < lines.size() && navigation_keyword(lines[at].text)) {
        h.navigation = lines[at].text;
        at = first_non_blank(lines, at + 1);
    }
    if (at == lines.size()) return src.error(end_line, "file has no title");
    const auto& title = lines[at];
    if (count_keyword(title.text))
        return src.error(title.number, "file has no title before the count line");
    if (slugify(title.text).empty())
        return src.error(title.number, "title has no letters or digits");
    h.title = title.text;
    if (auto e = read_description_and_count(src, lines.subspan(at + 1), h)) return *e;
    return h;
}

parsed<difficulty> read_difficulty(const source& src, const text_line& line, int number) {
    const auto value = *difficulty_keyword(line.text);
    const auto where = " in question " + std::to_string(number);
    if (value.empty()) return src.error(line.number, "empty difficulty" + where);
    if (auto level = parse_difficulty(value)) return *level;
    return src.error(line.number, "unknown difficulty \"" + std::string(value) + "\"" + where +
                                      " (expected easy, medium or hard)");
}

// Where a question's keyword lines are, for errors about what is missing after them.
struct question_lines {
    int question = 0;
    int last_keyword = 0;  // the "Time:" line, or the "Difficulty:" line when there is none
};

// The lines after "Difficulty:": question text, "Sample answer", answer text.
parsed<question> read_question_body(const source& src, line_span body, question q,
                                    question_lines at) {
    const auto name = "question " + std::to_string(q.number);
    std::optional<std::size_t> answer_at;
    for (std::size_t i = 0; i < body.size(); ++i) {
        if (difficulty_keyword(body[i].text))
            return src.error(body[i].number, "second difficulty line in " + name);
        if (!sample_answer_keyword(body[i].text)) continue;
        if (answer_at) return src.error(body[i].number, "\"sample answer\" twice in " + name);
        answer_at = i;
    }
    q.text = join_paragraphs(body.first(answer_at.value_or(body.size())));
    if (q.text.empty())
        return src.error(answer_at ? body[*answer_at].number : at.last_keyword,
                         name + " has no text");
    if (!answer_at) return src.error(at.question, name + " has no sample answer");
    q.sample_answer = join_paragraphs(body.subspan(*answer_at + 1));
    if (q.sample_answer.empty())
        return src.error(body[*answer_at].number, name + " has an empty sample answer");
    return q;
}

// `section` starts at its "Question N" line and runs up to the next one.
parsed<question> parse_question(const source& src, line_span section, int expected) {
    const auto& head = section.front();
    const int number = *question_keyword(head.text);
    if (number != expected)
        return src.error(head.number, "expected question " + std::to_string(expected) +
                                          " but found question " + std::to_string(number));
    const auto name = "question " + std::to_string(number);
    const auto at = first_non_blank(section, 1);
    if (at < section.size() && time_keyword(section[at].text))
        return src.error(section[at].number, "time line before the difficulty line in " + name);
    if (at == section.size() || !difficulty_keyword(section[at].text))
        return src.error(at == section.size() ? head.number : section[at].number,
                         name + " has no difficulty line");
    auto level = read_difficulty(src, section[at], number);
    if (auto* e = std::get_if<bank_error>(&level)) return *e;

    question q{"q" + std::to_string(number), number, std::get<difficulty>(level), {}, {}, {}};
    auto last_keyword = at;
    const auto next = first_non_blank(section, at + 1);
    if (next < section.size()) {
        if (const auto value = time_keyword(section[next].text)) {
            auto minutes = parse_minutes(*value, "time", " in " + name);
            if (auto* reason = std::get_if<std::string>(&minutes))
                return src.error(section[next].number, std::move(*reason));
            q.minutes = std::get<int>(minutes);
            last_keyword = next;
            const auto text_at = first_non_blank(section, next + 1);
            if (text_at < section.size() && time_keyword(section[text_at].text))
                return src.error(section[text_at].number, "second time line in " + name);
        }
    }
    return read_question_body(src, section.subspan(last_keyword + 1), std::move(q),
                              {head.number, section[last_keyword].number});
}

std::vector<std::size_t> question_starts(const std::vector<text_line>& lines) {
    std::vector<std::size_t> starts;
    for (std::size_t i = 0; i < lines.size(); ++i)
        if (question_keyword(lines[i].text)) starts.push_back(i);
    return starts;
}

std::optional<bank_error> find_invalid_utf8(const source& src,
                                            const std::vector<text_line>& lines) {
    for (const auto& line : lines)
        if (!is_valid_utf8(line.text)) return src.error(line.number, "line is not valid utf-8");
    return std::nullopt;
}

bank_result parse_questions(const source& src, const std::vector<text_line>& lines,
                            const std::vector<std::size_t>& starts, header h) {
    bank b{
        slugify(h.title), std::move(h.title), std::move(h.navigation), std::move(h.description), {},
        h.minutes};
    const line_span all(lines);
    for (std::size_t i = 0; i < starts.size(); ++i) {
        const auto end = i + 1 < starts.size() ? starts[i + 1] : lines.size();
        auto q =
            parse_question(src, all.subspan(starts[i], end - starts[i]), static_cast<int>(i) + 1);
        if (auto* e = std::get_if<bank_error>(&q)) return *e;
        b.questions.push_back(std::move(std::get<question>(q)));
    }
    const auto found = static_cast<int>(b.questions.size());
    if (h.count && *h.count != found)
        return src.error(h.count_line, "count line says " + plural(*h.count, "question") + " but " +
                                           std::to_string(found) + (found == 1 ? " was" : " were") +
                                           " found");
    return b;
}

// ---- Validation ----

bool is_slug(std::string_view id) {
    return !id.empty() && slugify(id) == id;
}

// The first field that changes when `b` goes through the plain-text format, if any.
std::optional<std::string> first_change(const bank& b, const bank& reread) {
    if (reread.title != b.title) return "title";
    if (reread.navigation != b.navigation) return "navigation";
    if (reread.description != b.description) return "description";
    if (reread.minutes != b.minutes) return "time per question";
    if (reread.questions.size() != b.questions.size()) return "the question count";
    for (std::size_t i = 0; i < b.questions.size(); ++i)
        if (reread.questions[i] != b.questions[i]) return "question " + std::to_string(i + 1);
    return std::nullopt;
}

std::optional<std::string> check_questions(const std::vector<question>& questions) {
    if (questions.empty()) return "bank has no questions";
    for (std::size_t i = 0; i < questions.size(); ++i) {
        const auto& q = questions[i];
        const auto number = std::to_string(i + 1);
        if (q.number != static_cast<int>(i) + 1)
            return "question " + number + " is numbered " + std::to_string(q.number);
        if (q.id != "q" + number) return "question " + number + " has id \"" + q.id + "\"";
        if (q.text.empty()) return "question " + number + " has no text";
        if (q.sample_answer.empty()) return "question " + number + " has an empty sample answer";
        if (q.minutes && !in_budget_range(*q.minutes))
            return "question " + number + " time " + minutes_text(*q.minutes) +
                   " is out of range " + budget_range();
        if (time_keyword(q.text.substr(0, q.text.find('\n'))))
            return "question " + number +
                   " text starts with a line that reads as its time (\"Time: ...\")";
    }
    return std::nullopt;
}

std::optional<std::string> check_minutes(const minutes_by_difficulty& minutes) {
    for (auto d : {difficulty::easy, difficulty::medium, difficulty::hard}) {
        const auto value = minutes.of(d);
        if (value && !in_budget_range(*value))
            return "time per question for " + std::string(to_string(d)) + " " +
                   minutes_text(*value) + " is out of range " + budget_range();
    }
    return std::nullopt;
}

// A line the reader would take for the "Time per question:" line (or reject as misplaced).
std::optional<std::string> check_time_per_question_lines(std::string_view field,
                                                         std::string_view text) {
    for (const auto& line : split_lines(text))
        if (time_per_question_keyword(line.text))
            return std::string(field) +
                   " has a line that reads as the time per question line (\"Time per "
                   "question: ...\")";
    return std::nullopt;
}

}  // namespace

std::string_view to_string(difficulty d) {
    switch (d) {
        case difficulty::easy:
            return "easy";
        case difficulty::medium:
            return "medium";
        case difficulty::hard:
            return "hard";
    }
    return "medium";  // unreachable for a valid enumerator
}

std::optional<difficulty> parse_difficulty(std::string_view text) {
    for (auto d : {difficulty::easy, difficulty::medium, difficulty::hard})
        if (iequals(text, to_string(d))) return d;
    return std::nullopt;
}

const question* bank::find(std::string_view question_id) const {
    const auto it = std::ranges::find(questions, question_id, &question::id);
    return it == questions.end() ? nullptr : &*it;
}

std::string bank_error::to_string() const {
    if (line == 0) return file + ": " + reason;
    return file + ":" + std::to_string(line) + ": " + reason;
}

bank_result parse_bank_text(std::string_view text, std::string_view file) {
    const source src{file};
    if (text.starts_with(utf8_bom)) text.remove_prefix(utf8_bom.size());
    const auto lines = split_lines(text);
    if (auto e = find_invalid_utf8(src, lines)) return *e;

    const auto starts = question_starts(lines);
    const auto header_end = starts.empty() ? lines.size() : starts.front();
    const int end_line = starts.empty() ? 0 : lines[header_end].number;
    auto h = parse_header(src, line_span(lines).first(header_end), end_line);
    if (auto* e = std::get_if<bank_error>(&h)) return *e;
    if (starts.empty()) return src.error(0, "file has no questions");
    return parse_questions(src, lines, starts, std::move(std::get<header>(h)));
}

std::string to_text(const bank& b) {
    std::string out;
    bool first = true;
    auto block = [&](std::string_view text) {
        if (!first) out += "\n\n";
        out += text;
        first = false;
    };
    if (!b.navigation.empty()) block(b.navigation);
    block(b.title);
    if (!b.description.empty()) block(b.description);
    block(std::to_string(b.questions.size()) + " questions");
    if (auto line = time_per_question_text(b.minutes); !line.empty()) block(line);
    for (const auto& q : b.questions) {
        block("Question " + std::to_string(q.number));
        block("Difficulty: " + std::string(to_string(q.level)));
        if (q.minutes) block("Time: " + minutes_text(*q.minutes));
        block(q.text);
        block("Sample answer");
        block(q.sample_answer);
    }
    return out;
}

std::optional<std::string> validate_bank(const bank& b) {
    if (b.title.empty()) return "title is empty";
    if (!is_slug(b.id))
        return "id \"" + b.id + "\" is not a slug (lower-case letters, digits, single dashes)";
    if (!b.navigation.empty() && !navigation_keyword(b.navigation))
        return "navigation must be empty or \"Back to all roles\"";
    if (auto problem = check_minutes(b.minutes)) return problem;
    if (auto problem = check_time_per_question_lines("title", b.title)) return problem;
    if (auto problem = check_time_per_question_lines("description", b.description)) return problem;
    if (auto problem = check_questions(b.questions)) return problem;

    // Anything else the text format cannot carry shows up as a change on the way through it.
    auto reread = parse_bank_text(to_text(b), "");
    if (auto* e = std::get_if<bank_error>(&reread))
        return "cannot be written as plain text: " + e->reason;
    if (auto field = first_change(b, std::get<bank>(reread)))
        return *field + " changes when written as plain text (a stray line break, trailing " +
               "space or keyword line?)";
    return std::nullopt;
}

std::string normalize_text(std::string_view text) {
    return join_paragraphs(split_lines(text));
}

std::string slugify(std::string_view title) {
    std::string slug;
    bool pending_dash = false;
    for (char c : title) {
        if (!is_ascii_alnum(c)) {
            pending_dash = !slug.empty();
            continue;
        }
        if (pending_dash) slug += '-';
        slug += ascii_lower(c);
        pending_dash = false;
    }
    return slug;
}

}  // namespace mockroom::domain
