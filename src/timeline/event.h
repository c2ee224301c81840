// The timeline's view of an event: the data node's stored event, as a plain
// struct, plus its wire format (docs/API.md) for files and the demo life.
//
// Times: `start_us`/`end_us` are the clock-corrected UTC microseconds the
// timeline reasons with; `raw_start_us` is what the device said (kept so that
// a later, better clock estimate can re-correct it). Until a device has a
// clock history the two are equal.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace hearth::timeline {

// The six layers of a person's record, as spelled on the wire.
inline constexpr std::string_view kLayers[] = {"text",       "visual",        "auditory",
                                               "behavioral", "environmental", "residential"};
bool IsKnownLayer(std::string_view layer);

struct Geo {
  double lat = 0;
  double lon = 0;
  double acc_m = 0;  // horizontal accuracy (radius, metres); 0 when unknown
};

struct TimelineEvent {
  int64_t row_id = 0;           // the store's row id; 0 for events not stored yet
  std::string client_id;        // the client's `id`
  std::string device;
  std::string layer;
  std::string kind;             // dotted: "gps.fix", "app.focus", ...
  int64_t start_us = 0;         // corrected UTC
  std::optional<int64_t> end_us;  // corrected UTC, exclusive; absent for point events
  int64_t raw_start_us = 0;     // as the device sent it
  int32_t utc_offset_s = 0;     // the offset the device wrote (its local zone)
  std::string text;
  std::optional<Geo> geo;
  nlohmann::json data = nlohmann::json::object();
  std::vector<std::string> blobs;

  // End of the event's extent: end_us for intervals, start_us for points.
  int64_t extent_end_us() const { return end_us.value_or(start_us); }
  bool is_interval() const { return end_us.has_value(); }
};

// Parses one wire event (a JSON object) for `device`. `where` names the
// source in errors (e.g. "phone.ndjson line 12"). Times may be RFC 3339 or
// integer microseconds; end must not precede time.
Result<TimelineEvent> EventFromWire(const nlohmann::json& wire, std::string_view device,
                                    std::string_view where);

// The wire object for `event`, times written as RFC 3339 in the event's
// own offset (raw device time: the wire carries what the device observed).
nlohmann::json EventToWire(const TimelineEvent& event);

// Parses NDJSON text (one event per line; blank lines skipped). Errors name
// `origin` and the line number.
Result<std::vector<TimelineEvent>> ParseNdjsonEvents(std::string_view text, std::string_view device,
                                                     std::string_view origin);

// Orders by corrected start, then device, then client id: a total order, so
// every algorithm that sorts gets the same answer on every run.
void SortByStart(std::vector<TimelineEvent>& events);

}  // namespace hearth::timeline
