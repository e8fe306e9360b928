// The JSON bank format: the golden example, lossless conversion with the text format, and
// errors (never exceptions) for every kind of bad input.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>

#include "protocol/bank_json.hpp"

using namespace mockroom;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using nlohmann::json;

namespace {

const std::string seed_path = MOCKROOM_SOURCE_DIR "/shared/questions/python-developer.txt";
const std::string example_path = MOCKROOM_SOURCE_DIR "/shared/protocol/examples/bank.json";

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in.is_open());
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const std::filesystem::path& path, std::string_view bytes) {
    std::ofstream out(path, std::ios::binary);
    out << bytes;
    REQUIRE(out.good());
}

domain::bank require_bank(const domain::bank_result& result) {
    if (const auto* e = std::get_if<domain::bank_error>(&result)) FAIL(e->to_string());
    return std::get<domain::bank>(result);
}

domain::bank seed_bank() {
    return require_bank(domain::parse_bank_text(read_file(seed_path), "seed"));
}

// Parses without throwing, fails with a reason containing `reason_part`, names the file.
domain::bank_error require_json_error(std::string_view text, const std::string& reason_part) {
    domain::bank_result result;
    REQUIRE_NOTHROW(result = protocol::bank_from_json(text, "banks/broken.json"));
    REQUIRE(std::holds_alternative<domain::bank_error>(result));
    auto err = std::get<domain::bank_error>(result);
    INFO(err.to_string());
    CHECK(err.file == "banks/broken.json");
    CHECK_THAT(err.reason, Contains(reason_part));
    CHECK_THAT(err.to_string(), StartsWith("banks/broken.json:"));
    return err;
}

// A valid bank for the error tests to break one field at a time.
json valid_bank() {
    return {
        {"format", "mockroom-bank/1"},
        {"title", "Go Developer"},
        {"questions",
         {{{"number", 1}, {"difficulty", "easy"}, {"text", "Why?"}, {"sample_answer", "So."}},
          {{"number", 2}, {"difficulty", "hard"}, {"text", "How?"}, {"sample_answer", "Thus."}}}}};
}

// A scratch directory removed when the test ends.
struct temp_dir {
    std::filesystem::path path = std::filesystem::temp_directory_path() /
                                 ("mockroom-bank-tests-" + std::to_string(std::random_device{}()));
    temp_dir() { std::filesystem::create_directories(path); }
    ~temp_dir() {
        std::error_code ignored;
        std::filesystem::remove_all(path, ignored);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
};

}  // namespace

TEST_CASE("the golden example bank loads", "[bank_json]") {
    const auto b = require_bank(protocol::load_bank_file(example_path));
    CHECK(b.id == "backend-engineer");
    CHECK(b.title == "Backend Engineer");
    CHECK(b.navigation == "Back to all roles");
    CHECK(b.description ==
          "Interview questions for backend roles.\n\nA two-question example of the JSON bank "
          "format.");
    REQUIRE(b.questions.size() == 2);
    CHECK(b.minutes == domain::minutes_by_difficulty{4, std::nullopt, 20});
    CHECK(b.questions[0].id == "q1");
    CHECK(b.questions[0].level == domain::difficulty::easy);
    CHECK_FALSE(b.questions[0].minutes);
    CHECK_THAT(b.questions[0].sample_answer, Contains("That\xE2\x80\x99s why threads"));
    CHECK(b.questions[1].id == "q2");
    CHECK(b.questions[1].level == domain::difficulty::hard);
    CHECK(b.questions[1].minutes == 12);
    CHECK_THAT(b.questions[1].text,
               Contains("\n\n    def f(items=[]):\n        items.append(1)\n"));

    SECTION("and is exactly what bank_to_json writes for it") {
        CHECK(protocol::bank_to_json(b) == json::parse(read_file(example_path)));
    }
    SECTION("and survives the text format") {
        CHECK(require_bank(domain::parse_bank_text(domain::to_text(b), "example.txt")) == b);
    }
}

