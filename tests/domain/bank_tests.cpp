// The plain-text bank format, checked against the seed document it was written for.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "domain/bank.hpp"

using namespace mockroom::domain;
using Catch::Matchers::Contains;
using Catch::Matchers::EndsWith;
using Catch::Matchers::StartsWith;

namespace {

const std::string apostrophe = "\xE2\x80\x99";  // ’, the curly quote the seed uses

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in.is_open());
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

const std::string& seed_text() {
    static const std::string text =
        read_file(MOCKROOM_SOURCE_DIR "/shared/questions/python-developer.txt");
    return text;
}

// Where things are in the seed: every block is one line followed by one blank line.
constexpr int seed_count_line = 7;
constexpr int question_line(int n) {
    return 9 + 10 * (n - 1);
}
constexpr int difficulty_line(int n) {
    return question_line(n) + 2;
}
constexpr int text_line(int n) {
    return question_line(n) + 4;
}
constexpr int sample_answer_line(int n) {
    return question_line(n) + 6;
}

std::string line_of(const std::string& text, int number) {
    std::size_t start = 0;
    for (int i = 1; i < number; ++i) start = text.find('\n', start) + 1;
    return text.substr(start, text.find('\n', start) - start);
}

std::string replace_once(std::string text, std::string_view from, std::string_view to) {
    const auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    return text.replace(at, from.size(), to);
}

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
    return text;
}

std::size_t count_of(std::string_view text, std::string_view part) {
    std::size_t n = 0;
    for (auto at = text.find(part); at != std::string_view::npos; at = text.find(part, at + 1)) ++n;
    return n;
}

bank parse_ok(std::string_view text) {
    auto result = parse_bank_text(text, "test.txt");
    if (const auto* e = std::get_if<bank_error>(&result)) FAIL(e->to_string());
    return std::get<bank>(result);
}

const bank& seed_bank() {
    static const bank b = parse_ok(seed_text());
    return b;
}

// The reason names the problem, the line is exact, and the message names the file.
void require_error(std::string_view text, int line, const std::string& reason_part) {
    const std::string file = "banks/broken.txt";
    auto result = parse_bank_text(text, file);
    REQUIRE(std::holds_alternative<bank_error>(result));
    const auto& err = std::get<bank_error>(result);
    INFO(err.to_string());
    CHECK(err.file == file);
    CHECK(err.line == line);
    CHECK_THAT(err.reason, Contains(reason_part));
    const auto where = line == 0 ? file + ": " : file + ":" + std::to_string(line) + ": ";
    CHECK_THAT(err.to_string(), StartsWith(where));
}

std::string all_text(const bank& b) {
    std::string out = b.navigation + b.title + b.description;
    for (const auto& q : b.questions) out += q.text + q.sample_answer;
    return out;
}

bank small_bank() {
    bank b;
    b.id = "go-developer";
    b.title = "Go Developer";
    b.questions = {
        {"q1", 1, difficulty::easy, "What is a goroutine?", "A function running concurrently.", {}},
        {"q2",
         2,
         difficulty::hard,
         "Explain this:\n\n    select {}\n\nWhen is it useful?",
         "It blocks forever.\n\n    func main() {\n        go serve()\n        select {}\n    }",
         {}},
    };
    return b;
}

// The seed with a bank budget line after the count line and a budget on question 3.
std::string seed_with_budgets(
    std::string_view bank_line = "Time per question: easy 4 min, hard 20 min",
    std::string_view question_line = "Time: 12 min") {
    auto text = replace_once(seed_text(), "10 questions\n\n",
                             "10 questions\n\n" + std::string(bank_line) + "\n\n");
    return replace_once(text, "Difficulty: hard\n\n",
                        "Difficulty: hard\n\n" + std::string(question_line) + "\n\n");
}

// Lines in seed_with_budgets(): the bank line adds two lines before every question.
constexpr int budget_line = seed_count_line + 2;
constexpr int question_time_line = difficulty_line(3) + 4;

}  // namespace

TEST_CASE("difficulty names", "[bank]") {
    CHECK(to_string(difficulty::easy) == "easy");
    CHECK(to_string(difficulty::medium) == "medium");
    CHECK(to_string(difficulty::hard) == "hard");
    CHECK(parse_difficulty("easy") == difficulty::easy);
    CHECK(parse_difficulty("MEDIUM") == difficulty::medium);
    CHECK(parse_difficulty("Hard") == difficulty::hard);
    CHECK_FALSE(parse_difficulty("extreme"));
    CHECK_FALSE(parse_difficulty(""));
    CHECK_FALSE(parse_difficulty("easy "));
}

