// RFC 3339 timestamps <-> UTC microseconds plus the original UTC offset.
//
// Hearth stores every instant as microseconds since the Unix epoch (UTC) and
// keeps the offset the writer used, so "19:05 local" can be shown as the
// person saw it. Parsing is strict: `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`,
// 'T'/'Z' in either case, 1..9 fraction digits (digits beyond microseconds
// are truncated toward the past), no leap second (:60), offset within ±23:59.
// Errors name the byte offset of the problem in the input.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace hearth {

struct Timestamp {
  int64_t utc_micros = 0;   // microseconds since 1970-01-01T00:00:00Z
  int32_t offset_seconds = 0;  // the writer's UTC offset (east positive)

  friend bool operator==(const Timestamp&, const Timestamp&) = default;
};

// Parses an RFC 3339 date-time with a mandatory offset.
Result<Timestamp> ParseRfc3339(std::string_view text);

// Formats `ts` in its own offset: "2026-11-21T19:05:00+01:00", with a
// 6-digit fraction only when the instant is not a whole second, and "Z" for
// offset 0. Valid for years 0000..9999.
std::string FormatRfc3339(const Timestamp& ts);

// Days since the epoch for a proleptic Gregorian date (any year).
int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day);

// Current wall-clock time in UTC microseconds.
int64_t NowMicros();

}  // namespace hearth
