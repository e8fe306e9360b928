// The JSON codec: parsing client messages (never throwing), encoding events per recipient role
// (redaction), and the golden examples in shared/protocol/examples.
#include "protocol/codec.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

namespace {

using nlohmann::json;
using namespace mockroom;
using namespace mockroom::protocol;
using domain::difficulty;
using domain::error_code;
using domain::role;

const std::filesystem::path examples_dir =
    std::filesystem::path(MOCKROOM_SOURCE_DIR) / "shared" / "protocol" / "examples";

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    INFO("reading " << path.string());
    REQUIRE(in.good());
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string example_text(const std::string& name) {
    return read_file(examples_dir / name);
}

json example(const std::string& name) {
    INFO("example " << name);
    json parsed = json::parse(example_text(name), nullptr, false);
    REQUIRE_FALSE(parsed.is_discarded());
    return parsed;
}

json parse_json(const std::string& text) {
    INFO("encoded: " << text);
    json parsed = json::parse(text, nullptr, false);
    REQUIRE_FALSE(parsed.is_discarded());
    return parsed;
}

const limits default_limits{};

std::variant<protocol_error, parsed_message> parse(std::string_view text) {
    return parse_client_message(text, default_limits);
}

parsed_message parse_ok(std::string_view text) {
    INFO("message: " << text);
    auto result = parse(text);
    if (auto* error = std::get_if<protocol_error>(&result)) FAIL("refused: " << error->message);
    return std::get<parsed_message>(result);
}

protocol_error parse_error(std::string_view text) {
    INFO("message: " << text);
    auto result = parse(text);
    REQUIRE(std::holds_alternative<protocol_error>(result));
    const auto& error = std::get<protocol_error>(result);
    CHECK(error.code == error_code::bad_request);
    CHECK_FALSE(error.message.empty());
    return error;
}

template <class T>
T message_as(const parsed_message& parsed) {
    REQUIRE(std::holds_alternative<T>(parsed.message));
    return std::get<T>(parsed.message);
}

template <class T>
T command_as(const parsed_message& parsed) {
    auto command = message_as<domain::command>(parsed);
    REQUIRE(std::holds_alternative<T>(command));
    return std::get<T>(command);
}

std::set<std::string> keys_of(const json& object) {
    REQUIRE(object.is_object());
    std::set<std::string> keys;
    for (const auto& item : object.items()) keys.insert(item.key());
    return keys;
}

bool has_key_anywhere(const json& value, const std::string& key) {
    if (value.is_object()) {
        if (value.contains(key)) return true;
        for (const auto& item : value.items()) {
            if (has_key_anywhere(item.value(), key)) return true;
        }
    } else if (value.is_array()) {
        for (const auto& item : value) {
            if (has_key_anywhere(item, key)) return true;
        }
    }
    return false;
}

// The interviewer's copy minus everything only interviewers may see.
// What a candidate or observer gets of an interviewer's copy: no answers, no bank, no time
// spent per question.
json redacted(json value) {
    if (value.is_object()) {
        value.erase("sample_answer");
        value.erase("time_spent");
        value.erase("time_spent_ms");
        if (value.contains("state") && value["state"].is_object()) {
            value["state"].erase("bank");
            value["state"].erase("scorecard");
        }
        for (auto& item : value.items()) item.value() = redacted(item.value());
    } else if (value.is_array()) {
        for (auto& item : value) item = redacted(item);
    }
    return value;
}

std::string hex(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (char ch : bytes) {
        auto byte = static_cast<unsigned char>(ch);
        out += digits[byte >> 4];
        out += digits[byte & 0xf];
    }
    return out;
}

constexpr std::int64_t t_push = 1'764'000'000'000;

// ---- the room behind the golden examples -------------------------------------------------

// The bank the s2c examples show: the seed bank's first three questions, answers shortened.
std::shared_ptr<const domain::bank> golden_bank() {
    auto b = std::make_shared<domain::bank>();
    b->id = "python-developer";
    b->title = "Python Developer";
    b->navigation = "Back to all roles";
    b->description = "Interview questions for Python Developer roles.";
    b->questions = {
        {"q1", 1, difficulty::medium,
         "Can you walk me through a Python project where you had to design the code structure "
         "from scratch?",
         "In my last role, I built a data processing service that pulled records from an API, "
         "transformed them, and stored them in PostgreSQL. I started by separating the project "
         "into clear layers."},
        {"q2", 2, difficulty::easy,
         "How do you decide when to use a list, tuple, set, or dictionary in Python?",
         "I choose based on the operation I need most often. For key-value relationships, a "
         "dictionary is my default because it maps naturally to many real-world problems."},
        {"q3", 3, difficulty::hard,
         "Describe a time you had to debug a difficult Python issue in production. How did you "
         "approach it?",
         "We once had a background job that randomly failed after running successfully for "
         "hours, which made the issue hard to reproduce. I started by checking logs and tracing "
         "the failure pattern instead of guessing."},
    };
    return b;
}

domain::room_info golden_info() {
    return {"k3x9q2m7tz4c", "Mock interview", golden_bank(), t_push - 60'000};
}

// The bank for the redaction tests: a canary in every sample answer.
constexpr std::string_view canary = "CANARY-5b1f0e";

std::shared_ptr<const domain::bank> canary_bank() {
    auto b = std::make_shared<domain::bank>();
    b->id = "canary-bank";
    b->title = "Canary Bank";
    b->description = "Every answer hides a canary.";
    const difficulty levels[] = {difficulty::easy, difficulty::medium, difficulty::hard};
    for (int n = 1; n <= 6; ++n) {
        domain::question q;
        q.id = "q" + std::to_string(n);
        q.number = n;
        q.level = levels[n % 3];
        q.text = "Question " + std::to_string(n) + " about \"quotes\", \\slashes\\ and ünïcödé?";
        q.sample_answer = "Answer " + std::to_string(n) + ": " + std::string(canary) +
                          " with a line\nand \"quotes\" " + std::string(canary);
        b->questions.push_back(std::move(q));
    }
    return b;
}

template <class Event>
Event event_in(const domain::outcome& out, std::size_t index) {
    REQUIRE(out.size() > index);
    REQUIRE(std::holds_alternative<Event>(out[index].what));
    return std::get<Event>(out[index].what);
}

const role all_roles[] = {role::interviewer, role::candidate, role::observer};

}  // namespace

// ---- parsing: the golden client examples -------------------------------------------------

TEST_CASE("every c2s example parses", "[codec][parse][golden]") {
    int count = 0;
    for (const auto& entry : std::filesystem::directory_iterator(examples_dir)) {
        const auto name = entry.path().filename().string();
        if (!name.starts_with("c2s.") || !name.ends_with(".json")) continue;
        CAPTURE(name);
        ++count;
        parse_ok(read_file(entry.path()));
    }
    CHECK(count >= 5);
}

TEST_CASE("c2s.hello.json parses to a hello", "[codec][parse][golden]") {
    const auto parsed = parse_ok(example_text("c2s.hello.json"));
    const auto h = message_as<hello>(parsed);
    CHECK(h.room == "k3x9q2m7tz4c");
    CHECK(h.token == "mH5s_Tq2Vb9LcXe0RkUa3w");
    CHECK(h.name == "Ada");
    CHECK(h.client == "c-4f1e2d");
    CHECK(parsed.ref.empty());
    // It is the candidate link's token from the create-room example.
    CHECK(example("http.create-room.response.json")["tokens"]["candidate"] == h.token);
}

TEST_CASE("c2s.ping.json parses to a ping", "[codec][parse][golden]") {
    const auto parsed = parse_ok(example_text("c2s.ping.json"));
    const auto p = message_as<ping>(parsed);
    CHECK(p.id == "42");
    CHECK(p.t0 == "1764000001234");  // raw, so the echo is exact
    CHECK(parsed.ref == "42");
}

TEST_CASE("c2s.leave.json parses to a leave", "[codec][parse][golden]") {
    const auto parsed = parse_ok(example_text("c2s.leave.json"));
    command_as<domain::leave>(parsed);
    CHECK(parsed.ref.empty());
}

TEST_CASE("c2s.question.push.bank.json parses to a bank push", "[codec][parse][golden]") {
    const auto parsed = parse_ok(example_text("c2s.question.push.bank.json"));
    const auto push = command_as<domain::push_question>(parsed);
    REQUIRE(std::holds_alternative<std::string>(push.what));
    CHECK(std::get<std::string>(push.what) == "q3");
    CHECK(parsed.ref == "7");
}

TEST_CASE("c2s.question.push.custom.json parses to a custom push", "[codec][parse][golden]") {
    const auto parsed = parse_ok(example_text("c2s.question.push.custom.json"));
    const auto push = command_as<domain::push_question>(parsed);
    REQUIRE(std::holds_alternative<domain::custom_question>(push.what));
    const auto& custom = std::get<domain::custom_question>(push.what);
    CHECK(custom.text == "Explain the GIL.");
    CHECK(custom.level == difficulty::hard);
    CHECK(parsed.ref.empty());
}

TEST_CASE("c2s.question.push.budget.json parses to a push with a budget",
          "[codec][parse][golden]") {
    const auto parsed = parse_ok(example_text("c2s.question.push.budget.json"));
    const auto push = command_as<domain::push_question>(parsed);
    CHECK(std::get<std::string>(push.what) == "q3");
    CHECK(push.budget_ms == 420'000);
    CHECK(parsed.ref == "8");
    const auto custom = command_as<domain::push_question>(parse_ok(
        R"({"type":"question.push","custom":{"text":"Why?","difficulty":"easy"},"budget_ms":90000})"));
    CHECK(std::holds_alternative<domain::custom_question>(custom.what));
    CHECK(custom.budget_ms == 90'000);
    // Without one, the room decides.
    CHECK_FALSE(
        command_as<domain::push_question>(parse_ok(example_text("c2s.question.push.bank.json")))
            .budget_ms);
}

TEST_CASE("c2s.timer.command.json parses to a timer command", "[codec][parse][golden]") {
    const auto parsed = parse_ok(example_text("c2s.timer.command.json"));
    const auto command = command_as<domain::timer_command>(parsed);
    CHECK(command.timer == domain::timer_id::question);
    CHECK(command.action == domain::timer_action::add);
    CHECK(command.ms == 60'000);
    CHECK(command.expect_rev == 3);
    CHECK(parsed.ref == "9");
    for (std::string_view action : {"start", "pause", "resume", "reset", "add"}) {
        const auto each = command_as<domain::timer_command>(
            parse_ok(R"({"type":"timer.command","timer":"interview","command":")" +
                     std::string(action) + R"(","expect_rev":0})"));
        CHECK(domain::to_string(each.action) == action);
        CHECK(each.timer == domain::timer_id::interview);
        CHECK_FALSE(each.ms);
    }
    // A negative ms subtracts; the domain checks ranges and states.
    CHECK(
        command_as<domain::timer_command>(
            parse_ok(
                R"({"type":"timer.command","timer":"question","command":"add","ms":-30000,"expect_rev":7})"))
            .ms == -30'000);
}

// ---- parsing: accepted variations --------------------------------------------------------

TEST_CASE("parsing keeps the request id as raw JSON", "[codec][parse]") {
    CHECK(parse_ok(R"({"type":"leave","id":7})").ref == "7");
    CHECK(parse_ok(R"({"type":"leave","id":-3})").ref == "-3");
    CHECK(parse_ok(R"({"type":"leave","id":0})").ref == "0");
    CHECK(parse_ok(R"({"type":"leave","id":18446744073709551615})").ref == "18446744073709551615");
    CHECK(parse_ok(R"({"type":"leave","id":"req-1"})").ref == R"("req-1")");
    CHECK(parse_ok(R"({"type":"leave","id":""})").ref == R"("")");
    CHECK(parse_ok(R"({"type":"leave","id":"a\"b"})").ref == R"("a\"b")");
    const std::string id64(64, 'i');
    CHECK(parse_ok(R"({"type":"leave","id":")" + id64 + "\"}").ref == "\"" + id64 + "\"");

    SECTION("a ping echoes its id, or null without one") {
        CHECK(message_as<ping>(parse_ok(R"({"type":"ping","id":"x","t0":1.5})")).id == R"("x")");
        const auto anonymous = message_as<ping>(parse_ok(R"({"type":"ping","t0":-2})"));
        CHECK(anonymous.id == "null");
        CHECK(anonymous.t0 == "-2");
        CHECK(message_as<ping>(parse_ok(R"({"type":"ping","t0":0.25})")).t0 == "0.25");
    }
}

TEST_CASE("hello names are trimmed and measured in bytes", "[codec][parse]") {
    auto hello_with_name = [](const std::string& name) {
        return json{
            {"type", "hello"}, {"room", "r"}, {"token", "t"}, {"name", name}, {"client", "c"}}
            .dump();
    };
    CHECK(message_as<hello>(parse_ok(hello_with_name("  Ada \t\r\n"))).name == "Ada");
    CHECK(message_as<hello>(parse_ok(hello_with_name("Ada Lovelace"))).name == "Ada Lovelace");
    const std::string name64(64, 'n');
    CHECK(message_as<hello>(parse_ok(hello_with_name(name64))).name == name64);
    CHECK(message_as<hello>(parse_ok(hello_with_name("   " + name64 + "   "))).name == name64);
    std::string accents;  // 32 two-byte characters: 64 bytes
    for (int i = 0; i < 32; ++i) accents += "\xC3\xA9";
    CHECK(message_as<hello>(parse_ok(hello_with_name(accents))).name == accents);
    CHECK(message_as<hello>(parse_ok(hello_with_name("Zoë 😀"))).name == "Zoë 😀");

    parse_error(hello_with_name(name64 + "n"));
    parse_error(hello_with_name(accents + "\xC3\xA9"));
}

TEST_CASE("hello client ids: 1 to 64 of A-Z a-z 0-9 _ -", "[codec][parse]") {
    auto hello_with_client = [](const std::string& client) {
        return json{
            {"type", "hello"}, {"room", "r"}, {"token", "t"}, {"name", "Ada"}, {"client", client}}
            .dump();
    };
    for (const std::string& good :
         std::vector<std::string>{"c", "c-4f1e2d", "AZaz09_-", std::string(64, 'x')}) {
        CAPTURE(good);
        CHECK(message_as<hello>(parse_ok(hello_with_client(good))).client == good);
    }
    for (const std::string& bad :
         std::vector<std::string>{"", " ", "c 1", "c.1", "c/1", "c+1", "ç", "c\n", "c\t1",
                                  "<script>", std::string(65, 'x')}) {
        CAPTURE(bad);
        CHECK_THAT(parse_error(hello_with_client(bad)).message, Catch::Contains("'client'"));
    }
}

TEST_CASE("custom pushes: any difficulty case, text up to the frame limit", "[codec][parse]") {
    auto custom = [](const json& text, const json& level) {
        return json{{"type", "question.push"}, {"custom", {{"text", text}, {"difficulty", level}}}}
            .dump();
    };
    auto level_of = [](const std::string& message) {
        auto push = command_as<domain::push_question>(parse_ok(message));
        REQUIRE(std::holds_alternative<domain::custom_question>(push.what));
        return std::get<domain::custom_question>(push.what).level;
    };
    CHECK(level_of(custom("a", "easy")) == difficulty::easy);
    CHECK(level_of(custom("a", "medium")) == difficulty::medium);
    CHECK(level_of(custom("a", "hard")) == difficulty::hard);

    // Text length is the room's to refuse (too_large), so the codec lets 10,001 bytes through.
    const std::string long_text(10'001, 'x');
    auto push = command_as<domain::push_question>(parse_ok(custom(long_text, "easy")));
    CHECK(std::get<domain::custom_question>(push.what).text == long_text);
    // Multi-line text is kept byte for byte.
    push = command_as<domain::push_question>(parse_ok(custom(" a\n\nb\t", "easy")));
    CHECK(std::get<domain::custom_question>(push.what).text == " a\n\nb\t");
}

// ---- parsing: refusals -------------------------------------------------------------------

namespace {

struct refusal {
    std::string text;
    std::string message_part;  // something the message must mention
    std::string ref;           // the ref the error must carry
};

void check_refusals(const std::vector<refusal>& cases) {
    for (const auto& c : cases) {
        CAPTURE(c.text);
        const auto error = parse_error(c.text);
        CHECK_THAT(error.message, Catch::Contains(c.message_part));
        CHECK(error.ref == c.ref);
        // The error can always be sent back.
        CHECK(json::accept(encode_error(error.code, error.message, error.ref)));
    }
}

}  // namespace

TEST_CASE("malformed JSON and non-objects are refused", "[codec][parse][errors]") {
    check_refusals({
        {"", "invalid JSON", ""},
        {" ", "invalid JSON", ""},
        {"{", "invalid JSON", ""},
        {R"({"type":"leave",})", "invalid JSON", ""},
        {R"({"type":"leave"} {})", "invalid JSON", ""},
        {R"({'type':'leave'})", "invalid JSON", ""},
        {std::string("{\"type\":\"leave\"\0}", 17), "invalid JSON", ""},
        {R"({"type":"leave","id":7)", "invalid JSON", ""},
        {"\xEF\xBB\xBF{\"type\":\"leave\"}\xFF", "invalid JSON", ""},
        {"[]", "object", ""},
        {R"([{"type":"leave"}])", "object", ""},
        {R"("leave")", "object", ""},
        {"42", "object", ""},
        {"null", "object", ""},
        {"true", "object", ""},
    });
}

TEST_CASE("a missing, mistyped or unknown type is refused", "[codec][parse][errors]") {
    check_refusals({
        {R"({})", "'type'", ""},
        {R"({"id":3})", "'type'", "3"},
        {R"({"type":null,"id":"a"})", "'type'", R"("a")"},
        {R"({"type":7})", "'type'", ""},
        {R"({"type":["hello"]})", "'type'", ""},
        {R"({"type":{"name":"hello"}})", "'type'", ""},
        {R"({"type":"dance","id":5})", "unknown message type 'dance'", "5"},
        {R"({"type":"","id":5})", "unknown message type", "5"},
        {R"({"type":"Hello"})", "unknown message type 'Hello'", ""},
        {R"({"type":"question.pop"})", "unknown message type", ""},
        {R"({"type":"welcome"})", "unknown message type", ""},
        {R"({"type":")" + std::string(5000, 'z') + "\"}", "unknown message type", ""},
    });
}

TEST_CASE("hello with missing, mistyped or invalid fields is refused", "[codec][parse][errors]") {
    const std::string name65(65, 'n');
    const std::string name300(300, 'n');
    check_refusals({
        {R"({"type":"hello","token":"t","name":"A","client":"c"})", "'room'", ""},
        {R"({"type":"hello","room":"r","name":"A","client":"c"})", "'token'", ""},
        {R"({"type":"hello","room":"r","token":"t","client":"c"})", "'name'", ""},
        {R"({"type":"hello","room":"r","token":"t","name":"A"})", "'client'", ""},
        {R"({"type":"hello","room":5,"token":"t","name":"A","client":"c"})", "'room'", ""},
        {R"({"type":"hello","room":"r","token":null,"name":"A","client":"c"})", "'token'", ""},
        {R"({"type":"hello","room":"r","token":"t","name":["A"],"client":"c","id":1})", "'name'",
         "1"},
        {R"({"type":"hello","room":"r","token":"t","name":"A","client":{},"id":"h"})", "'client'",
         R"("h")"},
        {R"({"type":"hello","room":"r","token":"t","name":"A","client":7})", "'client'", ""},
        {R"({"type":"hello","room":"r","token":"t","name":"","client":"c","id":2})", "'name'", "2"},
        {R"({"type":"hello","room":"r","token":"t","name":"  \t ","client":"c"})", "'name'", ""},
        {R"({"type":"hello","room":"r","token":"t","name":")" + name65 + R"(","client":"c"})",
         "'name'", ""},
        {R"({"type":"hello","room":"r","token":"t","name":")" + name300 + R"(","client":"c"})",
         "'name'", ""},
        {R"({"type":"hello","room":"r","token":"t","name":"A\u0000B","client":"c"})", "'name'", ""},
        {R"({"type":"hello","room":"r","token":"t","name":"A\nB","client":"c"})", "'name'", ""},
        {R"({"type":"hello","room":"r","token":"t","name":"A\tB","client":"c"})", "'name'", ""},
        {R"({"type":"hello","room":"r","token":"t","name":"A\u001bB","client":"c"})", "'name'", ""},
        {R"({"type":"hello","room":"r","token":"t","name":"A\u007fB","client":"c"})", "'name'", ""},
        {R"({"type":"hello","room":")" + std::string(65, 'r') +
             R"(","token":"t","name":"A","client":"c"})",
         "'room'", ""},
        {R"({"type":"hello","room":"r","token":")" + std::string(129, 't') +
             R"(","name":"A","client":"c"})",
         "'token'", ""},
        {R"({"type":"hello","room":"r","token":"t","name":"A","client":")" + std::string(65, 'c') +
             "\"}",
         "'client'", ""},
        {R"({"type":"hello","room":"r","token":"t","name":"A","client":"c d","id":9})", "'client'",
         "9"},
    });
}

