// The whole derivation for a window of time: clock correction, stays,
// places, and episodes per local day.
//
// Incremental use: when events arrive for [a, b), the data node re-derives
// the local days that [a, b) touches (plus the stays crossing their edges,
// which the margin covers) and replaces only the derived rows of that
// window; known places are passed in so ids stay stable. Rebuilding from
// scratch is the same call over the whole history with no known places.
#pragma once

#include <cstdint>
#include <vector>

#include "common/status.h"
#include "timeline/clock.h"
#include "timeline/episodes.h"
#include "timeline/event.h"
#include "timeline/stays.h"
#include "timeline/time_zone.h"

namespace hearth::timeline {

// Sets start_us/end_us of every event from its raw time and its device's
// clock history (the offset valid at the event's own raw time). Interval
// durations (end_us - start_us, as parsed or as last corrected) are
// preserved. Idempotent.
void ApplyClockCorrection(const ClockBook& clocks, std::vector<TimelineEvent>* events);

struct DerivedTimeline {
  std::vector<Stay> stays;
  std::vector<Place> places;      // known places, updated, plus new ones
  std::vector<Episode> episodes;  // consecutive local days, in order
};

struct DeriveOptions {
  StayOptions stays;
  PlaceOptions places;
  EpisodeOptions episodes;
};

// `events` corrected and sorted (SortByStart). Episodes are cut at local
// midnights of `zone` for every day overlapping [from_us, to_us).
Result<DerivedTimeline> DeriveTimeline(const std::vector<TimelineEvent>& events, const TimeZone& zone,
                                       int64_t from_us, int64_t to_us, std::vector<Place> known_places = {},
                                       const DeriveOptions& options = {});

// Local midnights (UTC microseconds) of the days overlapping [from_us, to_us):
// the first is at or before from_us, the last at or after to_us.
std::vector<int64_t> LocalDayBounds(const TimeZone& zone, int64_t from_us, int64_t to_us);

}  // namespace hearth::timeline