TEST_CASE("the seed bank converts between text and JSON losslessly", "[bank_json][seed]") {
    const auto seed = read_file(seed_path);
    const auto bank = seed_bank();
    const auto as_json = protocol::bank_to_json(bank);

    SECTION("text -> JSON -> text is byte-identical") {
        const auto back = require_bank(protocol::bank_from_json(as_json.dump(2), "seed.json"));
        CHECK(back == bank);
        CHECK(domain::to_text(back) == seed);
    }
    SECTION("JSON -> text -> JSON is equal") {
        const auto from_json = require_bank(protocol::bank_from_json(as_json.dump(), "seed.json"));
        const auto text = domain::to_text(from_json);
        const auto reread = require_bank(domain::parse_bank_text(text, "seed.txt"));
        CHECK(protocol::bank_to_json(reread) == as_json);
    }
    SECTION("curly quotes go out as UTF-8, not escapes") {
        CHECK_THAT(as_json.dump(), Contains("I\xE2\x80\x99"
                                            "d still prioritize modularity"));
    }
    SECTION("load_bank_file reads the seed as text") {
        CHECK(require_bank(protocol::load_bank_file(seed_path)) == bank);
    }
}

TEST_CASE("bank_to_json writes the documented shape", "[bank_json]") {
    const auto j = protocol::bank_to_json(seed_bank());
    CHECK(j.at("format") == "mockroom-bank/1");
    CHECK(j.at("id") == "python-developer");
    CHECK(j.at("title") == "Python Developer");
    CHECK(j.at("navigation") == "Back to all roles");
    CHECK(j.at("description") == "Interview questions for Python Developer roles.");
    REQUIRE(j.at("questions").size() == 10);
    const auto& first = j.at("questions").at(0);
    CHECK(first.size() == 4);  // number, difficulty, text, sample_answer; no id, no minutes
    CHECK_FALSE(j.contains("minutes"));
    CHECK(first.at("number") == 1);
    CHECK(first.at("number").is_number_integer());
    CHECK(first.at("difficulty") == "medium");
    CHECK(j.at("questions").at(2).at("difficulty") == "hard");
}

TEST_CASE("optional JSON fields take their defaults and texts are normalized", "[bank_json]") {
    auto j = valid_bank();
    SECTION("id, navigation and description may be left out") {
        const auto b = require_bank(protocol::bank_from_json(j.dump(), "x.json"));
        CHECK(b.id == "go-developer");
        CHECK(b.navigation.empty());
        CHECK(b.description.empty());
        CHECK(b.questions[1].id == "q2");
    }
    SECTION("an explicit id is kept") {
        j["id"] = "golang";
        CHECK(require_bank(protocol::bank_from_json(j.dump(), "x.json")).id == "golang");
    }
    SECTION("texts are stored the way the text parser stores them") {
        j["description"] = "one  \r\n\r\n\r\ntwo\n";
        j["questions"][0]["text"] = "\nWhy?\t\n\n\n\n    indented();  \n";
        const auto b = require_bank(protocol::bank_from_json(j.dump(), "x.json"));
        CHECK(b.description == "one\n\ntwo");
        CHECK(b.questions[0].text == "Why?\n\n    indented();");
    }
}

