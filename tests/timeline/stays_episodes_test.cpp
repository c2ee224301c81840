// Stays, places, episodes and moments on hand-made tracks and days.
#include <gtest/gtest.h>

#include "timeline/episodes.h"
#include "timeline/geo.h"
#include "timeline/moment.h"
#include "timeline/stays.h"

namespace hearth::timeline {
namespace {

constexpr int64_t kMin = 60'000'000;
constexpr double kLat = 52.52, kLon = 13.40;

// Deterministic jitter of up to ±amp metres.
void Jitter(int k, double amp, double* lat, double* lon) {
  const double n = ((k * 7919) % 200 - 100) / 100.0, e = ((k * 104729) % 200 - 100) / 100.0;
  OffsetM(*lat, *lon, n * amp, e * amp, lat, lon);
}

// Fixes every minute at a point `north_m` north of the origin, from a to b minutes.
void StayAt(std::vector<GpsFix>* out, double north_m, int a, int b, double acc = 20) {
  for (int m = a; m < b; ++m) {
    double lat, lon;
    OffsetM(kLat, kLon, north_m, 0, &lat, &lon);
    Jitter(m, 15, &lat, &lon);
    out->push_back({m * kMin, lat, lon, acc});
  }
}
// Fixes every 15 s moving north at `speed` m/s from north_m, for minutes [a, b).
void Walk(std::vector<GpsFix>* out, double north_m, double speed, int a, int b) {
  for (int64_t t = a * kMin; t < b * kMin; t += 15'000'000) {
    double lat, lon;
    OffsetM(kLat, kLon, north_m + speed * (t - a * kMin) / 1e6, 0, &lat, &lon);
    out->push_back({t, lat, lon, 8});
  }
}

TEST(StaysTest, NoisyStayIsFoundWithItsBoundaries) {
  std::vector<GpsFix> fixes;
  StayAt(&fixes, 0, 0, 30);
  Walk(&fixes, 0, 3, 30, 50);  // leaves: 3.6 km
  auto stays = DetectStays(fixes);
  ASSERT_EQ(stays.size(), 1u);
  EXPECT_EQ(stays[0].start_us, 0);
  EXPECT_LE(std::llabs(stays[0].end_us - 30 * kMin), kMin / 2);  // leaves at minute 30
  EXPECT_LT(DistanceM(stays[0].lat, stays[0].lon, kLat, kLon), 15);
  EXPECT_GT(stays[0].fixes, 25);
}

TEST(StaysTest, ShortPausesAreNotStays) {
  std::vector<GpsFix> fixes;
  Walk(&fixes, 0, 3, 0, 10);
  StayAt(&fixes, 1800, 10, 18);  // 8 minutes: a traffic jam, not a stay
  Walk(&fixes, 1800, 3, 18, 30);
  EXPECT_TRUE(DetectStays(fixes).empty());
}

TEST(StaysTest, OutliersAndBadAccuracyDoNotSplitAStay) {
  std::vector<GpsFix> fixes;
  StayAt(&fixes, 0, 0, 60);
  double lat, lon;
  OffsetM(kLat, kLon, 2500, 0, &lat, &lon);
  fixes[20] = {fixes[20].t_us, lat, lon, 20};   // a confident jump 2.5 km away
  fixes[40] = {fixes[40].t_us, lat, lon, 900};  // a useless fix
  auto stays = DetectStays(fixes);
  ASSERT_EQ(stays.size(), 1u);
  EXPECT_EQ(stays[0].start_us, 0);
  EXPECT_EQ(stays[0].end_us, 59 * kMin);
}

TEST(StaysTest, GapAtTheSamePlaceContinuesAGapWithAMoveEnds) {
  std::vector<GpsFix> same;
  StayAt(&same, 0, 0, 30);
  StayAt(&same, 0, 150, 180);  // two silent hours, then still there
  auto one = DetectStays(same);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].end_us, 179 * kMin);

  std::vector<GpsFix> moved;
  StayAt(&moved, 0, 0, 30);
  StayAt(&moved, 3000, 150, 180);  // silence, then 3 km away
  auto two = DetectStays(moved);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0].end_us, 29 * kMin);  // the last fix before the gap
  EXPECT_EQ(two[1].start_us, 150 * kMin);
}

