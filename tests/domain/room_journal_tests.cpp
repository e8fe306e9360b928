// The journal: replaying what a room recorded, in order, on a fresh room gives the same room.
// This is what the store relies on after a restart or a crash.
#include <catch2/catch.hpp>
#include <random>

#include "domain/room.hpp"

using namespace mockroom;
using namespace mockroom::domain;

namespace {

constexpr millis t0 = 1'764'000'000'000;

room_info make_info() {
    auto b = std::make_shared<bank>();
    b->id = "b";
    b->title = "B";
    for (int n = 1; n <= 4; ++n) {
        question q;
        q.id = "q" + std::to_string(n);
        q.number = n;
        q.level = n % 2 ? difficulty::easy : difficulty::hard;
        q.text = "Question " + std::to_string(n);
        q.sample_answer = "Answer " + std::to_string(n);
        b->questions.push_back(q);
    }
    return room_info{"room1", "Mock", b, t0, {}};
}

// Everything a room keeps, connections and cursors aside, as comparable text.
std::string kept_state(const room& r) {
    std::string out;
    for (const auto& p : r.participants()) {
        out += "participant " + p.id + " " + p.name + " " + std::string(to_string(p.role_in_room)) +
               " " + p.client_id + "\n";
    }
    for (const auto& q : r.history()) {
        out += "question " + std::to_string(q.seq) + " " + q.id + " " + q.text + " " +
               q.sample_answer + " " + std::to_string(q.pushed_at) + " " +
               std::to_string(q.budget_ms) + " " + std::to_string(q.time_spent_ms) + "\n";
    }
    for (doc_id d : {doc_id::shared, doc_id::private_notes}) {
        const auto& doc = r.document(d);
        out += "doc " + std::string(to_string(d)) + " v" + std::to_string(doc.version()) +
               " from v" + std::to_string(doc.first_version()) + " " +
               std::to_string(doc.text().size()) + " units\n";
        for (char16_t unit : doc.text()) out += std::to_string(static_cast<int>(unit)) + ",";
        out += "\n";
        for (const auto& u : doc.log()) out += u.client_id + ";";
        out += "\n";
    }
    out += "language " + std::string(to_string(r.notes_language())) + "\n";
    out += "ended " + (r.ended_at() ? std::to_string(*r.ended_at()) : "-") + " revealed " +
           std::to_string(r.revealed()) + "\n";
    for (const auto& [field, stored] : r.scores()) {
        out += "score " + field + " r" + std::to_string(stored.rev) + " " +
               std::to_string(stored.value.index()) + "\n";
    }
    for (timer_id t : {timer_id::interview, timer_id::question}) {
        const auto s = r.timer(t).save();
        out += "timer " + std::string(to_string(t)) + " " + std::string(to_string(s.state)) + " " +
               std::to_string(s.duration) + " " + std::to_string(s.remaining) + " " +
               std::to_string(s.deadline) + " r" + std::to_string(s.rev) + " " +
               std::to_string(s.active_before) + " " +
               (s.active_since ? std::to_string(*s.active_since) : "-") + "\n";
    }
    return out;
}

change_set random_change(std::mt19937& rng, std::size_t length) {
    std::uniform_int_distribution<std::size_t> pos_of(0, length);
    const std::size_t from = pos_of(rng);
    std::uniform_int_distribution<std::size_t> cut_of(0, std::min<std::size_t>(length - from, 3));
    const std::size_t cut = cut_of(rng);
    static const std::u16string pieces[] = {u"a", u"é", u"😀", u"\n", u"", u"xyz"};
    std::u16string inserted = pieces[rng() % 6];
    return change_set::from_parts({change_set::keep{from}, change_set::replace{cut, inserted},
                                   change_set::keep{length - from - cut}});
}

// A random session: connections 1..6 (interviewers, candidates, an observer) come and go,
// push questions, edit both documents (sometimes from older versions, to exercise rebasing),
// change the language, score, command timers; near the end an interviewer ends the interview
// and reveals the answers. `after_step` sees the room after every step.
struct random_session {
    struct seat {
        connection_id c;
        role r;
        std::string client;
        bool joined = false;
    };
    std::mt19937 rng;
    room live;
    millis now = t0;
    std::vector<seat> seats = {{1, role::interviewer, "i1"}, {2, role::interviewer, "i2"},
                               {3, role::candidate, "c"},    {4, role::observer, "o"},
                               {5, role::candidate, "c2"},   {6, role::interviewer, "i3"}};

