// Ending an interview, the debrief reveal and the scorecard, driven without sockets.
#include <catch2/catch.hpp>

#include "domain/room.hpp"

using namespace mockroom;
using namespace mockroom::domain;

namespace {

constexpr millis t0 = 1'764'000'000'000;

struct fixture {
    limits bounds;
    room r{make_info(), bounds};
    static room_info make_info() {
        auto b = std::make_shared<bank>();
        b->id = "b";
        b->title = "B";
        for (int n = 1; n <= 2; ++n) {
            question q;
            q.id = "q" + std::to_string(n);
            q.number = n;
            q.text = "Question " + std::to_string(n);
            q.sample_answer = "Answer " + std::to_string(n);
            b->questions.push_back(q);
        }
        return room_info{"room1", "Mock", b, t0, {}};
    }
    // Interviewers on 1 and 4, the candidate on 2, an observer on 3; question 1 asked.
    fixture() {
        r.join(1, role::interviewer, "Grace", "i", t0);
        r.join(2, role::candidate, "Ada", "c", t0);
        r.join(3, role::observer, "Alan", "o", t0);
        r.join(4, role::interviewer, "Barbara", "b", t0);
        r.apply(1, push_question{"q1", std::nullopt}, "", t0 + 1);
        r.take_journal();
    }
};

error_code only_error(const outcome& out) {
    REQUIRE(out.size() == 1);
    REQUIRE(std::holds_alternative<error_event>(out[0].what));
    return std::get<error_event>(out[0].what).code;
}

change_set insert_a(std::size_t length) {
    return change_set::from_parts({change_set::replace{0, u"a"}, change_set::keep{length}});
}

}  // namespace