TEST_CASE("slugify keeps ASCII letters and digits and dashes the rest", "[bank]") {
    CHECK(slugify("Python Developer") == "python-developer");
    CHECK(slugify("  C++ / Qt Developer!! ") == "c-qt-developer");
    CHECK(slugify("SRE 2024") == "sre-2024");
    CHECK(slugify("Caf\xC3\xA9 Manager") == "caf-manager");
    CHECK(slugify("???").empty());
    CHECK(slugify("").empty());
}

TEST_CASE("bank errors print as file:line: reason", "[bank]") {
    CHECK(bank_error{"a.txt", 3, "bad thing"}.to_string() == "a.txt:3: bad thing");
    CHECK(bank_error{"a.txt", 0, "no questions"}.to_string() == "a.txt: no questions");
}

TEST_CASE("the seed layout the line-number tests rely on", "[bank][seed]") {
    const auto& seed = seed_text();
    CHECK(line_of(seed, 1) == "Back to all roles");
    CHECK(line_of(seed, seed_count_line) == "10 questions");
    CHECK(line_of(seed, question_line(3)) == "Question 3");
    CHECK(line_of(seed, difficulty_line(3)) == "Difficulty: hard");
    CHECK_THAT(line_of(seed, text_line(3)), StartsWith("Describe a time"));
    CHECK(line_of(seed, sample_answer_line(10)) == "Sample answer");
    CHECK(seed.back() != '\n');
}

TEST_CASE("the seed bank parses into ten questions", "[bank][seed]") {
    const auto& b = seed_bank();
    const auto& seed = seed_text();

    CHECK(b.id == "python-developer");
    CHECK(b.title == "Python Developer");
    CHECK(b.navigation == "Back to all roles");
    CHECK(b.description == "Interview questions for Python Developer roles.");
    REQUIRE(b.questions.size() == 10);

    std::vector<difficulty> levels;
    for (const auto& q : b.questions) levels.push_back(q.level);
    using enum difficulty;
    CHECK(levels ==
          std::vector{medium, easy, hard, easy, medium, hard, medium, medium, hard, medium});

    for (int n = 1; n <= 10; ++n) {
        const auto& q = b.questions[static_cast<std::size_t>(n - 1)];
        CHECK(q.number == n);
        CHECK(q.id == "q" + std::to_string(n));
    }

    SECTION("whole texts equal the file's bytes") {
        const auto answer_start = seed.find("Sample answer\n\n") + 15;
        const auto first_answer =
            seed.substr(answer_start, seed.find("\n\nQuestion 2\n") - answer_start);
        CHECK(b.questions[0].sample_answer == first_answer);
        const auto last_start = seed.rfind("Sample answer\n\n") + 15;
        CHECK(b.questions[9].sample_answer == seed.substr(last_start));
        CHECK(b.questions[0].text ==
              "Can you walk me through a Python project where you had to design the code "
              "structure from scratch?");
    }

    SECTION("distinctive pieces of several answers, curly quotes included") {
        CHECK_THAT(b.questions[0].sample_answer,
                   Contains("I" + apostrophe + "d still prioritize modularity"));
        CHECK_THAT(b.questions[1].sample_answer,
                   Contains("the code" + apostrophe + "s intent obvious"));
        CHECK_THAT(b.questions[2].sample_answer, EndsWith("prevented a guess-based fix."));
        CHECK_THAT(b.questions[4].sample_answer,
                   StartsWith("I" + apostrophe + "ve used both Django and Flask"));
        CHECK_THAT(b.questions[8].text, Contains("Python" + apostrophe + "s GIL"));
        CHECK_THAT(b.questions[9].sample_answer, EndsWith("help the team move forward."));
    }

    SECTION("every curly quote in the file is kept") {
        CHECK(count_of(seed, apostrophe) == 12);
        CHECK(count_of(all_text(b), apostrophe) == 12);
    }

    SECTION("questions are found by id") {
        REQUIRE(b.find("q3") != nullptr);
        CHECK(b.find("q3")->number == 3);
        CHECK(b.find("q11") == nullptr);
        CHECK(b.find("") == nullptr);
    }
}

TEST_CASE("the seed bank round trips through to_text byte for byte", "[bank][seed]") {
    CHECK(to_text(seed_bank()) == seed_text());
    CHECK(parse_ok(to_text(seed_bank())) == seed_bank());
    CHECK_FALSE(validate_bank(seed_bank()));
}

