// Stays and places from GPS fixes.
//
// A stay is a stretch of time in which the person remained within about
// `radius_m` of one point for at least `min_duration_us`. Detection is robust
// to:
//  - noise: fixes are weighted by 1/accuracy², fixes worse than
//    `max_accuracy_m` are ignored, and the membership test allows for each
//    fix's own accuracy;
//  - jumps: a lone fix far from both neighbours that would need an
//    impossible speed is dropped as an outlier, and up to `max_misses`
//    consecutive out-of-radius fixes inside a stay are tolerated when the
//    track comes back within `miss_window_us`;
//  - gaps: a silence of any length up to `max_gap_us` followed by a fix at
//    the same place continues the stay; a gap followed by a move ends it at
//    the last fix before the gap.
// Stay boundaries are the first and last member fixes, after trimming the
// approach and departure (leading/trailing fixes farther than `trim_m` from
// the stay's centre).
//
// Places are stays clustered across days: each stay joins the nearest place
// within `merge_radius_m` or founds a new one. Existing places can be passed
// in, so new stays join known places and place ids stay stable.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "timeline/event.h"

namespace hearth::timeline {

struct GpsFix {
  int64_t t_us = 0;
  double lat = 0;
  double lon = 0;
  double acc_m = 0;
};

struct StayOptions {
  double radius_m = 100;
  int64_t min_duration_us = 10 * 60 * 1'000'000LL;
  double max_accuracy_m = 250;
  double max_speed_mps = 70;     // faster than this is a jump, not travel
  int max_misses = 3;
  int64_t miss_window_us = 5 * 60 * 1'000'000LL;
  int64_t max_gap_us = 14 * 3600 * 1'000'000LL;
  double trim_m = 45;
};

struct Stay {
  int64_t start_us = 0;
  int64_t end_us = 0;
  double lat = 0;
  double lon = 0;
  double spread_m = 0;  // accuracy-weighted RMS distance of member fixes
  int fixes = 0;
  int place_id = -1;    // set by AssignPlaces
};

struct Place {
  int id = 0;
  double lat = 0;
  double lon = 0;
  int visits = 0;
  int64_t total_us = 0;
  int64_t first_visit_us = 0;
  int64_t last_visit_us = 0;  // end of the latest stay
};

struct PlaceOptions {
  double merge_radius_m = 150;
};

// The gps.fix events of `events` that carry geo, sorted by time.
std::vector<GpsFix> FixesFromEvents(const std::vector<TimelineEvent>& events);

// Stays in time order, non-overlapping. `fixes` need not be sorted.
std::vector<Stay> DetectStays(std::vector<GpsFix> fixes, const StayOptions& options = {});

// Assigns every stay a place, creating places as needed (ids continue after
// the largest existing id). Updates visit counts, centroids (duration
// weighted) and first/last visits.
void AssignPlaces(std::vector<Stay>& stays, std::vector<Place>* places, const PlaceOptions& options = {});

// Stays as derived events: layer "environmental", kind "place.stay", device
// "hearth.timeline", client id "stay:<start_us>", data {place, fixes, spread_m}.
std::vector<TimelineEvent> StaysToEvents(const std::vector<Stay>& stays);

}  // namespace hearth::timeline