// PROTOCOL.md: names have "no control characters". U+0080..U+009F (C1, e.g. U+009B CSI, U+0085
// NEL) are control characters (Unicode category Cc) just like U+0000..U+001F and U+007F.
TEST_CASE("hello names with C1 control characters are refused", "[codec][parse][errors]") {
    check_refusals({
        {R"({"type":"hello","room":"r","token":"t","name":"A\u009bB","client":"c"})", "'name'", ""},
        {R"({"type":"hello","room":"r","token":"t","name":"A\u0085B","client":"c"})", "'name'", ""},
        {R"({"type":"hello","room":"r","token":"t","name":"A\u0080B","client":"c"})", "'name'", ""},
        {R"({"type":"hello","room":"r","token":"t","name":"\u009f","client":"c"})", "'name'", ""},
    });
    // Their neighbours in UTF-8 are ordinary characters: U+00A0, U+00BF, U+00C2 U+00A9, U+0100,
    // U+0442 (C2 A0, C2 BF, C3 82 C2 A9, C4 80, D1 82).
    auto hello_with_name = [](const std::string& name) {
        return json{
            {"type", "hello"}, {"room", "r"}, {"token", "t"}, {"name", name}, {"client", "c"}}
            .dump();
    };
    for (const std::string& name : std::vector<std::string>{
             "A\xC2\xA0\x42", "A\xC2\xBF\x42", "\xC3\x82\xC2\xA9", "\xC4\x80", "\xD1\x82"}) {
        CAPTURE(hex(name));
        CHECK(message_as<hello>(parse_ok(hello_with_name(name))).name == name);
    }
}

