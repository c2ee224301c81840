// Civil (calendar) time arithmetic and RFC 3339 timestamps.
//
// Times on the timeline are UTC microseconds since the Unix epoch (int64).
// Civil times are proleptic Gregorian, no leap seconds. These helpers carry no
// time-zone knowledge; see time_zone.h for that.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace hearth::timeline {

inline constexpr int64_t kMicrosPerSecond = 1'000'000;
inline constexpr int64_t kMicrosPerMinute = 60 * kMicrosPerSecond;
inline constexpr int64_t kMicrosPerHour = 60 * kMicrosPerMinute;
inline constexpr int64_t kMicrosPerDay = 24 * kMicrosPerHour;
inline constexpr int64_t kSecondsPerDay = 86'400;

struct CivilDate {
  int year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31
};

// Days since 1970-01-01 for a civil date (valid for any int year).
int64_t DaysFromCivil(CivilDate date);
CivilDate CivilFromDays(int64_t days);
// 0 = Monday ... 6 = Sunday (ISO order).
int WeekdayFromDays(int64_t days);
int DaysInMonth(int year, int month);
bool IsValidDate(CivilDate date);

// Floor division for negative times (C++ `/` truncates toward zero).
inline int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

// Parses an RFC 3339 timestamp ("2026-11-03T19:05:00.25+01:00", "...Z"; a
// space instead of 'T' is accepted). Returns UTC microseconds and, in
// *utc_offset_s, the offset written in the text. Errors name the byte offset.
Result<int64_t> ParseRfc3339(std::string_view text, int32_t* utc_offset_s = nullptr);

// Formats UTC microseconds as RFC 3339 in the given fixed offset, with
// microseconds only when non-zero: "2026-11-03T19:05:00+01:00".
std::string FormatRfc3339(int64_t utc_us, int32_t utc_offset_s = 0);

}  // namespace hearth::timeline
