// domain::room as a pure state machine: no sockets, no JSON, the time passed in.
#include "domain/room.hpp"

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace {

using namespace mockroom;
using namespace mockroom::domain;

std::shared_ptr<const bank> make_bank() {
    auto b = std::make_shared<bank>();
    b->id = "python-developer";
    b->title = "Python Developer";
    b->description = "Interview questions for Python Developer roles.";
    b->questions = {
        {"q1", 1, difficulty::medium, "Walk me through a project you designed.", "Layers.", {}},
        {"q2", 2, difficulty::easy, "List, tuple, set or dict?", "It depends on the access.", {}},
        {"q3",
         3,
         difficulty::hard,
         "Debug a production issue.\n\nHow?",
         "Logs first.\nThen a test.",
         {}},
    };
    return b;
}

room_info make_info() {
    return room_info{"k3x9q2m7tz4c", "Mock interview", make_bank(), 1'764'000'000'000, {}};
}

// The room keeps a reference to its limits, so they live next to it.
struct fixture {
    limits bounds;
    room r;
    explicit fixture(limits b = {}) : bounds(b), r(make_info(), bounds) {}
};

// Everything observable about a room, as text, so that "nothing changed" compares all of it
// and a failure prints the difference.
std::string describe(const participant& p) {
    return "participant " + p.id + " name=" + p.name +
           " role=" + std::string(to_string(p.role_in_room)) + " client=" + p.client_id +
           " open=" + std::to_string(p.open_connections);
}

std::string describe(const pushed_question& q) {
    return "question seq=" + std::to_string(q.seq) + " id=" + q.id +
           " number=" + (q.number ? std::to_string(*q.number) : "none") + " text=" + q.text +
           " level=" + std::to_string(static_cast<int>(q.level)) + " answer=" + q.sample_answer +
           " at=" + std::to_string(q.pushed_at);
}

std::vector<std::string> describe_history(const std::vector<pushed_question>& history) {
    std::vector<std::string> out;
    for (const auto& q : history) out.push_back(describe(q));
    return out;
}

std::vector<std::string> describe_participants(const std::vector<participant>& participants) {
    std::vector<std::string> out;
    for (const auto& p : participants) out.push_back(describe(p));
    return out;
}

std::vector<std::string> state_of(const room& r) {
    std::vector<std::string> out = describe_participants(r.participants());
    for (auto& line : describe_history(r.history())) out.push_back(std::move(line));
    out.push_back("connections " + std::to_string(r.connection_count()));
    return out;
}

bool to_only(const outbound& o, connection_id c) {
    return o.to.to == audience::kind::one_connection && o.to.connection == c;
}

bool to_everyone(const outbound& o) {
    return o.to.to == audience::kind::everyone;
}

template <class Event>
Event event_as(const outbound& o) {
    REQUIRE(std::holds_alternative<Event>(o.what));
    return std::get<Event>(o.what);
}

// The helpers return copies: they are often handed a temporary outcome.
// Exactly one error, addressed only to `c`.
error_event only_error(const outcome& out, connection_id c) {
    REQUIRE(out.size() == 1);
    CHECK(to_only(out[0], c));
    return event_as<error_event>(out[0]);
}

// A push answers with the question, to everyone, then only the timer events it caused (the
// question timer's restart, and the interview timer's start on the first push).
pushed_question only_question(const outcome& out) {
    REQUIRE(!out.empty());
    REQUIRE(out.size() <= 3);
    CHECK(to_everyone(out[0]));
    for (std::size_t i = 1; i < out.size(); ++i) {
        CHECK(to_everyone(out[i]));
        CHECK(event_as<timer_event>(out[i]).cause == "push");
    }
    return event_as<question_event>(out[0]).question;
}

// A join answers: the welcome, then the joiner's notes (snapshots, cursors) to it alone, then
// presence to everyone.
welcome_event welcome_in(const outcome& out, connection_id c) {
    REQUIRE(out.size() >= 2);
    for (std::size_t i = 0; i + 1 < out.size(); ++i) CHECK(to_only(out[i], c));
    CHECK(std::holds_alternative<presence_event>(out.back().what));
    return event_as<welcome_event>(out[0]);
}

presence_event presence_in(const outcome& out) {
    REQUIRE(!out.empty());
    CHECK(to_everyone(out.back()));
    return event_as<presence_event>(out.back());
}

const participant* find_participant(const room& r, const std::string& id) {
    for (const auto& p : r.participants()) {
        if (p.id == id) return &p;
    }
    return nullptr;
}

push_question bank_push(std::string id) {
    return push_question{std::move(id), std::nullopt};
}

push_question custom_push(std::string text, difficulty level = difficulty::medium) {
    return push_question{custom_question{std::move(text), level}, std::nullopt};
}

constexpr millis t0 = 1'764'000'000'000;

}  // namespace

