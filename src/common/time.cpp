#include "common/time.h"

#include <chrono>

#include <fmt/format.h>

namespace hearth {
namespace {

constexpr int64_t kMicrosPerSecond = 1'000'000;

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned DaysInMonth(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// Floor division, so that instants before the epoch format correctly.
int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

struct Civil {
  int64_t year;
  unsigned month;
  unsigned day;
};

Civil CivilFromDays(int64_t z) {
  // Howard Hinnant's algorithm (public domain).
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const unsigned d = static_cast<unsigned>(doy - (153 * mp + 2) / 5 + 1);
  const unsigned m = static_cast<unsigned>(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (m <= 2), m, d};
}

class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  // Reads exactly `n` digits as a number; false if any is not a digit.
  bool Digits(size_t n, int64_t* out) {
    if (pos_ + n > text_.size()) return false;
    int64_t v = 0;
    for (size_t i = 0; i < n; ++i) {
      char c = text_[pos_ + i];
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    pos_ += n;
    *out = v;
    return true;
  }
  bool Char(char c) {
    if (pos_ < text_.size() && text_[pos_] == c) { ++pos_; return true; }
    return false;
  }
  bool CharEither(char a, char b) { return Char(a) || Char(b); }
  bool AtDigit() const { return pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9'; }
  bool AtEnd() const { return pos_ == text_.size(); }
  size_t pos() const { return pos_; }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

Status Bad(std::string_view text, size_t pos, std::string_view what) {
  return Status::InvalidArgument(
      fmt::format("invalid RFC 3339 time '{}' at byte {}: {}", text.substr(0, 64), pos, what));
}

}  // namespace

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

Result<Timestamp> ParseRfc3339(std::string_view text) {
  Scanner s(text);
  int64_t year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!s.Digits(4, &year)) return Bad(text, s.pos(), "expected a 4-digit year");
  if (!s.Char('-')) return Bad(text, s.pos(), "expected '-' after the year");
  if (!s.Digits(2, &month)) return Bad(text, s.pos(), "expected a 2-digit month");
  if (month < 1 || month > 12) return Bad(text, s.pos() - 2, "month must be 01..12");
  if (!s.Char('-')) return Bad(text, s.pos(), "expected '-' after the month");
  if (!s.Digits(2, &day)) return Bad(text, s.pos(), "expected a 2-digit day");
  if (day < 1 || day > DaysInMonth(year, static_cast<unsigned>(month))) {
    return Bad(text, s.pos() - 2, "day does not exist in that month");
  }
  if (!s.CharEither('T', 't')) return Bad(text, s.pos(), "expected 'T' between date and time");
  if (!s.Digits(2, &hour) || hour > 23) return Bad(text, s.pos(), "expected an hour 00..23");
  if (!s.Char(':')) return Bad(text, s.pos(), "expected ':' after the hour");
  if (!s.Digits(2, &minute) || minute > 59) return Bad(text, s.pos(), "expected a minute 00..59");
  if (!s.Char(':')) return Bad(text, s.pos(), "expected ':' after the minute");
  if (!s.Digits(2, &second)) return Bad(text, s.pos(), "expected 2-digit seconds");
  if (second == 60) return Bad(text, s.pos() - 2, "leap seconds (:60) are not supported");
  if (second > 59) return Bad(text, s.pos() - 2, "seconds must be 00..59");
  int64_t micros = 0;
  if (s.Char('.')) {
    if (!s.AtDigit()) return Bad(text, s.pos(), "expected digits after '.'");
    int digits = 0;
    int64_t d = 0;
    while (s.AtDigit()) {
      if (++digits > 9) return Bad(text, s.pos(), "more than 9 fraction digits");
      s.Digits(1, &d);
      if (digits <= 6) micros = micros * 10 + d;
    }
    for (int i = digits; i < 6; ++i) micros *= 10;
  }
  int64_t offset = 0;
  if (s.CharEither('Z', 'z')) {
    offset = 0;
  } else {
    int sign;
    if (s.Char('+')) sign = 1;
    else if (s.Char('-')) sign = -1;
    else return Bad(text, s.pos(), "expected 'Z' or a UTC offset like +01:00");
    int64_t oh = 0, om = 0;
    if (!s.Digits(2, &oh) || oh > 23) return Bad(text, s.pos(), "expected an offset hour 00..23");
    if (!s.Char(':')) return Bad(text, s.pos(), "expected ':' in the UTC offset");
    if (!s.Digits(2, &om) || om > 59) return Bad(text, s.pos(), "expected offset minutes 00..59");
    offset = sign * (oh * 3600 + om * 60);
  }
  if (!s.AtEnd()) return Bad(text, s.pos(), "unexpected characters after the time");
  const int64_t days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const int64_t local_seconds = days * 86400 + hour * 3600 + minute * 60 + second;
  Timestamp ts;
  ts.utc_micros = (local_seconds - offset) * kMicrosPerSecond + micros;
  ts.offset_seconds = static_cast<int32_t>(offset);
  return ts;
}

std::string FormatRfc3339(const Timestamp& ts) {
  const int64_t local = ts.utc_micros + int64_t{ts.offset_seconds} * kMicrosPerSecond;
  const int64_t secs = FloorDiv(local, kMicrosPerSecond);
  const int64_t frac = local - secs * kMicrosPerSecond;
  const int64_t days = FloorDiv(secs, 86400);
  const int64_t sod = secs - days * 86400;
  const Civil c = CivilFromDays(days);
  std::string out = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", c.year, c.month, c.day,
                                sod / 3600, (sod / 60) % 60, sod % 60);
  if (frac != 0) out += fmt::format(".{:06}", frac);
  if (ts.offset_seconds == 0) {
    out += 'Z';
  } else {
    const int32_t abs = ts.offset_seconds < 0 ? -ts.offset_seconds : ts.offset_seconds;
    out += fmt::format("{}{:02}:{:02}", ts.offset_seconds < 0 ? '-' : '+', abs / 3600, (abs / 60) % 60);
  }
  return out;
}

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace hearth