TEST(PlacesTest, StaysClusterIntoRecurringPlacesWithStableIds) {
  std::vector<GpsFix> fixes;
  StayAt(&fixes, 0, 0, 30);         // home
  Walk(&fixes, 0, 4, 30, 45);
  StayAt(&fixes, 3600, 45, 100);    // work
  Walk(&fixes, 3600, -4, 100, 115);
  StayAt(&fixes, 40, 115, 200);     // home again, 40 m off
  auto stays = DetectStays(fixes);
  ASSERT_EQ(stays.size(), 3u);
  std::vector<Place> places;
  AssignPlaces(stays, &places);
  ASSERT_EQ(places.size(), 2u);
  EXPECT_EQ(stays[0].place_id, stays[2].place_id);
  EXPECT_NE(stays[0].place_id, stays[1].place_id);
  const Place& home = places[static_cast<size_t>(stays[0].place_id)];
  EXPECT_EQ(home.visits, 2);
  EXPECT_EQ(home.first_visit_us, stays[0].start_us);
  EXPECT_EQ(home.last_visit_us, stays[2].end_us);
  // Known places keep their ids; a new stay joins them, a new spot gets the next id.
  std::vector<Stay> later = {Stay{1000 * kMin, 1030 * kMin, stays[1].lat, stays[1].lon, 10, 30, -1},
                             Stay{1100 * kMin, 1130 * kMin, kLat + 0.1, kLon, 10, 30, -1}};
  AssignPlaces(later, &places);
  EXPECT_EQ(later[0].place_id, stays[1].place_id);
  EXPECT_EQ(later[1].place_id, 2);
  auto events = StaysToEvents(stays);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].kind, "place.stay");
  EXPECT_EQ(events[0].layer, "environmental");
  EXPECT_EQ(events[0].data["place"], stays[0].place_id);
}

TimelineEvent Ev(const std::string& layer, const std::string& kind, int64_t start, std::optional<int64_t> end,
                 std::string text = "", nlohmann::json data = nlohmann::json::object()) {
  static int seq = 0;
  TimelineEvent e;
  e.client_id = "e" + std::to_string(++seq);
  e.device = "d";
  e.layer = layer;
  e.kind = kind;
  e.start_us = e.raw_start_us = start;
  e.end_us = end;
  e.text = std::move(text);
  e.data = std::move(data);
  return e;
}

// 09:00-12:00 at the office (IDE, a meeting 10:30-11:15, IDE), 12:00-12:20
// travel, 12:20-13:00 lunch conversation; minutes from midnight.
struct Day {
  std::vector<TimelineEvent> events;
  std::vector<Stay> stays = {Stay{540 * kMin, 720 * kMin, kLat, kLon, 10, 180, 0},
                             Stay{740 * kMin, 780 * kMin, kLat + 0.01, kLon, 10, 40, 1}};
  Day() {
    auto focus = [&](int a, int b, const char* app) {
      events.push_back(Ev("behavioral", "app.focus", a * kMin, b * kMin, app, {{"app", app}}));
    };
    focus(540, 570, "IDE");
    focus(570, 572, "Chat");  // a blip
    focus(572, 630, "IDE");
    events.push_back(Ev("text", "calendar.event", 630 * kMin, 675 * kMin, "Standup", {{"title", "Standup"}}));
    focus(675, 720, "IDE");
    for (int m = 741; m < 780; ++m) {
      events.push_back(Ev("auditory", "audio.transcript", m * kMin, m * kMin + 20'000'000,
                          m % 2 ? "the ramen here is better than last time" : "Mina says hello"));
    }
    events.push_back(Ev("visual", "screen.text", 625 * kMin, std::nullopt, "build failed: undefined reference to FlushWal"));
    SortByStart(events);
  }
};

TEST(EpisodesTest, DayIsCutAtPlaceAndActivityChanges) {
  Day day;
  auto eps = SegmentEpisodes(day.events, day.stays, 540 * kMin, 780 * kMin);
  ASSERT_TRUE(eps.ok()) << eps.status().ToString();
  std::vector<std::pair<int64_t, std::string>> got;
  for (const auto& e : *eps) got.push_back({e.start_us / kMin, e.activity});
  std::vector<std::pair<int64_t, std::string>> want = {
      {540, "app:IDE"}, {630, "calendar:Standup"}, {675, "app:IDE"}, {720, "travel"}, {740, "conversation"}};
  EXPECT_EQ(got, want);
  EXPECT_EQ(eps->back().end_us, 780 * kMin);
  EXPECT_EQ((*eps)[0].place_id, 0);
  EXPECT_TRUE((*eps)[3].travelling);
  EXPECT_EQ((*eps)[4].place_id, 1);
  EXPECT_EQ((*eps)[4].layers, std::vector<std::string>{"auditory"});
  EXPECT_EQ((*eps)[0].layers, (std::vector<std::string>{"behavioral", "visual"}));
  EXPECT_NE((*eps)[4].summary.find("ramen"), std::string::npos) << (*eps)[4].summary;
  EXPECT_NE((*eps)[0].summary.find("IDE"), std::string::npos) << (*eps)[0].summary;
  for (const auto& e : *eps) EXPECT_LE(e.summary.size(), kMaxSummaryBytes);
}

