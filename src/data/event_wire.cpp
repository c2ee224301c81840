#include "data/event_wire.h"

#include <cmath>

#include <fmt/format.h>

#include "common/json_util.h"
#include "data/blob_store.h"

namespace hearth::data {

using nlohmann::json;

const int64_t kMinEventMicros = DaysFromCivil(1900, 1, 1) * 86'400'000'000LL;
const int64_t kMaxEventMicros = DaysFromCivil(2200, 1, 1) * 86'400'000'000LL;

namespace {

constexpr size_t kMaxClientIdBytes = 256;
constexpr size_t kMaxKindBytes = 128;
constexpr size_t kMaxBlobRefs = 256;

BatchError MakeError(int status, std::string code, std::string message) {
  BatchError e;
  e.http_status = status;
  e.code = std::move(code);
  e.message = std::move(message);
  return e;
}

// Finds nesting deeper than kMaxJsonDepth without parsing; returns the byte
// offset of the bracket that goes too deep, or npos.
size_t FindExcessiveNesting(std::string_view body) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) return i;
    } else if (c == ']' || c == '}') {
      --depth;
    } else if (c == '\n') {
      // NDJSON: each line is its own document; a broken line is a parse error later.
      if (depth < 0) depth = 0;
    }
  }
  return std::string_view::npos;
}

bool IsKind(std::string_view kind) {
  if (kind.empty() || kind.size() > kMaxKindBytes) return false;
  bool segment_start = true;
  for (char c : kind) {
    if (c == '.') {
      if (segment_start) return false;
      segment_start = true;
      continue;
    }
    const bool lower = c >= 'a' && c <= 'z';
    const bool digit_or_underscore = (c >= '0' && c <= '9') || c == '_';
    if (segment_start ? !lower : !(lower || digit_or_underscore)) return false;
    segment_start = false;
  }
  return !segment_start;
}

// Parses `time`/`end`: an RFC 3339 string or integer microseconds.
bool ParseTime(const json& v, std::string* reason, Timestamp* out) {
  if (v.is_string()) {
    auto parsed = ParseRfc3339(v.get_ref<const std::string&>());
    if (!parsed.ok()) {
      *reason = parsed.status().message();
      return false;
    }
    *out = *parsed;
  } else if (v.is_number_integer()) {
    if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
      *reason = "integer microseconds out of range";
      return false;
    }
    out->utc_micros = v.get<int64_t>();
    out->offset_seconds = 0;
  } else {
    *reason = fmt::format("must be an RFC 3339 string with a UTC offset or integer microseconds since the epoch, not {}",
                          JsonTypeName(v));
    return false;
  }
  if (out->utc_micros < kMinEventMicros || out->utc_micros >= kMaxEventMicros) {
    *reason = "out of range: times must fall between 1900-01-01 and 2200-01-01 (UTC)";
    return false;
  }
  return true;
}

bool ParseGeo(const json& v, std::vector<FieldError>* errors, size_t index, Geo* out) {
  auto fail = [&](std::string field, std::string reason) {
    errors->push_back({index, std::move(field), std::move(reason)});
    return false;
  };
  if (!v.is_object()) return fail("geo", fmt::format("must be an object with lat, lon and optional acc, not {}", JsonTypeName(v)));
  for (const auto& [key, _] : v.items()) {
    if (key != "lat" && key != "lon" && key != "acc") return fail("geo." + key, "unknown field");
  }
  auto number = [&](const char* key, double lo, double hi, double* dst) {
    auto it = v.find(key);
    if (it == v.end()) return fail(fmt::format("geo.{}", key), "is required");
    if (!it->is_number()) return fail(fmt::format("geo.{}", key), fmt::format("must be a number, not {}", JsonTypeName(*it)));
    const double d = it->get<double>();
    if (!std::isfinite(d) || d < lo || d > hi) {
      return fail(fmt::format("geo.{}", key), fmt::format("must be between {} and {}", lo, hi));
    }
    *dst = d;
    return true;
  };
  if (!number("lat", -90, 90, &out->lat)) return false;
  if (!number("lon", -180, 180, &out->lon)) return false;
  if (v.contains("acc")) {
    double acc;
    if (!number("acc", 0, 1e7, &acc)) return false;
    out->acc = acc;
  }
  return true;
}

}  // namespace