// Names are limited to 64 bytes; the message must state that limit, not an internal one.
TEST_CASE("an over-long name is refused with the real limit in the message",
          "[codec][parse][errors]") {
    for (std::size_t length : {65u, 256u, 257u, 1000u}) {
        CAPTURE(length);
        const auto error = parse_error(R"({"type":"hello","room":"r","token":"t","name":")" +
                                       std::string(length, 'n') + R"(","client":"c"})");
        CHECK_THAT(error.message, Catch::Contains("'name'") && Catch::Contains("64 bytes"));
    }
}

TEST_CASE("ping without a finite number t0 is refused", "[codec][parse][errors]") {
    check_refusals({
        {R"({"type":"ping","id":1})", "'t0'", "1"},
        {R"({"type":"ping","id":1,"t0":"5"})", "'t0'", "1"},
        {R"({"type":"ping","id":1,"t0":null})", "'t0'", "1"},
        {R"({"type":"ping","t0":[1]})", "'t0'", ""},
        {R"({"type":"ping","t0":true})", "'t0'", ""},
    });
    // A number too large for a double is either invalid JSON or not finite: refused either way.
    CHECK(parse_error(R"({"type":"ping","t0":1e400})").code == error_code::bad_request);
    CHECK(parse_error(R"({"type":"ping","t0":-1e400})").code == error_code::bad_request);
}

TEST_CASE("timer.command with missing or mistyped fields is refused", "[codec][parse][errors]") {
    check_refusals({
        {R"({"type":"timer.command","id":1,"command":"start","expect_rev":0})", "'timer'", "1"},
        {R"({"type":"timer.command","timer":"lunch","command":"start","expect_rev":0})", "'timer'",
         ""},
        {R"({"type":"timer.command","timer":3,"command":"start","expect_rev":0})", "'timer'", ""},
        {R"({"type":"timer.command","timer":"question","expect_rev":0})", "'command'", ""},
        {R"({"type":"timer.command","timer":"question","command":"stop","expect_rev":0})",
         "'command'", ""},
        {R"({"type":"timer.command","timer":"question","command":"START","expect_rev":0})",
         "'command'", ""},
        {R"({"type":"timer.command","timer":"question","command":"start"})", "'expect_rev'", ""},
        {R"({"type":"timer.command","timer":"question","command":"start","expect_rev":-1})",
         "'expect_rev'", ""},
        {R"({"type":"timer.command","timer":"question","command":"start","expect_rev":"1"})",
         "'expect_rev'", ""},
        {R"({"type":"timer.command","timer":"question","command":"start","expect_rev":1.5})",
         "'expect_rev'", ""},
        {R"({"type":"timer.command","timer":"question","command":"add","ms":1.5,"expect_rev":1})",
         "'ms'", ""},
        {R"({"type":"timer.command","timer":"question","command":"add","ms":"60000","expect_rev":1})",
         "'ms'", ""},
        {R"({"type":"timer.command","timer":"question","command":"add","ms":18446744073709551615,"expect_rev":1})",
         "'ms'", ""},
        {R"({"type":"question.push","question":"q1","budget_ms":"5 min"})", "'budget_ms'", ""},
        {R"({"type":"score.set","value":3,"expect_rev":0})", "'field'", ""},
        {R"({"type":"score.set","field":"q1.rating","expect_rev":0})", "'value'", ""},
        {R"({"type":"score.set","field":"q1.rating","value":2.5,"expect_rev":0})", "'value'", ""},
        {R"({"type":"score.set","field":"q1.rating","value":[3],"expect_rev":0})", "'value'", ""},
        {R"({"type":"score.set","field":"q1.rating","value":99999999999,"expect_rev":0})",
         "'value'", ""},
        {R"({"type":"score.set","field":"q1.rating","value":3})", "'expect_rev'", ""},
        {R"({"type":"score.set","field":7,"value":3,"expect_rev":0})", "'field'", ""},
        {R"({"type":"question.push","question":"q1","budget_ms":1e3})", "'budget_ms'", ""},
    });
}

