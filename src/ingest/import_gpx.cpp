// GPX 1.0/1.1 tracks, routes and waypoints -> environmental gps.fix events.
//
// GPX times are UTC by the standard ("not local time"), so a time without an
// offset is read as UTC; a time with an offset keeps it. A point without a
// time cannot be placed on the timeline and is skipped.
#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include "ingest/importer.h"
#include "ingest/xml_pull.h"

namespace hearth::ingest {
namespace {

bool ParseDouble(const std::string& s, double* out) {
  if (s.empty()) return false;
  const char* b = s.data();
  const char* e = b + s.size();
  if (*b == '+') ++b;
  auto [p, ec] = std::from_chars(b, e, *out);
  return ec == std::errc() && p == e && std::isfinite(*out);
}

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

// Local name without a namespace prefix ("gpx:trkpt" -> "trkpt").
std::string_view Local(const std::string& name) {
  size_t colon = name.rfind(':');
  return colon == std::string::npos ? std::string_view(name) : std::string_view(name).substr(colon + 1);
}

}  // namespace

Status ImportGpx(const std::string& path, const ImportOptions&, ImportSink& sink) {
  HEARTH_ASSIGN_OR_RETURN(XmlPull xml, XmlPull::Open(path));
  bool in_point = false;
  size_t point_depth = 0;
  int64_t point_line = 0;
  std::string lat_s, lon_s, time_s, ele_s, child, child_text, point_kind;
  bool has_lat = false, has_lon = false;
  while (true) {
    auto tok = xml.Next();
    if (!tok.ok()) return tok.status().WithContext(path);
    if (*tok == XmlPull::Token::kEof) break;
    if (*tok == XmlPull::Token::kStart) {
      std::string_view local = Local(xml.name());
      if (!in_point && (local == "trkpt" || local == "rtept" || local == "wpt")) {
        in_point = true;
        point_depth = xml.depth();
        point_line = xml.line();
        point_kind = std::string(local);
        const std::string* la = xml.Attribute("lat");
        const std::string* lo = xml.Attribute("lon");
        has_lat = la != nullptr;
        has_lon = lo != nullptr;
        lat_s = la ? Trim(*la) : "";
        lon_s = lo ? Trim(*lo) : "";
        time_s.clear();
        ele_s.clear();
      } else if (in_point && xml.depth() == point_depth + 1) {
        child = std::string(local);
        child_text.clear();
      }
      continue;
    }
    if (*tok == XmlPull::Token::kText) {
      if (in_point && xml.depth() == point_depth + 1) child_text += xml.text();
      continue;
    }
    // kEnd
    if (in_point && xml.depth() == point_depth) {
      if (child == "time") time_s = Trim(child_text);
      if (child == "ele") ele_s = Trim(child_text);
      child.clear();
      continue;
    }
    if (!in_point || xml.depth() != point_depth - 1) continue;
    in_point = false;
    const std::string where = fmt::format("line {}", point_line);
    double lat = 0, lon = 0, ele = 0;
    if (!has_lat || !has_lon) {
      sink.Malformed(path, where, "missing lat/lon", fmt::format("<{}> needs lat and lon attributes", point_kind));
      continue;
    }
    if (!ParseDouble(lat_s, &lat) || lat < -90 || lat > 90) {
      sink.Malformed(path, where, "bad latitude", fmt::format("lat=\"{}\" is not a number in -90..90", lat_s));
      continue;
    }
    if (!ParseDouble(lon_s, &lon) || lon < -180 || lon > 180) {
      sink.Malformed(path, where, "bad longitude", fmt::format("lon=\"{}\" is not a number in -180..180", lon_s));
      continue;
    }
    if (time_s.empty()) {
      sink.Malformed(path, where, "missing time", fmt::format("<{}> has no <time>", point_kind));
      continue;
    }
    // GPX times without an offset are UTC by the standard.
    std::string stamp = time_s;
    const bool has_offset = !stamp.empty() && (stamp.back() == 'Z' || stamp.back() == 'z' ||
                                               (stamp.size() > 6 && (stamp[stamp.size() - 6] == '+' ||
                                                                     stamp[stamp.size() - 6] == '-')));
    if (!has_offset) stamp += 'Z';
    auto ts = ParseRfc3339(stamp);
    if (!ts.ok()) {
      sink.Malformed(path, where, "bad time", ts.status().message());
      continue;
    }
    nlohmann::json ev = {
        {"id", StableId("gpx", {fmt::format("{}", ts->utc_micros), lat_s, lon_s})},
        {"layer", "environmental"},
        {"kind", "gps.fix"},
        {"time", FormatRfc3339(*ts)},
        {"geo", {{"lat", lat}, {"lon", lon}}},
        {"data", {{"source", "gpx"}, {"point", point_kind}}},
    };
    if (!ele_s.empty()) {
      if (!ParseDouble(ele_s, &ele)) {
        sink.Malformed(path, where, "bad elevation", fmt::format("<ele>{}</ele> is not a number", ele_s));
        continue;
      }
      ev["data"]["ele"] = ele;
    }
    HEARTH_RETURN_IF_ERROR(sink.Emit(std::move(ev)));
  }
  return Status::Ok();
}

}  // namespace hearth::ingest