TEST_CASE("tolerated variants of the seed parse to the seed bank", "[bank][seed]") {
    const auto& seed = seed_text();
    std::string variant;

    SECTION("CRLF line ends") {
        variant = replace_all(seed, "\n", "\r\n");
    }
    SECTION("a UTF-8 byte order mark") {
        variant = "\xEF\xBB\xBF" + seed;
    }
    SECTION("trailing spaces and tabs on every line") {
        variant = replace_all(seed, "\n", " \t \n") + "  ";
    }
    SECTION("triple blank lines, and blank lines around the file") {
        variant = "\n\n" + replace_all(seed, "\n\n", "\n\n\n\n") + "\n\n\n";
    }
    SECTION("no blank lines at all") {
        variant = replace_all(seed, "\n\n", "\n");
    }
    SECTION("DIFFICULTY: Medium") {
        variant = replace_all(seed, "Difficulty: medium", "DIFFICULTY: Medium");
    }
    SECTION("keywords in other letter cases and spacing") {
        variant = replace_all(seed, "Question ", "QUESTION  ");
        variant = replace_all(variant, "Sample answer", "sample ANSWER");
        variant = replace_all(variant, "Difficulty: ", "difficulty :");
    }
    SECTION("everything at once") {
        variant = replace_all(seed, "Difficulty: hard", "difficulty: HARD");
        variant = "\xEF\xBB\xBF" + replace_all(variant, "\n\n", " \n\t\n\n");
        variant = replace_all(variant, "\n", "\r\n");
    }

    INFO(variant.substr(0, 200));
    CHECK(parse_ok(variant) == seed_bank());
    CHECK(to_text(parse_ok(variant)) == seed);
}

TEST_CASE("optional header lines may be left out", "[bank]") {
    const auto& seed = seed_text();

    SECTION("no navigation line") {
        const auto b = parse_ok(replace_once(seed, "Back to all roles\n\n", ""));
        CHECK(b.navigation.empty());
        CHECK(b.title == "Python Developer");
    }
    SECTION("navigation is matched in any case and kept as written") {
        const auto b = parse_ok(replace_once(seed, "Back to all roles", "BACK TO ALL ROLES"));
        CHECK(b.navigation == "BACK TO ALL ROLES");
        CHECK(b.title == "Python Developer");
    }
    SECTION("no description") {
        const auto b =
            parse_ok(replace_once(seed, "Interview questions for Python Developer roles.\n\n", ""));
        CHECK(b.description.empty());
        CHECK(b.questions == seed_bank().questions);
    }
    SECTION("no count line") {
        const auto b = parse_ok(replace_once(seed, "10 questions\n\n", ""));
        CHECK(b == seed_bank());
    }
    SECTION("a singular count line") {
        const auto b = parse_ok(
            "Go\n\n1 question\n\nQuestion 1\n\nDifficulty: easy\n\nQ?\n\n"
            "Sample answer\n\nA.");
        CHECK(b.questions.size() == 1);
    }
    SECTION("a description of several paragraphs") {
        const auto b =
            parse_ok(replace_once(seed, "Interview questions for Python Developer roles.",
                                  "First line\nsecond line\n\n\n\nLast paragraph"));
        CHECK(b.description == "First line\nsecond line\n\nLast paragraph");
    }
}

TEST_CASE("multi-paragraph text keeps paragraphs and indented code", "[bank]") {
    const std::string text =
        "Go Developer\n"
        "Question 1\n"
        "Difficulty: easy\n"
        "What does this print?\n"
        "\n"
        "    for i := range 3 {\n"
        "        fmt.Println(i)   \n"
        "    }\n"
        "\n"
        "\n"
        "Explain the output.\n"
        "Sample answer\n"
        "It prints 0, 1 and 2,\n"
        "one per line.\n"
        "\n"
        "Since Go 1.22:\n"
        "\n"
        "\t// each iteration has its own i\n"
        "\tgo func() { use(i) }()\n";
    const auto b = parse_ok(text);
    REQUIRE(b.questions.size() == 1);
    CHECK(b.questions[0].text ==
          "What does this print?\n\n    for i := range 3 {\n        fmt.Println(i)\n    }\n\n"
          "Explain the output.");
    CHECK(b.questions[0].sample_answer ==
          "It prints 0, 1 and 2,\none per line.\n\nSince Go 1.22:\n\n"
          "\t// each iteration has its own i\n\tgo func() { use(i) }()");
    CHECK(parse_ok(to_text(b)) == b);
}

