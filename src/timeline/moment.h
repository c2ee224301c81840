// Moment: what was happening around an instant, across all layers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "timeline/episodes.h"
#include "timeline/event.h"
#include "timeline/stays.h"

namespace hearth::timeline {

struct MomentOptions {
  int64_t window_us = 30 * 60 * 1'000'000LL;  // neighbours within ±window
  size_t per_layer = 3;                        // nearest events kept per layer and side
};

struct MomentLayer {
  std::string layer;
  // Indices into the events vector: the events active at t (intervals
  // covering it, points exactly at it), then up to per_layer before and
  // per_layer after, all in start order.
  std::vector<size_t> events;
};

struct Moment {
  int64_t t_us = 0;
  std::optional<Episode> episode;  // the episode holding t, if any
  std::optional<Stay> stay;        // the stay holding t (its place_id names the place)
  std::vector<MomentLayer> layers; // in kLayers order, only non-empty ones
};

// `events` sorted by start_us; `episodes` and `stays` in time order.
Moment MomentAt(const std::vector<TimelineEvent>& events, const std::vector<Episode>& episodes,
                const std::vector<Stay>& stays, int64_t t_us, const MomentOptions& options = {});

}  // namespace hearth::timeline
