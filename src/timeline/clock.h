// Device clock alignment: an NTP-style exchange and each device's offset
// history.
//
// Exchange: the device sends at t0 (its clock), the node receives at t1 and
// answers at t2 (node clock), the device receives at t3 (its clock).
//   offset = ((t1 - t0) + (t2 - t3)) / 2    node time minus device time
//   delay  = (t3 - t0) - (t2 - t1)          round trip spent on the network
// The true offset lies within offset ± delay/2, so low-delay samples are
// trusted more. Corrected time = raw device time + offset(raw time).
//
// The history maps a raw device time to the offset valid *at that time*, not
// at the time the event arrived: an event recorded offline and uploaded days
// later is corrected with the offsets measured around when it happened.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace hearth::timeline {

struct ClockExchange {
  int64_t t0_us = 0;  // device clock, request sent
  int64_t t1_us = 0;  // node clock, request received
  int64_t t2_us = 0;  // node clock, response sent
  int64_t t3_us = 0;  // device clock, response received
};

struct ClockSample {
  int64_t device_time_us = 0;  // midpoint of t0 and t3 (device clock)
  int64_t offset_us = 0;       // node minus device
  int64_t delay_us = 0;        // round-trip network delay
};

// Validates an exchange (t3 >= t0, t2 >= t1, delay >= 0, plausible sizes)
// and computes its sample.
Result<ClockSample> SampleFromExchange(const ClockExchange& exchange);

// An offset change between two samples beyond kClockStepThresholdUs plus
// kMaxDriftPpm of the time between them is a clock step (a reset on boot, a
// manual change), not drift. Quartz clocks drift well under 100 ppm.
inline constexpr int64_t kClockStepThresholdUs = 2 * 1'000'000;
inline constexpr double kMaxDriftPpm = 100;

// One device's offset history. Samples are kept sorted by device time.
class ClockHistory {
 public:
  void Add(const ClockSample& sample);
  bool empty() const { return samples_.empty(); }
  const std::vector<ClockSample>& samples() const { return samples_; }

  // Offset to add to `raw_us` (device time). Before the first and after the
  // last sample: the drift of the two nearest samples continued for at most
  // six hours (the edge sample's offset when there is one sample, or a step
  // between the two). Between two samples: linear
  // interpolation (drift), unless the offsets differ by a step (above), in
  // which case the earlier sample's drift continues until the later sample (devices exchange right after booting, so a step is
  // revealed by the first sample after it). Samples within
  // kClusterWindowUs of each other are reduced to the one with the smallest
  // delay (NTP's clock filter), and samples whose delay exceeds four times
  // the median (and 50 ms) are ignored. 0 when empty.
  int64_t OffsetAt(int64_t raw_us) const;
  int64_t Correct(int64_t raw_us) const { return raw_us + OffsetAt(raw_us); }

  // Window inside which only the lowest-delay sample is used.
  static constexpr int64_t kClusterWindowUs = 5 * 60 * 1'000'000LL;

 private:
  void RebuildFiltered();

  std::vector<ClockSample> samples_;
  // One sample per cluster window, rebuilt on every Add so that OffsetAt is
  // a pure read (safe to call from many threads once loading is done).
  std::vector<ClockSample> filtered_;
};

// Offset histories for every device, keyed by device name.
class ClockBook {
 public:
  ClockHistory& device(std::string_view name) { return by_device_[std::string(name)]; }
  const ClockHistory* find(std::string_view name) const;
  // Corrected time of `raw_us` on `device_name` (raw when the device has no history).
  int64_t Correct(std::string_view device_name, int64_t raw_us) const;

 private:
  std::map<std::string, ClockHistory, std::less<>> by_device_;
};

// Parses a clock-exchange log (NDJSON, one {"t0","t1","t2","t3"} object of
// integer microseconds per line) into `history`. Errors name origin and line.
Status LoadClockLog(std::string_view ndjson, std::string_view origin, ClockHistory* history);

}  // namespace hearth::timeline