TEST_CASE("to_text writes the canonical form", "[bank]") {
    const auto b = small_bank();
    CHECK(
        to_text(b) ==
        "Go Developer\n\n"
        "2 questions\n\n"
        "Question 1\n\nDifficulty: easy\n\nWhat is a goroutine?\n\n"
        "Sample answer\n\nA function running concurrently.\n\n"
        "Question 2\n\nDifficulty: hard\n\nExplain this:\n\n    select {}\n\nWhen is it useful?\n\n"
        "Sample answer\n\nIt blocks forever.\n\n    func main() {\n        go serve()\n"
        "        select {}\n    }");

    SECTION("and reads back to the same bank") {
        CHECK(parse_ok(to_text(b)) == b);
        auto with_header = b;
        with_header.navigation = "Back to all roles";
        with_header.description = "Two lines\nof description.\n\nAnd a second paragraph.";
        CHECK(parse_ok(to_text(with_header)) == with_header);
    }
}

TEST_CASE("malformed seed variants name the reason and the line", "[bank][errors]") {
    const auto& seed = seed_text();

    SECTION("unknown difficulty") {
        require_error(replace_once(seed, "Difficulty: hard", "Difficulty: extreme"),
                      difficulty_line(3), "unknown difficulty \"extreme\" in question 3");
    }
    SECTION("empty difficulty") {
        require_error(replace_once(seed, "Difficulty: hard", "Difficulty:"), difficulty_line(3),
                      "empty difficulty in question 3");
    }
    SECTION("missing difficulty: reported where the text starts instead") {
        require_error(replace_once(seed, "Difficulty: hard\n\n", ""), difficulty_line(3),
                      "question 3 has no difficulty line");
    }
    SECTION("a question with no text") {
        const auto text = line_of(seed, text_line(3)) + "\n\n";
        require_error(replace_once(seed, text, ""), text_line(3), "question 3 has no text");
    }
    SECTION("\"Sample answer\" before any question") {
        require_error(replace_once(seed, "Developer roles.\n", "Developer roles.\nSample answer\n"),
                      6, "\"sample answer\" before any question");
    }
    SECTION("a difficulty line before any question") {
        require_error(replace_once(seed, "10 questions", "Difficulty: easy\n\n10 questions"),
                      seed_count_line, "difficulty line before any question");
    }
    SECTION("\"Sample answer\" twice in one question") {
        require_error(
            replace_once(seed, "technically works.", "technically works.\n\nSample answer"),
            sample_answer_line(2) + 4, "\"sample answer\" twice in question 2");
    }
    SECTION("a second difficulty line") {
        const auto text = line_of(seed, text_line(2));
        require_error(replace_once(seed, text, "Difficulty: hard\n\n" + text), text_line(2),
                      "second difficulty line in question 2");
    }
    SECTION("a question with no sample answer") {
        const auto text = line_of(seed, text_line(4));
        require_error(replace_once(seed, text + "\n\nSample answer\n\n", text + "\n\n"),
                      question_line(4), "question 4 has no sample answer");
    }
    SECTION("an empty sample answer at the end of the file") {
        const auto cut = seed.substr(0, seed.rfind("Sample answer") + 13) + "\n\n \n";
        require_error(cut, sample_answer_line(10), "question 10 has an empty sample answer");
    }
    SECTION("an empty sample answer before the next question") {
        const auto answer = line_of(seed, sample_answer_line(6) + 2);
        require_error(replace_once(seed, answer + "\n\n", ""), sample_answer_line(6),
                      "question 6 has an empty sample answer");
    }
    SECTION("numbering that skips a question") {
        require_error(replace_once(seed, "Question 5\n", "Question 6\n"), question_line(5),
                      "expected question 5 but found question 6");
    }
    SECTION("numbering that repeats a question") {
        require_error(replace_once(seed, "Question 2\n", "Question 1\n"), question_line(2),
                      "expected question 2 but found question 1");
    }
    SECTION("a count line above the questions found") {
        require_error(seed.substr(0, seed.find("\n\nQuestion 10\n")), seed_count_line,
                      "count line says 10 questions but 9 were found");
    }
    SECTION("a count line below the questions found") {
        require_error(replace_once(seed, "10 questions", "3 questions"), seed_count_line,
                      "count line says 3 questions but 10 were found");
    }
    SECTION("text between the count line and question 1") {
        require_error(replace_once(seed, "10 questions\n\n", "10 questions\n\nFilter by level\n\n"),
                      question_line(1), "unexpected text after the count line");
    }
    SECTION("a title with no letters or digits") {
        require_error(replace_once(seed, "Python Developer\n", "***\n"), 3,
                      "title has no letters or digits");
    }
    SECTION("no title before the count line") {
        require_error(replace_once(seed,
                                   "Python Developer\n\nInterview questions for Python "
                                   "Developer roles.\n\n",
                                   ""),
                      3, "no title");
    }
    SECTION("no title before question 1") {
        require_error(seed.substr(seed.find("Question 1\n")), 1, "file has no title");
    }
    SECTION("no questions") {
        require_error(seed.substr(0, seed.find("\n\nQuestion 1\n")), 0, "file has no questions");
    }
    SECTION("a line that is not UTF-8") {
        require_error(replace_once(seed, "I" + apostrophe + "d still",
                                   "I\xE2\x80"
                                   "d still"),
                      sample_answer_line(1) + 2, "not valid utf-8");
    }
}

