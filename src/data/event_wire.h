// The wire format of events (docs/API.md): parsing and validating an ingest
// request body, and writing stored events back as JSON.
//
// A batch is validated whole before anything is stored: either every event
// is valid, or the caller gets one error per bad event and stores nothing.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/event.h"

namespace hearth::data {

struct IngestLimits {
  size_t max_batch_events = 10'000;
  size_t max_event_bytes = 1 << 20;      // one event, serialized compactly
  size_t max_request_bytes = 64 << 20;   // the whole request body
};

// Instants accepted for `time` and `end`: [1900-01-01, 2200-01-01) UTC.
extern const int64_t kMinEventMicros;
extern const int64_t kMaxEventMicros;

// Maximum nesting of arrays/objects anywhere in a request body; deeper input
// is refused before parsing so that nothing recurses without bound.
inline constexpr int kMaxJsonDepth = 64;

struct FieldError {
  size_t index = 0;     // position of the event in the batch (0-based)
  std::string field;    // "time", "geo.lat", "" for the event as a whole
  std::string reason;
};

// Why a batch was refused: an HTTP status, a stable machine code, a message
// for people, and (for validation failures) one entry per bad event.
struct BatchError {
  int http_status = 400;
  std::string code;
  std::string message;
  std::vector<FieldError> details;
};

struct ParsedBatch {
  std::vector<Event> events;
  bool ok = false;
  BatchError error;  // meaningful only when !ok
};

// At most this many FieldErrors are reported for one batch.
inline constexpr size_t kMaxReportedErrors = 100;

// Parses a JSON array of events, or NDJSON (one event object per line), and
// validates every event against `limits`.
ParsedBatch ParseEventBatch(std::string_view body, const IngestLimits& limits);

// Validates one event object; appends problems to `errors` (with `index`).
// Returns true and fills `out` when the event is valid.
bool ParseEvent(const nlohmann::json& value, size_t index, const IngestLimits& limits, Event* out,
                std::vector<FieldError>* errors);

// A stored event in wire form, plus "seq", "device" and "received".
nlohmann::json StoredEventToJson(const StoredEvent& stored);

// {"error": {"code": ..., "message": ..., "details": [...]}}
nlohmann::json ErrorToJson(const BatchError& error);

}  // namespace hearth::data
