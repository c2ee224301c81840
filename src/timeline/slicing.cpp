#include "timeline/slicing.h"

#include <algorithm>
#include <charconv>

namespace hearth::timeline {

Result<int64_t> ParseSliceSize(std::string_view text) {
  const std::string quoted = "slice size \"" + std::string(text.substr(0, 32)) + "\"";
  if (text.empty()) return Status::InvalidArgument("slice size is empty (use e.g. 1m, 5m, 1h, 1d)");
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0) return Status::InvalidArgument(quoted + ": expected a positive integer then a unit (s, m, h, d, w)");
  if (digits > 9) return Status::InvalidArgument(quoted + ": number too large");
  int64_t n = 0;
  std::from_chars(text.data(), text.data() + digits, n);
  std::string_view unit = text.substr(digits);
  int64_t unit_us = 0;
  if (unit == "s") unit_us = 1'000'000;
  else if (unit == "m" || unit == "min") unit_us = 60'000'000;
  else if (unit == "h") unit_us = 3'600'000'000LL;
  else if (unit == "d") unit_us = 86'400'000'000LL;
  else if (unit == "w") unit_us = 7 * 86'400'000'000LL;
  else return Status::InvalidArgument(quoted + ": unknown unit '" + std::string(unit) + "' (use s, m, h, d or w)");
  if (n <= 0) return Status::InvalidArgument(quoted + ": must be positive");
  if (n > kMaxSliceUs / unit_us) return Status::InvalidArgument(quoted + ": larger than 366 days");
  return n * unit_us;
}

std::vector<size_t> EventsOverlapping(const std::vector<TimelineEvent>& events, int64_t from_us,
                                      int64_t to_us) {
  std::vector<size_t> out;
  // Events starting at or after to_us cannot overlap; all earlier ones might
  // (an interval may have started long ago), so scan from the beginning up
  // to the first start >= to_us. Callers with huge histories pass a window.
  auto end = std::lower_bound(events.begin(), events.end(), to_us,
                              [](const TimelineEvent& e, int64_t t) { return e.start_us < t; });
  for (auto it = events.begin(); it != end; ++it) {
    const TimelineEvent& e = *it;
    bool overlaps = (e.end_us && *e.end_us > e.start_us) ? *e.end_us > from_us : e.start_us >= from_us;
    if (overlaps) out.push_back(static_cast<size_t>(it - events.begin()));
  }
  return out;
}

Result<std::vector<Slice>> SliceEvents(const std::vector<TimelineEvent>& events, int64_t from_us,
                                       int64_t to_us, const SliceOptions& options) {
  if (to_us < from_us) {
    return Status::InvalidArgument("inverted range: 'from' (" + std::to_string(from_us) +
                                   ") is after 'to' (" + std::to_string(to_us) + ")");
  }
  if (to_us == from_us) return Status::InvalidArgument("empty range: 'from' equals 'to'");
  if (options.slice_us < kMinSliceUs || options.slice_us > kMaxSliceUs) {
    return Status::InvalidArgument("slice size must be between 1 s and 366 days");
  }
  const int64_t span = to_us - from_us;
  const int64_t count = span / options.slice_us + (span % options.slice_us != 0 ? 1 : 0);
  if (count > kMaxSlices) {
    return Status::InvalidArgument("range holds " + std::to_string(count) + " slices, more than the limit of " +
                                   std::to_string(kMaxSlices) + ": use a larger slice size");
  }
  std::vector<Slice> slices(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    slices[i].start_us = from_us + i * options.slice_us;
    slices[i].end_us = std::min(to_us, slices[i].start_us + options.slice_us);
  }
  // Each event is placed into the range of slices it covers: O(events + placements).
  for (size_t idx : EventsOverlapping(events, from_us, to_us)) {
    const TimelineEvent& e = events[idx];
    const int64_t first_t = std::max(e.start_us, from_us);
    int64_t last_t = first_t;  // point events and zero-length intervals
    if (e.end_us && *e.end_us > e.start_us) last_t = std::min(*e.end_us, to_us) - 1;
    const int64_t first = (first_t - from_us) / options.slice_us;
    const int64_t last = (last_t - from_us) / options.slice_us;
    for (int64_t s = first; s <= last; ++s) slices[s].events.push_back(idx);
  }
  if (!options.collapse_empty) return slices;
  std::vector<Slice> collapsed;
  for (auto& s : slices) {
    if (s.events.empty() && !collapsed.empty() && collapsed.back().events.empty()) {
      collapsed.back().end_us = s.end_us;
      collapsed.back().collapsed = true;
      continue;
    }
    collapsed.push_back(std::move(s));
  }
  return collapsed;
}

}  // namespace hearth::timeline
