#include "timeline/slicing.h"

#include <gtest/gtest.h>

namespace hearth::timeline {
namespace {

constexpr int64_t kMin = 60'000'000;

TimelineEvent Ev(const std::string& id, int64_t start, std::optional<int64_t> end = std::nullopt) {
  TimelineEvent e;
  e.client_id = id;
  e.device = "d";
  e.layer = "behavioral";
  e.kind = "app.focus";
  e.start_us = e.raw_start_us = start;
  e.end_us = end;
  return e;
}

TEST(SliceSizeTest, ParsesUnits) {
  EXPECT_EQ(*ParseSliceSize("1m"), kMin);
  EXPECT_EQ(*ParseSliceSize("5m"), 5 * kMin);
  EXPECT_EQ(*ParseSliceSize("1h"), 60 * kMin);
  EXPECT_EQ(*ParseSliceSize("1d"), 1440 * kMin);
  EXPECT_EQ(*ParseSliceSize("30s"), kMin / 2);
  EXPECT_EQ(*ParseSliceSize("2w"), 14 * 1440 * kMin);
}

TEST(SliceSizeTest, AbsurdSizesAreRefusedClearly) {
  for (const char* bad : {"", "m", "0m", "-5m", "5", "5x", "1.5h", "400d", "99999999999m", "1mm"}) {
    auto r = ParseSliceSize(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("slice size"), std::string::npos) << r.status().message();
  }
}

TEST(SliceTest, IntervalEventsAppearInEverySliceTheyOverlap) {
  // App in focus 14:02-14:40 against 5-minute slices from 14:00 to 15:00.
  const int64_t t0 = 14 * 60 * kMin;
  std::vector<TimelineEvent> events = {Ev("focus", t0 + 2 * kMin, t0 + 40 * kMin), Ev("point", t0 + 40 * kMin)};
  auto slices = SliceEvents(events, t0, t0 + 60 * kMin, {5 * kMin, false});
  ASSERT_TRUE(slices.ok()) << slices.status().ToString();
  ASSERT_EQ(slices->size(), 12u);
  for (size_t s = 0; s < 12; ++s) {
    const bool has_focus = std::find((*slices)[s].events.begin(), (*slices)[s].events.end(), 0u) != (*slices)[s].events.end();
    EXPECT_EQ(has_focus, s < 8) << "slice " << s;  // 14:40 is the exclusive end
  }
  // A point exactly on a boundary belongs to the slice that starts there.
  EXPECT_EQ((*slices)[8].events, std::vector<size_t>{1});
  EXPECT_EQ((*slices)[0].start_us, t0);
  EXPECT_EQ((*slices)[11].end_us, t0 + 60 * kMin);
}

TEST(SliceTest, EventsStartedBeforeTheRangeAndRaggedLastSlice) {
  std::vector<TimelineEvent> events = {Ev("long", -100 * kMin, 3 * kMin), Ev("zero", 4 * kMin, 4 * kMin),
                                       Ev("ended-before", -10 * kMin, -1 * kMin)};
  SortByStart(events);
  auto slices = SliceEvents(events, 0, 7 * kMin, {5 * kMin, false});
  ASSERT_TRUE(slices.ok());
  ASSERT_EQ(slices->size(), 2u);
  EXPECT_EQ((*slices)[1].end_us, 7 * kMin);  // cut at `to`
  // "long" (index 0 after sorting) overlaps the first slice only; the
  // zero-length interval counts as a point; "ended-before" nowhere.
  ASSERT_EQ((*slices)[0].events.size(), 2u);
  EXPECT_EQ(events[(*slices)[0].events[0]].client_id, "long");
  EXPECT_EQ(events[(*slices)[0].events[1]].client_id, "zero");
  EXPECT_TRUE((*slices)[1].events.empty());
}

TEST(SliceTest, EmptyStretchesCollapse) {
  std::vector<TimelineEvent> events = {Ev("a", 0), Ev("b", 59 * kMin)};
  auto slices = SliceEvents(events, 0, 60 * kMin, {kMin, true});
  ASSERT_TRUE(slices.ok());
  ASSERT_EQ(slices->size(), 3u);
  EXPECT_FALSE((*slices)[0].collapsed);
  EXPECT_TRUE((*slices)[1].collapsed);
  EXPECT_EQ((*slices)[1].start_us, kMin);
  EXPECT_EQ((*slices)[1].end_us, 59 * kMin);
  EXPECT_EQ((*slices)[2].events, std::vector<size_t>{1});
  // Without collapsing every minute is there.
  EXPECT_EQ(SliceEvents(events, 0, 60 * kMin, {kMin, false})->size(), 60u);
}

TEST(SliceTest, BadRangesAreRefused) {
  std::vector<TimelineEvent> none;
  auto inverted = SliceEvents(none, 10 * kMin, 0, {kMin, false});
  ASSERT_FALSE(inverted.ok());
  EXPECT_NE(inverted.status().message().find("inverted range"), std::string::npos);
  EXPECT_FALSE(SliceEvents(none, 0, 0, {kMin, false}).ok());
  auto too_many = SliceEvents(none, 0, 365LL * 1440 * kMin, {kMin, false});
  ASSERT_FALSE(too_many.ok());
  EXPECT_NE(too_many.status().message().find("larger slice size"), std::string::npos);
  EXPECT_FALSE(SliceEvents(none, 0, kMin, {0, false}).ok());
}

}  // namespace
}  // namespace hearth::timeline
