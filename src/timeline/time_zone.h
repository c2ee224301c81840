// IANA time zones read from the system database (/usr/share/zoneinfo, TZif
// version 2+), without touching the process-wide TZ (thread-safe).
//
// g++ 12's libstdc++ has no C++20 chrono tzdb, and localtime_r depends on the
// global TZ variable, so Hearth reads TZif files itself: the 64-bit
// transition table, then the POSIX TZ footer for instants past its end.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace hearth::timeline {

class TimeZone {
 public:
  // "UTC" always works; other names are looked up under `zoneinfo_dir`.
  // Names must look like IANA names (letters, digits, '_', '-', '+', '/'; no
  // "..", not absolute).
  static Result<TimeZone> Load(std::string_view name, const std::string& zoneinfo_dir = "/usr/share/zoneinfo");
  static TimeZone Utc();
  // Parses TZif bytes; `name` is used in errors.
  static Result<TimeZone> FromTzif(std::string_view name, std::string_view bytes);

  const std::string& name() const { return name_; }

  // Offset from UTC (seconds) in effect at `utc_s` (seconds since the epoch).
  int32_t OffsetAt(int64_t utc_s) const;

  // The UTC instant of local wall time `local_s` (seconds since the epoch, as
  // if local time were UTC). Ambiguous times (clocks turned back) resolve to
  // the earlier instant; skipped times (clocks turned forward) resolve as if
  // the pre-transition offset still held, i.e. 02:30 on a spring-forward
  // night is 03:30 of the new offset.
  int64_t LocalToUtc(int64_t local_s) const;

  int64_t UtcToLocal(int64_t utc_s) const { return utc_s + OffsetAt(utc_s); }

 private:

  std::string name_;
  std::vector<int64_t> transitions_;     // UTC seconds, ascending
  std::vector<int32_t> offsets_after_;   // offset in effect from transitions_[i]
  int32_t initial_offset_ = 0;           // before the first transition
  // Footer: standard and daylight offsets and when daylight applies.
  bool has_footer_ = false;
  int32_t std_offset_ = 0;
  int32_t dst_offset_ = 0;
  bool footer_has_dst_ = false;
  // Rule start/end: month (1-12), week (1-5, 5 = last), weekday (0 = Sun),
  // local time of day in seconds (may be negative or > 24h per POSIX).
  int start_month_ = 0, start_week_ = 0, start_wday_ = 0;
  int32_t start_time_ = 7200;
  int end_month_ = 0, end_week_ = 0, end_wday_ = 0;
  int32_t end_time_ = 7200;

  Status ParseFooter(std::string_view tz);
  int32_t FooterOffsetAt(int64_t utc_s) const;
};

}  // namespace hearth::timeline
