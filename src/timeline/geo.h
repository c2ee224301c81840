// Small geodesy helpers for stays and places (distances of metres to a few
// kilometres, where an equirectangular approximation is far below GPS noise).
#pragma once

#include <cmath>

namespace hearth::timeline {

inline constexpr double kEarthRadiusM = 6'371'000.0;
inline constexpr double kPi = 3.14159265358979323846;

// Great-circle distance in metres (haversine).
inline double DistanceM(double lat1, double lon1, double lat2, double lon2) {
  const double r = kPi / 180.0;
  const double dlat = (lat2 - lat1) * r;
  const double dlon = (lon2 - lon1) * r;
  const double a = std::sin(dlat / 2) * std::sin(dlat / 2) +
                   std::cos(lat1 * r) * std::cos(lat2 * r) * std::sin(dlon / 2) * std::sin(dlon / 2);
  return 2 * kEarthRadiusM * std::asin(std::sqrt(std::fmin(1.0, a)));
}

// Point `north_m` metres north and `east_m` metres east of (lat, lon).
inline void OffsetM(double lat, double lon, double north_m, double east_m, double* out_lat, double* out_lon) {
  const double r = kPi / 180.0;
  *out_lat = lat + north_m / kEarthRadiusM / r;
  *out_lon = lon + east_m / (kEarthRadiusM * std::cos(lat * r)) / r;
}

}  // namespace hearth::timeline