TEST_CASE("question.push needs exactly one valid question or custom", "[codec][parse][errors]") {
    check_refusals({
        {R"({"type":"question.push","id":1})", "exactly one", "1"},
        {R"({"type":"question.push","id":2,"question":"q1","custom":{"text":"a","difficulty":"easy"}})",
         "exactly one", "2"},
        {R"({"type":"question.push","question":3})", "'question'", ""},
        {R"({"type":"question.push","question":null})", "'question'", ""},
        {R"({"type":"question.push","question":["q1"]})", "'question'", ""},
        {R"({"type":"question.push","question":")" + std::string(65, 'q') + "\"}", "'question'",
         ""},
        {R"({"type":"question.push","id":"c","custom":"Explain the GIL."})", "'custom'", R"("c")"},
        {R"({"type":"question.push","custom":null})", "'custom'", ""},
        {R"({"type":"question.push","custom":["a","easy"]})", "'custom'", ""},
        {R"({"type":"question.push","custom":{"difficulty":"easy"}})", "'text'", ""},
        {R"({"type":"question.push","custom":{"text":5,"difficulty":"easy"}})", "'text'", ""},
        {R"({"type":"question.push","custom":{"text":null,"difficulty":"easy"}})", "'text'", ""},
        {R"({"type":"question.push","custom":{"text":"a"}})", "'difficulty'", ""},
        {R"({"type":"question.push","id":4,"custom":{"text":"a","difficulty":"extreme"}})",
         "'difficulty'", "4"},
        {R"({"type":"question.push","custom":{"text":"a","difficulty":""}})", "'difficulty'", ""},
        {R"({"type":"question.push","custom":{"text":"a","difficulty":"easy "}})", "'difficulty'",
         ""},
        {R"({"type":"question.push","custom":{"text":"a","difficulty":3}})", "'difficulty'", ""},
        {R"({"type":"question.push","custom":{"text":"a","difficulty":null}})", "'difficulty'", ""},
        {R"({"type":"question.push","custom":{"text":"a","difficulty":["hard"]}})", "'difficulty'",
         ""},
        {R"({"type":"question.push","custom":{"text":"a","difficulty":")" + std::string(100, 'h') +
             "\"}}",
         "'difficulty'", ""},
        {R"({"type":"question.push","custom":{"text":")" + std::string(64 * 1024 + 1, 'x') +
             R"(","difficulty":"easy"}})",
         "'text'", ""},
    });
}

TEST_CASE("an id that is not a short string or an integer is refused, without a ref",
          "[codec][parse][errors]") {
    check_refusals({
        {R"({"type":"leave","id":1.5})", "'id'", ""},
        {R"({"type":"leave","id":1e3})", "'id'", ""},
        {R"({"type":"leave","id":true})", "'id'", ""},
        {R"({"type":"leave","id":null})", "'id'", ""},
        {R"({"type":"leave","id":[1]})", "'id'", ""},
        {R"({"type":"leave","id":{"n":1}})", "'id'", ""},
        {R"({"type":"leave","id":")" + std::string(65, 'i') + "\"}", "'id'", ""},
        // The id is checked first: a bad id wins over a bad type.
        {R"({"type":"dance","id":[]})", "'id'", ""},
        {R"({"id":2.5})", "'id'", ""},
    });
}

// ---- parsing: hostile input --------------------------------------------------------------