TEST_CASE("small malformed banks name the reason and the line", "[bank][errors]") {
    require_error("", 0, "file has no title");
    require_error("\r\n\r\n", 0, "file has no title");
    require_error("Back to all roles\n\n", 0, "file has no title");
    require_error(
        "Go\n\nQuestion 1\n\nDifficulty: easy\n\nWhy?\n\nSample answer\n\n"
        "Question 2\n\nDifficulty: easy\n\nHow?\n\nSample answer\n\nLike this.",
        9, "question 1 has an empty sample answer");
    require_error("Go\n\nQuestion 1\nDifficulty: easy", 4, "question 1 has no text");
    require_error("Go\n\nQuestion 1\n\n\n", 3, "question 1 has no difficulty line");
    require_error("Go\nQuestion 1\nDifficulty: easy\nWhy?\nSample answer\nBecause.\nQuestion 3", 7,
                  "expected question 2 but found question 3");
}

TEST_CASE("validate_bank accepts what the text format can carry", "[bank][validate]") {
    auto b = small_bank();
    REQUIRE_FALSE(validate_bank(b));

    const auto problem = [&]() {
        auto reason = validate_bank(b);
        REQUIRE(reason);
        return *reason;
    };
    SECTION("empty title") {
        b.title.clear();
        CHECK_THAT(problem(), Contains("title is empty"));
    }
    SECTION("id that is not a slug") {
        b.id = "Go Developer";
        CHECK_THAT(problem(), Contains("not a slug"));
    }
    SECTION("no questions") {
        b.questions.clear();
        CHECK_THAT(problem(), Contains("no questions"));
    }
    SECTION("numbers out of order") {
        b.questions[1].number = 3;
        CHECK_THAT(problem(), Contains("question 2 is numbered 3"));
    }
    SECTION("an id that is not q<number>") {
        b.questions[1].id = "x";
        CHECK_THAT(problem(), Contains("question 2 has id \"x\""));
    }
    SECTION("empty text and answer") {
        b.questions[0].text.clear();
        CHECK_THAT(problem(), Contains("question 1 has no text"));
        b = small_bank();
        b.questions[0].sample_answer.clear();
        CHECK_THAT(problem(), Contains("question 1 has an empty sample answer"));
    }
    SECTION("a navigation line the text format would read as the title") {
        b.navigation = "Home";
        CHECK_THAT(problem(), Contains("navigation"));
    }
    SECTION("a text line that reads as a keyword") {
        b.questions[0].sample_answer = "First.\n\nSample answer\n\nAgain.";
        CHECK_THAT(problem(), Contains("cannot be written as plain text"));
    }
    SECTION("trailing spaces that the text format would drop") {
        b.questions[1].text = "Explain this:   ";
        CHECK_THAT(problem(), Contains("question 2 changes"));
    }
    SECTION("a title of two lines") {
        b.title = "Go\nDeveloper";
        CHECK_THAT(problem(), Contains("title changes"));
    }
    SECTION("text that is not UTF-8") {
        b.questions[0].text = "caf\xC3";
        CHECK_THAT(problem(), Contains("not valid utf-8"));
    }
}

TEST_CASE("normalize_text stores text the way the parser does", "[bank]") {
    CHECK(normalize_text("  one  \r\ntwo\t\r\n\r\n\r\n\r\n    three\n\n") ==
          "  one\ntwo\n\n    three");
    CHECK(normalize_text("\n\n  \n") == "");
    CHECK(normalize_text("already\n\nnormal") == "already\n\nnormal");
}

