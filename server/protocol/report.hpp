// The end-of-interview report, rendered for one role: interviewers get everything (questions
// with sample answers, time spent, both documents, the scorecard); candidates and observers get
// only what they may see (questions, time spent, the shared notes, and sample answers only once
// revealed). Redaction is by construction, as in the codec: there is no code path from the
// candidate's report to the private notes or the scorecard.
#pragma once

#include <string>
#include <string_view>

#include "domain/room.hpp"

namespace mockroom::protocol {

enum class report_format { markdown, json };

struct rendered_report {
    std::string content_type;  // "text/markdown; charset=utf-8" or "application/json"
    std::string body;
};

rendered_report render_report(const domain::room& room, domain::role reader, report_format format,
                              domain::millis now);

}  // namespace mockroom::protocol
