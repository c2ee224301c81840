#include "timeline/time_expression.h"

#include <array>
#include <cctype>
#include <optional>
#include <string>
#include <vector>

#include "timeline/civil_time.h"

namespace hearth::timeline {

namespace {

constexpr std::array<std::string_view, 7> kWeekdays = {"monday", "tuesday", "wednesday", "thursday",
                                                       "friday", "saturday", "sunday"};
constexpr std::array<std::string_view, 12> kMonths = {"january", "february", "march",     "april",
                                                      "may",     "june",     "july",      "august",
                                                      "september", "october", "november", "december"};

// Full names and unambiguous 3-letter prefixes ("tue", "tues", "sept").
int MatchName(std::string_view word, const std::string_view* names, size_t count) {
  if (word.size() < 3) return -1;
  for (size_t k = 0; k < count; ++k) {
    if (names[k].substr(0, word.size()) == word) return static_cast<int>(k);
  }
  return -1;
}
int Weekday(std::string_view w) { return MatchName(w, kWeekdays.data(), kWeekdays.size()); }
int Month(std::string_view w) {
  if (w == "mar" || w == "may") return w == "mar" ? 2 : 4;
  return MatchName(w, kMonths.data(), kMonths.size());
}

std::optional<int> Number(std::string_view w) {
  static constexpr std::array<std::string_view, 13> kWords = {
      "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"};
  for (size_t k = 0; k < kWords.size(); ++k) if (w == kWords[k]) return static_cast<int>(k);
  if (w == "a" || w == "an") return 1;
  if (w.empty() || w.size() > 6) return std::nullopt;
  int v = 0;
  for (char c : w) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

enum class Unit { kMinute, kHour, kDay, kWeek, kMonth, kYear, kNone };
Unit ParseUnit(std::string_view w) {
  if (!w.empty() && w.back() == 's') w.remove_suffix(1);
  if (w == "minute" || w == "min") return Unit::kMinute;
  if (w == "hour" || w == "hr") return Unit::kHour;
  if (w == "day") return Unit::kDay;
  if (w == "week") return Unit::kWeek;
  if (w == "month") return Unit::kMonth;
  if (w == "year") return Unit::kYear;
  return Unit::kNone;
}

// Clock time: "19:00", "7pm", "7:30pm", "19h". Returns seconds after midnight.
std::optional<int> ClockTime(std::string_view w) {
  int h = 0, m = 0;
  size_t i = 0;
  auto digits = [&](int max_len, int* out) {
    size_t start = i;
    int v = 0;
    while (i < w.size() && std::isdigit(static_cast<unsigned char>(w[i])) && static_cast<int>(i - start) < max_len) {
      v = v * 10 + (w[i++] - '0');
    }
    *out = v;
    return i > start;
  };
  if (!digits(2, &h)) return std::nullopt;
  bool has_minutes = false;
  if (i < w.size() && w[i] == ':') {
    ++i;
    if (!digits(2, &m) || m > 59) return std::nullopt;
    has_minutes = true;
  }
  std::string_view suffix = w.substr(i);
  if (suffix == "am" || suffix == "pm") {
    if (h < 1 || h > 12) return std::nullopt;
    h = h % 12 + (suffix == "pm" ? 12 : 0);
  } else if (suffix == "h") {
    // "19h"
  } else if (!suffix.empty() || !has_minutes) {
    return std::nullopt;
  }
  if (h > 23) return std::nullopt;
  return h * 3600 + m * 60;
}

struct PartOfDay {
  std::string_view name;
  int from_h, to_h;  // to_h may exceed 24 (night runs into the next day)
};
constexpr std::array<PartOfDay, 4> kParts = {{{"morning", 6, 12}, {"afternoon", 12, 18},
                                              {"evening", 18, 24}, {"night", 22, 30}}};
const PartOfDay* Part(std::string_view w) {
  for (const auto& p : kParts) if (p.name == w) return &p;
  return nullptr;
}

std::optional<int64_t> IsoDate(std::string_view w) {
  if (w.size() != 10 || w[4] != '-' || w[7] != '-') return std::nullopt;
  auto num = [&](size_t at, size_t len) {
    int v = 0;
    for (size_t k = at; k < at + len; ++k) {
      if (!std::isdigit(static_cast<unsigned char>(w[k]))) return -1;
      v = v * 10 + (w[k] - '0');
    }
    return v;
  };
  CivilDate d{num(0, 4), num(5, 2), num(8, 2)};
  if (d.year < 1900 || !IsValidDate(d)) return std::nullopt;
  return DaysFromCivil(d);
}

class Resolver {
 public:
  Resolver(const TimeZone& zone, int64_t now_us, std::string original)
      : zone_(zone), now_us_(now_us), original_(std::move(original)) {
    now_local_s_ = zone_.UtcToLocal(FloorDiv(now_us, kMicrosPerSecond));
    today_ = FloorDiv(now_local_s_, kSecondsPerDay);
  }

  Result<TimeRange> Resolve(std::vector<std::string> w) {
    if (w.empty()) return Error("", "the expression is empty");
    // RFC 3339 instant: the hour starting there.
    if (w.size() == 1 && w[0].size() > 10 && w[0][10] == 't') {
      std::string upper = w[0];
      for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      auto t = ParseRfc3339(upper);
      if (!t.ok()) return Error(w[0], t.status().message());
      return TimeRange{*t, *t + kMicrosPerHour};
    }
    if (w.size() == 1 && w[0] == "now") return TimeRange{now_us_ - kMicrosPerMinute, now_us_ + kMicrosPerMinute};
    if (w.size() == 2 && w[0] == "last" && w[1] == "night") return LocalDays(today_ - 1, 18 * 3600, 30 * 3600);
    if (w.size() == 1 && w[0] == "tonight") return LocalDays(today_, 18 * 3600, 30 * 3600);
    // N unit ago
    if (w.size() == 3 && w[2] == "ago") {
      auto n = Number(w[0]);
      Unit u = ParseUnit(w[1]);
      if (!n) return Error(w[0], "expected a number before '" + w[1] + "'");
      if (u == Unit::kNone) return Error(w[1], "expected minutes, hours, days, weeks, months or years");
      return Ago(*n, u);
    }
    // last|past N units (rolling)
    if ((w[0] == "last" || w[0] == "past") && w.size() == 3) {
      auto n = Number(w[1]);
      Unit u = ParseUnit(w[2]);
      if (n && u != Unit::kNone) return Rolling(*n, u);
    }
    if (w.size() == 2 && w[0] == "past" && ParseUnit(w[1]) != Unit::kNone) return Rolling(1, ParseUnit(w[1]));
    // this|last|next week|month|year
    if (w.size() == 2 && (w[0] == "this" || w[0] == "last" || w[0] == "next")) {
      Unit u = ParseUnit(w[1]);
      if (u == Unit::kWeek || u == Unit::kMonth || u == Unit::kYear) {
        return Calendar(u, w[0] == "this" ? 0 : (w[0] == "last" ? -1 : 1));
      }
    }
    // Month [year] / year.
    if (Month(w[0]) >= 0 && w.size() <= 2) {
      std::optional<int> year;
      if (w.size() == 2) {
        year = Number(w[1]);
        if (!year || *year < 1900 || *year > 2200) return Error(w[1], "expected a year after the month");
      }
      return MonthRange(Month(w[0]) + 1, year);
    }
    if (w.size() == 1 && w[0].size() == 4) {
      if (auto y = Number(w[0]); y && *y >= 1900 && *y <= 2200) {
        return LocalSpan(DaysFromCivil({*y, 1, 1}) * kSecondsPerDay, DaysFromCivil({*y + 1, 1, 1}) * kSecondsPerDay);
      }
    }
    // <day> [part | time]
    size_t i = 0;
    std::optional<int64_t> day;
    if (w[0] == "this" && w.size() == 2 && Part(w[1])) {
      day = today_;
      i = 1;
    } else {
      HEARTH_ASSIGN_OR_RETURN(day, Day(w, &i));
    }
    if (!day) {
      // A bare part of day or clock time means today.
      if (Part(w[0]) || ClockTime(w[0])) {
        day = today_;
      } else {
        return Error(w[0], "not understood");
      }
    }
    if (i == w.size()) return LocalDays(*day, 0, 24 * 3600);
    if (i + 1 != w.size()) return Error(w[i + 1], "unexpected after '" + w[i] + "'");
    if (const PartOfDay* p = Part(w[i])) return LocalDays(*day, p->from_h * 3600, p->to_h * 3600);
    if (auto secs = ClockTime(w[i])) return LocalDays(*day, *secs, *secs + 3600);
    return Error(w[i], "expected morning, afternoon, evening, night or a time like 19:00");
  }

 private:
  Status Error(std::string_view word, std::string_view why) const {
    std::string m = "cannot resolve time expression \"" + original_.substr(0, 80) + "\"";
    if (!word.empty()) m += " at '" + std::string(word) + "'";
    m += ": " + std::string(why) +
         " (try: yesterday, last tuesday evening, 2 days ago, last week, in March, 2026-11-03, tuesday 19:00)";
    return Status::InvalidArgument(m);
  }

  // Parses a day word (and its modifier) at w[*i]; nullopt when w[*i] is not one.
  Result<std::optional<int64_t>> Day(const std::vector<std::string>& w, size_t* i) {
    const std::string& a = w[*i];
    if (a == "today") { ++*i; return std::optional<int64_t>(today_); }
    if (a == "yesterday") { ++*i; return std::optional<int64_t>(today_ - 1); }
    if (a == "tomorrow") { ++*i; return std::optional<int64_t>(today_ + 1); }
    if (auto d = IsoDate(a)) { ++*i; return d; }
    const int today_wd = WeekdayFromDays(today_);
    if (Weekday(a) >= 0) {
      ++*i;
      return std::optional<int64_t>(today_ - (today_wd - Weekday(a) + 7) % 7);
    }
    if ((a == "last" || a == "next" || a == "this") && *i + 1 < w.size()) {
      const int wd = Weekday(w[*i + 1]);
      if (wd < 0) return Error(w[*i + 1], "expected a weekday, week, month or year after '" + a + "'");
      *i += 2;
      if (a == "last") return std::optional<int64_t>(today_ - ((today_wd - wd + 6) % 7 + 1));
      if (a == "next") return std::optional<int64_t>(today_ + ((wd - today_wd + 6) % 7 + 1));
      return std::optional<int64_t>(today_ - today_wd + wd);  // this: in the current week
    }
    return std::optional<int64_t>();
  }

  Result<TimeRange> LocalSpan(int64_t from_local_s, int64_t to_local_s) const {
    return TimeRange{zone_.LocalToUtc(from_local_s) * kMicrosPerSecond, zone_.LocalToUtc(to_local_s) * kMicrosPerSecond};
  }
  // [day + from_s, day + to_s) in local wall time; to_s may pass midnight.
  Result<TimeRange> LocalDays(int64_t day, int64_t from_s, int64_t to_s) const {
    return LocalSpan(day * kSecondsPerDay + from_s, day * kSecondsPerDay + to_s);
  }

  static int64_t MonthStartDays(int64_t year, int64_t month0) {  // month0 may be out of 0..11
    const int64_t y = year + FloorDiv(month0, 12);
    const int m = static_cast<int>(month0 - FloorDiv(month0, 12) * 12) + 1;
    return DaysFromCivil({static_cast<int>(y), m, 1});
  }

  Result<TimeRange> Calendar(Unit u, int delta) const {
    const CivilDate now = CivilFromDays(today_);
    if (u == Unit::kWeek) {
      const int64_t monday = today_ - WeekdayFromDays(today_) + 7 * delta;
      return LocalDays(monday, 0, 7 * kSecondsPerDay);
    }
    if (u == Unit::kMonth) {
      const int64_t m0 = now.month - 1 + delta;
      return LocalSpan(MonthStartDays(now.year, m0) * kSecondsPerDay, MonthStartDays(now.year, m0 + 1) * kSecondsPerDay);
    }
    const int y = now.year + delta;
    return LocalSpan(DaysFromCivil({y, 1, 1}) * kSecondsPerDay, DaysFromCivil({y + 1, 1, 1}) * kSecondsPerDay);
  }

  Result<TimeRange> MonthRange(int month, std::optional<int> year) const {
    const CivilDate now = CivilFromDays(today_);
    int y = year.value_or(month <= now.month ? now.year : now.year - 1);
    return LocalSpan(MonthStartDays(y, month - 1) * kSecondsPerDay, MonthStartDays(y, month) * kSecondsPerDay);
  }

  Result<TimeRange> Ago(int n, Unit u) const {
    if (n < 0 || n > 100000) return Error(std::to_string(n), "number out of range");
    switch (u) {
      case Unit::kMinute: return TimeRange{now_us_ - n * kMicrosPerMinute, now_us_ - (n - 1) * kMicrosPerMinute};
      case Unit::kHour: return TimeRange{now_us_ - n * kMicrosPerHour, now_us_ - (n - 1) * kMicrosPerHour};
      case Unit::kDay: return LocalDays(today_ - n, 0, kSecondsPerDay);
      case Unit::kWeek: return Calendar(Unit::kWeek, -n);
      case Unit::kMonth: return Calendar(Unit::kMonth, -n);
      case Unit::kYear: return Calendar(Unit::kYear, -n);
      case Unit::kNone: break;
    }
    return Error("", "unknown unit");
  }

  Result<TimeRange> Rolling(int n, Unit u) const {
    if (n <= 0 || n > 100000) return Error(std::to_string(n), "number out of range");
    int64_t unit_us = 0;
    switch (u) {
      case Unit::kMinute: unit_us = kMicrosPerMinute; break;
      case Unit::kHour: unit_us = kMicrosPerHour; break;
      case Unit::kDay: unit_us = kMicrosPerDay; break;
      case Unit::kWeek: unit_us = 7 * kMicrosPerDay; break;
      case Unit::kMonth: unit_us = 30 * kMicrosPerDay; break;
      case Unit::kYear: unit_us = 365 * kMicrosPerDay; break;
      case Unit::kNone: return Error("", "unknown unit");
    }
    return TimeRange{now_us_ - n * unit_us, now_us_};
  }

  const TimeZone& zone_;
  int64_t now_us_;
  std::string original_;
  int64_t now_local_s_ = 0;
  int64_t today_ = 0;  // local day number
};

}  // namespace

Result<TimeRange> ResolveTimeExpression(std::string_view text, const TimeZone& zone, int64_t now_us) {
  std::vector<std::string> words;
  std::string cur;
  auto flush = [&] {
    if (!cur.empty() && cur != "in" && cur != "on" && cur != "at" && cur != "during" && cur != "the" &&
        cur != "of") {
      words.push_back(cur);
    }
    cur.clear();
  };
  for (char ch : text) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (std::isspace(c) || c == ',') {
      flush();
    } else if (c >= 0x80 || c < 0x20) {
      return Status::InvalidArgument("cannot resolve time expression: unexpected character at byte " +
                                     std::to_string(&ch - text.data()));
    } else {
      cur += static_cast<char>(std::tolower(c));
    }
  }
  flush();
  if (text.size() > 200) return Status::InvalidArgument("time expression longer than 200 characters");
  // "2026-11-03 19:00" written with a 'T': split into date and time.
  if (words.size() == 1 && words[0].size() >= 15 && words[0].size() <= 19 && words[0][10] == 't' &&
      words[0].find_first_of("z+", 10) == std::string::npos && words[0].find('-', 10) == std::string::npos) {
    std::string date = words[0].substr(0, 10), time = words[0].substr(11, 5);
    words = {date, time};
  }
  Resolver r(zone, now_us, std::string(text));
  return r.Resolve(std::move(words));
}

}  // namespace hearth::timeline
