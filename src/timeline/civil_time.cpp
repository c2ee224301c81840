#include "timeline/civil_time.h"

#include <cstdio>

namespace hearth::timeline {

// Howard Hinnant's days_from_civil / civil_from_days (public domain).
int64_t DaysFromCivil(CivilDate date) {
  int64_t y = date.year - (date.month <= 2 ? 1 : 0);
  const int64_t era = FloorDiv(y, 400);
  const int64_t yoe = y - era * 400;
  const int64_t mp = (date.month + 9) % 12;
  const int64_t doy = (153 * mp + 2) / 5 + date.day - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

CivilDate CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = FloorDiv(z, 146097);
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  const int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return CivilDate{static_cast<int>(y), m, d};
}

int WeekdayFromDays(int64_t days) {
  // 1970-01-01 was a Thursday (ISO index 3).
  return static_cast<int>(((days % 7) + 7 + 3) % 7);
}

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12) return 0;
  if (month == 2) {
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return leap ? 29 : 28;
  }
  return kDays[month - 1];
}

bool IsValidDate(CivilDate date) {
  return date.month >= 1 && date.month <= 12 && date.day >= 1 &&
         date.day <= DaysInMonth(date.year, date.month);
}

namespace {

class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {}
  size_t pos() const { return pos_; }
  bool done() const { return pos_ >= text_.size(); }
  char peek() const { return done() ? '\0' : text_[pos_]; }
  bool Accept(char c) {
    if (peek() != c) return false;
    ++pos_;
    return true;
  }
  // Reads exactly `n` digits.
  bool Digits(int n, int* out) {
    int v = 0;
    for (int i = 0; i < n; ++i) {
      char c = peek();
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
      ++pos_;
    }
    *out = v;
    return true;
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

Status TimeError(std::string_view text, size_t at, std::string_view what) {
  return Status::InvalidArgument("invalid RFC 3339 time \"" + std::string(text.substr(0, 64)) +
                                 "\" at byte " + std::to_string(at) + ": " + std::string(what));
}

}  // namespace

Result<int64_t> ParseRfc3339(std::string_view text, int32_t* utc_offset_s) {
  Cursor c(text);
  CivilDate date;
  int hh = 0, mm = 0, ss = 0;
  if (!c.Digits(4, &date.year)) return TimeError(text, c.pos(), "expected a 4-digit year");
  if (!c.Accept('-')) return TimeError(text, c.pos(), "expected '-'");
  if (!c.Digits(2, &date.month)) return TimeError(text, c.pos(), "expected a 2-digit month");
  if (!c.Accept('-')) return TimeError(text, c.pos(), "expected '-'");
  if (!c.Digits(2, &date.day)) return TimeError(text, c.pos(), "expected a 2-digit day");
  if (!IsValidDate(date)) return TimeError(text, 0, "no such calendar date");
  if (!c.Accept('T') && !c.Accept('t') && !c.Accept(' ')) return TimeError(text, c.pos(), "expected 'T'");
  if (!c.Digits(2, &hh) || hh > 23) return TimeError(text, c.pos(), "expected an hour 00-23");
  if (!c.Accept(':')) return TimeError(text, c.pos(), "expected ':'");
  if (!c.Digits(2, &mm) || mm > 59) return TimeError(text, c.pos(), "expected minutes 00-59");
  if (!c.Accept(':')) return TimeError(text, c.pos(), "expected ':'");
  // 60 is tolerated as a leap second and folded into the next second.
  if (!c.Digits(2, &ss) || ss > 60) return TimeError(text, c.pos(), "expected seconds 00-60");
  int64_t frac_us = 0;
  if (c.Accept('.')) {
    int digits = 0;
    int64_t scale = 100000;
    while (c.peek() >= '0' && c.peek() <= '9') {
      if (digits < 6) frac_us += (c.peek() - '0') * scale;
      scale /= 10;
      ++digits;
      int ignored;
      (void)c.Digits(1, &ignored);
    }
    if (digits == 0) return TimeError(text, c.pos(), "expected digits after '.'");
  }
  int32_t offset = 0;
  if (c.Accept('Z') || c.Accept('z')) {
    offset = 0;
  } else if (c.peek() == '+' || c.peek() == '-') {
    bool negative = c.peek() == '-';
    c.Accept(c.peek());
    int oh = 0, om = 0;
    if (!c.Digits(2, &oh) || oh > 23) return TimeError(text, c.pos(), "expected offset hours");
    if (!c.Accept(':')) return TimeError(text, c.pos(), "expected ':' in the offset");
    if (!c.Digits(2, &om) || om > 59) return TimeError(text, c.pos(), "expected offset minutes");
    offset = (oh * 3600 + om * 60) * (negative ? -1 : 1);
  } else {
    return TimeError(text, c.pos(), "expected 'Z' or a UTC offset like +01:00");
  }
  if (!c.done()) return TimeError(text, c.pos(), "unexpected trailing characters");
  if (date.year < 1) return TimeError(text, 0, "year must be at least 0001");
  int64_t local_s = DaysFromCivil(date) * kSecondsPerDay + hh * 3600 + mm * 60 + ss;
  if (utc_offset_s) *utc_offset_s = offset;
  return (local_s - offset) * kMicrosPerSecond + frac_us;
}

std::string FormatRfc3339(int64_t utc_us, int32_t utc_offset_s) {
  int64_t local_us = utc_us + static_cast<int64_t>(utc_offset_s) * kMicrosPerSecond;
  int64_t days = FloorDiv(local_us, kMicrosPerDay);
  int64_t in_day = local_us - days * kMicrosPerDay;
  CivilDate d = CivilFromDays(days);
  int64_t secs = in_day / kMicrosPerSecond;
  int64_t micros = in_day % kMicrosPerSecond;
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", d.year, d.month, d.day,
                        static_cast<int>(secs / 3600), static_cast<int>(secs / 60 % 60),
                        static_cast<int>(secs % 60));
  std::string out(buf, static_cast<size_t>(n));
  if (micros != 0) {
    std::snprintf(buf, sizeof buf, ".%06d", static_cast<int>(micros));
    out += buf;
  }
  if (utc_offset_s == 0) {
    out += 'Z';
  } else {
    int32_t a = utc_offset_s < 0 ? -utc_offset_s : utc_offset_s;
    std::snprintf(buf, sizeof buf, "%c%02d:%02d", utc_offset_s < 0 ? '-' : '+', a / 3600, a / 60 % 60);
    out += buf;
  }
  return out;
}

}  // namespace hearth::timeline
