// A synthetic life for tests, benchmarks and a newcomer's first look.
//
// GenerateDemoLife plans days of a person (home, work, restaurants, shops, a
// park, a friend's flat; weekdays differ from weekends), then renders what
// four devices would have recorded, in the data node's wire format:
//   phone    gps.fix (noise, outliers, gaps), chat.message, photo, app.focus,
//            browser.visit
//   laptop   app.focus spans, screen.text, browser.visit, calendar.event
//   glasses  audio.transcript, scene.text; offline for a day (those events
//            are appended late, as after a re-sync) and one clock step
//   hub      home.state: temperature, lights, door
// Each device's clock is skewed (base offset, drift, steps) and it logs an
// NTP-style exchange about hourly while online. The ground truth (places,
// stays, episodes, clock model with check points) is kept alongside.
// Output is a pure function of the options: same seed, same bytes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "timeline/clock.h"
#include "timeline/event.h"
#include "timeline/time_zone.h"

namespace hearth::timeline {

struct DemoOptions {
  int days = 7;
  uint64_t seed = 1;
  std::string start_date = "2026-10-05";  // YYYY-MM-DD, local
  std::string zone = "Europe/Berlin";
  // Scales the high-rate streams (GPS, sensors, screen text); 1 gives about
  // 2,000 events a day, 13 about 20,000.
  double density = 1.0;
};

struct DemoDevice {
  std::string name;
  std::vector<TimelineEvent> events;       // in upload order, raw device times
  std::vector<ClockExchange> exchanges;
};

struct DemoLife {
  std::vector<DemoDevice> devices;
  nlohmann::json ground_truth;
  int64_t start_us = 0;  // local midnight of the first day, UTC
  int64_t end_us = 0;    // local midnight after the last day, UTC
};

Result<DemoLife> GenerateDemoLife(const DemoOptions& options, const TimeZone& zone);

// Writes <device>.ndjson, <device>.clock.ndjson and ground_truth.json into
// `dir` (created 0700; files 0600, written atomically).
Status WriteDemoLife(const DemoLife& life, const std::string& dir);

}  // namespace hearth::timeline