TEST_CASE("bad JSON banks are bank_errors, never exceptions", "[bank_json][errors]") {
    auto j = valid_bank();
    auto& first = j["questions"][0];

    SECTION("syntax errors carry their line") {
        const auto err = require_json_error(
            "{\n  \"format\": \"mockroom-bank/1\",\n  \"title\": oops\n}", "invalid json");
        CHECK(err.line == 3);
        CHECK(require_json_error("{\"format\":", "invalid json").line == 1);
        require_json_error("", "invalid json");
        require_json_error("{\"title\": \"caf\xC3\"}", "invalid json");
    }
    SECTION("not an object") {
        CHECK(require_json_error("[1, 2]", "json object").line == 0);
    }
    SECTION("format") {
        j.erase("format");
        require_json_error(j.dump(), "format is missing");
        j["format"] = "mockroom-bank/2";
        require_json_error(j.dump(), "unsupported format \"mockroom-bank/2\"");
    }
    SECTION("title") {
        j["title"] = 7;
        require_json_error(j.dump(), "title must be a string");
        j["title"] = "";
        require_json_error(j.dump(), "title is empty");
        j.erase("title");
        require_json_error(j.dump(), "title is missing");
    }
    SECTION("id") {
        j["id"] = 5;
        require_json_error(j.dump(), "id must be a string");
        j["id"] = "Go Dev";
        require_json_error(j.dump(), "not a slug");
    }
    SECTION("navigation and description") {
        j["navigation"] = nullptr;
        require_json_error(j.dump(), "navigation must be a string");
        j["navigation"] = "Home";
        require_json_error(j.dump(), "navigation must be empty or \"Back to all roles\"");
        j["navigation"] = "";
        j["description"] = json::array();
        require_json_error(j.dump(), "description must be a string");
    }
    SECTION("questions") {
        j["questions"] = json::object();
        require_json_error(j.dump(), "questions must be an array");
        j["questions"] = json::array();
        require_json_error(j.dump(), "questions is empty");
        j["questions"] = {1};
        require_json_error(j.dump(), "questions[0] must be an object");
        j.erase("questions");
        require_json_error(j.dump(), "questions is missing");
    }
    SECTION("question numbers") {
        first.erase("number");
        require_json_error(j.dump(), "questions[0].number is missing");
        first["number"] = "1";
        require_json_error(j.dump(), "questions[0].number must be an integer");
        first["number"] = 1.5;
        require_json_error(j.dump(), "questions[0].number must be an integer");
        first["number"] = -1;
        require_json_error(j.dump(), "questions[0].number is -1 but expected 1");
    }
    SECTION("out-of-order numbers") {
        j["questions"][1]["number"] = 3;
        CHECK(require_json_error(j.dump(), "questions[1].number is 3 but expected 2").line == 0);
        j["questions"][0]["number"] = 2;
        require_json_error(j.dump(), "questions[0].number is 2 but expected 1");
    }
    SECTION("difficulty") {
        first["difficulty"] = "extreme";
        require_json_error(j.dump(),
                           "questions[0].difficulty \"extreme\" is not easy, medium or hard");
        first["difficulty"] = 2;
        require_json_error(j.dump(), "questions[0].difficulty must be a string");
        first.erase("difficulty");
        require_json_error(j.dump(), "questions[0].difficulty is missing");
    }
    SECTION("text and sample answer") {
        first["text"] = " \n\n\t";
        require_json_error(j.dump(), "questions[0].text is empty");
        first.erase("text");
        require_json_error(j.dump(), "questions[0].text is missing");
        first["text"] = "Why?";
        j["questions"][1]["sample_answer"] = "";
        require_json_error(j.dump(), "questions[1].sample_answer is empty");
        j["questions"][1]["sample_answer"] = false;
        require_json_error(j.dump(), "questions[1].sample_answer must be a string");
    }
    SECTION("a text line the plain-text format would read as a keyword") {
        first["sample_answer"] = "So.\n\nSample answer\n\nAgain.";
        require_json_error(j.dump(), "cannot be written as plain text");
    }
}

TEST_CASE("load_bank_file picks the format and reports unreadable files", "[bank_json][files]") {
    const temp_dir dir;

    SECTION("a missing file is named") {
        const auto path = dir.path / "no-such-bank.txt";
        const auto result = protocol::load_bank_file(path);
        REQUIRE(std::holds_alternative<domain::bank_error>(result));
        const auto& err = std::get<domain::bank_error>(result);
        CHECK(err.file == path.string());
        CHECK_THAT(err.reason, Contains("not found"));
        CHECK_THAT(err.to_string(), Contains("no-such-bank.txt"));
    }
    SECTION("an unknown extension") {
        const auto result = protocol::load_bank_file(dir.path / "bank.md");
        REQUIRE(std::holds_alternative<domain::bank_error>(result));
        CHECK_THAT(std::get<domain::bank_error>(result).reason, Contains("\".md\""));
    }
    SECTION("a directory") {
        std::filesystem::create_directory(dir.path / "bank.json");
        const auto result = protocol::load_bank_file(dir.path / "bank.json");
        REQUIRE(std::holds_alternative<domain::bank_error>(result));
        CHECK_THAT(std::get<domain::bank_error>(result).reason, Contains("not a regular file"));
    }
    SECTION("JSON by extension, in any letter case") {
        write_file(dir.path / "GO.JSON", valid_bank().dump());
        CHECK(require_bank(protocol::load_bank_file(dir.path / "GO.JSON")).title == "Go Developer");
    }
    SECTION("a broken text file is reported with its path and line") {
        const auto path = dir.path / "broken.txt";
        write_file(path, "Go\r\n\r\nQuestion 2\r\n");
        const auto result = protocol::load_bank_file(path);
        REQUIRE(std::holds_alternative<domain::bank_error>(result));
        const auto& err = std::get<domain::bank_error>(result);
        CHECK(err.to_string() == path.string() + ":3: expected question 1 but found question 2");
    }
}

