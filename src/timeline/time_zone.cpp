#include "timeline/time_zone.h"

#include <algorithm>

#include "common/paths.h"
#include "timeline/civil_time.h"

namespace hearth::timeline {

namespace {

class Reader {
 public:
  explicit Reader(std::string_view b) : b_(b) {}
  bool Skip(size_t n) {
    if (b_.size() - pos_ < n) return false;
    pos_ += n;
    return true;
  }
  bool Be32(int64_t* out) {
    if (b_.size() - pos_ < 4) return false;
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(b_[pos_++]);
    *out = static_cast<int32_t>(v);
    return true;
  }
  bool Be64(int64_t* out) {
    if (b_.size() - pos_ < 8) return false;
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(b_[pos_++]);
    *out = static_cast<int64_t>(v);
    return true;
  }
  bool Byte(int* out) {
    if (pos_ >= b_.size()) return false;
    *out = static_cast<unsigned char>(b_[pos_++]);
    return true;
  }
  size_t pos() const { return pos_; }
  std::string_view rest() const { return b_.substr(pos_); }

 private:
  std::string_view b_;
  size_t pos_ = 0;
};

struct Counts {
  int64_t isutc, isstd, leap, time, type, chars;
};

bool ReadHeader(Reader& r, Counts* c, int* version) {
  if (r.rest().substr(0, 4) != "TZif") return false;
  r.Skip(4);
  int v = 0;
  if (!r.Byte(&v)) return false;
  *version = v;
  if (!r.Skip(15)) return false;
  return r.Be32(&c->isutc) && r.Be32(&c->isstd) && r.Be32(&c->leap) && r.Be32(&c->time) &&
         r.Be32(&c->type) && r.Be32(&c->chars);
}

// POSIX TZ pieces: "<+03>-3", "CET-1CEST,M3.5.0,M10.5.0/3".
bool ParseName(std::string_view s, size_t* i) {
  if (*i < s.size() && s[*i] == '<') {
    size_t close = s.find('>', *i);
    if (close == std::string_view::npos) return false;
    *i = close + 1;
    return true;
  }
  size_t start = *i;
  while (*i < s.size() && ((s[*i] >= 'A' && s[*i] <= 'Z') || (s[*i] >= 'a' && s[*i] <= 'z'))) ++*i;
  return *i - start >= 3;
}

bool ParseNumber(std::string_view s, size_t* i, int* out) {
  size_t start = *i;
  int v = 0;
  while (*i < s.size() && s[*i] >= '0' && s[*i] <= '9' && *i - start < 4) v = v * 10 + (s[(*i)++] - '0');
  *out = v;
  return *i > start;
}

// [+-]hh[:mm[:ss]] -> seconds.
bool ParseHms(std::string_view s, size_t* i, int32_t* out) {
  int sign = 1;
  if (*i < s.size() && (s[*i] == '+' || s[*i] == '-')) sign = s[(*i)++] == '-' ? -1 : 1;
  int h = 0, m = 0, sec = 0;
  if (!ParseNumber(s, i, &h)) return false;
  if (*i < s.size() && s[*i] == ':') {
    ++*i;
    if (!ParseNumber(s, i, &m)) return false;
    if (*i < s.size() && s[*i] == ':') {
      ++*i;
      if (!ParseNumber(s, i, &sec)) return false;
    }
  }
  *out = sign * (h * 3600 + m * 60 + sec);
  return true;
}

// "Mm.w.d[/time]"; only the M form is used by the tz database's footers.
bool ParseRule(std::string_view s, size_t* i, int* month, int* week, int* wday, int32_t* time) {
  if (*i >= s.size() || s[*i] != 'M') return false;
  ++*i;
  if (!ParseNumber(s, i, month) || *i >= s.size() || s[(*i)++] != '.') return false;
  if (!ParseNumber(s, i, week) || *i >= s.size() || s[(*i)++] != '.') return false;
  if (!ParseNumber(s, i, wday)) return false;
  *time = 7200;
  if (*i < s.size() && s[*i] == '/') {
    ++*i;
    if (!ParseHms(s, i, time)) return false;
  }
  return *month >= 1 && *month <= 12 && *week >= 1 && *week <= 5 && *wday >= 0 && *wday <= 6;
}

// Local seconds (wall clock of `offset`) at which rule M month.week.wday/time
// fires in `year`.
int64_t RuleLocalSeconds(int year, int month, int week, int wday, int32_t time) {
  const int64_t first = DaysFromCivil({year, month, 1});
  // WeekdayFromDays is ISO (Mon = 0); POSIX counts Sunday = 0.
  const int first_wday = (WeekdayFromDays(first) + 1) % 7;
  int64_t day = first + (wday - first_wday + 7) % 7 + 7 * (week - 1);
  const int64_t month_end = first + DaysInMonth(year, month);
  while (day >= month_end) day -= 7;
  return day * kSecondsPerDay + time;
}

}  // namespace

Status TimeZone::ParseFooter(std::string_view tz) {
  size_t i = 0;
  if (!ParseName(tz, &i)) return Status::Corruption("bad footer name");
  int32_t std_posix = 0;
  if (!ParseHms(tz, &i, &std_posix)) return Status::Corruption("bad footer offset");
  std_offset_ = -std_posix;  // POSIX offsets are west-positive
  has_footer_ = true;
  if (i == tz.size()) return Status::Ok();
  if (!ParseName(tz, &i)) return Status::Corruption("bad footer daylight name");
  dst_offset_ = std_offset_ + 3600;
  if (i < tz.size() && tz[i] != ',') {
    int32_t dst_posix = 0;
    if (!ParseHms(tz, &i, &dst_posix)) return Status::Corruption("bad footer daylight offset");
    dst_offset_ = -dst_posix;
  }
  if (i >= tz.size() || tz[i++] != ',') return Status::Corruption("footer daylight rule missing");
  if (!ParseRule(tz, &i, &start_month_, &start_week_, &start_wday_, &start_time_)) {
    return Status::Corruption("unsupported footer start rule");
  }
  if (i >= tz.size() || tz[i++] != ',') return Status::Corruption("footer end rule missing");
  if (!ParseRule(tz, &i, &end_month_, &end_week_, &end_wday_, &end_time_)) {
    return Status::Corruption("unsupported footer end rule");
  }
  footer_has_dst_ = true;
  return Status::Ok();
}

int32_t TimeZone::FooterOffsetAt(int64_t utc_s) const {
  if (!footer_has_dst_) return std_offset_;
  const int year = CivilFromDays(FloorDiv(utc_s + std_offset_, kSecondsPerDay)).year;
  // The start rule's time is in standard local time, the end rule's in daylight time.
  const int64_t start_utc = RuleLocalSeconds(year, start_month_, start_week_, start_wday_, start_time_) - std_offset_;
  const int64_t end_utc = RuleLocalSeconds(year, end_month_, end_week_, end_wday_, end_time_) - dst_offset_;
  const bool dst = start_utc < end_utc ? (utc_s >= start_utc && utc_s < end_utc)   // northern
                                       : (utc_s >= start_utc || utc_s < end_utc);  // southern
  return dst ? dst_offset_ : std_offset_;
}

TimeZone TimeZone::Utc() {
  TimeZone z;
  z.name_ = "UTC";
  return z;
}

Result<TimeZone> TimeZone::FromTzif(std::string_view name, std::string_view bytes) {
  const std::string where = "time zone '" + std::string(name) + "'";
  Reader r(bytes);
  Counts c{};
  int version = 0;
  if (!ReadHeader(r, &c, &version)) return Status::Corruption(where + ": not a TZif file");
  auto sane = [](const Counts& k) {
    return k.time >= 0 && k.time < 100000 && k.type > 0 && k.type < 256 && k.chars >= 0 && k.chars < 4096 &&
           k.leap >= 0 && k.leap < 1000 && k.isstd >= 0 && k.isutc >= 0 && k.isstd <= k.type && k.isutc <= k.type;
  };
  if (!sane(c)) return Status::Corruption(where + ": implausible TZif header counts");
  TimeZone z;
  z.name_ = std::string(name);
  bool wide = version >= '2';
  if (wide) {
    // Skip the v1 (32-bit) block; the v2 block repeats the data with 64-bit times.
    const int64_t v1 = c.time * 5 + c.type * 6 + c.chars + c.leap * 8 + c.isstd + c.isutc;
    if (!r.Skip(static_cast<size_t>(v1)) || !ReadHeader(r, &c, &version) || !sane(c)) {
      return Status::Corruption(where + ": truncated TZif version 2 block");
    }
  }
  std::vector<int64_t> times(static_cast<size_t>(c.time));
  for (auto& t : times) {
    if (!(wide ? r.Be64(&t) : r.Be32(&t))) return Status::Corruption(where + ": truncated transition times");
  }
  std::vector<int> idx(static_cast<size_t>(c.time));
  for (auto& k : idx) {
    if (!r.Byte(&k) || k >= c.type) return Status::Corruption(where + ": bad transition type index");
  }
  std::vector<int32_t> type_offset(static_cast<size_t>(c.type));
  for (auto& off : type_offset) {
    int64_t v = 0;
    int isdst = 0, abbr = 0;
    if (!r.Be32(&v) || !r.Byte(&isdst) || !r.Byte(&abbr)) return Status::Corruption(where + ": truncated types");
    if (v < -25 * 3600 || v > 26 * 3600) return Status::Corruption(where + ": offset out of range");
    off = static_cast<int32_t>(v);
  }
  const int64_t rest = c.chars + c.leap * (wide ? 12 : 8) + c.isstd + c.isutc;
  if (!r.Skip(static_cast<size_t>(rest))) return Status::Corruption(where + ": truncated TZif tail");
  for (size_t k = 0; k < times.size(); ++k) {
    if (k > 0 && times[k] <= times[k - 1]) return Status::Corruption(where + ": transitions not ascending");
    z.transitions_.push_back(times[k]);
    z.offsets_after_.push_back(type_offset[static_cast<size_t>(idx[k])]);
  }
  z.initial_offset_ = type_offset[0];
  if (wide) {
    std::string_view footer = r.rest();
    if (footer.size() >= 2 && footer[0] == '\n') {
      size_t end = footer.find('\n', 1);
      if (end != std::string_view::npos && end > 1) {
        Status s = z.ParseFooter(footer.substr(1, end - 1));
        if (!s.ok()) return s.WithContext(where);
      }
    }
  }
  return z;
}

Result<TimeZone> TimeZone::Load(std::string_view name, const std::string& zoneinfo_dir) {
  if (name == "UTC" || name == "Etc/UTC" || name == "Z") return Utc();
  bool ok = !name.empty() && name.size() < 128 && name.front() != '/' &&
            name.find("..") == std::string_view::npos;
  for (char ch : name) {
    ok = ok && ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
                ch == '_' || ch == '-' || ch == '+' || ch == '/');
  }
  if (!ok) return Status::InvalidArgument("'" + std::string(name) + "' is not an IANA time zone name (e.g. Europe/Berlin)");
  auto bytes = ReadFileToString(zoneinfo_dir + "/" + std::string(name));
  if (!bytes.ok()) {
    return Status::NotFound("unknown time zone '" + std::string(name) + "' (not in " + zoneinfo_dir + ")");
  }
  return FromTzif(name, *bytes);
}

int32_t TimeZone::OffsetAt(int64_t utc_s) const {
  if (transitions_.empty()) return has_footer_ ? FooterOffsetAt(utc_s) : initial_offset_;
  if (utc_s < transitions_.front()) return initial_offset_;
  if (utc_s >= transitions_.back() && has_footer_) return FooterOffsetAt(utc_s);
  auto it = std::upper_bound(transitions_.begin(), transitions_.end(), utc_s);
  return offsets_after_[static_cast<size_t>(it - transitions_.begin()) - 1];
}

int64_t TimeZone::LocalToUtc(int64_t local_s) const {
  // Offsets a day either side bracket any single transition.
  const int32_t before = OffsetAt(local_s - kSecondsPerDay);
  const int32_t after = OffsetAt(local_s + kSecondsPerDay);
  int64_t best = 0;
  bool found = false;
  for (int32_t off : {before, after}) {
    const int64_t u = local_s - off;
    if (OffsetAt(u) == off && (!found || u < best)) {
      best = u;
      found = true;
    }
  }
  if (found) return best;
  return local_s - before;  // skipped wall time
}

}  // namespace hearth::timeline
