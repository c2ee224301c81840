// WhatsApp chat export (.txt) -> text-layer chat.message events.
//
// Line formats (a message starts with a date; anything else continues the
// previous message, so multi-line messages keep their line breaks):
//   Android, US:      12/31/21, 11:59 PM - Name: text
//   Android, 24 h:    31.12.21, 23:59 - Name: text     (also 31/12/2021, 23:59)
//   iOS:              [31/12/2021, 23:59:59] Name: text (optionally after U+200E)
// A dated line without "Name: " is a system line (encryption notice, joins):
// kind chat.system. The day/month order is decided per file from the dates
// themselves (a first field above 12 means d/m, a second above 12 means m/d);
// when every date fits both, dots mean d.m.y and otherwise --date-order
// must say. Times are local to --tz (default: the system's zone).
#include <cstdio>
#include <cstring>
#include <unordered_map>

#include <fmt/format.h>

#include "ingest/importer.h"

namespace hearth::ingest {
namespace {

struct Stamp {
  int a = 0, b = 0, year = 0;  // the two ambiguous date fields and the year
  char sep = 0;
  int hour = 0, minute = 0, second = 0;
  size_t rest = 0;  // offset of "Name: text" / system text in the line
};

bool Digits(std::string_view s, size_t* i, int max_digits, int* out) {
  int n = 0, v = 0;
  while (*i < s.size() && n < max_digits && s[*i] >= '0' && s[*i] <= '9') {
    v = v * 10 + (s[*i] - '0');
    ++*i;
    ++n;
  }
  *out = v;
  return n > 0;
}

bool Eat(std::string_view s, size_t* i, std::string_view what) {
  if (s.substr(*i, what.size()) != what) return false;
  *i += what.size();
  return true;
}

// Skips spaces, NBSP (C2 A0) and narrow NBSP (E2 80 AF), which newer exports
// put before AM/PM.
void SkipSpaces(std::string_view s, size_t* i) {
  while (true) {
    if (Eat(s, i, " ") || Eat(s, i, "\xC2\xA0") || Eat(s, i, "\xE2\x80\xAF")) continue;
    return;
  }
}

// Recognizes the date/time prefix of a message line.
bool ParseStart(std::string_view line, Stamp* st) {
  size_t i = 0;
  Eat(line, &i, "\xE2\x80\x8E");  // U+200E LEFT-TO-RIGHT MARK (iOS)
  const bool bracket = Eat(line, &i, "[");
  if (!Digits(line, &i, 2, &st->a) || i >= line.size()) return false;
  st->sep = line[i];
  if (st->sep != '/' && st->sep != '.' && st->sep != '-') return false;
  ++i;
  if (!Digits(line, &i, 2, &st->b) || i >= line.size() || line[i] != st->sep) return false;
  ++i;
  size_t year_start = i;
  if (!Digits(line, &i, 4, &st->year)) return false;
  if (i - year_start == 2) st->year += 2000;
  else if (i - year_start != 4) return false;
  Eat(line, &i, ",");
  SkipSpaces(line, &i);
  if (!Digits(line, &i, 2, &st->hour) || !Eat(line, &i, ":") || !Digits(line, &i, 2, &st->minute)) return false;
  st->second = 0;
  if (Eat(line, &i, ":") && !Digits(line, &i, 2, &st->second)) return false;
  size_t before_ampm = i;
  SkipSpaces(line, &i);
  std::string_view r = line.substr(i);
  auto ampm = [&](std::string_view am, bool pm) {
    if (r.size() >= am.size() && strncasecmp(r.data(), am.data(), am.size()) == 0) {
      i += am.size();
      if (st->hour < 1 || st->hour > 12) st->hour = 99;  // invalid; reported by the caller
      else st->hour = st->hour % 12 + (pm ? 12 : 0);
      return true;
    }
    return false;
  };
  if (!ampm("AM", false) && !ampm("PM", true) && !ampm("a.m.", false) && !ampm("p.m.", true)) i = before_ampm;
  if (bracket) {
    if (!Eat(line, &i, "]")) return false;
    SkipSpaces(line, &i);
  } else {
    SkipSpaces(line, &i);
    if (!Eat(line, &i, "-")) return false;
    SkipSpaces(line, &i);
  }
  st->rest = i;
  return true;
}

class LineReader {
 public:
  explicit LineReader(std::FILE* f) : f_(f) {}
  bool Next(std::string* line) {
    line->clear();
    int c;
    bool any = false;
    while ((c = std::getc(f_)) != EOF) {
      any = true;
      if (c == '\n') break;
      line->push_back(static_cast<char>(c));
    }
    if (!line->empty() && line->back() == '\r') line->pop_back();
    ++number_;
    return any;
  }
  int64_t number() const { return number_; }

