#include "timeline/event.h"

#include <algorithm>
#include <cmath>
#include <tuple>

#include "timeline/civil_time.h"

namespace hearth::timeline {

bool IsKnownLayer(std::string_view layer) {
  return std::find(std::begin(kLayers), std::end(kLayers), layer) != std::end(kLayers);
}

namespace {

Status FieldError(std::string_view where, std::string_view field, std::string_view why) {
  return Status::InvalidArgument(std::string(where) + ": field '" + std::string(field) + "': " +
                                 std::string(why));
}

// Smallest and largest accepted instants: years 1900 and 2200.
constexpr int64_t kMinTimeUs = -2208988800LL * kMicrosPerSecond;
constexpr int64_t kMaxTimeUs = 7258118400LL * kMicrosPerSecond;

Result<int64_t> WireTime(const nlohmann::json& value, std::string_view where, std::string_view field,
                         int32_t* offset) {
  int64_t us = 0;
  if (value.is_number_integer()) {
    us = value.get<int64_t>();
    *offset = 0;
  } else if (value.is_string()) {
    auto parsed = ParseRfc3339(value.get_ref<const std::string&>(), offset);
    if (!parsed.ok()) return FieldError(where, field, parsed.status().message());
    us = *parsed;
  } else {
    return FieldError(where, field, "must be an RFC 3339 string or integer microseconds");
  }
  if (us < kMinTimeUs || us > kMaxTimeUs) return FieldError(where, field, "outside years 1900-2200");
  return us;
}

}  // namespace

Result<TimelineEvent> EventFromWire(const nlohmann::json& wire, std::string_view device,
                                    std::string_view where) {
  if (!wire.is_object()) return Status::InvalidArgument(std::string(where) + ": event must be a JSON object");
  TimelineEvent e;
  e.device = std::string(device);
  auto str = [&](const char* field, bool required, std::string* out) -> Status {
    auto it = wire.find(field);
    if (it == wire.end() || it->is_null()) {
      return required ? FieldError(where, field, "is required") : Status::Ok();
    }
    if (!it->is_string()) return FieldError(where, field, "must be a string");
    *out = it->get<std::string>();
    return Status::Ok();
  };
  HEARTH_RETURN_IF_ERROR(str("id", true, &e.client_id));
  HEARTH_RETURN_IF_ERROR(str("layer", true, &e.layer));
  HEARTH_RETURN_IF_ERROR(str("kind", true, &e.kind));
  HEARTH_RETURN_IF_ERROR(str("text", false, &e.text));
  if (e.client_id.empty()) return FieldError(where, "id", "must not be empty");
  if (!IsKnownLayer(e.layer)) return FieldError(where, "layer", "unknown layer '" + e.layer + "'");
  if (e.kind.empty()) return FieldError(where, "kind", "must not be empty");
  auto time_it = wire.find("time");
  if (time_it == wire.end()) return FieldError(where, "time", "is required");
  HEARTH_ASSIGN_OR_RETURN(e.raw_start_us, WireTime(*time_it, where, "time", &e.utc_offset_s));
  e.start_us = e.raw_start_us;
  if (auto it = wire.find("end"); it != wire.end() && !it->is_null()) {
    int32_t ignored = 0;
    HEARTH_ASSIGN_OR_RETURN(int64_t end, WireTime(*it, where, "end", &ignored));
    if (end < e.raw_start_us) return FieldError(where, "end", "precedes 'time'");
    e.end_us = end;
  }
  if (auto it = wire.find("data"); it != wire.end() && !it->is_null()) {
    if (!it->is_object()) return FieldError(where, "data", "must be an object");
    e.data = *it;
  }
  if (auto it = wire.find("geo"); it != wire.end() && !it->is_null()) {
    if (!it->is_object()) return FieldError(where, "geo", "must be an object with lat, lon, acc");
    Geo g;
    auto num = [&](const char* key, bool required, double lo, double hi, double* out) -> Status {
      auto f = it->find(key);
      if (f == it->end()) return required ? FieldError(where, std::string("geo.") + key, "is required") : Status::Ok();
      if (!f->is_number()) return FieldError(where, std::string("geo.") + key, "must be a number");
      double v = f->get<double>();
      if (!std::isfinite(v) || v < lo || v > hi) {
        return FieldError(where, std::string("geo.") + key, "out of range");
      }
      *out = v;
      return Status::Ok();
    };
    HEARTH_RETURN_IF_ERROR(num("lat", true, -90, 90, &g.lat));
    HEARTH_RETURN_IF_ERROR(num("lon", true, -180, 180, &g.lon));
    HEARTH_RETURN_IF_ERROR(num("acc", false, 0, 1e7, &g.acc_m));
    e.geo = g;
  }
  if (auto it = wire.find("blobs"); it != wire.end() && !it->is_null()) {
    if (!it->is_array()) return FieldError(where, "blobs", "must be an array of strings");
    for (const auto& b : *it) {
      if (!b.is_string()) return FieldError(where, "blobs", "must be an array of strings");
      e.blobs.push_back(b.get<std::string>());
    }
  }
  return e;
}

nlohmann::json EventToWire(const TimelineEvent& event) {
  nlohmann::json j;
  j["id"] = event.client_id;
  j["layer"] = event.layer;
  j["kind"] = event.kind;
  j["time"] = FormatRfc3339(event.raw_start_us, event.utc_offset_s);
  if (event.end_us) {
    // The wire carries device time: shift the end by the same correction.
    int64_t raw_end = *event.end_us - (event.start_us - event.raw_start_us);
    j["end"] = FormatRfc3339(raw_end, event.utc_offset_s);
  }
  if (!event.text.empty()) j["text"] = event.text;
  if (!event.data.empty()) j["data"] = event.data;
  if (event.geo) j["geo"] = {{"lat", event.geo->lat}, {"lon", event.geo->lon}, {"acc", event.geo->acc_m}};
  if (!event.blobs.empty()) j["blobs"] = event.blobs;
  return j;
}

Result<std::vector<TimelineEvent>> ParseNdjsonEvents(std::string_view text, std::string_view device,
                                                     std::string_view origin) {
  std::vector<TimelineEvent> out;
  size_t line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    std::string where = std::string(origin) + " line " + std::to_string(line_no);
    nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return Status::InvalidArgument(where + ": not valid JSON");
    HEARTH_ASSIGN_OR_RETURN(TimelineEvent e, EventFromWire(j, device, where));
    out.push_back(std::move(e));
  }
  return out;
}

void SortByStart(std::vector<TimelineEvent>& events) {
  std::sort(events.begin(), events.end(), [](const TimelineEvent& a, const TimelineEvent& b) {
    return std::tie(a.start_us, a.device, a.client_id) < std::tie(b.start_us, b.device, b.client_id);
  });
}

}  // namespace hearth::timeline
