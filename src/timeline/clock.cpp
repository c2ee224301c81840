#include "timeline/clock.h"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace hearth::timeline {

namespace {
// An exchange that took longer than a minute says nothing useful about offsets.
constexpr int64_t kMaxDelayUs = 60 * 1'000'000LL;
// A device more than ten years off is not a clock, it is garbage.
constexpr int64_t kMaxOffsetUs = 10LL * 365 * 86'400 * 1'000'000;
// Delays below this are never called congested, however fast the others are.
constexpr int64_t kMinDelayLimitUs = 50'000;
}  // namespace

Result<ClockSample> SampleFromExchange(const ClockExchange& x) {
  if (x.t3_us < x.t0_us) return Status::InvalidArgument("clock exchange: t3 precedes t0");
  if (x.t2_us < x.t1_us) return Status::InvalidArgument("clock exchange: t2 precedes t1");
  const int64_t delay = (x.t3_us - x.t0_us) - (x.t2_us - x.t1_us);
  if (delay < 0) {
    return Status::InvalidArgument("clock exchange: node processing time exceeds the round trip");
  }
  if (delay > kMaxDelayUs) return Status::InvalidArgument("clock exchange: round trip over 60 s");
  const int64_t offset = ((x.t1_us - x.t0_us) + (x.t2_us - x.t3_us)) / 2;
  if (offset > kMaxOffsetUs || offset < -kMaxOffsetUs) {
    return Status::InvalidArgument("clock exchange: offset beyond ten years");
  }
  return ClockSample{x.t0_us + (x.t3_us - x.t0_us) / 2, offset, delay};
}

void ClockHistory::Add(const ClockSample& sample) {
  auto it = std::upper_bound(samples_.begin(), samples_.end(), sample.device_time_us,
                             [](int64_t t, const ClockSample& s) { return t < s.device_time_us; });
  samples_.insert(it, sample);
  RebuildFiltered();
}

void ClockHistory::RebuildFiltered() {
  filtered_.clear();
  if (samples_.empty()) return;
  // Samples with a delay far above the typical one (a congested exchange)
  // carry up to delay/2 of error: drop them unless nothing better exists.
  std::vector<int64_t> delays;
  for (const auto& s : samples_) delays.push_back(s.delay_us);
  std::nth_element(delays.begin(), delays.begin() + static_cast<std::ptrdiff_t>(delays.size() / 2), delays.end());
  const int64_t limit = std::max<int64_t>(4 * delays[delays.size() / 2], kMinDelayLimitUs);
  std::vector<ClockSample> usable;
  for (const auto& s : samples_) if (s.delay_us <= limit) usable.push_back(s);
  size_t i = 0;
  while (i < usable.size()) {
    size_t best = i;
    size_t j = i;
    while (j < usable.size() && usable[j].device_time_us - usable[i].device_time_us < kClusterWindowUs) {
      if (usable[j].delay_us < usable[best].delay_us) best = j;
      ++j;
    }
    filtered_.push_back(usable[best]);
    i = j;
  }
}

namespace {

bool IsStep(const ClockSample& a, const ClockSample& b) {
  const int64_t change = b.offset_us - a.offset_us;
  const int64_t limit = kClockStepThresholdUs + static_cast<int64_t>(
      kMaxDriftPpm * 1e-6 * static_cast<double>(b.device_time_us - a.device_time_us));
  return change > limit || change < -limit;
}

// Offset on the line through a and b at t (a.device_time_us < b.device_time_us).
int64_t Interpolate(const ClockSample& a, const ClockSample& b, int64_t t) {
  const double f = static_cast<double>(t - a.device_time_us) /
                   static_cast<double>(b.device_time_us - a.device_time_us);
  return a.offset_us + static_cast<int64_t>(f * static_cast<double>(b.offset_us - a.offset_us));
}

// Drift is extrapolated past the ends of the history for at most this long;
// beyond it the offset stays where the extrapolation left it.
constexpr int64_t kMaxExtrapolationUs = 6LL * 3600 * 1'000'000;

}  // namespace

int64_t ClockHistory::OffsetAt(int64_t raw_us) const {
  const auto& s = filtered_;
  if (s.empty()) return 0;
  auto after = std::lower_bound(s.begin(), s.end(), raw_us,
                                [](const ClockSample& a, int64_t t) { return a.device_time_us < t; });
  if (after == s.begin() || after == s.end()) {
    // Outside the history: continue the drift of the nearest pair of
    // samples (when they are far enough apart to measure it, and no step
    // separates them), for a bounded time.
    const bool before_first = after == s.begin();
    const ClockSample& edge = before_first ? s.front() : s.back();
    if (s.size() < 2) return edge.offset_us;
    const ClockSample& a = before_first ? s[0] : s[s.size() - 2];
    const ClockSample& b = before_first ? s[1] : s[s.size() - 1];
    if (IsStep(a, b) || b.device_time_us - a.device_time_us < kClusterWindowUs) return edge.offset_us;
    const int64_t t = std::clamp(raw_us, edge.device_time_us - kMaxExtrapolationUs,
                                 edge.device_time_us + kMaxExtrapolationUs);
    return Interpolate(a, b, t);
  }
  const ClockSample& a = *(after - 1);
  const ClockSample& b = *after;
  if (IsStep(a, b)) {
    // Until the step shows, the clock kept drifting as it did before a.
    if (after - 1 == s.begin()) return a.offset_us;
    const ClockSample& p = *(after - 2);
    if (IsStep(p, a) || a.device_time_us - p.device_time_us < kClusterWindowUs) return a.offset_us;
    return Interpolate(p, a, std::min(raw_us, a.device_time_us + kMaxExtrapolationUs));
  }
  return Interpolate(a, b, raw_us);
}

const ClockHistory* ClockBook::find(std::string_view name) const {
  auto it = by_device_.find(name);
  return it == by_device_.end() ? nullptr : &it->second;
}

int64_t ClockBook::Correct(std::string_view device_name, int64_t raw_us) const {
  const ClockHistory* h = find(device_name);
  return h ? h->Correct(raw_us) : raw_us;
}

Status LoadClockLog(std::string_view ndjson, std::string_view origin, ClockHistory* history) {
  size_t pos = 0, line_no = 0;
  while (pos < ndjson.size()) {
    size_t nl = ndjson.find('\n', pos);
    if (nl == std::string_view::npos) nl = ndjson.size();
    std::string_view line = ndjson.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    const std::string where = std::string(origin) + " line " + std::to_string(line_no);
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return Status::InvalidArgument(where + ": not a JSON object");
    ClockExchange x;
    for (auto [key, field] : {std::pair{"t0", &x.t0_us}, std::pair{"t1", &x.t1_us},
                              std::pair{"t2", &x.t2_us}, std::pair{"t3", &x.t3_us}}) {
      auto it = j.find(key);
      if (it == j.end() || !it->is_number_integer()) {
        return Status::InvalidArgument(where + ": field '" + key + "' must be integer microseconds");
      }
      *field = it->get<int64_t>();
    }
    auto sample = SampleFromExchange(x);
    if (!sample.ok()) return sample.status().WithContext(where);
    history->Add(*sample);
  }
  return Status::Ok();
}

}  // namespace hearth::timeline
