// The timeline against the demo life's ground truth: the files are written
// by the real `hearth demo generate`, read back through the wire format, and
// aligned, segmented and compared. Accuracy figures are printed and
// asserted against floors (see docs/BENCHMARKS.md, timeline section for the reached values).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <string>

#include <unistd.h>

#include <gtest/gtest.h>

#include "common/paths.h"
#include "timeline/clock.h"
#include "timeline/demo_life.h"
#include "timeline/derive.h"
#include "timeline/event.h"
#include "timeline/geo.h"
#include "timeline/time_zone.h"

namespace hearth::timeline {
namespace {

constexpr int kDays = 7;

struct Life {
  std::string dir;
  nlohmann::json truth;
  std::vector<TimelineEvent> events;  // corrected, sorted
  ClockBook clocks;
  std::map<std::string, std::vector<ClockExchange>> exchanges;
  DerivedTimeline derived;
};

class GroundTruthTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    life_ = new Life;
    life_->dir = ::testing::TempDir() + "/hearth_demo_life_" + std::to_string(::getpid());
    std::filesystem::remove_all(life_->dir);
    const std::string cmd = std::string(HEARTH_BINARY) + " --log-level warn demo generate --days " +
                            std::to_string(kDays) + " --seed 42 --out " + life_->dir + " > /dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    auto truth = ReadFileToString(life_->dir + "/ground_truth.json");
    ASSERT_TRUE(truth.ok()) << truth.status().ToString();
    life_->truth = nlohmann::json::parse(*truth);
    for (const std::string device : {"phone", "laptop", "glasses", "hub"}) {
      auto text = ReadFileToString(life_->dir + "/" + device + ".ndjson");
      ASSERT_TRUE(text.ok()) << text.status().ToString();
      auto events = ParseNdjsonEvents(*text, device, device + ".ndjson");
      ASSERT_TRUE(events.ok()) << events.status().ToString();
      for (auto& e : *events) life_->events.push_back(std::move(e));
      auto clock = ReadFileToString(life_->dir + "/" + device + ".clock.ndjson");
      ASSERT_TRUE(clock.ok());
      Status loaded = LoadClockLog(*clock, device + ".clock.ndjson", &life_->clocks.device(device));
      ASSERT_TRUE(loaded.ok()) << loaded.ToString();
    }
    ApplyClockCorrection(life_->clocks, &life_->events);
    SortByStart(life_->events);
    auto zone = TimeZone::Load(life_->truth["zone"].get<std::string>());
    ASSERT_TRUE(zone.ok()) << zone.status().ToString();
    auto derived = DeriveTimeline(life_->events, *zone, life_->truth["start_us"].get<int64_t>(),
                                  life_->truth["end_us"].get<int64_t>());
    ASSERT_TRUE(derived.ok()) << derived.status().ToString();
    life_->derived = std::move(derived).value();
  }
  static void TearDownTestSuite() {
    if (life_) std::filesystem::remove_all(life_->dir);
    delete life_;
    life_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(life_, nullptr); ASSERT_FALSE(life_->events.empty()); }
  static Life* life_;
};
Life* GroundTruthTest::life_ = nullptr;

