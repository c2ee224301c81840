#include "timeline/derive.h"

#include "timeline/civil_time.h"

namespace hearth::timeline {

void ApplyClockCorrection(const ClockBook& clocks, std::vector<TimelineEvent>* events) {
  for (auto& e : *events) {
    const int64_t duration = e.end_us ? *e.end_us - e.start_us : 0;
    e.start_us = clocks.Correct(e.device, e.raw_start_us);
    if (e.end_us) e.end_us = e.start_us + duration;
  }
}

std::vector<int64_t> LocalDayBounds(const TimeZone& zone, int64_t from_us, int64_t to_us) {
  std::vector<int64_t> bounds;
  const int64_t from_s = FloorDiv(from_us, kMicrosPerSecond);
  int64_t day = FloorDiv(zone.UtcToLocal(from_s), kSecondsPerDay);
  while (true) {
    const int64_t b = zone.LocalToUtc(day * kSecondsPerDay) * kMicrosPerSecond;
    bounds.push_back(b);
    if (b >= to_us) break;
    ++day;
  }
  return bounds;
}

Result<DerivedTimeline> DeriveTimeline(const std::vector<TimelineEvent>& events, const TimeZone& zone,
                                       int64_t from_us, int64_t to_us, std::vector<Place> known_places,
                                       const DeriveOptions& options) {
  if (to_us <= from_us) return Status::InvalidArgument("derive range is empty or inverted");
  DerivedTimeline out;
  out.stays = DetectStays(FixesFromEvents(events), options.stays);
  out.places = std::move(known_places);
  AssignPlaces(out.stays, &out.places, options.places);
  const std::vector<int64_t> bounds = LocalDayBounds(zone, from_us, to_us);
  for (size_t k = 0; k + 1 < bounds.size(); ++k) {
    HEARTH_ASSIGN_OR_RETURN(std::vector<Episode> day,
                            SegmentEpisodes(events, out.stays, bounds[k], bounds[k + 1], options.episodes));
    for (auto& ep : day) out.episodes.push_back(std::move(ep));
  }
  return out;
}

}  // namespace hearth::timeline
