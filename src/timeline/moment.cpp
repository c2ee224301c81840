#include "timeline/moment.h"

#include <algorithm>

#include "timeline/slicing.h"

namespace hearth::timeline {

Moment MomentAt(const std::vector<TimelineEvent>& events, const std::vector<Episode>& episodes,
                const std::vector<Stay>& stays, int64_t t_us, const MomentOptions& o) {
  Moment m;
  m.t_us = t_us;
  for (const auto& ep : episodes) {
    if (ep.start_us <= t_us && t_us < ep.end_us) {
      m.episode = ep;
      break;
    }
  }
  for (const auto& s : stays) {
    if (s.start_us <= t_us && t_us <= s.end_us) {
      m.stay = s;
      break;
    }
  }
  const std::vector<size_t> near = EventsOverlapping(events, t_us - o.window_us, t_us + o.window_us + 1);
  for (std::string_view layer : kLayers) {
    std::vector<size_t> active, before, after;
    for (size_t idx : near) {
      const TimelineEvent& e = events[idx];
      if (e.layer != layer) continue;
      const bool covers = e.start_us <= t_us && (e.end_us ? t_us < *e.end_us : e.start_us == t_us);
      if (covers) active.push_back(idx);
      else if (e.start_us <= t_us) before.push_back(idx);
      else after.push_back(idx);
    }
    // `near` is in start order: the nearest before are at the back, after at the front.
    if (before.size() > o.per_layer) before.erase(before.begin(), before.end() - static_cast<std::ptrdiff_t>(o.per_layer));
    if (after.size() > o.per_layer) after.resize(o.per_layer);
    MomentLayer ml;
    ml.layer = std::string(layer);
    ml.events = active;
    ml.events.insert(ml.events.end(), before.begin(), before.end());
    ml.events.insert(ml.events.end(), after.begin(), after.end());
    std::sort(ml.events.begin(), ml.events.end());
    if (!ml.events.empty()) m.layers.push_back(std::move(ml));
  }
  return m;
}

}  // namespace hearth::timeline
