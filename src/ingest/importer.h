// The importer framework: every `hearth import KIND` reads its input as a
// stream and hands wire-format events to an ImportSink, which counts them,
// reports malformed records (file, line or offset, reason) and forwards the
// events to the DataClient.
//
// Ids are derived from each record's content/identity (StableId), never from
// its position in the file or the time of the import, so importing the same
// export twice, or a newer export overlapping an older one, stores nothing
// twice: the node deduplicates by (device, id).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "common/time.h"

namespace hearth::ingest {

class DataClient;

struct ImportOptions {
  std::string tz;            // IANA zone for inputs without offsets; "" = the system's
  std::string date_order;    // whatsapp: "", "dmy" or "mdy"
  bool progress = true;
};

struct ImportCounts {
  uint64_t records = 0;   // records read (events emitted + skipped)
  uint64_t emitted = 0;
  uint64_t skipped = 0;
  std::map<std::string, uint64_t> skipped_by_reason;
};

class ImportSink {
 public:
  // `client` may be null (counting only: tests, dry runs, benchmarks).
  ImportSink(DataClient* client, bool progress);
  Status Emit(nlohmann::json event);
  // Records one malformed record, skipped: prints "FILE:WHERE: reason
  // (skipped)" to stderr; `reason_class` groups it in the summary.
  void Malformed(std::string_view file, std::string_view where, std::string_view reason_class,
                 std::string_view detail = {});
  void Finish();  // ends the progress line
  const ImportCounts& counts() const { return counts_; }
  // Optional observer (tests): sees every emitted event.
  std::function<void(const nlohmann::json&)> on_emit;
  bool quiet_malformed = false;

 private:
  void Progress();
  DataClient* client_;
  bool progress_;
  bool tty_;
  int64_t last_progress_us_ = 0;
  ImportCounts counts_;
};

// "<prefix>:<32 hex>": a BLAKE2b-128 of the parts (length-prefixed, so
// ("ab","c") and ("a","bc") differ).
std::string StableId(std::string_view prefix, std::initializer_list<std::string_view> parts);

// Converts a local wall-clock time in `tz` ("" = the system's zone) to a
// Timestamp with the zone's offset at that instant. A time that does not
// exist (skipped by a DST change) is an error; an ambiguous one (repeated by
// a DST change) resolves to the first (daylight) occurrence.
class LocalZone {
 public:
  static Result<LocalZone> Open(const std::string& tz);
  Result<Timestamp> ToTimestamp(int year, int month, int day, int hour, int minute, int second,
                                int micros = 0) const;
  const std::string& name() const { return name_; }

 private:
  std::string name_;
};

using ImportFn = std::function<Status(const std::string& path, const ImportOptions&, ImportSink&)>;

// The registered kinds, e.g. "gpx" -> ImportGpx.
const std::map<std::string, ImportFn>& Importers();

Status ImportGpx(const std::string& path, const ImportOptions& options, ImportSink& sink);
Status ImportWhatsApp(const std::string& path, const ImportOptions& options, ImportSink& sink);
Status ImportChrome(const std::string& path, const ImportOptions& options, ImportSink& sink);
Status ImportFirefox(const std::string& path, const ImportOptions& options, ImportSink& sink);
Status ImportHomeAssistantCsv(const std::string& path, const ImportOptions& options, ImportSink& sink);
Status ImportTakeoutLocation(const std::string& path, const ImportOptions& options, ImportSink& sink);
Status ImportNotes(const std::string& path, const ImportOptions& options, ImportSink& sink);

}  // namespace hearth::ingest
