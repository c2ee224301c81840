// Google Takeout location history (Records.json) -> environmental gps.fix.
//
// {"locations": [{"latitudeE7": 485000000, "longitudeE7": 23500000,
//   "accuracy": 12, "timestamp": "2022-03-27T01:59:00.123Z"}, ...]}
// Older exports carry "timestampMs": "1648346340123" instead of "timestamp".
// The file is parsed with nlohmann's SAX interface: one record in memory at
// a time, whatever the file's size.
#include <fstream>

#include <fmt/format.h>

#include "ingest/importer.h"

namespace hearth::ingest {
namespace {

class RecordsSax : public nlohmann::json_sax<nlohmann::json> {
 public:
  RecordsSax(const std::string& path, ImportSink& sink) : path_(path), sink_(sink) {}
  Status status;

  bool null() override { return Scalar(nlohmann::json()); }
  bool boolean(bool v) override { return Scalar(v); }
  bool number_integer(number_integer_t v) override { return Scalar(v); }
  bool number_unsigned(number_unsigned_t v) override { return Scalar(v); }
  bool number_float(number_float_t v, const string_t&) override { return Scalar(v); }
  bool string(string_t& v) override { return Scalar(v); }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override {
    ++depth_;
    if (depth_ == 3 && in_locations_) {
      record_ = nlohmann::json::object();
      ++index_;
    }
    return true;
  }
  bool end_object() override {
    if (depth_ == 3 && in_locations_) {
      status = Record();
      if (!status.ok()) return false;
    }
    --depth_;
    return true;
  }
  bool start_array(std::size_t) override {
    ++depth_;
    if (depth_ == 2 && key_ == "locations") in_locations_ = true;
    return true;
  }
  bool end_array() override {
    if (depth_ == 2) in_locations_ = false;
    --depth_;
    return true;
  }
  bool key(string_t& k) override {
    key_ = k;
    return true;
  }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& ex) override {
    status = Status::InvalidArgument(fmt::format("{}: byte {}: not valid JSON ({}); {} records read before it", path_,
                                                 position, ex.what(), index_));
    return false;
  }
  bool saw_locations() const { return saw_locations_ || index_ > 0; }

 private:
  bool Scalar(nlohmann::json v) {
    // Scalars at depth 4 and deeper belong to nested objects (activity
    // guesses) and are ignored.
    if (depth_ == 3 && in_locations_) record_[key_] = std::move(v);
    return true;
  }

  Status Record() {
    const std::string where = fmt::format("record {}", index_ - 1);
    auto number = [&](const char* k, int64_t* out) {
      auto it = record_.find(k);
      if (it == record_.end() || !it->is_number_integer()) return false;
      *out = it->get<int64_t>();
      return true;
    };
    int64_t lat_e7, lon_e7;
    if (!number("latitudeE7", &lat_e7) || !number("longitudeE7", &lon_e7)) {
      sink_.Malformed(path_, where, "missing latitudeE7/longitudeE7");
      return Status::Ok();
    }
    const double lat = static_cast<double>(lat_e7) / 1e7, lon = static_cast<double>(lon_e7) / 1e7;
    if (lat < -90 || lat > 90 || lon < -180 || lon > 180) {
      sink_.Malformed(path_, where, "coordinates out of range", fmt::format("{},{}", lat, lon));
      return Status::Ok();
    }
    Result<Timestamp> ts = Status::InvalidArgument("no timestamp or timestampMs");
    if (auto it = record_.find("timestamp"); it != record_.end() && it->is_string()) {
      ts = ParseRfc3339(it->get<std::string>());
    } else if (auto ms = record_.find("timestampMs"); ms != record_.end() && ms->is_string()) {
      const std::string& s = ms->get_ref<const std::string&>();
      char* end = nullptr;
      const long long v = std::strtoll(s.c_str(), &end, 10);
      if (!s.empty() && end != nullptr && *end == 0) ts = Timestamp{static_cast<int64_t>(v) * 1000, 0};
      else ts = Status::InvalidArgument(fmt::format("timestampMs '{}' is not an integer", s));
    }
    if (!ts.ok()) {
      sink_.Malformed(path_, where, "bad timestamp", ts.status().message());
      return Status::Ok();
    }
    nlohmann::json ev = {
        {"id", StableId("takeout", {std::to_string(ts->utc_micros), std::to_string(lat_e7), std::to_string(lon_e7)})},
        {"layer", "environmental"},
        {"kind", "gps.fix"},
        {"time", FormatRfc3339(*ts)},
        {"geo", {{"lat", lat}, {"lon", lon}}},
        {"data", {{"source", "takeout"}}},
    };
    if (auto it = record_.find("accuracy"); it != record_.end() && it->is_number() && it->get<double>() >= 0) {
      ev["geo"]["acc"] = it->get<double>();
    }
    return sink_.Emit(std::move(ev));
  }

  const std::string& path_;
  ImportSink& sink_;
  int depth_ = 0;
  bool in_locations_ = false;
  bool saw_locations_ = false;
  std::string key_;
  nlohmann::json record_;
  uint64_t index_ = 0;
};

}  // namespace

Status ImportTakeoutLocation(const std::string& path, const ImportOptions&, ImportSink& sink) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError(fmt::format("cannot open {}", path));
  RecordsSax sax(path, sink);
  bool ok = false;
  try {
    ok = nlohmann::json::sax_parse(in, &sax);
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidArgument(fmt::format("{}: {}", path, e.what()));
  }
  if (!ok) return sax.status.ok() ? Status::InvalidArgument(path + ": not valid JSON") : sax.status;
  if (!sax.saw_locations()) {
    return Status::InvalidArgument(fmt::format("{}: no \"locations\" array (is this Records.json?)", path));
  }
  return Status::Ok();
}

}  // namespace hearth::ingest