TEST_CASE("join welcomes only the joiner and tells everyone the presence", "[room][join]") {
    fixture f;
    auto first = f.r.join(1, role::interviewer, "Grace", "tab-grace", t0);
    {
        const auto& welcome = welcome_in(first, 1);
        CHECK(welcome.you == "p1");
        CHECK(welcome.recipient_role == role::interviewer);
        CHECK(welcome.state.info == &f.r.info());
        CHECK(welcome.state.info->question_bank->id == "python-developer");
        CHECK(describe_participants(welcome.state.participants) ==
              std::vector<std::string>{
                  "participant p1 name=Grace role=interviewer client=tab-grace open=1"});
        CHECK(welcome.state.history.empty());
        const auto& presence = presence_in(first);
        CHECK(describe_participants(presence.participants) ==
              describe_participants(f.r.participants()));
    }

    auto second = f.r.join(2, role::candidate, "Ada", "tab-ada", t0 + 1);
    const auto& welcome = welcome_in(second, 2);
    CHECK(welcome.you == "p2");
    CHECK(welcome.recipient_role == role::candidate);
    CHECK(welcome.state.participants.size() == 2);
    // The welcome goes to the joiner alone; nothing else in the outcome is addressed to one socket.
    CHECK_FALSE(to_only(second[1], 1));
    const auto& presence = presence_in(second);
    CHECK(describe_participants(presence.participants) ==
          std::vector<std::string>{
              "participant p1 name=Grace role=interviewer client=tab-grace open=1",
              "participant p2 name=Ada role=candidate client=tab-ada open=1"});
    for (const auto& p : presence.participants) CHECK(p.connected());

    CHECK(f.r.connection_count() == 2);
    CHECK(f.r.role_of(1) == role::interviewer);
    CHECK(f.r.role_of(2) == role::candidate);
    CHECK_FALSE(f.r.role_of(3).has_value());
}

TEST_CASE("participant ids are p1, p2, ... in order of first join and never reused",
          "[room][join]") {
    fixture f;
    f.r.join(10, role::interviewer, "Grace", "a", t0);
    f.r.join(11, role::candidate, "Ada", "b", t0);
    f.r.join(12, role::observer, "Linus", "c", t0);
    REQUIRE(f.r.participants().size() == 3);
    CHECK(f.r.participants()[0].id == "p1");
    CHECK(f.r.participants()[1].id == "p2");
    CHECK(f.r.participants()[2].id == "p3");
    CHECK(f.r.participants()[2].role_in_room == role::observer);

    f.r.apply(11, leave{}, "", t0);  // p2 leaves for good
    auto out = f.r.join(13, role::candidate, "Barbara", "d", t0);
    CHECK(welcome_in(out, 13).you == "p4");
    // A reconnect is not a first join: it does not use up a number.
    f.r.disconnect(12, t0);
    CHECK(welcome_in(f.r.join(14, role::observer, "Linus", "c", t0), 14).you == "p3");
    CHECK(welcome_in(f.r.join(15, role::observer, "Edsger", "e", t0), 15).you == "p5");
}