TEST_CASE("time budget lines set the bank's and a question's minutes", "[bank][time]") {
    const auto b = parse_ok(seed_with_budgets());
    CHECK(b.minutes == minutes_by_difficulty{4, std::nullopt, 20});
    CHECK(b.questions[2].minutes == 12);
    CHECK_FALSE(b.questions[1].minutes);
    CHECK(b.questions[2].text == seed_bank().questions[2].text);
    CHECK(b.questions[2].sample_answer == seed_bank().questions[2].sample_answer);
    CHECK_FALSE(validate_bank(b));

    SECTION("everything but the budgets is the seed bank") {
        auto plain = b;
        plain.minutes = {};
        plain.questions[2].minutes.reset();
        CHECK(plain == seed_bank());
    }
    SECTION("tolerated variants read the same") {
        std::string variant;
        SECTION("CRLF line ends") {
            variant = replace_all(seed_with_budgets(), "\n", "\r\n");
        }
        SECTION("odd letter case, spacing and the long unit") {
            variant = seed_with_budgets("tIME PER QUESTION :  HARD 20 Minutes ,easy   4 MIN  ",
                                        "TIME:12minutes\t");
        }
        SECTION("no blank lines, trailing spaces, BOM and CRLF at once") {
            variant = "\xEF\xBB\xBF" +
                      replace_all(replace_all(seed_with_budgets(), "\n\n", " \n"), "\n", "\r\n");
        }
        SECTION("leading zeros") {
            variant =
                seed_with_budgets("Time per question: easy 04 min, hard 20 min", "Time: 012 min");
        }
        INFO(variant.substr(0, 300));
        CHECK(parse_ok(variant) == b);
        CHECK(to_text(parse_ok(variant)) == seed_with_budgets());
    }
    SECTION("all three difficulties, the largest and smallest budget") {
        const auto all = parse_ok(seed_with_budgets(
            "Time per question: medium 1440 min, hard 1 min, easy 7 min", "Time: 1440 minutes"));
        CHECK(all.minutes == minutes_by_difficulty{7, 1440, 1});
        CHECK(all.questions[2].minutes == 1440);
    }
    SECTION("a budget line without blank lines around it") {
        const auto tight = parse_ok(
            "Go\n1 question\nTime per question: medium 3 min\nQuestion 1\nDifficulty: easy\n"
            "Time: 2 min\nWhy?\nSample answer\nBecause.");
        CHECK(tight.minutes == minutes_by_difficulty{std::nullopt, 3, std::nullopt});
        CHECK(tight.questions[0].minutes == 2);
        CHECK(tight.questions[0].text == "Why?");
    }
}

TEST_CASE("lines that only look like time budgets are ordinary text", "[bank][time]") {
    const auto b = parse_ok(
        "Go\n\nTime: 45 minutes for the whole interview.\n\n1 question\n\nQuestion 1\n\n"
        "Difficulty: easy\n\nTimeline of a request?\n\nTime: 12 min\n\n"
        "Time per question: easy 4 min\n\nSample answer\n\nTime: O(n log n).");
    CHECK(b.description == "Time: 45 minutes for the whole interview.");
    CHECK(b.minutes == minutes_by_difficulty{});
    REQUIRE(b.questions.size() == 1);
    CHECK_FALSE(b.questions[0].minutes);
    CHECK(b.questions[0].text ==
          "Timeline of a request?\n\nTime: 12 min\n\nTime per question: easy 4 min");
    CHECK(b.questions[0].sample_answer == "Time: O(n log n).");
    CHECK(parse_ok(to_text(b)) == b);
}

