#include "protocol/report.hpp"

#include <ctime>
#include <nlohmann/json.hpp>

#include "domain/utf8.hpp"

namespace mockroom::protocol {
namespace {

using nlohmann::json;

// A question as the reader may see it, with its time spent (the current one: so far).
struct reported_question {
    const domain::pushed_question* question;
    domain::millis time_spent_ms;
};

std::vector<reported_question> questions_of(const domain::room& room, domain::millis now) {
    std::vector<reported_question> out;
    const auto& history = room.history();
    for (std::size_t i = 0; i < history.size(); ++i) {
        const bool current = i + 1 == history.size();
        out.push_back({&history[i], current
                                        ? room.timer(domain::timer_id::question).active_time(now)
                                        : history[i].time_spent_ms});
    }
    return out;
}

json score_json(const domain::scorecard& scores, const std::string& field) {
    auto it = scores.find(field);
    if (it == scores.end()) return nullptr;
    if (const auto* number = std::get_if<int>(&it->second.value)) return *number;
    if (const auto* text = std::get_if<std::string>(&it->second.value)) return *text;
    return nullptr;
}

std::string iso_time(domain::millis ms) {
    const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", &utc);
    return text;
}

std::string minutes_seconds(domain::millis ms) {
    const long long total = ms / 1000;
    return std::to_string(total / 60) + ":" + (total % 60 < 10 ? "0" : "") +
           std::to_string(total % 60);
}

std::string utf8(const std::u16string& text) {
    return domain::utf16_to_utf8(text);
}

json as_json(const domain::room& room, domain::role reader, domain::millis now) {
    const bool interviewer = reader == domain::role::interviewer;
    const bool answers = interviewer || room.revealed();
    const auto& info = room.info();
    json questions = json::array();
    for (const auto& [q, spent] : questions_of(room, now)) {
        json j = {{"seq", q->seq},
                  {"id", q->id},
                  {"number", q->number ? json(*q->number) : json(nullptr)},
                  {"text", q->text},
                  {"difficulty", domain::to_string(q->level)},
                  {"pushed_at", q->pushed_at},
                  {"budget_ms", q->budget_ms},
                  {"time_spent_ms", spent}};
        if (answers) j["sample_answer"] = q->sample_answer;
        if (interviewer) {
            const std::string prefix = "q" + std::to_string(q->seq) + ".";
            j["rating"] = score_json(room.scores(), prefix + "rating");
            j["comment"] = score_json(room.scores(), prefix + "comment");
        }
        questions.push_back(std::move(j));
    }
    json participants = json::array();
    for (const auto& p : room.participants()) {
        participants.push_back({{"name", p.name}, {"role", domain::to_string(p.role_in_room)}});
    }
    json report = {
        {"room",
         {{"id", info.id},
          {"title", info.title},
          {"bank", {{"id", info.question_bank->id}, {"title", info.question_bank->title}}}}},
        {"for", domain::to_string(reader)},
        {"created_at", info.created_at},
        {"ended_at", room.ended_at() ? json(*room.ended_at()) : json(nullptr)},
        {"revealed", room.revealed()},
        {"participants", std::move(participants)},
        {"questions", std::move(questions)},
        {"notes", {{"shared", utf8(room.document(domain::doc_id::shared).text())}}}};
    if (interviewer) {
        report["notes"]["private"] = utf8(room.document(domain::doc_id::private_notes).text());
        report["scorecard"] = {{"recommendation", score_json(room.scores(), "recommendation")},
                               {"summary", score_json(room.scores(), "summary")}};
    }
    return report;
}

// A fenced block that no line of `text` can close early.
std::string fenced(const std::string& text) {
    std::string fence = "```";
    while (text.find(fence) != std::string::npos) fence += '`';
    return fence + "\n" + text + (text.empty() || text.back() == '\n' ? "" : "\n") + fence + "\n";
}

std::string as_markdown(const json& r) {
    std::string md = "# " + r["room"]["title"].get<std::string>() + "\n\n";
    md += "- Bank: " + r["room"]["bank"]["title"].get<std::string>() + "\n";
    md += "- Room: " + r["room"]["id"].get<std::string>() + "\n";
    md += "- Created: " + iso_time(r["created_at"].get<domain::millis>()) + "\n";
    md += "- Ended: " +
          (r["ended_at"].is_null() ? std::string("not yet")
                                   : iso_time(r["ended_at"].get<domain::millis>())) +
          "\n";
    md += "- Participants:";
    for (const auto& p : r["participants"]) {
        md += " " + p["name"].get<std::string>() + " (" + p["role"].get<std::string>() + ")";
    }
    md += "\n\n## Questions\n\n";
    if (r["questions"].empty()) md += "No question was asked.\n\n";
    for (const auto& q : r["questions"]) {
        md += "### " + std::to_string(q["seq"].get<int>()) + ". " +
              (q["number"].is_null() ? std::string("Custom question")
                                     : "Question " + std::to_string(q["number"].get<int>())) +
              " (" + q["difficulty"].get<std::string>() + ")\n\n";
        md += "Time spent " + minutes_seconds(q["time_spent_ms"].get<domain::millis>()) + " of " +
              minutes_seconds(q["budget_ms"].get<domain::millis>()) + "\n\n";
        md += q["text"].get<std::string>() + "\n\n";
        if (q.contains("sample_answer") && !q["sample_answer"].get<std::string>().empty()) {
            md += "**Sample answer**\n\n" + q["sample_answer"].get<std::string>() + "\n\n";
        }
        if (q.contains("rating") && !q["rating"].is_null()) {
            md += "**Rating:** " + std::to_string(q["rating"].get<int>()) + "/4\n\n";
        }
        if (q.contains("comment") && !q["comment"].is_null()) {
            md += "**Comment:** " + q["comment"].get<std::string>() + "\n\n";
        }
    }
    md += "## Shared notes\n\n" + fenced(r["notes"]["shared"].get<std::string>()) + "\n";
    if (r["notes"].contains("private")) {
        md += "## Private notes\n\n" + fenced(r["notes"]["private"].get<std::string>()) + "\n";
    }
    if (r.contains("scorecard")) {
        const json& card = r["scorecard"];
        md += "## Scorecard\n\n- Recommendation: " +
              (card["recommendation"].is_null() ? std::string("none")
                                                : card["recommendation"].get<std::string>()) +
              "\n\n";
        if (!card["summary"].is_null()) md += card["summary"].get<std::string>() + "\n";
    }
    return md;
}

}  // namespace

rendered_report render_report(const domain::room& room, domain::role reader, report_format format,
                              domain::millis now) {
    const json report = as_json(room, reader, now);
    if (format == report_format::json) {
        return {"application/json", report.dump(2, ' ', false, json::error_handler_t::replace)};
    }
    return {"text/markdown; charset=utf-8", as_markdown(report)};
}

}  // namespace mockroom::protocol
