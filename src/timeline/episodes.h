// Episodes: a day cut into stretches of one place and one dominant activity.
//
// Segmentation happens in two levels:
//  1. place: stays give "at place P" segments; the time between two stays
//     is travel (when shorter than `max_travel_us`) or unknown;
//  2. activity, inside each place segment: every minute gets a label from
//     the events covering it, in priority order
//       calendar:<title>  a calendar.event interval
//       conversation      audio.transcript / chat.message, >= 3 within ±3 min
//       app:<name>        the most recently started app.focus interval
//       idle              nothing
//     Runs shorter than `min_episode_us` are absorbed into a neighbour, and
//     idle runs shorter than `long_gap_us` into the run before them; an idle
//     run of at least `long_gap_us` is an episode of its own (a long gap).
// Travel segments are one episode each (activity "travel").
//
// Each episode lists the layers of the events it holds and a short extractive
// summary: its most distinctive terms (tf-idf against the other episodes of
// the day) and its most informative event text, at most 200 bytes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "timeline/event.h"
#include "timeline/stays.h"

namespace hearth::timeline {

struct Episode {
  int64_t start_us = 0;
  int64_t end_us = 0;  // exclusive
  int place_id = -1;   // -1 when travelling or unknown
  bool travelling = false;
  std::string activity;             // "app:IDE", "calendar:Standup", "conversation", "idle", "travel"
  std::vector<std::string> layers;  // sorted, of events overlapping the episode
  size_t event_count = 0;
  std::string summary;              // <= kMaxSummaryBytes, valid UTF-8
};

inline constexpr size_t kMaxSummaryBytes = 200;

struct EpisodeOptions {
  int64_t bin_us = 60 * 1'000'000LL;
  int64_t min_episode_us = 10 * 60 * 1'000'000LL;
  int64_t long_gap_us = 45 * 60 * 1'000'000LL;
  int64_t min_travel_us = 3 * 60 * 1'000'000LL;
  int64_t max_travel_us = 4 * 3600 * 1'000'000LL;
};

// Episodes covering [from_us, to_us) (typically one local day) without gaps
// or overlaps, in order. `events` sorted by start_us (SortByStart); `stays`
// in time order with place ids assigned (unassigned stays are place -1).
Result<std::vector<Episode>> SegmentEpisodes(const std::vector<TimelineEvent>& events,
                                             const std::vector<Stay>& stays, int64_t from_us,
                                             int64_t to_us, const EpisodeOptions& options = {});

// Truncates `text` to at most `max_bytes` without splitting a UTF-8 sequence.
std::string TruncateUtf8(std::string_view text, size_t max_bytes);

}  // namespace hearth::timeline