 private:
  std::FILE* f_;
  int64_t number_ = 0;
};

std::string ChatName(const std::string& path) {
  std::string base = path.substr(path.find_last_of('/') + 1);
  if (base.size() > 4 && base.ends_with(".txt")) base.resize(base.size() - 4);
  for (std::string_view prefix : {"WhatsApp Chat with ", "WhatsApp Chat - "}) {
    if (base.rfind(prefix, 0) == 0) return base.substr(prefix.size());
  }
  return base;
}

}  // namespace

Status ImportWhatsApp(const std::string& path, const ImportOptions& options, ImportSink& sink) {
  HEARTH_ASSIGN_OR_RETURN(LocalZone zone, LocalZone::Open(options.tz));
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return Status::IoError(fmt::format("cannot open {}: {}", path, std::strerror(errno)));
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> closer(f, &std::fclose);

  // Pass 1: day/month order from the dates themselves.
  bool dmy_evidence = false, mdy_evidence = false, dots = false, any = false;
  {
    LineReader reader(f);
    std::string line;
    Stamp st;
    while (reader.Next(&line)) {
      if (!ParseStart(line, &st)) continue;
      any = true;
      dots |= st.sep == '.';
      if (st.a > 12 && st.b <= 12) dmy_evidence = true;
      if (st.b > 12 && st.a <= 12) mdy_evidence = true;
    }
  }
  bool dmy;
  if (options.date_order == "dmy" || options.date_order == "mdy") {
    dmy = options.date_order == "dmy";
  } else if (!options.date_order.empty()) {
    return Status::InvalidArgument(fmt::format("--date-order '{}' must be dmy or mdy", options.date_order));
  } else if (dmy_evidence && mdy_evidence) {
    return Status::InvalidArgument(fmt::format(
        "{}: dates fit neither day/month nor month/day order throughout; pass --date-order dmy or mdy", path));
  } else if (dmy_evidence || mdy_evidence) {
    dmy = dmy_evidence;
  } else if (dots || !any) {
    dmy = true;
  } else {
    return Status::InvalidArgument(fmt::format(
        "{}: cannot tell day/month order (every date fits both); pass --date-order dmy or mdy", path));
  }
  std::rewind(f);

  const std::string chat = ChatName(path);
  std::unordered_map<std::string, uint32_t> occurrences;  // identical messages in one minute
  struct Pending {
    bool active = false;
    int64_t line = 0;
    std::string local, sender, text;
    Timestamp ts;
    bool system = false;
  } msg;

  auto flush = [&]() -> Status {
    if (!msg.active) return Status::Ok();
    msg.active = false;
    const std::string base = StableId("", {msg.local, msg.sender, msg.text});
    const uint32_t n = occurrences[base]++;
    nlohmann::json ev = {
        {"id", StableId("whatsapp", {chat, msg.local, msg.sender, msg.text, std::to_string(n)})},
        {"layer", "text"},
        {"kind", msg.system ? "chat.system" : "chat.message"},
        {"time", FormatRfc3339(msg.ts)},
        {"text", msg.text},
        {"data", {{"chat", chat}, {"source", "whatsapp"}}},
    };
    if (!msg.system) ev["data"]["sender"] = msg.sender;
    return sink.Emit(std::move(ev));
  };

  LineReader reader(f);
  std::string line;
  while (reader.Next(&line)) {
    Stamp st;
    if (!ParseStart(line, &st)) {
      if (msg.active) {
        msg.text += '\n';
        msg.text += line;
      } else if (!line.empty()) {
        sink.Malformed(path, fmt::format("line {}", reader.number()), "text before the first message");
      }
      continue;
    }
    HEARTH_RETURN_IF_ERROR(flush());
    const std::string where = fmt::format("line {}", reader.number());
    const int day = dmy ? st.a : st.b, month = dmy ? st.b : st.a;
    if (month < 1 || month > 12 || day < 1 || day > 31 || st.hour > 23 || st.minute > 59 || st.second > 59) {
      sink.Malformed(path, where, "bad date or time", line.substr(0, st.rest));
      continue;
    }
    auto ts = zone.ToTimestamp(st.year, month, day, st.hour, st.minute, st.second);
    if (!ts.ok()) {
      sink.Malformed(path, where, "bad date or time", ts.status().message());
      continue;
    }
    std::string_view rest = std::string_view(line).substr(st.rest);
    msg = Pending{};
    msg.active = true;
    msg.line = reader.number();
    msg.ts = *ts;
    msg.local = fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}", st.year, month, day, st.hour, st.minute,
                            st.second);
    size_t colon = rest.find(": ");
    if (colon == std::string_view::npos) {
      msg.system = true;
      msg.text = std::string(rest);
    } else {
      msg.sender = std::string(rest.substr(0, colon));
      msg.text = std::string(rest.substr(colon + 2));
    }
  }
  return flush();
}

}  // namespace hearth::ingest
