// An event: one thing a device observed about the person's life.
//
// This is the storage-independent form. The wire form (JSON) is parsed and
// validated in event_wire.h; the SQLite form lives in sqlite_event_store.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/time.h"

namespace hearth::data {

enum class Layer { kText, kVisual, kAuditory, kBehavioral, kEnvironmental, kResidential };

inline constexpr Layer kAllLayers[] = {Layer::kText,       Layer::kVisual,        Layer::kAuditory,
                                       Layer::kBehavioral, Layer::kEnvironmental, Layer::kResidential};

std::string_view LayerName(Layer layer);
// False when `name` is not one of the six layer names.
bool ParseLayer(std::string_view name, Layer* out);

struct Geo {
  double lat = 0;                 // degrees, -90..90
  double lon = 0;                 // degrees, -180..180
  std::optional<double> acc;      // metres, >= 0
};

// Invariant once validated (event_wire.cpp): client_id is 1..256 bytes;
// kind is dotted lowercase; time within [1900, 2200); end, if present, is not
// before time; text and data are valid UTF-8; data is a JSON object
// serialized compactly; blobs are 64-char lowercase hex ids.
struct Event {
  std::string client_id;
  Layer layer = Layer::kText;
  std::string kind;
  Timestamp time;
  std::optional<Timestamp> end;
  std::optional<std::string> text;
  std::string data_json = "{}";
  std::optional<Geo> geo;
  std::vector<std::string> blobs;
};

// An event as stored: its sequence number (the store's integer row id, which
// never changes and orders events by arrival) and the device it came from.
struct StoredEvent {
  int64_t seq = 0;
  std::string device;
  int64_t received_micros = 0;
  Event event;
};

}  // namespace hearth::data
