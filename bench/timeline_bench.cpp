// Timeline benchmarks: aligning one day of about 20,000 events (clock
// correction, sort, stays, places, episodes) and slicing it.
//
//   build/tl-rel/bench/timeline_bench [--benchmark_repetitions=5]
// Target (issue 3): one day aligned in under 200 ms on a 2-core machine.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>

#include "timeline/demo_life.h"
#include "timeline/derive.h"
#include "timeline/slicing.h"
#include "timeline/time_expression.h"

namespace hearth::timeline {
namespace {

struct Day {
  std::vector<TimelineEvent> raw;  // as parsed: uncorrected, upload order
  ClockBook clocks;
  TimeZone zone = TimeZone::Utc();
  int64_t from_us = 0, to_us = 0;
};

// Density 13 gives about 20,000 events on a weekday of the demo life.
const Day& OneDay() {
  static Day* day = [] {
    auto* d = new Day;
    auto zone = TimeZone::Load("Europe/Berlin");
    if (!zone.ok()) {
      std::fprintf(stderr, "%s\n", zone.status().ToString().c_str());
      std::exit(1);
    }
    d->zone = *zone;
    DemoOptions o;
    o.days = 1;
    o.seed = 3;
    o.density = 13;
    auto life = GenerateDemoLife(o, d->zone);
    if (!life.ok()) std::exit(1);
    for (auto& dev : life->devices) {
      for (const auto& x : dev.exchanges) {
        auto s = SampleFromExchange(x);
        if (s.ok()) d->clocks.device(dev.name).Add(*s);
      }
      for (auto& e : dev.events) d->raw.push_back(std::move(e));
    }
    d->from_us = life->start_us;
    d->to_us = life->end_us;
    return d;
  }();
  return *day;
}

void BM_AlignOneDay(benchmark::State& state) {
  const Day& day = OneDay();
  size_t stays = 0, episodes = 0;
  for (auto _ : state) {
    std::vector<TimelineEvent> events = day.raw;  // the copy is part of the work the node does
    ApplyClockCorrection(day.clocks, &events);
    SortByStart(events);
    auto derived = DeriveTimeline(events, day.zone, day.from_us, day.to_us);
    if (!derived.ok()) state.SkipWithError(derived.status().ToString().c_str());
    stays = derived->stays.size();
    episodes = derived->episodes.size();
    benchmark::DoNotOptimize(derived);
  }
  state.counters["events"] = static_cast<double>(day.raw.size());
  state.counters["stays"] = static_cast<double>(stays);
  state.counters["episodes"] = static_cast<double>(episodes);
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(day.raw.size()));
}
BENCHMARK(BM_AlignOneDay)->Unit(benchmark::kMillisecond);

void BM_DeriveOnlyOneDay(benchmark::State& state) {
  const Day& day = OneDay();
  std::vector<TimelineEvent> events = day.raw;
  ApplyClockCorrection(day.clocks, &events);
  SortByStart(events);
  for (auto _ : state) {
    auto derived = DeriveTimeline(events, day.zone, day.from_us, day.to_us);
    benchmark::DoNotOptimize(derived);
  }
}
BENCHMARK(BM_DeriveOnlyOneDay)->Unit(benchmark::kMillisecond);

void BM_SliceOneDay(benchmark::State& state) {
  const Day& day = OneDay();
  std::vector<TimelineEvent> events = day.raw;
  ApplyClockCorrection(day.clocks, &events);
  SortByStart(events);
  const int64_t slice = state.range(0) * 60'000'000LL;
  for (auto _ : state) {
    auto slices = SliceEvents(events, day.from_us, day.to_us, {slice, true});
    benchmark::DoNotOptimize(slices);
  }
}
BENCHMARK(BM_SliceOneDay)->Arg(1)->Arg(60)->Unit(benchmark::kMillisecond);

void BM_ResolveTimeExpression(benchmark::State& state) {
  const Day& day = OneDay();
  for (auto _ : state) {
    auto r = ResolveTimeExpression("last tuesday evening", day.zone, day.to_us);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_ResolveTimeExpression);

}  // namespace
}  // namespace hearth::timeline

BENCHMARK_MAIN();