bool ParseEvent(const json& v, size_t index, const IngestLimits& limits, Event* out,
                std::vector<FieldError>* errors) {
  const size_t errors_before = errors->size();
  auto fail = [&](std::string field, std::string reason) {
    errors->push_back({index, std::move(field), std::move(reason)});
  };
  if (!v.is_object()) {
    fail("", fmt::format("an event must be a JSON object, not {}", JsonTypeName(v)));
    return false;
  }
  for (const auto& [key, _] : v.items()) {
    static constexpr std::string_view kKnown[] = {"id", "layer", "kind", "time", "end", "text", "data", "geo", "blobs"};
    bool known = false;
    for (auto k : kKnown) known = known || key == k;
    if (!known) fail(key, "unknown field");
  }

  auto id = v.find("id");
  if (id == v.end()) fail("id", "is required");
  else if (!id->is_string()) fail("id", fmt::format("must be a string, not {}", JsonTypeName(*id)));
  else if (id->get_ref<const std::string&>().empty()) fail("id", "must not be empty");
  else if (id->get_ref<const std::string&>().size() > kMaxClientIdBytes) fail("id", "longer than 256 bytes");
  else out->client_id = id->get<std::string>();

  auto layer = v.find("layer");
  if (layer == v.end()) fail("layer", "is required");
  else if (!layer->is_string()) fail("layer", fmt::format("must be a string, not {}", JsonTypeName(*layer)));
  else if (!ParseLayer(layer->get_ref<const std::string&>(), &out->layer)) {
    fail("layer", "unknown layer; expected one of text, visual, auditory, behavioral, environmental, residential");
  }

  auto kind = v.find("kind");
  if (kind == v.end()) fail("kind", "is required");
  else if (!kind->is_string()) fail("kind", fmt::format("must be a string, not {}", JsonTypeName(*kind)));
  else if (!IsKind(kind->get_ref<const std::string&>())) {
    fail("kind", "must be dotted lowercase like chat.message (segments [a-z][a-z0-9_]*, at most 128 bytes)");
  } else {
    out->kind = kind->get<std::string>();
  }

  std::string reason;
  auto time = v.find("time");
  bool time_ok = false;
  if (time == v.end()) fail("time", "is required");
  else if (!ParseTime(*time, &reason, &out->time)) fail("time", reason);
  else time_ok = true;

  if (auto end = v.find("end"); end != v.end() && !end->is_null()) {
    Timestamp e;
    if (!ParseTime(*end, &reason, &e)) fail("end", reason);
    else if (time_ok && e.utc_micros < out->time.utc_micros) fail("end", "is before time");
    else out->end = e;
  }

  if (auto text = v.find("text"); text != v.end() && !text->is_null()) {
    if (!text->is_string()) {
      fail("text", fmt::format("must be a string, not {}", JsonTypeName(*text)));
    } else {
      const auto& s = text->get_ref<const std::string&>();
      if (s.find('\0') != std::string::npos) fail("text", "contains a NUL character");
      else out->text = s;
    }
  }

  if (auto data = v.find("data"); data != v.end() && !data->is_null()) {
    if (!data->is_object()) fail("data", fmt::format("must be an object, not {}", JsonTypeName(*data)));
    else out->data_json = DumpJson(*data);
  }

  if (auto geo = v.find("geo"); geo != v.end() && !geo->is_null()) {
    Geo g;
    if (ParseGeo(*geo, errors, index, &g)) out->geo = g;
  }

  if (auto blobs = v.find("blobs"); blobs != v.end() && !blobs->is_null()) {
    if (!blobs->is_array()) {
      fail("blobs", fmt::format("must be an array of blob ids, not {}", JsonTypeName(*blobs)));
    } else if (blobs->size() > kMaxBlobRefs) {
      fail("blobs", "more than 256 blob references");
    } else {
      for (size_t i = 0; i < blobs->size(); ++i) {
        const json& b = (*blobs)[i];
        if (!b.is_string() || !IsBlobId(b.get_ref<const std::string&>())) {
          fail(fmt::format("blobs[{}]", i), "must be a blob id (64 lowercase hex characters)");
          break;
        }
        out->blobs.push_back(b.get<std::string>());
      }
    }
  }
  (void)limits;
  return errors->size() == errors_before;
}