TEST_CASE("time budgets go through JSON and back to text losslessly", "[bank_json][time]") {
    auto text = read_file(seed_path);
    text.replace(text.find("10 questions\n\n"), 14,
                 "10 questions\n\nTime per question: easy 4 min, hard 20 min\n\n");
    text.replace(text.find("Difficulty: hard\n\n"), 18, "Difficulty: hard\n\nTime: 12 min\n\n");
    const auto bank = require_bank(domain::parse_bank_text(text, "budgets.txt"));
    REQUIRE(bank.minutes == domain::minutes_by_difficulty{4, std::nullopt, 20});
    REQUIRE(bank.questions[2].minutes == 12);

    const auto as_json = protocol::bank_to_json(bank);
    CHECK(as_json.at("minutes") == json{{"easy", 4}, {"hard", 20}});
    CHECK(as_json.at("questions").at(2).at("minutes") == 12);
    CHECK(as_json.at("questions").at(2).at("minutes").is_number_integer());
    CHECK_FALSE(as_json.at("questions").at(1).contains("minutes"));

    const auto back = require_bank(protocol::bank_from_json(as_json.dump(2), "budgets.json"));
    CHECK(back == bank);
    CHECK(domain::to_text(back) == text);

    SECTION("all three difficulties") {
        auto j = valid_bank();
        j["minutes"] = {{"hard", 1440}, {"medium", 8}, {"easy", 1}};
        j["questions"][0]["minutes"] = 1;
        const auto b = require_bank(protocol::bank_from_json(j.dump(), "x.json"));
        CHECK(b.minutes == domain::minutes_by_difficulty{1, 8, 1440});
        CHECK(b.questions[0].minutes == 1);
        CHECK_FALSE(b.questions[1].minutes);
        CHECK(protocol::bank_to_json(b).at("minutes") == j["minutes"]);
        CHECK_THAT(domain::to_text(b),
                   Contains("Time per question: easy 1 min, medium 8 min, hard 1440 min"));
    }
    SECTION("an empty minutes object sets nothing and is not written") {
        auto j = valid_bank();
        j["minutes"] = json::object();
        const auto b = require_bank(protocol::bank_from_json(j.dump(), "x.json"));
        CHECK(b.minutes == domain::minutes_by_difficulty{});
        CHECK_FALSE(protocol::bank_to_json(b).contains("minutes"));
    }
}

TEST_CASE("bad JSON time budgets are bank_errors", "[bank_json][time][errors]") {
    auto j = valid_bank();
    auto& first = j["questions"][0];

    SECTION("a question's minutes") {
        first["minutes"] = "12";
        require_json_error(j.dump(), "questions[0].minutes must be an integer number of minutes");
        first["minutes"] = 1.5;
        require_json_error(j.dump(), "questions[0].minutes must be an integer");
        first["minutes"] = nullptr;
        require_json_error(j.dump(), "questions[0].minutes must be an integer");
        first["minutes"] = 0;
        require_json_error(j.dump(), "questions[0].minutes is 0, out of range (1 to 1440)");
        first["minutes"] = -3;
        require_json_error(j.dump(), "questions[0].minutes is -3, out of range");
        first["minutes"] = 1441;
        CHECK(require_json_error(j.dump(), "questions[0].minutes is 1441, out of range").line == 0);
        j["questions"][0].erase("minutes");
        j["questions"][1]["minutes"] = 100000000000LL;
        require_json_error(j.dump(), "questions[1].minutes is 100000000000, out of range");
    }
    SECTION("the bank's minutes") {
        j["minutes"] = 10;
        require_json_error(j.dump(), "minutes must be an object");
        j["minutes"] = json::array({4, 8, 20});
        require_json_error(j.dump(), "minutes must be an object");
        j["minutes"] = {{"extreme", 30}};
        require_json_error(j.dump(), "minutes has an unknown key \"extreme\"");
        j["minutes"] = {{"Easy", 4}};
        require_json_error(j.dump(), "minutes has an unknown key \"Easy\"");
        j["minutes"] = {{"easy", "4"}};
        require_json_error(j.dump(), "minutes.easy must be an integer");
        j["minutes"] = {{"easy", 4}, {"hard", 0}};
        require_json_error(j.dump(), "minutes.hard is 0, out of range");
        j["minutes"] = {{"medium", 2000}};
        require_json_error(j.dump(), "minutes.medium is 2000, out of range (1 to 1440)");
    }
    SECTION("a text the plain-text format would read as a time line") {
        first["minutes"] = 5;
        first["text"] = "Time: 12 min\n\nWhy?";
        require_json_error(j.dump(), "question 1 text starts with a line that reads as its time");
        first["text"] = "Why?";
        j["description"] = "Time per question: easy 4 min";
        require_json_error(j.dump(), "description has a line that reads as the time per question");
    }
}