TEST_CASE("to_text writes time budgets in the canonical form", "[bank][time]") {
    auto b = small_bank();
    b.minutes.hard = 20;
    b.minutes.easy = 4;
    b.questions[1].minutes = 12;
    CHECK(to_text(b) ==
          "Go Developer\n\n"
          "2 questions\n\n"
          "Time per question: easy 4 min, hard 20 min\n\n"
          "Question 1\n\nDifficulty: easy\n\nWhat is a goroutine?\n\n"
          "Sample answer\n\nA function running concurrently.\n\n"
          "Question 2\n\nDifficulty: hard\n\nTime: 12 min\n\n"
          "Explain this:\n\n    select {}\n\nWhen is it useful?\n\n"
          "Sample answer\n\nIt blocks forever.\n\n    func main() {\n        go serve()\n"
          "        select {}\n    }");
    CHECK(parse_ok(to_text(b)) == b);
    CHECK_FALSE(validate_bank(b));

    SECTION("all three in the order easy, medium, hard") {
        b.minutes = {1, 1440, 15};
        CHECK_THAT(to_text(b),
                   Contains("\n\n2 questions\n\nTime per question: easy 1 min, medium 1440 min, "
                            "hard 15 min\n\nQuestion 1\n\n"));
        CHECK(parse_ok(to_text(b)) == b);
    }
    SECTION("one alone") {
        b.minutes = {std::nullopt, 8, std::nullopt};
        CHECK_THAT(to_text(b), Contains("\n\nTime per question: medium 8 min\n\nQuestion 1\n\n"));
        CHECK(parse_ok(to_text(b)) == b);
    }
    SECTION("nothing when no budget is set") {
        CHECK_THAT(to_text(small_bank()), !Contains("Time"));
    }
    SECTION("text -> bank -> text round trips byte for byte") {
        CHECK(to_text(parse_ok(seed_with_budgets())) == seed_with_budgets());
        const auto all = seed_with_budgets(
            "Time per question: easy 4 min, medium 8 min, hard 20 min", "Time: 1 min");
        CHECK(to_text(parse_ok(all)) == all);
    }
}

TEST_CASE("malformed time budget lines name the reason and the line", "[bank][time][errors]") {
    const auto bank_line = [](std::string_view line) { return seed_with_budgets(line); };
    const auto question_line = [](std::string_view line) {
        return seed_with_budgets("Time per question: easy 4 min", line);
    };

    SECTION("a question's time out of range") {
        require_error(question_line("Time: 0 min"), question_time_line,
                      "time 0 min in question 3 is out of range (1 to 1440 minutes)");
        require_error(question_line("Time: 2000 min"), question_time_line,
                      "time 2000 min in question 3 is out of range (1 to 1440 minutes)");
        require_error(question_line("Time: 1441 minutes"), question_time_line,
                      "time 1441 min in question 3 is out of range");
        require_error(question_line("Time: 99999999999999999999 min"), question_time_line,
                      "out of range");
    }
    SECTION("a question's time that is not whole minutes") {
        require_error(question_line("Time: ten min"), question_time_line,
                      "time \"ten min\" in question 3 is not whole minutes like \"12 min\"");
        require_error(question_line("Time: 12"), question_time_line,
                      "time \"12\" in question 3 is not whole minutes");
        require_error(question_line("Time: 12 hours"), question_time_line, "not whole minutes");
        require_error(question_line("Time: 1.5 min"), question_time_line, "not whole minutes");
        require_error(question_line("Time: -3 min"), question_time_line, "not whole minutes");
        require_error(question_line("Time: 12 mins"), question_time_line, "not whole minutes");
        require_error(question_line("Time:"), question_time_line, "empty time in question 3");
    }
    SECTION("a second time line in a question") {
        require_error(question_line("Time: 5 min\n\nTime: 6 min"), question_time_line + 2,
                      "second time line in question 3");
    }
    SECTION("a time line before the difficulty line") {
        require_error(replace_once(seed_text(), "Question 3\n\n", "Question 3\n\nTime: 5 min\n\n"),
                      difficulty_line(3), "time line before the difficulty line in question 3");
    }
    SECTION("a time line and no text after it") {
        require_error("Go\n\nQuestion 1\n\nDifficulty: easy\n\nTime: 5 min\n\n", 7,
                      "question 1 has no text");
        require_error("Go\n\nQuestion 1\n\nDifficulty: easy\n\nTime: 5 min\n\nSample answer\n\nA",
                      9, "question 1 has no text");
    }
    SECTION("a bank budget out of range") {
        require_error(bank_line("Time per question: easy 0 min"), budget_line,
                      "time for easy 0 min in the time per question line is out of range (1 to "
                      "1440 minutes)");
        require_error(bank_line("Time per question: easy 4 min, hard 2000 min"), budget_line,
                      "time for hard 2000 min in the time per question line is out of range");
    }
    SECTION("a bank budget that is not whole minutes") {
        require_error(bank_line("Time per question: medium ten min"), budget_line,
                      "time for medium \"ten min\" in the time per question line is not whole "
                      "minutes");
        require_error(bank_line("Time per question: easy"), budget_line,
                      "empty time for easy in the time per question line");
    }
    SECTION("a difficulty given twice") {
        require_error(bank_line("Time per question: easy 4 min, EASY 5 min"), budget_line,
                      "easy given twice in the time per question line");
    }
    SECTION("an unknown difficulty") {
        require_error(bank_line("Time per question: easy 4 min, extreme 30 min"), budget_line,
                      "unknown difficulty \"extreme\" in the time per question line");
        require_error(bank_line("Time per question: 4 min"), budget_line,
                      "unknown difficulty \"4\"");
    }
    SECTION("empty entries") {
        require_error(bank_line("Time per question:"), budget_line, "empty time per question line");
        require_error(bank_line("Time per question: easy 4 min,"), budget_line,
                      "empty entry in the time per question line");
        require_error(bank_line("Time per question: easy 4 min,, hard 20 min"), budget_line,
                      "empty entry");
    }
    SECTION("a bank budget line that is not directly after the count line") {
        require_error(replace_once(seed_text(), "10 questions",
                                   "Time per question: easy 4 min\n\n10 questions"),
                      seed_count_line,
                      "time per question line must come directly after the count line");
        require_error(replace_once(seed_text(), "10 questions", "Time per question: easy 4 min"),
                      seed_count_line, "time per question line must come directly after");
        require_error(
            replace_once(seed_text(), "Python Developer\n", "Time per question: easy 4 min\n"), 3,
            "time per question line must come directly after");
    }
    SECTION("text after the bank budget line") {
        require_error(bank_line("Time per question: easy 4 min\n\nFilter by level"),
                      budget_line + 2, "unexpected text after the time per question line");
        require_error(bank_line("Time per question: easy 4 min\n\nTime per question: hard 9 min"),
                      budget_line + 2, "time per question line must come directly after");
    }
}