TEST_CASE("the same client and role reconnecting is the same participant", "[room][join]") {
    fixture f;
    f.r.join(1, role::candidate, "Ada", "tab-ada", t0);
    auto again = f.r.join(2, role::candidate, "Ada L.", "tab-ada", t0 + 5);
    CHECK(welcome_in(again, 2).you == "p1");
    REQUIRE(f.r.participants().size() == 1);
    const participant& ada = f.r.participants()[0];
    CHECK(ada.open_connections == 2);
    CHECK(ada.connected());
    CHECK(ada.name == "Ada L.");  // a reconnect may carry a corrected name
    CHECK(f.r.connection_count() == 2);

    SECTION("it stays connected while any of its sockets is open") {
        auto out = f.r.disconnect(1, t0 + 6);
        REQUIRE(out.size() == 1);
        REQUIRE(presence_in(out).participants.size() == 1);
        CHECK(presence_in(out).participants[0].connected());
        CHECK(f.r.participants()[0].open_connections == 1);
        CHECK(f.r.participants()[0].connected());

        out = f.r.disconnect(2, t0 + 7);
        REQUIRE(presence_in(out).participants.size() == 1);
        CHECK_FALSE(presence_in(out).participants[0].connected());
        CHECK(f.r.participants()[0].open_connections == 0);
        CHECK_FALSE(f.r.participants()[0].connected());
        CHECK(f.r.connection_count() == 0);

        SECTION("and comes back as the same participant") {
            auto back = f.r.join(3, role::candidate, "Ada", "tab-ada", t0 + 8);
            CHECK(welcome_in(back, 3).you == "p1");
            REQUIRE(f.r.participants().size() == 1);
            CHECK(f.r.participants()[0].connected());
            CHECK(presence_in(back).participants[0].connected());
        }
    }
    SECTION("closing the sockets in the other order ends the same way") {
        f.r.disconnect(2, t0 + 6);
        CHECK(f.r.participants()[0].connected());
        f.r.disconnect(1, t0 + 7);
        CHECK_FALSE(f.r.participants()[0].connected());
    }
}

TEST_CASE("the same client with another role is a different participant", "[room][join]") {
    fixture f;
    f.r.join(1, role::interviewer, "Grace", "tab-1", t0);
    auto out = f.r.join(2, role::observer, "Grace", "tab-1", t0);
    CHECK(welcome_in(out, 2).you == "p2");
    CHECK(welcome_in(out, 2).recipient_role == role::observer);
    REQUIRE(f.r.participants().size() == 2);
    CHECK(f.r.participants()[0].role_in_room == role::interviewer);
    CHECK(f.r.participants()[1].role_in_room == role::observer);
    CHECK(f.r.role_of(1) == role::interviewer);
    CHECK(f.r.role_of(2) == role::observer);
    // The observer socket cannot push just because the same tab is also an interviewer.
    CHECK(only_error(f.r.apply(2, bank_push("q1"), "", t0), 2).code == error_code::forbidden);
}

TEST_CASE("a socket that has joined cannot join again", "[room][join]") {
    fixture f;
    f.r.join(1, role::interviewer, "Grace", "tab-1", t0);
    auto before = state_of(f.r);
    const auto& error = only_error(f.r.join(1, role::candidate, "Mallory", "tab-2", t0), 1);
    CHECK(error.code == error_code::bad_request);
    CHECK(state_of(f.r) == before);
}

TEST_CASE("a disconnect keeps the participant listed, offline", "[room][disconnect]") {
    fixture f;
    f.r.join(1, role::interviewer, "Grace", "g", t0);
    f.r.join(2, role::candidate, "Ada", "a", t0);
    auto out = f.r.disconnect(2, t0 + 1);
    REQUIRE(out.size() == 1);
    const auto& presence = presence_in(out);
    REQUIRE(presence.participants.size() == 2);
    CHECK(presence.participants[0].connected());
    CHECK(presence.participants[1].id == "p2");
    CHECK(presence.participants[1].name == "Ada");
    CHECK_FALSE(presence.participants[1].connected());
    CHECK(f.r.participants().size() == 2);
    CHECK(f.r.connection_count() == 1);
    CHECK_FALSE(f.r.role_of(2).has_value());

    SECTION("a disconnected socket can no longer command") {
        CHECK(only_error(f.r.apply(2, leave{}, "", t0), 2).code == error_code::bad_request);
    }
    SECTION("disconnecting an unknown or already closed socket tells nobody and changes nothing") {
        auto before = state_of(f.r);
        CHECK(f.r.disconnect(2, t0 + 2).empty());
        CHECK(f.r.disconnect(99, t0 + 2).empty());
        CHECK(state_of(f.r) == before);
    }
}