TEST_F(GroundTruthTest, ClocksAlignWithinFiftyMilliseconds) {
  for (const auto& [device, info] : life_->truth["devices"].items()) {
    const ClockHistory* h = life_->clocks.find(device);
    ASSERT_NE(h, nullptr) << device;
    int64_t worst = 0;
    std::vector<int64_t> errors;
    for (const auto& check : info["checks_raw_true_us"]) {
      const int64_t err = std::llabs(h->Correct(check[0].get<int64_t>()) - check[1].get<int64_t>());
      errors.push_back(err);
      if (err > 50'000 && std::getenv("HEARTH_TL_VERBOSE")) {
        std::printf("   %s check true=%lld err=%lld us (life start %lld)\n", device.c_str(),
                    static_cast<long long>(check[1].get<int64_t>()), static_cast<long long>(err),
                    static_cast<long long>(life_->truth["start_us"].get<int64_t>()));
      }
      worst = std::max(worst, err);
    }
    std::sort(errors.begin(), errors.end());
    std::printf("[ accuracy ] clock %-8s checks=%zu median=%.1f ms max=%.1f ms\n", device.c_str(), errors.size(),
                errors[errors.size() / 2] / 1e3, worst / 1e3);
    EXPECT_LT(worst, 50'000) << device;
  }
}

TEST_F(GroundTruthTest, LateEventsLandWhereTheyHappened) {
  // The glasses' offline day is uploaded at the end of the file; once
  // corrected, every transcript must fall inside a true episode of the plan.
  const int64_t late = life_->truth["devices"]["glasses"]["late_events"].get<int64_t>();
  ASSERT_GT(late, 0);
  std::vector<std::pair<int64_t, int64_t>> talk;
  for (const auto& ep : life_->truth["episodes"]) {
    const std::string a = ep["activity"];
    if (a == "conversation" || a.rfind("calendar:", 0) == 0) talk.push_back({ep["start_us"], ep["end_us"]});
  }
  size_t inside = 0, total = 0;
  for (const auto& e : life_->events) {
    if (e.device != "glasses" || e.kind != "audio.transcript") continue;
    ++total;
    for (auto [s, t] : talk) {
      if (e.start_us >= s && e.start_us < t) {
        ++inside;
        break;
      }
    }
  }
  ASSERT_GT(total, 0u);
  EXPECT_EQ(inside, total);
}

struct Match {
  double start_within_1m = 0, end_within_1m = 0, place_accuracy = 0;
  size_t truth_stays = 0;
};

TEST_F(GroundTruthTest, StaysAndPlacesMatchTheTruth) {
  const auto& stays = life_->derived.stays;
  // Each true stay's best detected stay, by overlap.
  std::map<int, std::map<std::string, int64_t>> place_votes;
  std::vector<std::pair<std::string, int>> assigned;
  size_t n = 0, start_ok = 0, end_ok = 0, found = 0;
  const int64_t start = life_->truth["start_us"], end = life_->truth["end_us"];
  for (const auto& ts : life_->truth["stays"]) {
    const int64_t s = ts["start_us"], t = ts["end_us"];
    ++n;
    int64_t best_overlap = 0;
    const Stay* best = nullptr;
    for (const auto& d : stays) {
      const int64_t ov = std::min(t, d.end_us) - std::max(s, d.start_us);
      if (ov > best_overlap) {
        best_overlap = ov;
        best = &d;
      }
    }
    if (!best) {
      std::printf("[ accuracy ] missed stay at %s %lld..%lld\n", ts["place"].get<std::string>().c_str(),
                  static_cast<long long>(s), static_cast<long long>(t));
      continue;
    }
    ++found;
    if (std::getenv("HEARTH_TL_VERBOSE")) {
      std::printf("stay %-12s dur=%6.1f min  start_err=%7.1f s end_err=%7.1f s place=%d\n",
                  ts["place"].get<std::string>().c_str(), (t - s) / 60e6, (best->start_us - s) / 1e6,
                  (best->end_us - t) / 1e6, best->place_id);
    }
    if (std::getenv("HEARTH_TL_FIXES") && std::llabs(best->start_us - s) > 60'000'000 && std::llabs(best->start_us - s) < 400'000'000) {
      for (const auto& e : life_->events) {
        if (e.kind != "gps.fix" || e.start_us < s - 180'000'000 || e.start_us > s + 400'000'000) continue;
        std::printf("   fix t=%+7.1f s d=%6.1f m acc=%.0f\n", (e.start_us - s) / 1e6,
                    DistanceM(best->lat, best->lon, e.geo->lat, e.geo->lon), e.geo->acc_m);
      }
    }
    // The first and last stays are cut by the life's own edges.
    if (s == start || std::llabs(best->start_us - s) <= 60'000'000) ++start_ok;
    if (t == end || std::llabs(best->end_us - t) <= 60'000'000) ++end_ok;
    place_votes[best->place_id][ts["place"]] += best_overlap;
    assigned.push_back({ts["place"], best->place_id});
  }
  std::map<int, std::string> place_name;
  for (const auto& [id, votes] : place_votes) {
    place_name[id] = std::max_element(votes.begin(), votes.end(), [](auto& a, auto& b) { return a.second < b.second; })->first;
  }
  size_t correct = 0;
  for (const auto& [truth_place, id] : assigned) correct += place_name[id] == truth_place;
  std::set<std::string> distinct_truth;
  for (const auto& [id, name] : place_name) distinct_truth.insert(name);
  const double fs = static_cast<double>(start_ok) / n, fe = static_cast<double>(end_ok) / n;
  const double fp = static_cast<double>(correct) / n;
  std::printf("[ accuracy ] stays: truth=%zu detected=%zu found=%zu start<=60s %.1f%% end<=60s %.1f%%\n", n,
              stays.size(), found, 100 * fs, 100 * fe);
  std::printf("[ accuracy ] places: detected=%zu truth=%zu place assignment %.1f%%\n", life_->derived.places.size(),
              life_->truth["places"].size(), 100 * fp);
  EXPECT_GE(static_cast<double>(found) / n, 0.97);
  EXPECT_GE(fs, 0.80);
  EXPECT_GE(fe, 0.90);
  EXPECT_GE(fp, 0.97);
  // Every detected place stands for a different true place.
  EXPECT_EQ(distinct_truth.size(), place_name.size());
}

TEST_F(GroundTruthTest, EpisodeBoundariesMatchThePlan) {
  const auto& eps = life_->derived.episodes;
  std::vector<int64_t> truth, found;
  for (size_t k = 1; k < life_->truth["episodes"].size(); ++k) truth.push_back(life_->truth["episodes"][k]["start_us"]);
  for (size_t k = 1; k < eps.size(); ++k) found.push_back(eps[k].start_us);
  // Greedy one-to-one matching within five minutes.
  const int64_t tol = 5 * 60'000'000LL;
  std::vector<bool> used(found.size(), false);
  size_t tp = 0;
  for (int64_t t : truth) {
    size_t best = found.size();
    for (size_t k = 0; k < found.size(); ++k) {
      if (used[k] || std::llabs(found[k] - t) > tol) continue;
      if (best == found.size() || std::llabs(found[k] - t) < std::llabs(found[best] - t)) best = k;
    }
    if (best < found.size()) {
      used[best] = true;
      ++tp;
    }
  }
  const double precision = found.empty() ? 0 : static_cast<double>(tp) / found.size();
  const double recall = truth.empty() ? 0 : static_cast<double>(tp) / truth.size();
  const double f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0;
  std::printf("[ accuracy ] episodes: truth=%zu detected=%zu boundary precision=%.3f recall=%.3f F1=%.3f (±5 min)\n",
              truth.size() + 1, eps.size(), precision, recall, f1);
  EXPECT_GE(f1, 0.85);
  for (const auto& ep : eps) {
    EXPECT_LT(ep.start_us, ep.end_us);
    EXPECT_LE(ep.summary.size(), kMaxSummaryBytes);
  }
  for (size_t k = 1; k < eps.size(); ++k) EXPECT_EQ(eps[k - 1].end_us, eps[k].start_us) << "gap or overlap at " << k;
}

std::string Serialize(const DemoLife& life) {
  std::string out = life.ground_truth.dump();
  for (const auto& d : life.devices) {
    for (const auto& e : d.events) out += EventToWire(e).dump();
    for (const auto& x : d.exchanges) out += std::to_string(x.t0_us) + std::to_string(x.t3_us);
  }
  return out;
}

TEST(DemoLifeTest, SameSeedSameLifeOtherSeedOtherLife) {
  auto zone = TimeZone::Load("Europe/Berlin");
  if (!zone.ok()) GTEST_SKIP() << zone.status().ToString();
  DemoOptions o;
  o.days = 2;
  o.seed = 7;
  auto a = GenerateDemoLife(o, *zone);
  auto b = GenerateDemoLife(o, *zone);
  o.seed = 8;
  auto c = GenerateDemoLife(o, *zone);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(Serialize(*a), Serialize(*b));
  EXPECT_NE(Serialize(*a), Serialize(*c));
}

TEST(DemoLifeTest, DensityScalesTheDay) {
  auto zone = TimeZone::Load("Europe/Berlin");
  if (!zone.ok()) GTEST_SKIP() << zone.status().ToString();
  auto count = [&](double density) {
    DemoOptions o;
    o.days = 1;
    o.density = density;
    auto life = GenerateDemoLife(o, *zone);
    EXPECT_TRUE(life.ok());
    size_t n = 0;
    for (const auto& d : life->devices) n += d.events.size();
    return n;
  };
  const size_t normal = count(1), dense = count(10);
  std::printf("[ accuracy ] events per day: density 1 -> %zu, density 10 -> %zu\n", normal, dense);
  EXPECT_GT(normal, 1000u);
  EXPECT_LT(normal, 5000u);
  EXPECT_GT(dense, 12000u);
  EXPECT_LT(dense, 30000u);
}

TEST(DemoLifeTest, CommandRefusesBadArguments) {
  const std::string out = ::testing::TempDir() + "/hearth_demo_bad_" + std::to_string(::getpid());
  struct Case { std::string args, message; };
  for (const Case& c : {Case{"--days 0", "--days"}, Case{"--tz Mars/Olympus", "time zone"},
                        Case{"--start 2026-13-45", "--start"}, Case{"--density 1000", "--density"}}) {
    const std::string cmd = std::string(HEARTH_BINARY) + " demo generate --out " + out + " " + c.args + " 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    ASSERT_NE(p, nullptr);
    std::string text;
    char buf[512];
    while (size_t n = std::fread(buf, 1, sizeof buf, p)) text.append(buf, n);
    const int rc = ::pclose(p);
    EXPECT_NE(rc, 0) << c.args;
    EXPECT_NE(text.find(c.message), std::string::npos) << c.args << ": " << text;
    EXPECT_FALSE(std::filesystem::exists(out + "/ground_truth.json")) << "nothing written on error";
  }
}

}  // namespace
}  // namespace hearth::timeline
