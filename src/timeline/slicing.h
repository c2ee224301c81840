// Time slices: the timeline cut into consecutive, equal windows.
//
// A slice [start, end) holds every event that overlaps it: a point event at
// t overlaps when start <= t < end; an interval [s, e) overlaps when
// s < end && e > start (a zero-length interval counts as a point). An
// interval event therefore appears in every slice it touches.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "timeline/event.h"

namespace hearth::timeline {

// Slice sizes: from one second to 366 days.
inline constexpr int64_t kMinSliceUs = 1'000'000;
inline constexpr int64_t kMaxSliceUs = 366LL * 86'400 * 1'000'000;
// More slices than this in one request is refused (ask for a larger size).
inline constexpr int64_t kMaxSlices = 100'000;

// Parses "30s", "1m", "5m", "1h", "1d", "1w" (a positive integer and a
// unit). Errors name the text and what is wrong.
Result<int64_t> ParseSliceSize(std::string_view text);

struct Slice {
  int64_t start_us = 0;
  int64_t end_us = 0;  // exclusive
  // Indices into the events vector given to SliceEvents, in start order.
  std::vector<size_t> events;
  // True for a collapsed run of empty slices (start..end spans several).
  bool collapsed = false;
};

struct SliceOptions {
  int64_t slice_us = 0;
  // Replace each run of consecutive empty slices by one slice marked collapsed.
  bool collapse_empty = false;
};

// Slices [from_us, to_us). The last slice is cut at to_us. `events` must be
// sorted by start_us (SortByStart). Errors: inverted or empty range, bad
// slice size, too many slices.
Result<std::vector<Slice>> SliceEvents(const std::vector<TimelineEvent>& events, int64_t from_us,
                                       int64_t to_us, const SliceOptions& options);

// Indices of events overlapping [from_us, to_us) by the rule above, in
// order; `events` sorted by start_us.
std::vector<size_t> EventsOverlapping(const std::vector<TimelineEvent>& events, int64_t from_us,
                                      int64_t to_us);

}  // namespace hearth::timeline
