#include "timeline/clock.h"

#include <gtest/gtest.h>

#include "timeline/derive.h"

namespace hearth::timeline {
namespace {

constexpr int64_t kS = 1'000'000;
constexpr int64_t kMs = 1'000;

// An exchange with a device whose clock reads `offset` behind the node
// (node - device = offset), with the given one-way delays.
ClockExchange Exchange(int64_t node_time, int64_t offset, int64_t up, int64_t down) {
  ClockExchange x;
  x.t0_us = node_time - offset;
  x.t1_us = node_time + up;
  x.t2_us = x.t1_us + 1 * kMs;
  x.t3_us = x.t2_us + down - offset;
  return x;
}

TEST(ClockTest, ExchangeGivesOffsetAndDelay) {
  auto s = SampleFromExchange(Exchange(1'000 * kS, 10 * kS, 10 * kMs, 10 * kMs));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->offset_us, 10 * kS);
  EXPECT_EQ(s->delay_us, 20 * kMs);
  // Asymmetric delay: the error is half the asymmetry.
  auto a = SampleFromExchange(Exchange(1'000 * kS, 10 * kS, 30 * kMs, 10 * kMs));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->offset_us, 10 * kS + 10 * kMs);
}

TEST(ClockTest, InvalidExchangesAreRefused) {
  ClockExchange x = Exchange(1'000 * kS, 0, 10 * kMs, 10 * kMs);
  std::swap(x.t0_us, x.t3_us);
  auto r = SampleFromExchange(x);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("t3 precedes t0"), std::string::npos);
  ClockExchange y = Exchange(1'000 * kS, 0, 10 * kMs, 10 * kMs);
  std::swap(y.t1_us, y.t2_us);
  EXPECT_FALSE(SampleFromExchange(y).ok());
  ClockExchange z = Exchange(1'000 * kS, 0, 10 * kMs, 10 * kMs);
  z.t2_us = z.t1_us + 10 * kS;  // the node claims to have held it longer than the round trip
  EXPECT_FALSE(SampleFromExchange(z).ok());
}

TEST(ClockTest, EmptyHistoryLeavesTimeAlone) {
  ClockHistory h;
  EXPECT_EQ(h.Correct(123 * kS), 123 * kS);
}

TEST(ClockTest, DriftIsInterpolatedBetweenSamples) {
  ClockHistory h;
  h.Add({0, 1 * kS, 10 * kMs});
  h.Add({3600 * kS, 1 * kS + 360 * kMs, 10 * kMs});  // 100 ms per 1000 s
  EXPECT_EQ(h.OffsetAt(1800 * kS), 1 * kS + 180 * kMs);
  EXPECT_EQ(h.Correct(1000 * kS), 1000 * kS + 1 * kS + 100 * kMs);
  // Past the end the drift continues, for at most six hours.
  EXPECT_EQ(h.OffsetAt(7200 * kS), 1 * kS + 720 * kMs);
  EXPECT_EQ(h.OffsetAt(100'000 * kS), h.OffsetAt((3600 + 6 * 3600) * kS));
}

TEST(ClockTest, StepIsNotSmearedAcrossTheGap) {
  ClockHistory h;
  h.Add({0, 5 * kS, 10 * kMs});
  h.Add({3600 * kS, 5 * kS, 10 * kMs});
  h.Add({7200 * kS, -35 * kS, 10 * kMs});  // rebooted 40 s off, exchanged right away
  EXPECT_EQ(h.OffsetAt(5000 * kS), 5 * kS);
  EXPECT_EQ(h.OffsetAt(7300 * kS), -35 * kS);
  // A large change over a long offline stretch is drift, not a step.
  ClockHistory slow;
  slow.Add({0, 0, 10 * kMs});
  slow.Add({86'400 * kS, 3 * kS, 10 * kMs});  // 35 ppm over a day
  EXPECT_EQ(slow.OffsetAt(43'200 * kS), 1500 * kMs);
}

TEST(ClockTest, LateEventsUseTheOffsetOfTheirOwnTime) {
  ClockBook book;
  book.device("glasses").Add({0, 2 * kS, 10 * kMs});
  book.device("glasses").Add({3600 * kS, 2 * kS, 10 * kMs});
  book.device("glasses").Add({90'000 * kS, 62 * kS, 10 * kMs});  // after a reset
  // An event recorded at device time 1000 s, arriving after the reset.
  TimelineEvent e;
  e.device = "glasses";
  e.raw_start_us = e.start_us = 1000 * kS;  // as parsed: not corrected yet
  e.end_us = 1010 * kS;
  std::vector<TimelineEvent> events = {e};
  ApplyClockCorrection(book, &events);
  EXPECT_EQ(events[0].start_us, 1002 * kS);
  EXPECT_EQ(*events[0].end_us, 1012 * kS);  // duration kept
  EXPECT_EQ(events[0].raw_start_us, 1000 * kS);  // raw kept
  ApplyClockCorrection(book, &events);
  EXPECT_EQ(events[0].start_us, 1002 * kS) << "correction must be idempotent";
  EXPECT_EQ(book.Correct("unknown-device", 5 * kS), 5 * kS);
}

TEST(ClockTest, LowestDelayWinsAndCongestedSamplesAreIgnored) {
  ClockHistory h;
  h.Add({1000 * kS, 10 * kS + 200 * kMs, 400 * kMs});  // congested: error up to 200 ms
  h.Add({1030 * kS, 10 * kS, 8 * kMs});
  h.Add({1060 * kS, 10 * kS + 5 * kMs, 12 * kMs});
  EXPECT_EQ(h.OffsetAt(1000 * kS), 10 * kS);
  ClockHistory lone;  // a lone congested sample far from others is still dropped
  lone.Add({0, 0, 10 * kMs});
  lone.Add({3600 * kS, 0, 10 * kMs});
  lone.Add({7200 * kS, 0, 10 * kMs});
  lone.Add({5400 * kS, 150 * kMs, 300 * kMs});
  EXPECT_EQ(lone.OffsetAt(5400 * kS), 0);
}

TEST(ClockTest, ClockLogErrorsNameTheLine) {
  ClockHistory h;
  Status ok = LoadClockLog("{\"t0\":0,\"t1\":10,\"t2\":11,\"t3\":21}\n\n", "x.ndjson", &h);
  EXPECT_TRUE(ok.ok()) << ok.ToString();
  EXPECT_EQ(h.samples().size(), 1u);
  Status bad = LoadClockLog("{\"t0\":0,\"t1\":10,\"t2\":11,\"t3\":21}\n{\"t0\":\"soon\"}\n", "x.ndjson", &h);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("x.ndjson line 2"), std::string::npos) << bad.message();
  EXPECT_NE(bad.message().find("t0"), std::string::npos);
  Status worse = LoadClockLog("not json\n", "y", &h);
  EXPECT_FALSE(worse.ok());
}

}  // namespace
}  // namespace hearth::timeline