    random_session(unsigned seed, const limits& bounds) : rng(seed), live(make_info(), bounds) {}

    void step(int n) {
        now += static_cast<millis>(rng() % 20'000);
        seat& s = seats[rng() % seats.size()];
        const int action = static_cast<int>(rng() % 12);
        if (!s.joined) {
            live.join(s.c, s.r, rng() % 3 ? "Name" : "Renamed", s.client, now);
            s.joined = true;
        } else if (action == 0) {
            live.disconnect(s.c, now);
            s.joined = false;
        } else if (action == 1 && rng() % 4 == 0) {
            live.apply(s.c, leave{}, "", now);
            s.joined = false;
        } else if (action <= 3) {
            push_question push{"q" + std::to_string(1 + rng() % 5), std::nullopt};
            if (rng() % 3 == 0) push.budget_ms = 1'000 + static_cast<millis>(rng() % 100'000);
            live.apply(s.c, push, "", now);
        } else if (action <= 7) {
            const doc_id d = rng() % 3 ? doc_id::shared : doc_id::private_notes;
            const auto& doc = live.document(d);
            // Sometimes based on an older version, to exercise rebasing.
            std::size_t base = doc.version() - std::min<std::size_t>(doc.version(), rng() % 3);
            if (!doc.knows_version(base)) base = doc.version();
            const std::size_t length = doc.length_at(base);
            live.apply(s.c, notes_push{d, base, {{s.client, random_change(rng, length)}}}, "", now);
        } else if (action == 8) {
            live.apply(s.c, set_language{static_cast<language>(rng() % 3)}, "", now);
        } else if (action == 9) {
            static const std::string fields[] = {"q1.rating", "q2.comment", "recommendation",
                                                 "summary"};
            const std::string& field = fields[rng() % 4];
            score_value value = std::monostate{};
            if (field.ends_with("rating")) value = static_cast<int>(1 + rng() % 4);
            if (field.ends_with("comment") || field == "summary") value = std::string("note");
            if (field == "recommendation") value = std::string("yes");
            auto known = live.scores().find(field);
            const std::uint64_t rev = known == live.scores().end() ? 0 : known->second.rev;
            live.apply(s.c, set_score{field, value, rev}, "", now);
        } else {
            const timer_id t = rng() % 2 ? timer_id::interview : timer_id::question;
            const auto a = static_cast<timer_action>(rng() % 5);
            std::optional<millis> ms;
            if (a == timer_action::add) ms = static_cast<millis>(rng() % 200'000) - 100'000;
            // Mostly the current revision, sometimes a stale one.
            const std::uint64_t rev = live.timer(t).rev() - (rng() % 5 == 0 ? 1 : 0);
            live.apply(s.c, timer_command{t, a, ms, rev}, "", now);
        }
        if (rng() % 10 == 0) live.tick(now);
        if (n == 520) {
            live.join(100, role::interviewer, "Closer", "closer", now);
            live.apply(100, end_interview{}, "", now);
        }
        if (n == 560) live.apply(100, reveal_answers{}, "", now);
    }
};

}  // namespace

TEST_CASE("journal: replaying a random session's journal rebuilds the same room") {
    const auto seed = GENERATE(1u, 2u, 3u, 4u, 5u);
    CAPTURE(seed);
    limits bounds;
    random_session session(seed, bounds);
    room& live = session.live;
    std::vector<journal_entry> journal;
    std::size_t checked = 0;
    for (int step = 0; step < 600; ++step) {
        session.step(step);
        auto recorded = live.take_journal();
        journal.insert(journal.end(), recorded.begin(), recorded.end());

        if (step % 50 == 49) {
            room rebuilt(make_info(), bounds);
            for (const auto& entry : journal) rebuilt.replay(entry);
            REQUIRE(kept_state(rebuilt) == kept_state(live));
            CHECK(rebuilt.next_deadline() == live.next_deadline());
            ++checked;
        }
    }
    CHECK(checked == 12);
    CHECK(live.ended_at());
    CHECK(live.revealed());
    CHECK_FALSE(live.scores().empty());
    CHECK(journal.size() > 200);
}

TEST_CASE("journal: a snapshot plus the entries after it rebuilds the same room") {
    const auto seed = GENERATE(1u, 2u, 3u, 4u, 5u);
    CAPTURE(seed);
    limits bounds;
    bounds.kept_note_updates = 8;  // the documents drop old updates many times over
    random_session session(seed, bounds);
    room& live = session.live;
    std::vector<journal_entry> full_journal;
    std::vector<journal_entry> since_snapshot = live.snapshot();
    std::size_t checked = 0;
    for (int step = 0; step < 600; ++step) {
        session.step(step);
        auto recorded = live.take_journal();
        full_journal.insert(full_journal.end(), recorded.begin(), recorded.end());
        since_snapshot.insert(since_snapshot.end(), recorded.begin(), recorded.end());
        if (step % 37 == 36) since_snapshot = live.snapshot();  // a new snapshot replaces it

        if (step % 50 == 49) {
            room from_snapshot(make_info(), bounds);
            for (const auto& entry : since_snapshot) from_snapshot.replay(entry);
            REQUIRE(kept_state(from_snapshot) == kept_state(live));
            CHECK(from_snapshot.next_deadline() == live.next_deadline());
            room from_log(make_info(), bounds);
            for (const auto& entry : full_journal) from_log.replay(entry);
            REQUIRE(kept_state(from_log) == kept_state(live));
            ++checked;
        }
    }
    CHECK(checked == 12);
    CHECK(live.document(doc_id::shared).first_version() > 0);  // trimming happened
    CHECK(live.document(doc_id::shared).log().size() < 16);
    // A newcomer after everyone left still gets a fresh number from a snapshot alone.
    room rebuilt(make_info(), bounds);
    for (const auto& entry : live.snapshot()) rebuilt.replay(entry);
    live.join(200, role::observer, "Late", "late", session.now);
    rebuilt.join(200, role::observer, "Late", "late", session.now);
    CHECK(kept_state(rebuilt) == kept_state(live));
}

TEST_CASE("journal: errors, pulls, cursors and disconnects record nothing") {
    limits bounds;
    room r(make_info(), bounds);
    r.join(1, role::interviewer, "Grace", "i", t0);
    r.join(2, role::candidate, "Ada", "c", t0);
    CHECK(r.take_journal().size() == 2);                    // the two participants
    r.apply(2, push_question{"q1", std::nullopt}, "", t0);  // forbidden
    r.apply(1, push_question{"q9", std::nullopt}, "", t0);  // not found
    r.apply(1, timer_command{timer_id::interview, timer_action::pause, {}, 0}, "", t0);  // bad
    r.apply(1, notes_pull{doc_id::shared, 0}, "", t0);
    r.apply(2, cursor_update{doc_id::shared, 0, {{0, 0}}}, "", t0);
    r.disconnect(2, t0);
    r.join(3, role::candidate, "Ada", "c", t0);  // the same person, same name: nothing new
    CHECK(r.take_journal().empty());
    r.join(4, role::candidate, "Ada L.", "c", t0);  // a corrected name is kept
    const auto renamed = r.take_journal();
    REQUIRE(renamed.size() == 1);
    CHECK(std::get<participant_joined>(renamed[0]).name == "Ada L.");
}

TEST_CASE("journal: a snapshot entry that does not fit is refused and changes nothing") {
    limits bounds;
    room r(make_info(), bounds);
    // Kept updates that do not lead to the text's length.
    text_update insert_two{"c", change_set::from_parts({change_set::replace{0, u"ab"}})};
    CHECK_THROWS_AS(r.replay(notes_restored{doc_id::shared, 4, u"abc", {insert_two}}),
                    std::invalid_argument);
    CHECK(r.document(doc_id::shared).version() == 0);
    CHECK(r.document(doc_id::shared).text().empty());
    CHECK_THROWS_AS(r.replay(numbering_restored{0}), std::invalid_argument);
    r.replay(notes_restored{doc_id::shared, 4, u"ab", {insert_two}});
    CHECK(r.document(doc_id::shared).version() == 5);
    CHECK(r.document(doc_id::shared).first_version() == 4);
}

TEST_CASE("journal: a stored entry that does not fit is refused") {
    limits bounds;
    room r(make_info(), bounds);
    text_update too_long{"c", change_set::from_parts({change_set::keep{5}})};
    CHECK_THROWS_AS(r.replay(notes_accepted{doc_id::shared, {too_long}}), std::invalid_argument);
    CHECK(r.document(doc_id::shared).version() == 0);
    pushed_question second;
    second.seq = 2;
    CHECK_THROWS_AS(r.replay(question_asked{second, 0}), std::invalid_argument);
    CHECK(r.history().empty());
}
