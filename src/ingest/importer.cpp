#include "ingest/importer.h"

#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>

#include <fmt/format.h>

#include "ingest/data_client.h"

namespace hearth::ingest {

ImportSink::ImportSink(DataClient* client, bool progress)
    : client_(client), progress_(progress), tty_(::isatty(STDERR_FILENO) == 1) {}

Status ImportSink::Emit(nlohmann::json event) {
  ++counts_.records;
  ++counts_.emitted;
  if (on_emit) on_emit(event);
  if (client_ != nullptr) HEARTH_RETURN_IF_ERROR(client_->Add(std::move(event)));
  if ((counts_.records & 1023) == 0) Progress();
  return Status::Ok();
}

void ImportSink::Malformed(std::string_view file, std::string_view where, std::string_view reason_class,
                           std::string_view detail) {
  ++counts_.records;
  ++counts_.skipped;
  ++counts_.skipped_by_reason[std::string(reason_class)];
  if (quiet_malformed) return;
  if (tty_ && progress_ && last_progress_us_ != 0) std::fputc('\n', stderr);
  std::fprintf(stderr, "%.*s:%.*s: %.*s%s%.*s (skipped)\n", static_cast<int>(file.size()), file.data(),
               static_cast<int>(where.size()), where.data(), static_cast<int>(reason_class.size()),
               reason_class.data(), detail.empty() ? "" : ": ", static_cast<int>(detail.size()), detail.data());
}

void ImportSink::Progress() {
  if (!progress_) return;
  const int64_t now = NowMicros();
  // A terminal gets a line redrawn 5 times a second; a log gets a line every 5 s.
  const int64_t interval = tty_ ? 200'000 : 5'000'000;
  if (last_progress_us_ != 0 && now - last_progress_us_ < interval) return;
  if (last_progress_us_ == 0 && !tty_) {
    last_progress_us_ = now;  // no line for imports shorter than one interval
    return;
  }
  last_progress_us_ = now;
  std::fprintf(stderr, "%simport: %llu records, %llu events, %llu skipped%s", tty_ ? "\r" : "",
               static_cast<unsigned long long>(counts_.records), static_cast<unsigned long long>(counts_.emitted),
               static_cast<unsigned long long>(counts_.skipped), tty_ ? "" : "\n");
  std::fflush(stderr);
}

void ImportSink::Finish() {
  if (progress_ && tty_ && last_progress_us_ != 0) std::fputc('\n', stderr);
}

std::string StableId(std::string_view prefix, std::initializer_list<std::string_view> parts) {
  crypto_generichash_state state;
  unsigned char out[16];
  crypto_generichash_init(&state, nullptr, 0, sizeof out);
  for (std::string_view p : parts) {
    const uint64_t n = p.size();
    unsigned char len[8];
    for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>(n >> (8 * i));
    crypto_generichash_update(&state, len, sizeof len);
    crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(p.data()), p.size());
  }
  crypto_generichash_final(&state, out, sizeof out);
  std::string id(prefix);
  id += ':';
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned char b : out) {
    id += kHex[b >> 4];
    id += kHex[b & 15];
  }
  return id;
}

Result<LocalZone> LocalZone::Open(const std::string& tz) {
  if (!tz.empty()) {
    struct stat st;
    const bool safe = tz.find("..") == std::string::npos && tz[0] != '/';
    if (!safe || ::stat(("/usr/share/zoneinfo/" + tz).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      return Status::InvalidArgument(fmt::format("unknown time zone '{}' (expected an IANA name like Europe/Paris)", tz));
    }
  }
  LocalZone zone;
  zone.name_ = tz;
  return zone;
}

Result<Timestamp> LocalZone::ToTimestamp(int year, int month, int day, int hour, int minute, int second,
                                         int micros) const {
  // glibc's mktime reads TZ on each call; importers run one zone per
  // process, so setting it here is cheap and keeps the process consistent.
  const char* current = std::getenv("TZ");
  const std::string want = name_.empty() ? std::string() : ":" + name_;
  if (name_.empty() ? current != nullptr : (current == nullptr || want != current)) {
    if (name_.empty()) ::unsetenv("TZ");
    else ::setenv("TZ", want.c_str(), 1);
    ::tzset();
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  tm.tm_isdst = 1;  // ambiguous times: the first (daylight) occurrence
  std::tm probe = tm;
  time_t t = std::mktime(&probe);
  if (probe.tm_hour != hour || probe.tm_min != minute || probe.tm_mday != day) {
    // Not a daylight time: try standard time.
    probe = tm;
    probe.tm_isdst = 0;
    t = std::mktime(&probe);
  }
  if (t == static_cast<time_t>(-1) || probe.tm_hour != hour || probe.tm_min != minute || probe.tm_mday != day ||
      probe.tm_mon != month - 1) {
    return Status::InvalidArgument(fmt::format("{:04d}-{:02d}-{:02d} {:02d}:{:02d} does not exist in time zone {}",
                                               year, month, day, hour, minute,
                                               name_.empty() ? "(system)" : name_));
  }
  Timestamp ts;
  ts.utc_micros = static_cast<int64_t>(t) * 1'000'000 + micros;
  ts.offset_seconds = static_cast<int32_t>(probe.tm_gmtoff);
  return ts;
}

const std::map<std::string, ImportFn>& Importers() {
  static const auto* kinds = new std::map<std::string, ImportFn>{
      {"gpx", ImportGpx},
      {"whatsapp", ImportWhatsApp},
      {"chrome", ImportChrome},
      {"firefox", ImportFirefox},
      {"home-assistant", ImportHomeAssistantCsv},
      {"takeout-location", ImportTakeoutLocation},
      {"notes", ImportNotes},
  };
  return *kinds;
}

}  // namespace hearth::ingest