TEST_CASE("deeply nested JSON neither throws nor overflows the stack", "[codec][parse][robust]") {
    const std::size_t depth = 30'000;
    const std::string open(depth, '['), close(depth, ']');
    REQUIRE(open.size() + close.size() < 64 * 1024);

    SECTION("unterminated") {
        CHECK_THAT(parse_error(open).message, Catch::Contains("invalid JSON"));
        CHECK_THAT(parse_error(std::string(64 * 1024, '{')).message,
                   Catch::Contains("invalid JSON"));
        CHECK_THAT(parse_error(R"({"type":"leave","x":)" + open).message,
                   Catch::Contains("invalid JSON"));
    }
    SECTION("balanced, as the whole message") {
        CHECK_THAT(parse_error(open + close).message, Catch::Contains("object"));
    }
    SECTION("balanced, inside an object") {
        const auto parsed = parse_ok(R"({"type":"leave","x":)" + open + close + "}");
        command_as<domain::leave>(parsed);
        const auto error = parse_error(R"({"type":"ping","id":)" + open + close + "}");
        CHECK_THAT(error.message, Catch::Contains("'id'"));
        CHECK(error.ref.empty());
        CHECK_THAT(parse_error(R"({"type":"ping","id":1,"t0":)" + open + close + "}").message,
                   Catch::Contains("'t0'"));
    }
    SECTION("nested objects") {
        std::string nested;
        for (std::size_t i = 0; i < 10'000; ++i) nested += R"({"a":)";
        nested += "1";
        nested += std::string(10'000, '}');
        REQUIRE(nested.size() < 64 * 1024);
        CHECK_THAT(parse_error(nested).message, Catch::Contains("'type'"));
    }
}

TEST_CASE("random garbage is refused cleanly, never with an exception", "[codec][parse][robust]") {
    std::mt19937 rng(20251124u);
    auto below = [&](std::size_t n) {
        return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
    };
    auto random_byte = [&] { return static_cast<char>(below(256)); };

    const std::vector<std::string> seeds = {
        example_text("c2s.hello.json"), example_text("c2s.ping.json"),
        example_text("c2s.leave.json"), example_text("c2s.question.push.bank.json"),
        example_text("c2s.question.push.custom.json")};
    const std::vector<std::string> bad_utf8 = {
        "\xFF",         "\xC3",         "\xC3\x28",         "\xC0\xAF",
        "\xE0\x80\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xF8\x88\x80\x80\x80",
        "\x80",         "\xE2\x82"};
    const std::string json_alphabet = "{}[]\":,0123456789.-+eE truefalsnul\\u\"typeidhello";
    const std::vector<std::string> keys = {"type",   "id",     "room",      "token",
                                           "name",   "client", "t0",        "question",
                                           "custom", "text",   "difficulty"};
    const std::vector<std::string> types = {"hello", "ping", "leave", "question.push", "pong"};

    std::function<json(int)> random_value = [&](int depth) -> json {
        switch (below(depth > 2 ? 6 : 8)) {
            case 0:
                return static_cast<std::int64_t>(rng()) - (1ll << 31);
            case 1:
                return std::uniform_real_distribution<double>(-1e6, 1e6)(rng);
            case 2:
                return std::string(below(80), static_cast<char>('a' + below(26)));
            case 3:
                return below(2) == 0;
            case 4:
                return nullptr;
            case 5:
                return types[below(types.size())];
            case 6: {
                json array = json::array();
                for (std::size_t i = below(4); i > 0; --i) array.push_back(random_value(depth + 1));
                return array;
            }
            default: {
                json object = json::object();
                for (std::size_t i = below(5); i > 0; --i) {
                    object[keys[below(keys.size())]] = random_value(depth + 1);
                }
                return object;
            }
        }
    };

    std::vector<std::string> failures;
    int refused = 0, accepted = 0;
    for (int i = 0; i < 4000; ++i) {
        std::string text;
        switch (i % 5) {
            case 0:  // random bytes
                for (std::size_t n = below(300); n > 0; --n) text += random_byte();
                break;
            case 1:  // JSON-looking noise
                for (std::size_t n = below(200); n > 0; --n) {
                    text += json_alphabet[below(json_alphabet.size())];
                }
                break;
            case 2: {  // a mutated golden message
                text = seeds[below(seeds.size())];
                for (std::size_t n = 1 + below(8); n > 0 && !text.empty(); --n) {
                    std::size_t at = below(text.size());
                    switch (below(3)) {
                        case 0:
                            text[at] = random_byte();
                            break;
                        case 1:
                            text.insert(at, 1, random_byte());
                            break;
                        default:
                            text.erase(at, 1 + below(4));
                            break;
                    }
                }
                break;
            }
            case 3: {  // a golden message with invalid UTF-8 inside a string
                text = seeds[below(seeds.size())];
                std::size_t quote = text.find('"', below(text.size()));
                if (quote == std::string::npos) quote = text.find('"');
                text.insert(quote + 1, bad_utf8[below(bad_utf8.size())]);
                break;
            }
            default: {  // a well-formed object with random fields
                json object = random_value(0);
                if (!object.is_object()) object = json::object();
                if (below(4) != 0) object["type"] = types[below(types.size())];
                text = object.dump();
                break;
            }
        }
        try {
            auto result = parse(text);
            if (auto* error = std::get_if<protocol_error>(&result)) {
                ++refused;
                if (error->code != error_code::bad_request || error->message.empty()) {
                    failures.push_back("bad refusal for " + hex(text));
                }
                if (!error->ref.empty() && !json::accept(error->ref)) {
                    failures.push_back("ref is not JSON for " + hex(text));
                }
                if (!json::accept(encode_error(error->code, error->message, error->ref))) {
                    failures.push_back("error not encodable for " + hex(text));
                }
            } else {
                ++accepted;
                const auto& parsed = std::get<parsed_message>(result);
                if (!parsed.ref.empty() && !json::accept(parsed.ref)) {
                    failures.push_back("ref is not JSON for " + hex(text));
                }
            }
        } catch (const std::exception& e) {
            failures.push_back(std::string("threw ") + e.what() + " for " + hex(text));
        }
        if (failures.size() > 10) break;
    }
    CHECK(failures == std::vector<std::string>{});
    CHECK(refused > 1000);
    CHECK(accepted > 0);
}

// ---- encoding ----------------------------------------------------------------------------

namespace {

// A room with every kind of event, on the canary bank.
struct canary_room {
    limits bounds;
    domain::room room{{"r00m1d", "Canary room", canary_bank(), t_push}, bounds};
    std::vector<std::pair<std::string, domain::event>> events;

    canary_room() {
        auto grace = room.join(1, role::interviewer, "Grace", "g", t_push);
        events.emplace_back("interviewer welcome (empty)", grace.at(0).what);
        room.join(2, role::candidate, "Ada", "a", t_push);
        auto linus = room.join(3, role::observer, "Linus", "l", t_push);
        events.emplace_back("observer welcome (empty)", linus.at(0).what);
        room.disconnect(3, t_push);
        events.emplace_back("q1",
                            room.apply(1, domain::push_question{"q1"}, "", t_push + 1).at(0).what);
        events.emplace_back("custom", room.apply(1,
                                                 domain::push_question{domain::custom_question{
                                                     "Why \"Python\"?", difficulty::easy}},
                                                 "", t_push + 2)
                                          .at(0)
                                          .what);
        auto q6 = room.apply(1, domain::push_question{"q6"}, "", t_push + 3);
        events.emplace_back("q6", q6.at(0).what);
        events.emplace_back("timer (push)", q6.at(1).what);
        events.emplace_back(
            "timer (pause)",
            room.apply(1,
                       domain::timer_command{
                           domain::timer_id::interview, domain::timer_action::pause, {}, 1},
                       "", t_push + 3)
                .at(0)
                .what);
        auto late_interviewer = room.join(4, role::interviewer, "Barbara", "b", t_push + 4);
        events.emplace_back("interviewer welcome", late_interviewer.at(0).what);
        events.emplace_back("presence", late_interviewer.at(1).what);
        auto late_candidate = room.join(5, role::candidate, "Edsger", "e", t_push + 5);
        events.emplace_back("candidate welcome", late_candidate.at(0).what);
        auto late_observer = room.join(6, role::observer, "Linus", "l", t_push + 6);
        events.emplace_back("observer welcome", late_observer.at(0).what);
        events.emplace_back("error",
                            room.apply(2, domain::push_question{"q1"}, "12", t_push).at(0).what);
        events.emplace_back("error without ref",
                            room.apply(1, domain::push_question{"nope"}, "", t_push).at(0).what);
        events.emplace_back("timer (expire)", room.tick(t_push + 3 + 60 * 60'000).at(0).what);
        events.emplace_back(
            "score",
            room.apply(1, domain::set_score{"q1.comment", "Solid " + std::string(canary), 0}, "",
                       t_push + 3 + 60 * 60'000)
                .at(0)
                .what);
        events.emplace_back(
            "ended",
            room.apply(1, domain::end_interview{}, "", t_push + 4 + 60 * 60'000).back().what);
        auto after_end = room.join(7, role::candidate, "Edsger", "e", t_push + 5 + 60 * 60'000);
        events.emplace_back("candidate welcome (ended)", after_end.at(0).what);
        auto interviewer_after_end =
            room.join(8, role::interviewer, "Barbara", "b", t_push + 5 + 60 * 60'000);
        events.emplace_back("interviewer welcome (ended, scored)",
                            interviewer_after_end.at(0).what);
    }
};

void check_participants(const json& participants) {
    REQUIRE(participants.is_array());
    for (const auto& p : participants) {
        CHECK(keys_of(p) == std::set<std::string>{"id", "name", "role", "connected"});
        CHECK(p["id"].is_string());
        CHECK(p["name"].is_string());
        CHECK((p["role"] == "interviewer" || p["role"] == "candidate" || p["role"] == "observer"));
        CHECK(p["connected"].is_boolean());
    }
}

bool is_difficulty(const json& value) {
    return value == "easy" || value == "medium" || value == "hard";
}

void check_question(const json& q, role recipient, bool in_history = false) {
    std::set<std::string> expected{"seq",        "id",        "number",   "text",
                                   "difficulty", "pushed_at", "budget_ms"};
    if (recipient == role::interviewer) expected.insert("sample_answer");
    if (recipient == role::interviewer && in_history) expected.insert("time_spent_ms");
    CHECK(keys_of(q) == expected);
    CHECK(q["seq"].is_number_integer());
    CHECK(q["id"].is_string());
    CHECK((q["number"].is_number_integer() || q["number"].is_null()));
    CHECK(q["number"].is_null() == q["id"].get<std::string>().starts_with("custom-"));
    CHECK(q["text"].is_string());
    CHECK(is_difficulty(q["difficulty"]));
    CHECK(q["pushed_at"].is_number_integer());
    CHECK(q["budget_ms"].is_number_integer());
    if (recipient == role::interviewer) CHECK(q["sample_answer"].is_string());
}

// A timer's state, as in welcome.state.timers and in the `timer` message.
void check_timer(const json& t, bool question_timer, std::set<std::string> extra_keys = {}) {
    std::set<std::string> expected{"state",        "duration_ms", "deadline",
                                   "remaining_ms", "rev",         "warn_ms"};
    if (question_timer) expected.insert("question");
    expected.merge(extra_keys);
    CHECK(keys_of(t) == expected);
    const json& state = t["state"];
    CHECK((state == "idle" || state == "running" || state == "paused" || state == "expired"));
    CHECK(t["deadline"].is_null() == (state == "idle" || state == "paused"));
    CHECK(t["remaining_ms"].is_number_integer());
    CHECK(t["rev"].is_number_unsigned());
    CHECK(t["warn_ms"].is_array());
    if (question_timer) CHECK((t["question"].is_null() || t["question"].is_number_integer()));
}

void check_documented_shape(const json& j, role recipient, const domain::bank& b) {
    REQUIRE(j.is_object());
    REQUIRE(j.contains("type"));
    const std::string type = j["type"];
    if (type == "welcome") {
        CHECK(keys_of(j) == std::set<std::string>{"type", "role", "you", "room", "now", "state"});
        CHECK(j["now"].is_number_integer());
        CHECK(j["you"].is_string());
        CHECK(keys_of(j["room"]) == std::set<std::string>{"id", "title", "bank"});
        CHECK(keys_of(j["room"]["bank"]) == std::set<std::string>{"id", "title"});
        const json& state = j["state"];
        std::set<std::string> state_keys{"participants", "current",  "history", "language",
                                         "timers",       "ended_at", "revealed"};
        if (recipient == role::interviewer) state_keys.insert({"bank", "scorecard"});
        CHECK((state["ended_at"].is_null() || state["ended_at"].is_number_integer()));
        CHECK(state["revealed"].is_boolean());
        CHECK(keys_of(state) == state_keys);
        check_participants(state["participants"]);
        REQUIRE(state["history"].is_array());
        for (const auto& q : state["history"]) check_question(q, recipient, true);
        CHECK(keys_of(state["timers"]) == std::set<std::string>{"interview", "question"});
        check_timer(state["timers"]["interview"], false);
        check_timer(state["timers"]["question"], true);
        if (state["history"].empty()) {
            CHECK(state["current"].is_null());
        } else {
            CHECK(state["current"] == state["history"].back());
        }
        if (recipient == role::interviewer) {
            const json& bank = state["bank"];
            CHECK(keys_of(bank) ==
                  std::set<std::string>{"id", "title", "description", "questions"});
            CHECK(bank["id"] == b.id);
            CHECK(bank["title"] == b.title);
            CHECK(bank["description"] == b.description);
            REQUIRE(bank["questions"].size() == b.questions.size());
            for (std::size_t i = 0; i < b.questions.size(); ++i) {
                const json& q = bank["questions"][i];
                CHECK(keys_of(q) == std::set<std::string>{"id", "number", "text", "difficulty",
                                                          "budget_ms", "sample_answer"});
                CHECK(q["budget_ms"] == domain::budget_ms(b, b.questions[i]));
                CHECK(q["id"] == b.questions[i].id);
                CHECK(q["number"] == b.questions[i].number);
                CHECK(q["text"] == b.questions[i].text);
                CHECK(q["difficulty"] == domain::to_string(b.questions[i].level));
                CHECK(q["sample_answer"] == b.questions[i].sample_answer);
            }
        }
    } else if (type == "presence") {
        CHECK(keys_of(j) == std::set<std::string>{"type", "participants"});
        check_participants(j["participants"]);
    } else if (type == "question") {
        auto keys = keys_of(j);
        if (recipient == role::interviewer && keys.erase("time_spent")) {
            CHECK(keys_of(j["time_spent"]) == std::set<std::string>{"seq", "ms"});
        }
        CHECK(keys == std::set<std::string>{"type", "question"});
        check_question(j["question"], recipient);
    } else if (type == "ended") {
        CHECK(keys_of(j) == std::set<std::string>{"type", "at", "by"});
    } else if (type == "score") {
        CHECK(recipient == role::interviewer);
        CHECK(keys_of(j) == std::set<std::string>{"type", "field", "value", "rev", "by"});
    } else if (type == "timer") {
        const bool question_timer = j["timer"] == "question";
        CHECK((question_timer || j["timer"] == "interview"));
        check_timer(j, question_timer, {"type", "timer", "cause", "by"});
        CHECK(j["cause"].is_string());
        CHECK((j["by"].is_null() == (j["cause"] == "expire")));
    } else if (type == "error") {
        auto keys = keys_of(j);
        keys.erase("ref");
        CHECK(keys == std::set<std::string>{"type", "code", "message"});
        CHECK(j["code"].is_string());
        CHECK(j["message"].is_string());
    } else if (type == "notes.snapshot") {
        CHECK(keys_of(j) == std::set<std::string>{"type", "doc", "version", "text"});
        CHECK((j["doc"] == "shared" || recipient == role::interviewer));
        CHECK(j["version"].is_number_unsigned());
        CHECK(j["text"].is_string());
    } else if (type == "notes.updates") {
        CHECK(keys_of(j) == std::set<std::string>{"type", "doc", "from", "updates"});
        CHECK((j["doc"] == "shared" || recipient == role::interviewer));
        CHECK(j["updates"].is_array());
    } else if (type == "cursor") {
        CHECK(keys_of(j) ==
              std::set<std::string>{"type", "doc", "participant", "version", "ranges"});
        CHECK((j["doc"] == "shared" || recipient == role::interviewer));
    } else if (type == "notes.language") {
        CHECK(keys_of(j) == std::set<std::string>{"type", "language", "by"});
    } else {
        FAIL("unexpected type " << type);
    }
}

}  // namespace

TEST_CASE("every event encodes to documented JSON for every role", "[codec][encode]") {
    canary_room r;
    const auto& b = *r.room.info().question_bank;
    for (const auto& [label, e] : r.events) {
        for (role recipient : all_roles) {
            CAPTURE(label, domain::to_string(recipient));
            const std::string bytes = encode(e, recipient);
            if (bytes.empty()) {  // "not for this role": only ever the private notes
                CHECK(recipient != role::interviewer);
                continue;
            }
            check_documented_shape(parse_json(bytes), recipient, b);
        }
    }
}

TEST_CASE("interviewers get sample answers and the whole bank", "[codec][encode][redaction]") {
    canary_room r;
    const auto& b = *r.room.info().question_bank;
    bool saw_welcome = false, saw_question = false;
    for (const auto& [label, e] : r.events) {
        CAPTURE(label);
        const std::string bytes = encode(e, role::interviewer);
        const json j = parse_json(bytes);
        if (const auto* w = std::get_if<domain::welcome_event>(&e)) {
            saw_welcome = true;
            CHECK(j["state"]["bank"]["questions"].size() == b.questions.size());
            REQUIRE(j["state"]["history"].size() == w->state.history.size());
            for (std::size_t i = 0; i < w->state.history.size(); ++i) {
                CHECK(j["state"]["history"][i]["sample_answer"] ==
                      w->state.history[i].sample_answer);
            }
            CHECK(bytes.find(canary) != std::string::npos);
        }
        if (const auto* q = std::get_if<domain::question_event>(&e)) {
            saw_question = true;
            CHECK(j["question"]["sample_answer"] == q->question.sample_answer);
            if (q->question.number) {
                CHECK(bytes.find(canary) != std::string::npos);
            } else {
                CHECK(j["question"]["sample_answer"] == "");
                CHECK(j["question"]["number"].is_null());
            }
        }
    }
    CHECK(saw_welcome);
    CHECK(saw_question);
}

TEST_CASE("candidates and observers never get sample answers or the bank",
          "[codec][encode][redaction]") {
    canary_room r;
    for (const auto& [label, e] : r.events) {
        const json full = parse_json(encode(e, role::interviewer));
        const std::string candidate_bytes = encode(e, role::candidate);
        for (role recipient : {role::candidate, role::observer}) {
            CAPTURE(label, domain::to_string(recipient));
            const std::string bytes = encode(e, recipient);
            CHECK(bytes.find(canary) == std::string::npos);
            CHECK(bytes.find("sample_answer") == std::string::npos);
            if (std::holds_alternative<domain::score_event>(e)) {
                CHECK(bytes.empty());  // the scorecard is not theirs to see in any form
                continue;
            }
            CHECK(bytes.find("Answer ") == std::string::npos);
            const json j = parse_json(bytes);
            CHECK_FALSE(has_key_anywhere(j, "sample_answer"));
            if (j.contains("state")) CHECK_FALSE(j["state"].contains("bank"));
            // Everything else is exactly what the interviewer sees.
            CHECK(j == redacted(full));
            CHECK(bytes == candidate_bytes);
        }
    }
}

TEST_CASE("presence and errors are the same for every role", "[codec][encode]") {
    canary_room r;
    for (const auto& [label, e] : r.events) {
        if (!std::holds_alternative<domain::presence_event>(e) &&
            !std::holds_alternative<domain::error_event>(e)) {
            continue;
        }
        CAPTURE(label);
        CHECK(encode(e, role::interviewer) == encode(e, role::candidate));
        CHECK(encode(e, role::interviewer) == encode(e, role::observer));
    }
}

// The room host frames such an event once and sends the same bytes to every role: a wrong
// "false" here would hand a candidate the interviewer's copy.
TEST_CASE("an event said to be the same for every role encodes the same for every role",
          "[codec][encode][redaction]") {
    canary_room r;
    auto events = r.events;
    domain::change_set typed = domain::change_set::from_parts(
        {domain::change_set::keep{2}, domain::change_set::replace{0, u"x\"y"}});
    for (auto doc : {domain::doc_id::shared, domain::doc_id::private_notes}) {
        events.emplace_back("updates", domain::notes_updates_event{doc, 3, {{"tab-1", typed}}});
        events.emplace_back("snapshot", domain::notes_snapshot_event{doc, 4, u"ab"});
        events.emplace_back("cursor", domain::cursor_event{doc, "p2", 4, {{1, 2}}});
    }
    events.emplace_back("presence (nobody)", domain::presence_event{});
    events.emplace_back("language", domain::language_event{domain::language::python, "p1"});
    events.emplace_back("ended", domain::ended_event{t_push, "p1"});
    events.emplace_back("revealed", domain::revealed_event{{{1, "an answer"}}});
    std::set<std::size_t> shared_kinds;
    std::set<std::size_t> per_role_kinds;
    for (const auto& [label, e] : events) {
        CAPTURE(label);
        if (encoding_depends_on_role(e)) {
            per_role_kinds.insert(e.index());
            continue;
        }
        shared_kinds.insert(e.index());
        const std::string bytes = encode(e, role::interviewer);
        CHECK_FALSE(bytes.empty());
        CHECK(encode(e, role::candidate) == bytes);
        CHECK(encode(e, role::observer) == bytes);
    }
    // Every kind occurs; the welcome, questions, scores and private notes are per role.
    CHECK(shared_kinds.size() + per_role_kinds.size() >= std::variant_size_v<domain::event> + 3);
    CHECK(shared_kinds.size() == std::variant_size_v<domain::event> - 3);
    CHECK(per_role_kinds.count(domain::event(domain::welcome_event{}).index()) == 1);
    CHECK(per_role_kinds.count(domain::event(domain::question_event{}).index()) == 1);
    CHECK(per_role_kinds.count(domain::event(domain::score_event{}).index()) == 1);
    CHECK(per_role_kinds.count(domain::event(domain::notes_updates_event{}).index()) == 1);
}

TEST_CASE("error, pong and HTTP error encodings", "[codec][encode]") {
    SECTION("errors") {
        json j = parse_json(encode_error(error_code::forbidden, "only interviewers", "7"));
        CHECK(j == json{{"type", "error"},
                        {"code", "forbidden"},
                        {"message", "only interviewers"},
                        {"ref", 7}});
        j = parse_json(encode_error(error_code::not_found, "no", R"("req-1")"));
        CHECK(j["ref"] == "req-1");
        j = parse_json(encode_error(error_code::rate_limited, "slow down", ""));
        CHECK_FALSE(j.contains("ref"));
        CHECK(j["code"] == "rate_limited");
        // Every code has its documented name.
        const std::pair<error_code, const char*> codes[] = {
            {error_code::bad_request, "bad_request"},   {error_code::unauthorized, "unauthorized"},
            {error_code::forbidden, "forbidden"},       {error_code::not_found, "not_found"},
            {error_code::conflict, "conflict"},         {error_code::too_large, "too_large"},
            {error_code::rate_limited, "rate_limited"}, {error_code::internal, "internal"}};
        for (const auto& [code, name] : codes) {
            CHECK(parse_json(encode_error(code, "m", ""))["code"] == name);
            CHECK(parse_json(http_error_body(code, "m"))["error"]["code"] == name);
        }
        // A message cut in the middle of a UTF-8 character still encodes.
        CHECK(json::accept(encode_error(error_code::bad_request, "bad \xC3", "")));
    }
    SECTION("pong") {
        json j = parse_json(encode_pong("42", "1764000001234", 1764000001250, 1764000001251));
        CHECK(keys_of(j) == std::set<std::string>{"type", "id", "t0", "t1", "t2"});
        CHECK(j["type"] == "pong");
        CHECK(j["id"] == 42);
        CHECK(j["t0"] == 1764000001234.0);
        CHECK(j["t1"] == 1764000001250);
        CHECK(j["t2"] == 1764000001251);
        CHECK(parse_json(encode_pong("null", "0.5", 1, 2))["id"].is_null());
        CHECK(parse_json(encode_pong("\"p-1\"", "0.5", 1, 2))["id"] == "p-1");
        CHECK(parse_json(encode_pong("\"p-1\"", "0.5", 1, 2))["t0"] == 0.5);
    }
    SECTION("HTTP errors") {
        CHECK(parse_json(http_error_body(error_code::too_large, "body over 64 KiB")) ==
              json{{"error", {{"code", "too_large"}, {"message", "body over 64 KiB"}}}});
    }
}

TEST_CASE("bank text that is not UTF-8 still encodes as valid JSON", "[codec][encode][robust]") {
    auto b = std::make_shared<domain::bank>();
    b->id = "broken";
    b->title = "Broken \xFF title";
    b->questions = {{"q1", 1, difficulty::easy, "text \xC3", "answer \xED\xA0\x80"}};
    limits bounds;
    domain::room room({"r", "Room \xFE", b, 0}, bounds);
    auto joined = room.join(1, role::interviewer, "Grace", "g", 0);
    auto pushed = room.apply(1, domain::push_question{"q1"}, "", 0);
    for (role recipient : all_roles) {
        for (const auto* out : {&joined, &pushed}) {
            for (const auto& o : *out) {
                std::string bytes;
                REQUIRE_NOTHROW(bytes = encode(o.what, recipient));
                if (bytes.empty()) {  // "not for this role" (the private notes)
                    CHECK(recipient != role::interviewer);
                    continue;
                }
                CHECK(json::accept(bytes));
            }
        }
    }
}

// ---- golden server examples --------------------------------------------------------------

TEST_CASE("the s2c examples are what the server sends", "[codec][encode][golden]") {
    limits bounds;
    domain::room room(golden_info(), bounds);

    // Grace (interviewer) is in the room and pushes c2s.question.push.bank.json.
    room.join(1, role::interviewer, "Grace", "c-9b2a71", t_push - 30'000);
    const auto push = parse_ok(example_text("c2s.question.push.bank.json"));
    const auto pushed = room.apply(1, message_as<domain::command>(push), push.ref, t_push);
    const auto question = event_in<domain::question_event>(pushed, 0);
    CHECK(parse_json(encode(question, role::interviewer)) ==
          example("s2c.question.interviewer.json"));
    CHECK(parse_json(encode(question, role::candidate)) == example("s2c.question.candidate.json"));
    CHECK(parse_json(encode(question, role::observer)) == example("s2c.question.candidate.json"));

    // Ada (candidate) joins with c2s.hello.json.
    const auto h = message_as<hello>(parse_ok(example_text("c2s.hello.json")));
    const auto ada = room.join(2, role::candidate, h.name, h.client, t_push + 60'000);
    CHECK(parse_json(encode(event_in<domain::welcome_event>(ada, 0), role::candidate)) ==
          example("s2c.welcome.candidate.json"));

    // Grace's socket drops and she reconnects: the full state again.
    room.disconnect(1, t_push + 50'000);
    const auto grace = room.join(3, role::interviewer, "Grace", "c-9b2a71", t_push + 60'000);
    CHECK(parse_json(encode(event_in<domain::welcome_event>(grace, 0), role::interviewer)) ==
          example("s2c.welcome.interviewer.json"));

    // Linus (observer) comes and goes.
    room.join(4, role::observer, "Linus", "c-77aa01", t_push + 61'000);
    const auto gone = room.disconnect(4, t_push + 62'000);
    for (role recipient : all_roles) {
        CHECK(parse_json(encode(event_in<domain::presence_event>(gone, 0), recipient)) ==
              example("s2c.presence.json"));
    }

    // Grace asks for a question the bank does not have.
    const auto bad_push = parse_ok(R"({"type":"question.push","id":8,"question":"q42"})");
    const auto refused =
        room.apply(3, message_as<domain::command>(bad_push), bad_push.ref, t_push + 63'000);
    CHECK(parse_json(encode(event_in<domain::error_event>(refused, 0), role::interviewer)) ==
          example("s2c.error.json"));

    // The custom example becomes the second push; the leave example takes Ada out.
    const auto custom = parse_ok(example_text("c2s.question.push.custom.json"));
    const auto second = event_in<domain::question_event>(
        room.apply(3, message_as<domain::command>(custom), custom.ref, t_push + 70'000), 0);
    CHECK(parse_json(encode(second, role::interviewer)) ==
          json::parse(R"({"type":"question","question":{"seq":2,"id":"custom-2","number":null,
            "text":"Explain the GIL.","difficulty":"hard","pushed_at":1764000070000,
            "budget_ms":900000,"sample_answer":""},"time_spent":{"seq":1,"ms":70000}})"));

    // Grace pauses the question timer (rev 3), then sends c2s.timer.command.json.
    room.apply(3,
               domain::timer_command{domain::timer_id::question, domain::timer_action::pause,
                                     std::nullopt, 2},
               "", t_push + 80'000);
    const auto add = parse_ok(example_text("c2s.timer.command.json"));
    const auto added = room.apply(3, message_as<domain::command>(add), add.ref, t_push + 90'000);
    for (role recipient : all_roles) {
        CHECK(parse_json(encode(event_in<domain::timer_event>(added, 0), recipient)) ==
              example("s2c.timer.json"));
    }
    // Nobody touched the interview timer the first push started: it expires on time, once.
    CHECK(room.tick(t_push + 2'700'000 - 1).empty());
    const auto expired = room.tick(t_push + 2'700'000);
    REQUIRE(expired.size() == 1);
    for (role recipient : all_roles) {
        CHECK(parse_json(encode(event_in<domain::timer_event>(expired, 0), recipient)) ==
              example("s2c.timer.expired.json"));
    }
    CHECK(room.tick(t_push + 2'800'000).empty());

    // Grace scores the first question (c2s.score.set.json): only interviewers hear of it.
    const auto score = parse_ok(example_text("c2s.score.set.json"));
    const auto scored =
        room.apply(3, message_as<domain::command>(score), score.ref, t_push + 2'900'000);
    CHECK(parse_json(encode(event_in<domain::score_event>(scored, 0), role::interviewer)) ==
          example("s2c.score.json"));
    CHECK(encode(event_in<domain::score_event>(scored, 0), role::candidate).empty());
    CHECK(encode(event_in<domain::score_event>(scored, 0), role::observer).empty());

    // She ends the interview, then reveals the sample answers of the asked questions.
    const auto ended = room.apply(
        3, message_as<domain::command>(parse_ok(R"({"type":"room.end"})")), "", t_push + 3'000'000);
    for (role recipient : all_roles) {
        CHECK(parse_json(encode(event_in<domain::ended_event>(ended, 0), recipient)) ==
              example("s2c.ended.json"));
    }
    const auto revealed =
        room.apply(3, message_as<domain::command>(parse_ok(R"({"type":"room.reveal"})")), "",
                   t_push + 3'001'000);
    for (role recipient : all_roles) {
        CHECK(parse_json(encode(event_in<domain::revealed_event>(revealed, 0), recipient)) ==
              example("s2c.revealed.json"));
    }
    const auto leave = parse_ok(example_text("c2s.leave.json"));
    const auto left = room.apply(2, message_as<domain::command>(leave), leave.ref, t_push + 8'000);
    CHECK(parse_json(encode(event_in<domain::presence_event>(left, 0), role::candidate)) ==
          json::parse(R"({"type":"presence","participants":[
            {"id":"p1","name":"Grace","role":"interviewer","connected":true},
            {"id":"p3","name":"Linus","role":"observer","connected":false}]})"));
}

TEST_CASE("s2c.pong.json answers c2s.ping.json", "[codec][encode][golden]") {
    const auto p = message_as<ping>(parse_ok(example_text("c2s.ping.json")));
    CHECK(parse_json(encode_pong(p.id, p.t0, 1764000001250, 1764000001251)) ==
          example("s2c.pong.json"));
}

TEST_CASE("http.error.json is what the HTTP API sends", "[codec][encode][golden]") {
    CHECK(parse_json(http_error_body(error_code::not_found, "no bank 'go-developer'")) ==
          example("http.error.json"));
}

// ---- the HTTP examples -------------------------------------------------------------------

namespace {

bool is_base64url(const std::string& text) {
    return !text.empty() && text.find_first_not_of(
                                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuv"
                                "wxyz0123456789-_") == std::string::npos;
}

}  // namespace

TEST_CASE("http.create-room.response.json has the documented shape", "[golden][http]") {
    const json j = example("http.create-room.response.json");
    CHECK(keys_of(j) == std::set<std::string>{"room", "title", "bank", "tokens", "links"});
    const std::string room = j["room"];
    CHECK(room.size() == 12);  // 72 random bits
    CHECK(is_base64url(room));
    CHECK(j["title"] == "Mock interview");
    CHECK(j["bank"] == json{{"id", "python-developer"}, {"title", "Python Developer"}});
    const std::set<std::string> roles{"interviewer", "candidate", "observer"};
    CHECK(keys_of(j["tokens"]) == roles);
    CHECK(keys_of(j["links"]) == roles);
    std::set<std::string> distinct;
    for (const auto& name : roles) {
        CAPTURE(name);
        const std::string token = j["tokens"][name];
        // 128 bits in base64url without padding: 22 characters, the last holding 2 bits.
        CHECK(token.size() == 22);
        CHECK(is_base64url(token));
        CHECK(std::string("AQgw").find(token.back()) != std::string::npos);
        CHECK(j["links"][name] == "http://localhost:8080/room/" + room + "#token=" + token);
        distinct.insert(token);
    }
    CHECK(distinct.size() == 3);
    // The welcome examples describe the same room.
    CHECK(example("s2c.welcome.candidate.json")["room"] ==
          json{{"id", room}, {"title", j["title"]}, {"bank", j["bank"]}});
}

TEST_CASE("http.banks.response.json has the documented shape", "[golden][http]") {
    const json j = example("http.banks.response.json");
    CHECK(keys_of(j) == std::set<std::string>{"banks"});
    REQUIRE(j["banks"].is_array());
    REQUIRE_FALSE(j["banks"].empty());
    for (const auto& b : j["banks"]) {
        CHECK(keys_of(b) == std::set<std::string>{"id", "title", "description", "questions"});
        CHECK(b["questions"].is_number_unsigned());
    }
    CHECK(j["banks"][0]["id"] == "python-developer");
    CHECK(j["banks"][0]["questions"] == 10);  // shared/questions/python-developer.txt
    CHECK_FALSE(has_key_anywhere(j, "sample_answer"));
    CHECK_FALSE(has_key_anywhere(j, "text"));
}

TEST_CASE("every example is one pretty-printed JSON object", "[golden]") {
    const std::vector<std::string> named = {"c2s.hello.json",
                                            "c2s.ping.json",
                                            "c2s.leave.json",
                                            "c2s.question.push.bank.json",
                                            "c2s.question.push.custom.json",
                                            "c2s.question.push.budget.json",
                                            "c2s.timer.command.json",
                                            "s2c.timer.json",
                                            "s2c.timer.expired.json",
                                            "http.create-room.request.json",
                                            "c2s.score.set.json",
                                            "s2c.score.json",
                                            "s2c.ended.json",
                                            "s2c.revealed.json",
                                            "s2c.welcome.interviewer.json",
                                            "s2c.welcome.candidate.json",
                                            "s2c.presence.json",
                                            "s2c.question.interviewer.json",
                                            "s2c.question.candidate.json",
                                            "s2c.error.json",
                                            "s2c.pong.json",
                                            "http.create-room.response.json",
                                            "http.banks.response.json",
                                            "http.error.json"};
    for (const auto& name : named) {
        CAPTURE(name);
        REQUIRE(std::filesystem::is_regular_file(examples_dir / name));
        const std::string text = example_text(name);
        CHECK(text.ends_with("}\n"));
        CHECK(text.find("\n  \"") != std::string::npos);  // pretty-printed
    }
    // Every example, whoever wrote it, is one JSON object.
    for (const auto& entry : std::filesystem::directory_iterator(examples_dir)) {
        if (entry.path().extension() != ".json") continue;
        const std::string name = entry.path().filename().string();
        CAPTURE(name);
        CHECK(example(name).is_object());
    }
}

// ---- HTTP request bodies -----------------------------------------------------------------

TEST_CASE("create-room bodies", "[codec][parse][http]") {
    auto ok = [](std::string_view body) {
        auto result = parse_create_room(body, default_limits);
        INFO("body: " << body);
        if (auto* error = std::get_if<protocol_error>(&result)) FAIL("refused: " << error->message);
        return std::get<create_room_request>(result);
    };
    auto refused = [](std::string_view body) {
        auto result = parse_create_room(body, default_limits);
        INFO("body: " << body);
        REQUIRE(std::holds_alternative<protocol_error>(result));
        CHECK(std::get<protocol_error>(result).code == error_code::bad_request);
        CHECK_FALSE(std::get<protocol_error>(result).message.empty());
    };
    auto r = ok(R"({"bank":"python-developer","title":"  Friday practice  "})");
    CHECK(r.bank == "python-developer");
    CHECK(r.title == "Friday practice");
    CHECK(ok(R"({"bank":"python-developer"})").title.empty());
    CHECK(ok(R"({"bank":"python-developer","title":null})").title.empty());
    CHECK(ok(R"({"bank":"python-developer","title":"   "})").title.empty());
    CHECK(ok(R"({"bank":"b","title":")" + std::string(200, 't') + "\"}").title.size() == 200);

    refused("");
    refused("nope");
    refused("[]");
    refused(R"({"title":"x"})");
    refused(R"({"bank":5})");
    refused(R"({"bank":"b","title":5})");
    refused(R"({"bank":"b","title":")" + std::string(201, 't') + "\"}");
    refused(R"({"bank":"b","title":"a\u0007b"})");
    refused(R"({"bank":"b","title":"a\u0085b"})");
    refused(R"({"bank":")" + std::string(65, 'b') + "\"}");
}

TEST_CASE("create-room timing settings", "[codec][parse][http][golden]") {
    auto parse = [](std::string_view body) { return parse_create_room(body, default_limits); };
    const auto documented = parse(example_text("http.create-room.request.json"));
    REQUIRE(std::holds_alternative<create_room_request>(documented));
    CHECK(std::get<create_room_request>(documented).timing.interview_ms == 2'700'000);
    CHECK(std::get<create_room_request>(documented).timing.warn_ms ==
          std::vector<domain::millis>{120'000});

    const auto defaults = std::get<create_room_request>(parse(R"({"bank":"b"})")).timing;
    CHECK(defaults.interview_ms == 45 * 60'000);
    CHECK(defaults.warn_ms == std::vector<domain::millis>{120'000});

    // Thresholds come back largest first, once each; [] turns warnings off.
    const auto custom = std::get<create_room_request>(
        parse(R"({"bank":"b","interview_ms":3600000,"warn_ms":[60000,300000,60000,1000]})"));
    CHECK(custom.timing.interview_ms == 3'600'000);
    CHECK(custom.timing.warn_ms == std::vector<domain::millis>{300'000, 60'000, 1'000});
    CHECK(std::get<create_room_request>(parse(R"({"bank":"b","warn_ms":[]})"))
              .timing.warn_ms.empty());
    CHECK(std::get<create_room_request>(parse(R"({"bank":"b","interview_ms":60000})"))
              .timing.interview_ms == 60'000);
    CHECK(std::get<create_room_request>(parse(R"({"bank":"b","interview_ms":86400000})"))
              .timing.interview_ms == 86'400'000);

    for (std::string_view body : {
             R"({"bank":"b","interview_ms":59999})",
             R"({"bank":"b","interview_ms":86400001})",
             R"({"bank":"b","interview_ms":-1})",
             R"({"bank":"b","interview_ms":"45 min"})",
             R"({"bank":"b","interview_ms":2700000.5})",
             R"({"bank":"b","warn_ms":120000})",
             R"({"bank":"b","warn_ms":[999]})",
             R"({"bank":"b","warn_ms":[86400001]})",
             R"({"bank":"b","warn_ms":["2 min"]})",
             R"({"bank":"b","warn_ms":[1000,2000,3000,4000,5000]})",
         }) {
        CAPTURE(body);
        const auto result = parse(body);
        REQUIRE(std::holds_alternative<protocol_error>(result));
        CHECK(std::get<protocol_error>(result).code == error_code::bad_request);
        CHECK(std::get<protocol_error>(result).message.find("_ms'") != std::string::npos);
    }
}