TEST_CASE("leave removes the participant", "[room][leave]") {
    fixture f;
    f.r.join(1, role::interviewer, "Grace", "g", t0);
    f.r.join(2, role::candidate, "Ada", "a", t0);
    f.r.join(3, role::interviewer, "Barbara", "b", t0);

    auto out = f.r.apply(1, leave{}, "", t0 + 1);
    REQUIRE(out.size() == 1);
    CHECK(describe_participants(presence_in(out).participants) ==
          std::vector<std::string>{"participant p2 name=Ada role=candidate client=a open=1",
                                   "participant p3 name=Barbara role=interviewer client=b open=1"});
    CHECK(find_participant(f.r, "p1") == nullptr);
    CHECK(f.r.connection_count() == 2);
    CHECK_FALSE(f.r.role_of(1).has_value());

    // The others' sockets still map to the right participants after the removal.
    CHECK(f.r.role_of(2) == role::candidate);
    CHECK(f.r.role_of(3) == role::interviewer);
    CHECK(only_question(f.r.apply(3, bank_push("q1"), "", t0 + 2)).seq == 1);
    CHECK(only_error(f.r.apply(2, bank_push("q1"), "", t0), 2).code == error_code::forbidden);
    f.r.disconnect(3, t0 + 3);
    REQUIRE(find_participant(f.r, "p3") != nullptr);
    CHECK_FALSE(find_participant(f.r, "p3")->connected());
    CHECK(find_participant(f.r, "p2")->connected());

    SECTION("the socket that left can no longer command, and its close changes nothing") {
        CHECK(only_error(f.r.apply(1, bank_push("q2"), "\"x\"", t0), 1).code ==
              error_code::bad_request);
        auto before = state_of(f.r);
        CHECK(f.r.disconnect(1, t0 + 4).empty());
        CHECK(state_of(f.r) == before);
    }
    SECTION("coming back after leaving is a new participant") {
        auto back = f.r.join(4, role::interviewer, "Grace", "g", t0 + 5);
        CHECK(welcome_in(back, 4).you == "p4");
    }
}

