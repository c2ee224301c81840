// Time expressions as people type them, resolved to [from, to) UTC ranges in
// the person's time zone, relative to a given "now".
//
// Accepted (case-insensitive; "in", "on", "at", "during", "the" are ignored):
//   today, yesterday, tomorrow, tonight, last night, now
//   this morning | afternoon | evening | night      (today's part of day)
//   <day> [morning|afternoon|evening|night|HH:MM|7pm]
//       where <day> is today, yesterday, tomorrow, a weekday name ("tuesday":
//       the latest Tuesday up to today), "last tuesday" (the latest before
//       today), "next tuesday" (the first after today), or YYYY-MM-DD
//   N minutes|hours|days|weeks|months|years ago     (that whole unit: "2 days
//       ago" is that calendar day, "3 hours ago" the hour starting 3 h ago)
//   last|past N minutes|hours|days|weeks            (rolling, ending now)
//   this|last|next week|month|year                  (calendar; weeks start Monday)
//   march, in March, March 2025, 2025               (latest March that began)
//   2026-11-03, 2026-11-03 19:00, RFC 3339 instants
// Parts of day: morning 06-12, afternoon 12-18, evening 18-24, night 22-06
// (next day). A clock time means the hour that starts there.
// Day boundaries are local midnights, so a day across a DST change is 23 or
// 25 hours long.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/status.h"
#include "timeline/time_zone.h"

namespace hearth::timeline {

struct TimeRange {
  int64_t from_us = 0;
  int64_t to_us = 0;  // exclusive
};

// Errors say which word was not understood and list what is accepted.
Result<TimeRange> ResolveTimeExpression(std::string_view text, const TimeZone& zone, int64_t now_us);

}  // namespace hearth::timeline