ParsedBatch ParseEventBatch(std::string_view body, const IngestLimits& limits) {
  ParsedBatch result;
  if (body.size() > limits.max_request_bytes) {
    result.error = MakeError(413, "request_too_large",
                             fmt::format("request body of {} bytes exceeds the limit of {} bytes", body.size(),
                                         limits.max_request_bytes));
    return result;
  }
  if (auto bad = FindInvalidUtf8(body)) {
    result.error = MakeError(400, "invalid_utf8", fmt::format("request body is not valid UTF-8 at byte {}", *bad));
    return result;
  }
  if (size_t deep = FindExcessiveNesting(body); deep != std::string_view::npos) {
    result.error = MakeError(400, "malformed_json",
                             fmt::format("JSON nested deeper than {} levels at byte {}", kMaxJsonDepth, deep));
    return result;
  }
  size_t first = body.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) {
    result.error = MakeError(400, "empty_batch", "request body is empty; send a JSON array of events or NDJSON");
    return result;
  }

  // Collect (document, serialized size) pairs, then validate each.
  std::vector<json> docs;
  std::vector<size_t> sizes;
  if (body[first] == '[') {
    json array;
    try {
      array = json::parse(body);
    } catch (const json::parse_error& e) {
      result.error = MakeError(400, "malformed_json", fmt::format("request body is not valid JSON: {}", e.what()));
      return result;
    }
    if (array.size() > limits.max_batch_events) {
      result.error = MakeError(413, "too_many_events",
                               fmt::format("batch of {} events exceeds the limit of {} events per batch",
                                           array.size(), limits.max_batch_events));
      return result;
    }
    docs.reserve(array.size());
    for (auto& element : array) {
      sizes.push_back(DumpJson(element).size());
      docs.push_back(std::move(element));
    }
  } else {
    size_t line_no = 0;
    size_t start = 0;
    while (start <= body.size()) {
      size_t nl = body.find('\n', start);
      if (nl == std::string_view::npos) nl = body.size();
      std::string_view line = body.substr(start, nl - start);
      ++line_no;
      if (line.find_first_not_of(" \t\r") != std::string_view::npos) {
        if (docs.size() >= limits.max_batch_events) {
          result.error = MakeError(413, "too_many_events",
                                   fmt::format("NDJSON batch exceeds the limit of {} events per batch",
                                               limits.max_batch_events));
          return result;
        }
        try {
          docs.push_back(json::parse(line));
        } catch (const json::parse_error& e) {
          result.error = MakeError(400, "malformed_json",
                                   fmt::format("NDJSON line {} (starting at byte {}) is not valid JSON: {}", line_no,
                                               start, e.what()));
          return result;
        }
        sizes.push_back(line.size());
      }
      start = nl + 1;
    }
  }
  if (docs.empty()) {
    result.error = MakeError(400, "empty_batch", "the batch holds no events");
    return result;
  }

  std::vector<FieldError> errors;
  bool too_large = false;
  result.events.resize(docs.size());
  for (size_t i = 0; i < docs.size(); ++i) {
    if (sizes[i] > limits.max_event_bytes) {
      too_large = true;
      errors.push_back({i, "", fmt::format("event of {} bytes exceeds the limit of {} bytes", sizes[i],
                                           limits.max_event_bytes)});
      continue;
    }
    ParseEvent(docs[i], i, limits, &result.events[i], &errors);
  }
  if (!errors.empty()) {
    const size_t bad = errors.size();
    if (errors.size() > kMaxReportedErrors) errors.resize(kMaxReportedErrors);
    result.error = too_large ? MakeError(413, "event_too_large", "an event exceeds the per-event size limit; nothing was stored")
                             : MakeError(400, "invalid_events",
                                         fmt::format("{} problem(s) in the batch; nothing was stored", bad));
    result.error.details = std::move(errors);
    result.events.clear();
    return result;
  }
  result.ok = true;
  return result;
}

json StoredEventToJson(const StoredEvent& stored) {
  const Event& e = stored.event;
  json j;
  j["seq"] = stored.seq;
  j["device"] = stored.device;
  j["id"] = e.client_id;
  j["layer"] = std::string(LayerName(e.layer));
  j["kind"] = e.kind;
  j["time"] = FormatRfc3339(e.time);
  if (e.end) j["end"] = FormatRfc3339(*e.end);
  if (e.text) j["text"] = *e.text;
  try {
    j["data"] = json::parse(e.data_json);
  } catch (const json::exception&) {
    j["data"] = json::object();  // stored data is validated on the way in
  }
  if (e.geo) {
    json g = {{"lat", e.geo->lat}, {"lon", e.geo->lon}};
    if (e.geo->acc) g["acc"] = *e.geo->acc;
    j["geo"] = std::move(g);
  }
  if (!e.blobs.empty()) j["blobs"] = e.blobs;
  j["received"] = FormatRfc3339({stored.received_micros, 0});
  return j;
}

json ErrorToJson(const BatchError& error) {
  json err = {{"code", error.code}, {"message", error.message}};
  if (!error.details.empty()) {
    json details = json::array();
    for (const auto& d : error.details) details.push_back({{"index", d.index}, {"field", d.field}, {"reason", d.reason}});
    err["details"] = std::move(details);
  }
  return json{{"error", std::move(err)}};
}

}  // namespace hearth::data