// A participant can have two sockets at once (a reconnect while the old socket is not yet
// known to be dead). `leave` means the participant leaves for good: the stale socket goes too,
// so the participant cannot stay listed or reappear offline when that socket finally closes.
TEST_CASE("leave removes the participant even while it has another socket open", "[room][leave]") {
    fixture f;
    f.r.join(1, role::interviewer, "Grace", "g", t0);
    f.r.join(2, role::candidate, "Ada", "a", t0);      // the old, half-dead socket
    f.r.join(3, role::candidate, "Ada", "a", t0 + 1);  // the reconnect
    REQUIRE(f.r.participants().size() == 2);
    REQUIRE(f.r.connection_count() == 3);

    auto out = f.r.apply(3, leave{}, "", t0 + 2);
    REQUIRE(out.size() == 1);
    CHECK(describe_participants(presence_in(out).participants) ==
          std::vector<std::string>{"participant p1 name=Grace role=interviewer client=g open=1"});
    CHECK(find_participant(f.r, "p2") == nullptr);
    CHECK(f.r.connection_count() == 1);
    CHECK_FALSE(f.r.role_of(2).has_value());
    CHECK_FALSE(f.r.role_of(3).has_value());
    CHECK(f.r.role_of(1) == role::interviewer);

    // When the stale socket finally closes, nothing happens and nobody is told.
    const auto before = state_of(f.r);
    CHECK(f.r.disconnect(2, t0 + 60'000).empty());
    CHECK(state_of(f.r) == before);
    CHECK(only_error(f.r.apply(2, bank_push("q1"), "", t0), 2).code == error_code::bad_request);
    // The interviewer's socket still works after the reindexing.
    CHECK(only_question(f.r.apply(1, bank_push("q1"), "", t0)).seq == 1);
}

TEST_CASE("a full room refuses newcomers with too_large and changes nothing", "[room][limits]") {
    limits small;
    small.max_participants_per_room = 2;
    fixture f(small);
    f.r.join(1, role::interviewer, "Grace", "g", t0);
    f.r.join(2, role::candidate, "Ada", "a", t0);
    auto before = state_of(f.r);

    const auto& error = only_error(f.r.join(3, role::observer, "Linus", "l", t0), 3);
    CHECK(error.code == error_code::too_large);
    CHECK_FALSE(error.message.empty());
    CHECK(error.ref.empty());
    CHECK(state_of(f.r) == before);
    CHECK_FALSE(f.r.role_of(3).has_value());
    // Same tab, new role: still a newcomer.
    CHECK(only_error(f.r.join(4, role::observer, "Grace", "g", t0), 4).code ==
          error_code::too_large);
    CHECK(state_of(f.r) == before);

    SECTION("a participant already in the room can still open another socket") {
        CHECK(welcome_in(f.r.join(5, role::candidate, "Ada", "a", t0), 5).you == "p2");
        CHECK(f.r.participants()[1].open_connections == 2);
    }
    SECTION("a participant already in the room can come back after a disconnect") {
        f.r.disconnect(2, t0);
        CHECK(welcome_in(f.r.join(5, role::candidate, "Ada", "a", t0), 5).you == "p2");
    }
    SECTION("a leave frees a seat") {
        f.r.apply(2, leave{}, "", t0);
        CHECK(welcome_in(f.r.join(6, role::observer, "Linus", "l", t0), 6).you == "p3");
    }
}

TEST_CASE("an interviewer pushes bank questions to everyone, numbered from 1", "[room][push]") {
    fixture f;
    f.r.join(1, role::interviewer, "Grace", "g", t0);
    f.r.join(2, role::candidate, "Ada", "a", t0);
    const auto& b = *f.r.info().question_bank;

    const auto first = only_question(f.r.apply(1, bank_push("q3"), "7", t0 + 100));
    CHECK(first.seq == 1);
    CHECK(first.id == "q3");
    CHECK(first.number == 3);
    CHECK(first.text == b.questions[2].text);
    CHECK(first.level == difficulty::hard);
    CHECK(first.sample_answer == b.questions[2].sample_answer);
    CHECK(first.pushed_at == t0 + 100);

    const auto second = only_question(f.r.apply(1, bank_push("q2"), "", t0 + 250));
    CHECK(second.seq == 2);
    CHECK(second.id == "q2");
    CHECK(second.number == 2);
    CHECK(second.text == "List, tuple, set or dict?");
    CHECK(second.level == difficulty::easy);
    CHECK(second.sample_answer == "It depends on the access.");
    CHECK(second.pushed_at == t0 + 250);

    // Pushing a question again is a new push with the next seq.
    const auto third = only_question(f.r.apply(1, bank_push("q3"), "", t0 + 400));
    CHECK(third.seq == 3);
    CHECK(third.id == "q3");
    CHECK(third.pushed_at == t0 + 400);

    CHECK(describe_history(f.r.history()) ==
          std::vector<std::string>{describe(first), describe(second), describe(third)});
}

TEST_CASE("a custom question is numbered like the others and has no number or answer",
          "[room][push]") {
    fixture f;
    f.r.join(1, role::interviewer, "Grace", "g", t0);
    f.r.apply(1, bank_push("q1"), "", t0);
    const std::string text = "  Explain the GIL.\n\nAnd why it matters.  ";
    const auto q = only_question(f.r.apply(1, custom_push(text, difficulty::hard), "", t0 + 9));
    CHECK(q.seq == 2);
    CHECK(q.id == "custom-2");
    CHECK_FALSE(q.number.has_value());
    CHECK(q.text == text);
    CHECK(q.level == difficulty::hard);
    CHECK(q.sample_answer.empty());
    CHECK(q.pushed_at == t0 + 9);

    const auto easy =
        only_question(f.r.apply(1, custom_push("Why Python?", difficulty::easy), "", t0 + 10));
    CHECK(easy.id == "custom-3");
    CHECK(easy.level == difficulty::easy);
    REQUIRE(f.r.history().size() == 3);
    CHECK(describe(f.r.history()[1]) == describe(q));
}

TEST_CASE("only interviewers push; others get forbidden and nothing changes", "[room][push]") {
    fixture f;
    f.r.join(1, role::interviewer, "Grace", "g", t0);
    f.r.join(2, role::candidate, "Ada", "a", t0);
    f.r.join(3, role::observer, "Linus", "l", t0);
    f.r.apply(1, bank_push("q1"), "", t0);
    f.r.apply(1, custom_push("Warm-up?"), "", t0);
    const auto before = state_of(f.r);

    for (connection_id c : {connection_id{2}, connection_id{3}}) {
        CAPTURE(c);
        const auto& bank_error = only_error(f.r.apply(c, bank_push("q2"), "11", t0 + 1), c);
        CHECK(bank_error.code == error_code::forbidden);
        CHECK(bank_error.ref == "11");
        CHECK_FALSE(bank_error.message.empty());
        const auto& custom_error =
            only_error(f.r.apply(c, custom_push("Sneaky?"), "\"r-2\"", t0 + 1), c);
        CHECK(custom_error.code == error_code::forbidden);
        CHECK(custom_error.ref == "\"r-2\"");
        // Forbidden comes first: even an invalid push says forbidden, not what is wrong with it.
        CHECK(only_error(f.r.apply(c, bank_push("nope"), "", t0), c).code == error_code::forbidden);
        CHECK(only_error(f.r.apply(c, custom_push(""), "", t0), c).code == error_code::forbidden);
        CHECK(state_of(f.r) == before);
    }
}

TEST_CASE("pushing an unknown bank question is not_found and changes nothing", "[room][push]") {
    fixture f;
    f.r.join(1, role::interviewer, "Grace", "g", t0);
    f.r.apply(1, bank_push("q2"), "", t0);
    const auto before = state_of(f.r);
    for (const char* id : {"q42", "", "Q1", "q1 ", "custom-1", "q0"}) {
        CAPTURE(id);
        const auto& error = only_error(f.r.apply(1, bank_push(id), "5", t0 + 1), 1);
        CHECK(error.code == error_code::not_found);
        CHECK(error.ref == "5");
        CHECK_FALSE(error.message.empty());
        CHECK(state_of(f.r) == before);
    }
    // The next good push still gets the next seq.
    CHECK(only_question(f.r.apply(1, bank_push("q1"), "", t0 + 2)).seq == 2);
}

TEST_CASE("a custom question needs text", "[room][push]") {
    fixture f;
    f.r.join(1, role::interviewer, "Grace", "g", t0);
    const auto before = state_of(f.r);
    for (const char* text : {"", " ", "\t", "\r\n", " \t\r\n \n"}) {
        CAPTURE(text);
        const auto& error = only_error(f.r.apply(1, custom_push(text), "\"c\"", t0), 1);
        CHECK(error.code == error_code::bad_request);
        CHECK(error.ref == "\"c\"");
        CHECK(state_of(f.r) == before);
    }
}

TEST_CASE("a custom question longer than max_question_bytes is too_large", "[room][push][limits]") {
    fixture f;
    REQUIRE(f.bounds.max_question_bytes == 10'000);
    f.r.join(1, role::interviewer, "Grace", "g", t0);
    const auto before = state_of(f.r);

    const auto& error = only_error(f.r.apply(1, custom_push(std::string(10'001, 'x')), "3", t0), 1);
    CHECK(error.code == error_code::too_large);
    CHECK(error.ref == "3");
    CHECK(state_of(f.r) == before);

    // Bytes, not characters: 5,001 two-byte characters are 10,002 bytes.
    std::string accents;
    for (int i = 0; i < 5'001; ++i) accents += "\xC3\xA9";
    CHECK(only_error(f.r.apply(1, custom_push(accents), "", t0), 1).code == error_code::too_large);
    CHECK(state_of(f.r) == before);

    // Exactly at the limit is fine.
    CHECK(only_question(f.r.apply(1, custom_push(std::string(10'000, 'x')), "", t0)).text.size() ==
          10'000);
    accents.resize(10'000);
    CHECK(only_question(f.r.apply(1, custom_push(accents), "", t0)).seq == 2);

    SECTION("the limit comes from the room's limits") {
        limits tight;
        tight.max_question_bytes = 5;
        fixture g(tight);
        g.r.join(1, role::interviewer, "Grace", "g", t0);
        CHECK(only_question(g.r.apply(1, custom_push("12345"), "", t0)).seq == 1);
        CHECK(only_error(g.r.apply(1, custom_push("123456"), "", t0), 1).code ==
              error_code::too_large);
        CHECK(g.r.history().size() == 1);
    }
}

TEST_CASE("the history is bounded by max_history", "[room][push][limits]") {
    limits small;
    small.max_history = 3;
    fixture f(small);
    f.r.join(1, role::interviewer, "Grace", "g", t0);
    CHECK(only_question(f.r.apply(1, bank_push("q1"), "", t0 + 1)).seq == 1);
    CHECK(only_question(f.r.apply(1, custom_push("two"), "", t0 + 2)).seq == 2);
    CHECK(only_question(f.r.apply(1, bank_push("q3"), "", t0 + 3)).seq == 3);
    const auto before = state_of(f.r);

    const auto& error = only_error(f.r.apply(1, bank_push("q2"), "9", t0 + 4), 1);
    CHECK(error.code == error_code::too_large);
    CHECK(error.ref == "9");
    CHECK(only_error(f.r.apply(1, custom_push("four"), "", t0 + 5), 1).code ==
          error_code::too_large);
    CHECK(state_of(f.r) == before);
    CHECK(f.r.history().size() == 3);
}

TEST_CASE("a command from a socket that never joined is a bad request", "[room][auth]") {
    fixture f;
    f.r.join(1, role::interviewer, "Grace", "g", t0);
    const auto before = state_of(f.r);

    const auto& push_error = only_error(f.r.apply(42, bank_push("q1"), "17", t0), 42);
    CHECK(push_error.code == error_code::bad_request);
    CHECK(push_error.ref == "17");
    const auto& custom_error = only_error(f.r.apply(42, custom_push("hi"), "", t0), 42);
    CHECK(custom_error.code == error_code::bad_request);
    CHECK(custom_error.ref.empty());
    CHECK(only_error(f.r.apply(42, leave{}, "\"bye\"", t0), 42).code == error_code::bad_request);
    CHECK(state_of(f.r) == before);
    CHECK(f.r.history().empty());

    // An empty room behaves the same.
    fixture empty;
    CHECK(only_error(empty.r.apply(1, bank_push("q1"), "", t0), 1).code == error_code::bad_request);
    CHECK(empty.r.history().empty());
    CHECK(empty.r.participants().empty());
}

TEST_CASE("a late joiner's welcome holds the full history in order", "[room][join]") {
    fixture f;
    f.r.join(1, role::interviewer, "Grace", "g", t0);
    f.r.join(2, role::candidate, "Ada", "a", t0);
    f.r.apply(1, bank_push("q2"), "", t0 + 10);
    f.r.apply(1, custom_push("Explain the GIL.", difficulty::hard), "", t0 + 20);
    f.r.apply(1, bank_push("q1"), "", t0 + 30);
    f.r.apply(1, bank_push("q2"), "", t0 + 40);
    f.r.disconnect(2, t0 + 41);

    auto out = f.r.join(3, role::observer, "Linus", "l", t0 + 50);
    const auto& welcome = welcome_in(out, 3);
    CHECK(welcome.you == "p3");
    CHECK(welcome.recipient_role == role::observer);
    CHECK(describe_history(welcome.state.history) == describe_history(f.r.history()));
    REQUIRE(welcome.state.history.size() == 4);
    const std::vector<std::string> ids{"q2", "custom-2", "q1", "q2"};
    for (std::size_t i = 0; i < ids.size(); ++i) {
        CHECK(welcome.state.history[i].seq == static_cast<int>(i) + 1);
        CHECK(welcome.state.history[i].id == ids[i]);
        CHECK(welcome.state.history[i].pushed_at == t0 + 10 * static_cast<millis>(i + 1));
    }
    // Offline participants are in the snapshot too.
    CHECK(describe_participants(welcome.state.participants) ==
          std::vector<std::string>{"participant p1 name=Grace role=interviewer client=g open=1",
                                   "participant p2 name=Ada role=candidate client=a open=0",
                                   "participant p3 name=Linus role=observer client=l open=1"});
}

TEST_CASE("errors carry the ref they were given", "[room][errors]") {
    fixture f;
    f.r.join(1, role::interviewer, "Grace", "g", t0);
    f.r.join(2, role::candidate, "Ada", "a", t0);
    for (const std::string ref : {"", "7", "-1", "\"abc\"", "\"\"", "18446744073709551615"}) {
        CAPTURE(ref);
        CHECK(only_error(f.r.apply(1, bank_push("q9"), ref, t0), 1).ref == ref);
        CHECK(only_error(f.r.apply(1, custom_push(" "), ref, t0), 1).ref == ref);
        CHECK(only_error(f.r.apply(2, bank_push("q1"), ref, t0), 2).ref == ref);
        CHECK(only_error(f.r.apply(9, leave{}, ref, t0), 9).ref == ref);
    }
}