TEST_CASE("ending: only an interviewer ends it, once; running timers stop where they stand") {
    fixture f;
    CHECK(only_error(f.r.apply(2, end_interview{}, "", t0 + 5)) == error_code::forbidden);
    CHECK(only_error(f.r.apply(3, end_interview{}, "", t0 + 5)) == error_code::forbidden);
    CHECK_FALSE(f.r.ended_at());

    const millis at = t0 + 60'000;
    auto out = f.r.apply(1, end_interview{}, "", at);
    // Both timers ran (the push started them): two pauses, then the end, all to everyone.
    REQUIRE(out.size() == 3);
    for (int i = 0; i < 2; ++i) {
        const auto& paused = std::get<timer_event>(out[static_cast<std::size_t>(i)].what);
        CHECK(paused.cause == "end");
        CHECK(paused.timer.state == timer_state::paused);
    }
    const auto& ended = std::get<ended_event>(out[2].what);
    CHECK(ended.at == at);
    CHECK(ended.by == "p1");
    CHECK(f.r.ended_at() == at);
    CHECK(f.r.next_deadline() == std::nullopt);  // nothing will expire any more
    // Time spent stops counting with the question timer.
    CHECK(f.r.timer(timer_id::question).active_time(at + 3'600'000) == 60'000 - 1);
    CHECK(only_error(f.r.apply(4, end_interview{}, "", at + 1)) == error_code::conflict);
    const auto journal = f.r.take_journal();
    REQUIRE_FALSE(journal.empty());
    CHECK(std::holds_alternative<interview_ended>(journal.back()));
}

TEST_CASE("ending: afterwards nobody changes the interview; interviewers keep private notes") {
    fixture f;
    f.r.apply(2, notes_push{doc_id::shared, 0, {{"c", insert_a(0)}}}, "", t0 + 2);
    f.r.apply(1, end_interview{}, "", t0 + 3);
    f.r.take_journal();
    const auto shared_before = f.r.document(doc_id::shared).text();

    CHECK(only_error(f.r.apply(2, notes_push{doc_id::shared, 1, {{"c", insert_a(1)}}}, "",
                               t0 + 4)) == error_code::forbidden);
    CHECK(only_error(f.r.apply(1, notes_push{doc_id::shared, 1, {{"i", insert_a(1)}}}, "",
                               t0 + 4)) == error_code::forbidden);
    CHECK(only_error(f.r.apply(1, push_question{"q2", std::nullopt}, "", t0 + 4)) ==
          error_code::forbidden);
    CHECK(only_error(f.r.apply(1, set_language{language::python}, "", t0 + 4)) ==
          error_code::forbidden);
    CHECK(only_error(f.r.apply(1,
                               timer_command{timer_id::interview,
                                             timer_action::resume,
                                             {},
                                             f.r.timer(timer_id::interview).rev()},
                               "", t0 + 4)) == error_code::forbidden);
    CHECK(only_error(f.r.apply(2, cursor_update{doc_id::shared, 1, {{0, 0}}}, "", t0 + 4)) ==
          error_code::forbidden);
    CHECK(f.r.document(doc_id::shared).text() == shared_before);
    CHECK(f.r.history().size() == 1);
    CHECK(f.r.take_journal().empty());

    // Reading still works; interviewers may still write their private notes.
    CHECK(std::holds_alternative<notes_updates_event>(
        f.r.apply(2, notes_pull{doc_id::shared, 0}, "", t0 + 5).at(0).what));
    auto private_push =
        f.r.apply(1, notes_push{doc_id::private_notes, 0, {{"i", insert_a(0)}}}, "", t0 + 5);
    CHECK(std::holds_alternative<notes_updates_event>(private_push.at(0).what));
    // A joiner learns that it ended.
    auto welcome =
        std::get<welcome_event>(f.r.join(5, role::candidate, "Ada", "c", t0 + 6).at(0).what);
    CHECK(welcome.state.ended_at == t0 + 3);
}

TEST_CASE("debrief: the answers are revealed only after the end, explicitly, once") {
    fixture f;
    CHECK(only_error(f.r.apply(1, reveal_answers{}, "", t0 + 2)) == error_code::bad_request);
    f.r.apply(1, end_interview{}, "", t0 + 3);
    CHECK(only_error(f.r.apply(2, reveal_answers{}, "", t0 + 4)) == error_code::forbidden);
    CHECK_FALSE(f.r.revealed());
    auto out = f.r.apply(1, reveal_answers{}, "", t0 + 4);
    REQUIRE(out.size() == 1);
    CHECK(out[0].to.to == audience::kind::everyone);
    CHECK_FALSE(out[0].to.interviewers_only);
    const auto& shown = std::get<revealed_event>(out[0].what);
    REQUIRE(shown.answers.size() == 1);
    CHECK(shown.answers[0] == std::make_pair(1, std::string("Answer 1")));
    CHECK(f.r.revealed());
    CHECK(only_error(f.r.apply(1, reveal_answers{}, "", t0 + 5)) == error_code::conflict);
    auto welcome =
        std::get<welcome_event>(f.r.join(5, role::candidate, "Ada", "c", t0 + 6).at(0).what);
    CHECK(welcome.state.revealed);
}

TEST_CASE("scorecard: interviewers only, every field checked, nothing changed on refusal") {
    fixture f;
    CHECK(only_error(f.r.apply(2, set_score{"q1.rating", 3, 0}, "", t0)) == error_code::forbidden);
    CHECK(only_error(f.r.apply(3, set_score{"summary", std::string("x"), 0}, "", t0)) ==
          error_code::forbidden);
    const std::pair<std::string, score_value> refused[] = {
        {"q1.rating", 0},
        {"q1.rating", 5},
        {"q1.rating", std::string("3")},
        {"q2.rating", 3},  // not asked
        {"q0.rating", 3},
        {"q01.rating", 3},
        {"q1.grade", 3},
        {"q1", 3},
        {"qx.rating", 3},
        {"q1.comment", 3},
        {"q1.comment", std::monostate{}},
        {"summary", 1},
        {"recommendation", std::string("maybe")},
        {"recommendation", 2},
        {"mood", std::string("good")},
        {"", 1},
    };
    for (const auto& [field, value] : refused) {
        CAPTURE(field);
        CHECK(only_error(f.r.apply(1, set_score{field, value, 0}, "", t0)) ==
              error_code::bad_request);
    }
    CHECK(only_error(f.r.apply(1, set_score{"summary", std::string(10'001, 'x'), 0}, "", t0)) ==
          error_code::too_large);
    CHECK(f.r.scores().empty());
    CHECK(f.r.take_journal().empty());

    for (const auto& [field, value] : std::initializer_list<std::pair<std::string, score_value>>{
             {"q1.rating", 4},
             {"q1.comment", std::string("Clear, structured.")},
             {"recommendation", std::string("strong_yes")},
             {"summary", std::string(10'000, 's')}}) {
        CAPTURE(field);
        auto out = f.r.apply(1, set_score{field, value, 0}, "", t0);
        REQUIRE(out.size() == 1);
        CHECK(out[0].to.interviewers_only);
        const auto& scored = std::get<score_event>(out[0].what);
        CHECK(scored.field == field);
        CHECK(scored.value == value);
        CHECK(scored.rev == 1);
        CHECK(scored.by == "p1");
    }
    // Back to null is a change like any other.
    CHECK(std::get<score_event>(
              f.r.apply(4, set_score{"q1.rating", std::monostate{}, 1}, "", t0).at(0).what)
              .rev == 2);
    CHECK(f.r.take_journal().size() == 5);
}

TEST_CASE("scorecard: two interviewers at once never overwrite each other unknowingly") {
    fixture f;
    // Different fields: both kept.
    f.r.apply(1, set_score{"q1.rating", 3, 0}, "", t0);
    f.r.apply(4, set_score{"q1.comment", std::string("Barbara's note"), 0}, "", t0);
    CHECK(std::get<int>(f.r.scores().at("q1.rating").value) == 3);
    CHECK(std::get<std::string>(f.r.scores().at("q1.comment").value) == "Barbara's note");
    // The same field from the same revision: the first wins, the second is told (conflict) and
    // the first value stays.
    f.r.apply(1, set_score{"summary", std::string("Grace's summary"), 0}, "", t0);
    CHECK(only_error(f.r.apply(4, set_score{"summary", std::string("Barbara's summary"), 0}, "",
                               t0)) == error_code::conflict);
    CHECK(std::get<std::string>(f.r.scores().at("summary").value) == "Grace's summary");
    // Having seen rev 1, Barbara's edit goes through.
    f.r.apply(4, set_score{"summary", std::string("Both of ours"), 1}, "", t0);
    CHECK(f.r.scores().at("summary").rev == 2);
    // After the end the scorecard stays open.
    f.r.apply(1, end_interview{}, "", t0 + 1);
    CHECK(std::holds_alternative<score_event>(
        f.r.apply(1, set_score{"recommendation", std::string("yes"), 0}, "", t0 + 2).at(0).what));
    // The interviewers' welcome has it.
    auto welcome =
        std::get<welcome_event>(f.r.join(6, role::interviewer, "Grace", "i", t0 + 3).at(0).what);
    REQUIRE(welcome.state.scores != nullptr);
    CHECK(welcome.state.scores->size() == 4);
}