TEST(EpisodesTest, LongGapsAreEpisodesOfTheirOwn) {
  std::vector<TimelineEvent> events = {
      Ev("behavioral", "app.focus", 0, 30 * kMin, "Video", {{"app", "Video"}}),
      Ev("behavioral", "app.focus", 120 * kMin, 150 * kMin, "Video", {{"app", "Video"}})};
  std::vector<Stay> stays = {Stay{0, 150 * kMin, kLat, kLon, 10, 150, 0}};
  auto eps = SegmentEpisodes(events, stays, 0, 150 * kMin);
  ASSERT_TRUE(eps.ok());
  ASSERT_EQ(eps->size(), 3u);
  EXPECT_EQ((*eps)[1].activity, "idle");
  EXPECT_EQ((*eps)[1].start_us, 30 * kMin);
  EXPECT_EQ((*eps)[1].end_us, 120 * kMin);
  // A short pause is absorbed by what came before.
  events[1].start_us = 40 * kMin;
  SortByStart(events);
  auto short_pause = SegmentEpisodes(events, stays, 0, 150 * kMin);
  ASSERT_TRUE(short_pause.ok());
  EXPECT_EQ(short_pause->size(), 1u);
  EXPECT_FALSE(SegmentEpisodes(events, stays, 10, 10).ok());
}

TEST(EpisodesTest, SummaryIsCutOnACharacterBoundary) {
  std::string text;
  for (int k = 0; k < 100; ++k) text += "é";  // two bytes each
  EXPECT_EQ(TruncateUtf8(text, 7).size(), 6u);
  EXPECT_EQ(TruncateUtf8("短い日本語のテキスト", 7), "短い");
  std::vector<TimelineEvent> events = {Ev("text", "chat.message", 0, std::nullopt, "x " + text + text)};
  auto eps = SegmentEpisodes(events, {}, 0, 10 * kMin);
  ASSERT_TRUE(eps.ok());
  ASSERT_EQ(eps->size(), 1u);
  EXPECT_LE((*eps)[0].summary.size(), kMaxSummaryBytes);
  EXPECT_EQ((*eps)[0].summary.size() % 2, 0u) << "a 2-byte character was split";
}

TEST(MomentTest, NeighboursPerLayerAroundT) {
  Day day;
  auto eps = SegmentEpisodes(day.events, day.stays, 540 * kMin, 780 * kMin);
  ASSERT_TRUE(eps.ok());
  Moment m = MomentAt(day.events, *eps, day.stays, 650 * kMin);
  ASSERT_TRUE(m.episode.has_value());
  EXPECT_EQ(m.episode->activity, "calendar:Standup");
  ASSERT_TRUE(m.stay.has_value());
  EXPECT_EQ(m.stay->place_id, 0);
  std::map<std::string, std::vector<std::string>> kinds;
  for (const auto& l : m.layers) {
    for (size_t idx : l.events) kinds[l.layer].push_back(day.events[idx].kind);
  }
  EXPECT_EQ(kinds["text"], std::vector<std::string>{"calendar.event"});   // active at T
  EXPECT_EQ(kinds["visual"], std::vector<std::string>{"screen.text"});    // 10:25, within 30 min
  EXPECT_EQ(kinds["behavioral"].size(), 2u);  // focus ended 10:30, focus from 11:15
  EXPECT_EQ(kinds.count("auditory"), 0u);     // lunch is hours away
  Moment travel = MomentAt(day.events, *eps, day.stays, 730 * kMin);
  ASSERT_TRUE(travel.episode.has_value());
  EXPECT_TRUE(travel.episode->travelling);
  EXPECT_FALSE(travel.stay.has_value());
}

}  // namespace
}  // namespace hearth::timeline