TEST_CASE("validate_bank rejects time budgets the text format cannot carry",
          "[bank][validate][time]") {
    auto b = small_bank();
    b.minutes = {4, 8, 20};
    b.questions[0].minutes = 12;
    REQUIRE_FALSE(validate_bank(b));

    const auto problem = [&]() {
        auto reason = validate_bank(b);
        REQUIRE(reason);
        return *reason;
    };
    SECTION("a question's budget out of range") {
        b.questions[1].minutes = 0;
        CHECK_THAT(problem(), Contains("question 2 time 0 min is out of range"));
        b.questions[1].minutes = max_budget_minutes + 1;
        CHECK_THAT(problem(), Contains("question 2 time 1441 min is out of range"));
        b.questions[1].minutes = -5;
        CHECK_THAT(problem(), Contains("out of range"));
    }
    SECTION("a bank budget out of range") {
        b.minutes.medium = 0;
        CHECK_THAT(problem(), Contains("time per question for medium 0 min is out of range"));
        b.minutes.medium = 8;
        b.minutes.hard = 1441;
        CHECK_THAT(problem(), Contains("time per question for hard 1441 min is out of range"));
    }
    SECTION("the limits themselves are fine") {
        b.minutes = {1, max_budget_minutes, std::nullopt};
        b.questions[1].minutes = max_budget_minutes;
        CHECK_FALSE(validate_bank(b));
    }
    SECTION("a question text whose first line reads as its time") {
        b.questions[1].text = "Time: 12 min\n\nExplain this.";
        CHECK_THAT(problem(),
                   Contains("question 2 text starts with a line that reads as its time"));
        b.questions[1].minutes = 5;  // the same with a budget of its own: a second time line
        CHECK_THAT(problem(), Contains("question 2 text starts with a line"));
        b.questions[1].text = "time : soon\nExplain this.";
        CHECK_THAT(problem(), Contains("question 2 text starts with a line"));
    }
    SECTION("such a line further down a text is fine") {
        b.questions[1].text = "Explain this.\n\nTime: 12 min";
        b.questions[1].sample_answer = "Time: O(n).";
        CHECK_FALSE(validate_bank(b));
        CHECK(parse_ok(to_text(b)) == b);
    }
    SECTION("a description line that reads as the time per question line") {
        b.description = "About Go.\n\nTime per question: easy 4 min";
        CHECK_THAT(problem(), Contains("description has a line that reads as the time per "
                                       "question line"));
        b.description = "Time per question : varies";
        CHECK_THAT(problem(), Contains("description has a line"));
    }
    SECTION("a title that reads as the time per question line") {
        b.title = "Time per question: easy 4 min";
        CHECK_THAT(problem(), Contains("title has a line"));
    }
}
