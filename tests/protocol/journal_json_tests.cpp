// The stored form of journal entries: every kind round-trips, and a damaged entry is refused
// with a reason (the server then refuses to start rather than lose data silently).
#include <catch2/catch.hpp>
#include <set>

#include "protocol/change_json.hpp"
#include "protocol/journal_json.hpp"

using namespace mockroom;
using namespace mockroom::domain;
using protocol::journal_from_json;
using protocol::journal_to_json;

namespace {

constexpr millis t0 = 1'764'000'000'000;

room_info make_info() {
    auto b = std::make_shared<bank>();
    b->id = "b";
    b->title = "B";
    question q;
    q.id = "q1";
    q.number = 1;
    q.text = "Why \"Python\"? ünï 😀";
    q.sample_answer = "Because.\n\nReally.";
    b->questions.push_back(q);
    return room_info{"room1", "Mock", b, t0, {}};
}

}  // namespace

TEST_CASE("journal JSON: a room's entries round-trip and replay to the same room") {
    limits bounds;
    room live(make_info(), bounds);
    live.join(1, role::interviewer, "Grace \"G\"", "i", t0);
    live.join(2, role::candidate, "Ada", "c", t0);
    live.apply(1, push_question{"q1", std::nullopt}, "", t0 + 1);
    live.apply(1, push_question{custom_question{"Tabs\tand\nlines", difficulty::hard}, 42'000}, "",
               t0 + 2);
    auto insert = [](std::u16string text, std::size_t length) {
        return change_set::from_parts(
            {change_set::replace{0, std::move(text)}, change_set::keep{length}});
    };
    live.apply(2, notes_push{doc_id::shared, 0, {{"c", insert(u"é😀\nx", 0)}}}, "", t0 + 3);
    live.apply(1, notes_push{doc_id::private_notes, 0, {{"i", insert(u"private", 0)}}}, "", t0 + 4);
    live.apply(1, set_language{language::markdown}, "", t0 + 5);
    live.apply(1, timer_command{timer_id::question, timer_action::pause, {}, 2}, "", t0 + 6);
    live.tick(t0 + 45 * minute_ms);  // the interview timer expires
    live.apply(2, leave{}, "", t0 + 45 * minute_ms);
    live.apply(1, set_score{"q1.comment", std::string("ünï \"quoted\""), 0}, "",
               t0 + 46 * minute_ms);
    live.apply(1, set_score{"q2.rating", 4, 0}, "", t0 + 46 * minute_ms);
    live.apply(1, end_interview{}, "", t0 + 47 * minute_ms);
    live.apply(1, reveal_answers{}, "", t0 + 47 * minute_ms);
    const auto journal = live.take_journal();
    REQUIRE(journal.size() >= 10);

    room rebuilt(make_info(), bounds);
    std::set<std::string> kinds;
    for (const auto& entry : journal) {
        const std::string text = journal_to_json(entry);
        CAPTURE(text);
        auto parsed = journal_from_json(text);
        REQUIRE(std::holds_alternative<journal_entry>(parsed));
        CHECK(journal_to_json(std::get<journal_entry>(parsed)) == text);  // a fixed point
        kinds.insert(nlohmann::json::parse(text)["kind"].get<std::string>());
        rebuilt.replay(std::get<journal_entry>(parsed));
    }
    CHECK(kinds == std::set<std::string>{"joined", "left", "asked", "notes", "language", "timer",
                                         "score", "ended", "revealed"});
    CHECK(rebuilt.scores().size() == 2);
    CHECK(std::get<std::string>(rebuilt.scores().at("q1.comment").value) == "ünï \"quoted\"");
    CHECK(std::get<int>(rebuilt.scores().at("q2.rating").value) == 4);
    CHECK(rebuilt.ended_at() == live.ended_at());
    CHECK(rebuilt.revealed());
    CHECK(rebuilt.participants().size() == 1);
    CHECK(rebuilt.history().size() == 2);
    CHECK(rebuilt.history()[1].budget_ms == 42'000);
    CHECK(rebuilt.history()[0].sample_answer == "Because.\n\nReally.");
    CHECK(rebuilt.document(doc_id::shared).text() == u"é😀\nx");
    CHECK(rebuilt.document(doc_id::private_notes).text() == u"private");
    CHECK(rebuilt.notes_language() == language::markdown);
    for (timer_id t : {timer_id::interview, timer_id::question}) {
        CHECK(rebuilt.timer(t).save() == live.timer(t).save());
    }
}

TEST_CASE("journal JSON: damaged entries are refused with a reason") {
    for (
        std::string_view text : {
            "",
            "[]",
            "{}",
            R"({"kind":"nonsense"})",
            R"({"kind":"joined","id":"p1","name":"A","role":"boss","client":"c"})",
            R"({"kind":"joined","id":"p1","name":"A","role":"candidate"})",
            R"({"kind":"notes","doc":"shared","updates":[{"clientID":"c","changes":[[0,"a\nb"]]}]})",
            R"({"kind":"notes","doc":"elsewhere","updates":[]})",
            R"({"kind":"timer","timer":"question","state":"running"})",
            R"({"kind":"asked","question":{"seq":1},"replaced_time_spent":0})",
            R"({"kind":"language","language":"cobol"})",
        }) {
        CAPTURE(text);
        auto parsed = journal_from_json(text);
        REQUIRE(std::holds_alternative<std::string>(parsed));
        CHECK_FALSE(std::get<std::string>(parsed).empty());
    }
}

TEST_CASE("journal JSON: room settings round-trip") {
    timing_settings timing;
    timing.interview_ms = 3'600'000;
    timing.warn_ms = {300'000, 60'000};
    auto parsed = protocol::settings_from_json(protocol::settings_to_json(timing));
    REQUIRE(std::holds_alternative<timing_settings>(parsed));
    CHECK(std::get<timing_settings>(parsed).interview_ms == 3'600'000);
    CHECK(std::get<timing_settings>(parsed).warn_ms == timing.warn_ms);
    CHECK(std::holds_alternative<std::string>(protocol::settings_from_json("{}")));
    CHECK(std::holds_alternative<std::string>(protocol::settings_from_json("nope")));
}

TEST_CASE("journal JSON: a snapshot round-trips and rebuilds the same room") {
    limits bounds;
    bounds.kept_note_updates = 2;  // a trimmed log: first_version > 0
    room live(make_info(), bounds);
    live.join(1, role::interviewer, "Grace", "i", t0);
    live.join(2, role::candidate, "Ada", "c", t0);
    live.join(3, role::observer, "Obs", "o", t0);
    live.apply(3, leave{}, "", t0);  // the highest number left: numbering must survive
    live.apply(1, push_question{"q1", std::nullopt}, "", t0 + 1);
    live.apply(1, push_question{custom_question{"Second", difficulty::easy}, 60'000}, "", t0 + 2);
    std::u16string text;
    for (std::size_t v = 0; v < 5; ++v) {
        const std::u16string piece = v % 2 ? u"😀" : u"é\n";
        live.apply(2,
                   notes_push{doc_id::shared,
                              v,
                              {{"c", change_set::from_parts({change_set::keep{text.size()},
                                                             change_set::replace{0, piece}})}}},
                   "", t0 + 3);
        text += piece;
    }
    live.apply(1, set_score{"summary", std::string("ok"), 0}, "", t0 + 4);
    live.apply(1, end_interview{}, "", t0 + 5);

    const auto body = protocol::snapshot_to_json(live.snapshot());
    REQUIRE(body);
    CAPTURE(*body);
    auto parsed = protocol::snapshot_from_json(*body);
    REQUIRE(std::holds_alternative<std::vector<journal_entry>>(parsed));
    room rebuilt(make_info(), bounds);
    for (const auto& entry : std::get<std::vector<journal_entry>>(parsed)) rebuilt.replay(entry);

    const auto& doc = rebuilt.document(doc_id::shared);
    CHECK(doc.text() == text);
    CHECK(doc.version() == 5);
    CHECK(doc.first_version() == live.document(doc_id::shared).first_version());
    CHECK(doc.log() == live.document(doc_id::shared).log());
    CHECK(rebuilt.history().size() == 2);
    CHECK(rebuilt.history()[0].time_spent_ms == live.history()[0].time_spent_ms);
    CHECK(rebuilt.participants().size() == 2);
    CHECK(std::get<std::string>(rebuilt.scores().at("summary").value) == "ok");
    CHECK(rebuilt.ended_at() == live.ended_at());
    for (timer_id t : {timer_id::interview, timer_id::question}) {
        CHECK(rebuilt.timer(t).save() == live.timer(t).save());
    }
    // p3 left, yet the next participant is p4 in both.
    live.join(4, role::observer, "New", "n", t0 + 6);
    rebuilt.join(4, role::observer, "New", "n", t0 + 6);
    CHECK(rebuilt.participants().back().id == "p4");
    CHECK(live.participants().back().id == "p4");
}

TEST_CASE("journal JSON: a document with a lone surrogate gets no snapshot; bad ones refused") {
    limits bounds;
    room live(make_info(), bounds);
    live.join(1, role::interviewer, "Grace", "i", t0);
    live.apply(
        1,
        notes_push{
            doc_id::shared, 0, {{"i", change_set::from_parts({change_set::replace{0, u"😀"}})}}},
        "", t0);
    // Deleting half of the pair leaves a lone surrogate, which has no UTF-8 form.
    live.apply(
        1,
        notes_push{
            doc_id::shared,
            1,
            {{"i", change_set::from_parts({change_set::keep{1}, change_set::replace{1, u""}})}}},
        "", t0);
    REQUIRE(live.document(doc_id::shared).text().size() == 1);
    CHECK_FALSE(protocol::snapshot_to_json(live.snapshot()));

    for (
        std::string_view text : {
            "",
            "[]",
            R"({"kind":"joined"})",
            R"({"kind":"snapshot"})",
            R"({"kind":"snapshot","entries":[{"kind":"nonsense"}]})",
            R"({"kind":"snapshot","entries":[{"kind":"numbering"}]})",
            R"({"kind":"snapshot","entries":[{"kind":"notes_restored","doc":"shared","first_version":0,"text":"x"}]})",
            R"({"kind":"snapshot","entries":[17]})",
        }) {
        CAPTURE(text);
        auto parsed = protocol::snapshot_from_json(text);
        REQUIRE(std::holds_alternative<std::string>(parsed));
        CHECK_FALSE(std::get<std::string>(parsed).empty());
    }
}
