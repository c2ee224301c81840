#include "timeline/demo_life.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>

#include "common/paths.h"
#include "timeline/civil_time.h"
#include "timeline/geo.h"

namespace hearth::timeline {

namespace {

// SplitMix64 with our own distributions: std:: distributions differ between
// standard libraries, and the demo life must be identical everywhere.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed * 0x9E3779B97F4A7C15ULL + 0x1234567ULL) {}
  uint64_t Next() {
    uint64_t z = (s_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  double Uniform() { return static_cast<double>(Next() >> 11) * (1.0 / 9007199254740992.0); }
  double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }
  int64_t Int(int64_t lo, int64_t hi) {  // inclusive
    return lo + static_cast<int64_t>(Next() % static_cast<uint64_t>(hi - lo + 1));
  }
  bool Chance(double p) { return Uniform() < p; }
  double Normal() {
    const double u1 = std::max(Uniform(), 1e-12), u2 = Uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2 * kPi * u2);
  }
  template <typename T>
  const T& Pick(const std::vector<T>& v) { return v[static_cast<size_t>(Next() % v.size())]; }

 private:
  uint64_t s_;
};

struct PlaceDef {
  std::string id, name, kind;
  double lat, lon;
  std::string food;  // restaurants
  bool indoor = true;
};

// One block of the plan: a stay with one dominant activity, or travel.
struct Block {
  int64_t start_us = 0, end_us = 0;
  int place = -1;  // index into places; -1 = travel
  std::string activity;
  int from = -1, to = -1;  // travel endpoints
  bool walk = false;
  std::string companion;
};

// Device clock: device time = true time - offset(true time).
struct ClockModel {
  int64_t base_us = 0;
  double drift_ppm = 0;
  int64_t epoch_us = 0;
  std::vector<std::pair<int64_t, int64_t>> steps;  // true time, delta
  int64_t Offset(int64_t true_us) const {
    int64_t off = base_us + static_cast<int64_t>(drift_ppm * 1e-6 * static_cast<double>(true_us - epoch_us));
    for (auto [at, delta] : steps) if (true_us >= at) off += delta;
    return off;
  }
  int64_t DeviceTime(int64_t true_us) const { return true_us - Offset(true_us); }
};

const std::vector<std::string> kContacts = {"Mina", "Jonas", "Aiko", "Lea", "Sam"};
const std::vector<std::string> kTopics = {"Atlas migration", "Q4 roadmap", "hiring plan", "release 2.3"};
const std::vector<std::string> kFunctions = {"DrainQueue", "ParseHeader", "MergeRuns", "FlushWal"};
const std::vector<std::string> kNews = {"Storm expected over the weekend", "City council approves new tram line",
                                        "Local bakery wins national award", "Museum night returns in November",
                                        "Marathon closes roads on Sunday"};
const std::vector<std::string> kWeekdayNames = {"Monday", "Tuesday", "Wednesday", "Thursday",
                                                "Friday", "Saturday", "Sunday"};

std::string Fill(std::string t, const std::map<std::string, std::string>& vars) {
  for (const auto& [k, v] : vars) {
    const std::string key = "{" + k + "}";
    for (size_t p = t.find(key); p != std::string::npos; p = t.find(key, p + v.size())) t.replace(p, key.size(), v);
  }
  return t;
}

class Generator {
 public:
  Generator(const DemoOptions& o, const TimeZone& zone) : o_(o), zone_(zone), rng_(o.seed) {}

  Result<DemoLife> Run() {
    auto start = ParseRfc3339(o_.start_date + "T00:00:00Z");
    if (!start.ok() || o_.start_date.size() != 10) {
      return Status::InvalidArgument("--start: expected a date YYYY-MM-DD, got '" + o_.start_date + "'");
    }
    if (o_.days < 1 || o_.days > 3660) return Status::InvalidArgument("--days must be between 1 and 3660");
    if (!(o_.density >= 0.1 && o_.density <= 50)) return Status::InvalidArgument("--density must be between 0.1 and 50");
    first_day_ = FloorDiv(*start, kMicrosPerDay);
    life_.start_us = DayStart(0);
    life_.end_us = DayStart(o_.days);
    for (int d = 0; d <= o_.days; ++d) day_starts_.push_back(DayStart(d));
    MakePlaces();
    MakeClocks();
    for (int d = 0; d < o_.days; ++d) PlanDay(d);
    MergeBlocks();
    PlanOutage();
    for (const Block& b : blocks_) Render(b);
    RenderHome();
    RenderExchanges();
    Finish();
    return std::move(life_);
  }

 private:
  int64_t DayStart(int d) const { return zone_.LocalToUtc((first_day_ + d) * kSecondsPerDay) * kMicrosPerSecond; }
  int64_t LocalClock(int d, double hours) const {
    return zone_.LocalToUtc((first_day_ + d) * kSecondsPerDay + static_cast<int64_t>(hours * 3600)) * kMicrosPerSecond;
  }

  // ---- places ----------------------------------------------------------
  void MakePlaces() {
    const double lat0 = 52.5200, lon0 = 13.4050;
    auto place_near = [&](double lat, double lon, double min_m, double max_m, PlaceDef p) {
      for (int attempt = 0;; ++attempt) {
        const double r = rng_.Uniform(min_m, max_m), a = rng_.Uniform(0, 2 * kPi);
        OffsetM(lat, lon, r * std::cos(a), r * std::sin(a), &p.lat, &p.lon);
        bool clear = true;
        for (const auto& q : places_) clear = clear && DistanceM(p.lat, p.lon, q.lat, q.lon) > 350;
        if (clear || attempt > 200) break;
      }
      places_.push_back(p);
      return static_cast<int>(places_.size() - 1);
    };
    home_ = place_near(lat0, lon0, 500, 3000, {"home", "Home", "home", 0, 0, "", true});
    work_ = place_near(places_[home_].lat, places_[home_].lon, 4000, 7000, {"work", "Office", "work", 0, 0, "", true});
    const double wl = places_[work_].lat, wn = places_[work_].lon;
    const double hl = places_[home_].lat, hn = places_[home_].lon;
    work_food_.push_back(place_near(wl, wn, 400, 800, {"ramen", "Ramen Ichiban", "restaurant", 0, 0, "ramen", true}));
    work_food_.push_back(place_near(wl, wn, 400, 800, {"trattoria", "Trattoria Sole", "restaurant", 0, 0, "pizza", true}));
    work_food_.push_back(place_near(wl, wn, 400, 800, {"pho", "Pho Saigon", "restaurant", 0, 0, "pho", true}));
    home_food_.push_back(place_near(hl, hn, 500, 1200, {"sushi", "Sushi Kaito", "restaurant", 0, 0, "sushi", true}));
    home_food_.push_back(place_near(hl, hn, 500, 1200, {"curry", "Curry Haus", "restaurant", 0, 0, "curry", true}));
    shop_ = place_near(hl, hn, 400, 900, {"supermarket", "Supermarket", "shop", 0, 0, "", true});
    park_ = place_near(hl, hn, 800, 1400, {"park", "Volkspark", "park", 0, 0, "", false});
    gym_ = place_near(hl, hn, 600, 1400, {"gym", "Gym", "gym", 0, 0, "", true});
    friend_ = place_near(hl, hn, 2500, 4000, {"mina_home", "Mina's flat", "friend", 0, 0, "", true});
  }

  // ---- clocks ----------------------------------------------------------
  void MakeClocks() {
    const int64_t epoch = life_.start_us;
    names_ = {"phone", "laptop", "glasses", "hub"};
    clocks_["phone"] = {static_cast<int64_t>(rng_.Uniform(-0.4, 0.4) * 1e6), rng_.Uniform(-3, 3), epoch, {}};
    clocks_["laptop"] = {static_cast<int64_t>(rng_.Uniform(-6, -2) * 1e6), rng_.Uniform(8, 15), epoch, {}};
    clocks_["glasses"] = {static_cast<int64_t>(rng_.Uniform(60, 120) * 1e6), rng_.Uniform(-40, -20), epoch, {}};
    clocks_["hub"] = {static_cast<int64_t>(rng_.Uniform(-45, -20) * 1e6), rng_.Uniform(20, 50), epoch, {}};
    if (o_.days >= 2) {
      // The glasses reboot on the second morning and come up 40 s ahead
      // (a forward jump: raw times stay unique). They exchange right away.
      glasses_step_us_ = LocalClock(1, 6.5) + 67 * kMicrosPerSecond;
      clocks_["glasses"].steps.push_back({glasses_step_us_, -40 * kMicrosPerSecond});
    }
    if (o_.days >= 4) {
      // The glasses are offline on the third day; that day's events upload late.
      glasses_offline_ = {DayStart(2), DayStart(3)};
    }
  }

  // ---- planning ----------------------------------------------------------
  void StayUntil(int place, int64_t until_us, const std::string& activity, const std::string& companion = "") {
    if (until_us <= cursor_) return;
    Block b;
    b.start_us = cursor_;
    b.end_us = until_us;
    b.place = place;
    b.activity = activity;
    b.companion = companion;
    blocks_.push_back(b);
    cursor_ = until_us;
    at_ = place;
  }
  void StayFor(int place, double minutes, const std::string& activity, const std::string& companion = "") {
    StayUntil(place, cursor_ + static_cast<int64_t>(minutes * 60e6), activity, companion);
  }
  void Go(int dest) {
    const PlaceDef& a = places_[at_];
    const PlaceDef& b = places_[dest];
    const double dist = DistanceM(a.lat, a.lon, b.lat, b.lon);
    Block t;
    t.walk = dist < 1500;
    const double path = t.walk ? dist * 1.2 : dist * 1.35;
    const double secs = t.walk ? path / 1.35 : path / 7.5 + 180;
    t.start_us = cursor_;
    t.end_us = cursor_ + static_cast<int64_t>(secs * 1e6);
    t.activity = "travel";
    t.from = at_;
    t.to = dest;
    blocks_.push_back(t);
    cursor_ = t.end_us;
    at_ = dest;
  }
  double Jitter(double minutes) { return rng_.Uniform(-minutes, minutes) / 60.0; }

  void PlanDay(int d) {
    cursor_ = DayStart(d);
    at_ = home_;
    const int wd = WeekdayFromDays(first_day_ + d);
    const std::string companion = rng_.Pick(kContacts);
    if (wd < 5) {
      StayUntil(home_, LocalClock(d, 6.75 + Jitter(15)), "idle");
      StayFor(home_, rng_.Uniform(35, 50), "app:News");
      Go(work_);
      StayUntil(work_, LocalClock(d, 10.0 + Jitter(5)), "app:IDE");
      if (wd % 2 == 0) StayFor(work_, 45, "calendar:" + rng_.Pick(kTopics) + " sync");
      else StayFor(work_, rng_.Uniform(30, 45), "app:Mail");
      StayUntil(work_, LocalClock(d, 12.2 + Jitter(10)), "app:IDE");
      const int lunch = work_food_[static_cast<size_t>(rng_.Int(0, 2))];
      Go(lunch);
      StayFor(lunch, rng_.Uniform(40, 55), "conversation", companion);
      Go(work_);
      StayUntil(work_, LocalClock(d, 15.0 + Jitter(10)), "app:Docs");
      if (wd % 2 == 1) StayFor(work_, 30, "calendar:1:1 with Jonas");
      const bool dinner_out = wd == 3;
      StayUntil(work_, LocalClock(d, (dinner_out ? 18.2 : 17.5) + Jitter(20)), "app:IDE");
      if (dinner_out) {
        const int place = home_food_[static_cast<size_t>(rng_.Int(0, 1))];
        Go(place);
        StayFor(place, rng_.Uniform(70, 95), "conversation", "Mina");
        Go(home_);
      } else if (wd == 1) {
        Go(gym_);
        StayFor(gym_, rng_.Uniform(50, 70), "idle");
        Go(home_);
      } else if (wd == 4) {
        Go(shop_);
        StayFor(shop_, rng_.Uniform(18, 28), "app:Notes");
        Go(home_);
      } else {
        Go(home_);
      }
    } else {
      StayUntil(home_, LocalClock(d, 9.0 + Jitter(30)), "idle");
      StayFor(home_, rng_.Uniform(45, 75), "app:News");
      if (wd == 5) {
        Go(park_);
        StayFor(park_, rng_.Uniform(60, 90), "idle");
        const int lunch = home_food_[static_cast<size_t>(rng_.Int(0, 1))];
        Go(lunch);
        StayFor(lunch, rng_.Uniform(60, 80), "conversation", companion);
        Go(shop_);
        StayFor(shop_, rng_.Uniform(18, 28), "app:Notes");
        Go(home_);
      } else {
        StayFor(home_, rng_.Uniform(60, 90), "app:Browser");
        Go(friend_);
        StayFor(friend_, rng_.Uniform(120, 170), "conversation", "Mina");
        Go(home_);
      }
    }
    // Evening at home; every block only if it ends well before midnight, so
    // the night's idle stretch is always a long gap.
    const int64_t latest = LocalClock(d, 22.75);
    auto evening = [&](double minutes, const std::string& activity, const std::string& who = "") {
      if (cursor_ + static_cast<int64_t>(minutes * 60e6) <= latest) StayFor(home_, minutes, activity, who);
    };
    evening(rng_.Uniform(20, 40), "idle");
    const std::string& chat_with = rng_.Pick(kContacts);
    evening(rng_.Uniform(35, 50), "conversation", chat_with);
    evening(rng_.Uniform(60, 100), "app:Video");
    evening(rng_.Uniform(30, 50), "app:Browser");
    StayUntil(home_, DayStart(d + 1), "idle");
  }

  // Adjacent blocks at the same place with the same activity are one episode.
  void MergeBlocks() {
    std::vector<Block> merged;
    for (auto& b : blocks_) {
      if (!merged.empty() && merged.back().place == b.place && b.place >= 0 && merged.back().activity == b.activity &&
          DayOf(merged.back().start_us) == DayOf(b.start_us)) {
        merged.back().end_us = b.end_us;
        continue;
      }
      merged.push_back(b);
    }
    blocks_ = std::move(merged);
  }
  int DayOf(int64_t t) const {
    auto it = std::upper_bound(day_starts_.begin(), day_starts_.end(), t);
    return static_cast<int>(it - day_starts_.begin()) - 1;
  }

  // ---- rendering ---------------------------------------------------------
  TimelineEvent& Emit(const std::string& device, const std::string& layer, const std::string& kind, int64_t true_us,
                      std::optional<int64_t> true_end_us = std::nullopt) {
    const ClockModel& c = clocks_[device];
    TimelineEvent e;
    e.device = device;
    e.client_id = device.substr(0, 1) + std::to_string(++seq_[device]);
    e.layer = layer;
    e.kind = kind;
    e.raw_start_us = e.start_us = c.DeviceTime(true_us);
    if (true_end_us) e.end_us = *true_end_us - (true_us - e.start_us);  // same offset as the start
    e.utc_offset_s = device == "hub" ? 0 : zone_.OffsetAt(FloorDiv(true_us, kMicrosPerSecond));
    const bool late = device == "glasses" && true_us >= glasses_offline_.first && true_us < glasses_offline_.second;
    auto& list = late ? late_glasses_ : out_[device];
    list.push_back(std::move(e));
    return list.back();
  }

  void Fix(int64_t t, double lat, double lon, double acc) {
    if (t >= phone_dead_.first && t < phone_dead_.second) return;
    const double sigma = acc * 0.5;
    double la, lo;
    const double north = rng_.Normal() * sigma, east = rng_.Normal() * sigma;
    OffsetM(lat, lon, north, east, &la, &lo);
    if (rng_.Chance(0.01)) {  // multipath: a confident fix far away
      const double r = rng_.Uniform(500, 3000), a = rng_.Uniform(0, 2 * kPi);
      OffsetM(lat, lon, r * std::cos(a), r * std::sin(a), &la, &lo);
      acc = rng_.Uniform(15, 40);
    }
    TimelineEvent& e = Emit("phone", "environmental", "gps.fix", t);
    e.geo = Geo{std::round(la * 1e6) / 1e6, std::round(lo * 1e6) / 1e6, std::round(acc)};
  }

  void RenderGpsStay(const Block& b) {
    const PlaceDef& p = places_[b.place];
    const bool night = b.activity == "idle" && b.place == home_;
    const double step_s = (night ? 300.0 : 60.0) / o_.density;
    // Indoors, fixes drop out now and then: a gap inside the stay.
    int64_t gap_from = 0, gap_to = 0;
    const int64_t len = b.end_us - b.start_us;
    if (len > 150 * kMicrosPerMinute && rng_.Chance(0.7)) {
      gap_from = b.start_us + static_cast<int64_t>(rng_.Uniform(0.3, 0.6) * static_cast<double>(len));
      gap_to = gap_from + static_cast<int64_t>(rng_.Uniform(night ? 60 : 15, night ? 180 : 40) * 60e6);
    }
    for (int64_t t = b.start_us; t < b.end_us; t += static_cast<int64_t>(step_s * 1e6 * rng_.Uniform(0.8, 1.2))) {
      if (t >= gap_from && t < gap_to) continue;
      const double acc = p.indoor ? rng_.Uniform(15, 45) : rng_.Uniform(5, 15);
      Fix(t, p.lat, p.lon, acc);
    }
  }

  void RenderGpsTravel(const Block& b) {
    const PlaceDef& a = places_[b.from];
    const PlaceDef& z = places_[b.to];
    // Walks go straight; rides go along two legs (an L through the corner).
    std::vector<std::pair<double, double>> pts = {{a.lat, a.lon}};
    if (!b.walk) pts.push_back({a.lat, z.lon});
    pts.push_back({z.lat, z.lon});
    std::vector<double> cum = {0};
    for (size_t k = 1; k < pts.size(); ++k) {
      cum.push_back(cum.back() + DistanceM(pts[k - 1].first, pts[k - 1].second, pts[k].first, pts[k].second));
    }
    const double step_s = 15.0 / std::min(o_.density, 3.0);
    for (int64_t t = b.start_us; t < b.end_us; t += static_cast<int64_t>(step_s * 1e6)) {
      const double f = static_cast<double>(t - b.start_us) / static_cast<double>(b.end_us - b.start_us);
      const double s = f * cum.back();
      size_t k = 1;
      while (k + 1 < cum.size() && cum[k] < s) ++k;
      const double g = cum[k] > cum[k - 1] ? (s - cum[k - 1]) / (cum[k] - cum[k - 1]) : 0;
      Fix(t, pts[k - 1].first + g * (pts[k].first - pts[k - 1].first),
          pts[k - 1].second + g * (pts[k].second - pts[k - 1].second), rng_.Uniform(5, 15));
    }
  }

  // App focus spans of `app` on `device`, with short interruptions by others.
  void RenderFocus(const Block& b, const std::string& device, const std::string& app) {
    static const std::vector<std::string> kOthers = {"Chat", "Mail", "Calendar", "Music"};
    int64_t t = b.start_us + static_cast<int64_t>(rng_.Uniform(0, 40) * 1e6);
    while (t < b.end_us - 30 * kMicrosPerSecond) {
      const int64_t main_len = static_cast<int64_t>(rng_.Uniform(4, 22) * 60e6);
      const int64_t main_end = std::min(b.end_us - static_cast<int64_t>(rng_.Uniform(5, 30) * 1e6), t + main_len);
      if (main_end <= t) break;
      TimelineEvent& e = Emit(device, "behavioral", "app.focus", t, main_end);
      e.data = {{"app", app}};
      e.text = app;
      t = main_end;
      if (t >= b.end_us - 3 * kMicrosPerMinute) break;
      const std::string& other = rng_.Pick(kOthers);
      if (other == app) continue;
      const int64_t blip_end = t + static_cast<int64_t>(rng_.Uniform(20, 150) * 1e6);
      TimelineEvent& blip = Emit(device, "behavioral", "app.focus", t, blip_end);
      blip.data = {{"app", other}};
      blip.text = other;
      t = blip_end;
    }
  }

  std::map<std::string, std::string> Vars(const Block& b) {
    const PlaceDef* p = b.place >= 0 ? &places_[b.place] : nullptr;
    return {{"c", b.companion.empty() ? rng_.Pick(kContacts) : b.companion},
            {"f", p && !p->food.empty() ? p->food : "ramen"},
            {"r", p ? p->name : "the station"},
            {"t", rng_.Pick(kTopics)},
            {"fn", rng_.Pick(kFunctions)},
            {"wd", rng_.Pick(kWeekdayNames)}};
  }

  void Talk(const Block& b, const std::vector<std::string>& lines, double every_s) {
    for (int64_t t = b.start_us + static_cast<int64_t>(rng_.Uniform(10, 60) * 1e6); t < b.end_us - 20 * kMicrosPerSecond;
         t += static_cast<int64_t>(every_s * rng_.Uniform(0.6, 1.4) * 1e6)) {
      const int64_t end = std::min(b.end_us, t + static_cast<int64_t>(rng_.Uniform(10, 40) * 1e6));
      TimelineEvent& e = Emit("glasses", "auditory", "audio.transcript", t, end);
      const std::string& line = rng_.Pick(lines);  // sequenced: argument order is unspecified
      e.text = Fill(line, Vars(b));
      e.data = {{"speakers", 2}, {"lang", "en"}};
    }
  }

  void ScreenText(const Block& b, const std::string& device, const std::vector<std::string>& lines, double every_s) {
    const double step = every_s / o_.density;
    for (int64_t t = b.start_us + static_cast<int64_t>(rng_.Uniform(30, 90) * 1e6); t < b.end_us;
         t += static_cast<int64_t>(step * rng_.Uniform(0.7, 1.3) * 1e6)) {
      TimelineEvent& e = Emit(device, "visual", "screen.text", t);
      const std::string& line = rng_.Pick(lines);  // sequenced: argument order is unspecified
      e.text = Fill(line, Vars(b));
    }
  }

  void Browse(const Block& b, const std::string& device, const std::vector<std::string>& titles, double every_s) {
    for (int64_t t = b.start_us + static_cast<int64_t>(rng_.Uniform(20, 120) * 1e6); t < b.end_us;
         t += static_cast<int64_t>(every_s * rng_.Uniform(0.6, 1.4) * 1e6)) {
      const std::string& pattern = rng_.Pick(titles);
      const std::string title = Fill(pattern, Vars(b));
      TimelineEvent& e = Emit(device, "behavioral", "browser.visit", t);
      e.text = title;
      std::string slug;
      for (char c : title) slug += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '-';
      e.data = {{"url", "https://news.example/" + slug.substr(0, 40)}, {"title", title}};
    }
  }

  void Chat(const Block& b, double every_s) {
    static const std::vector<std::string> kLines = {
        "{c}: are we still on for {f} on {wd}?", "me: yes! 19:00 at {r}?", "{c}: running 10 min late, sorry",
        "{c}: did you see the photos from the park?", "me: the {t} finally shipped", "{c}: haha nice",
        "me: can you send me the address again?", "{c}: sure, it's the place with the blue door",
        "{c}: Mina says hi", "me: let's try the new ramen place next week"};
    const std::string with = b.companion.empty() ? rng_.Pick(kContacts) : b.companion;
    for (int64_t t = b.start_us + static_cast<int64_t>(rng_.Uniform(10, 60) * 1e6); t < b.end_us - 20 * kMicrosPerSecond;
         t += static_cast<int64_t>(every_s * rng_.Uniform(0.5, 1.5) * 1e6)) {
      TimelineEvent& e = Emit("phone", "text", "chat.message", t);
      const std::string& line = rng_.Pick(kLines);
      e.text = Fill(line, Vars(b));
      const bool outgoing = e.text.rfind("me:", 0) == 0;
      e.data = {{"chat", with}, {"from", outgoing ? "me" : with}, {"app", "Signal"}};
    }
  }

  void Photo(int64_t t, const PlaceDef& p) {
    TimelineEvent& e = Emit("phone", "visual", "photo", t);
    double la, lo;
    const double north = rng_.Normal() * 10, east = rng_.Normal() * 10;
    OffsetM(p.lat, p.lon, north, east, &la, &lo);
    e.geo = Geo{std::round(la * 1e6) / 1e6, std::round(lo * 1e6) / 1e6, 10};
    e.data = {{"camera", "phone"}, {"width", 4032}, {"height", 3024}, {"place_hint", p.kind}};
    e.blobs = {"demo-photo-" + std::to_string(seq_["phone"])};
  }

  void Render(const Block& b) {
    // Ground truth.
    nlohmann::json ep = {{"start_us", b.start_us}, {"end_us", b.end_us}, {"activity", b.activity},
                         {"place", b.place >= 0 ? nlohmann::json(places_[b.place].id) : nlohmann::json(nullptr)}};
    truth_episodes_.push_back(ep);
    if (b.place < 0) {
      RenderGpsTravel(b);
      if (!b.walk) {
        TimelineEvent& e = Emit("phone", "behavioral", "app.focus", b.start_us + 60 * kMicrosPerSecond,
                                b.end_us - 60 * kMicrosPerSecond);
        e.data = {{"app", "Music"}};
        e.text = "Music";
      }
      return;
    }
    if (!truth_stays_.empty() && truth_stays_.back()["place"] == places_[b.place].id &&
        truth_stays_.back()["end_us"] == b.start_us) {
      truth_stays_.back()["end_us"] = b.end_us;
    } else {
      truth_stays_.push_back({{"place", places_[b.place].id}, {"start_us", b.start_us}, {"end_us", b.end_us}});
    }
    RenderGpsStay(b);
    const PlaceDef& p = places_[b.place];
    const std::string& a = b.activity;
    if (a == "app:IDE") {
      RenderFocus(b, "laptop", "IDE");
      ScreenText(b, "laptop", {"scheduler.cpp: {fn} returns early when the queue is empty",
                               "build failed: undefined reference to {fn}", "test {fn}Test passed",
                               "code review: {c} asked to rename {fn}"}, 180);
    } else if (a == "app:Docs" || a == "app:Mail") {
      RenderFocus(b, "laptop", a.substr(4));
      ScreenText(b, "laptop", a == "app:Docs" ? std::vector<std::string>{"Design doc: {t}, open questions",
                                                                          "Notes on {t}: risks and milestones"}
                                              : std::vector<std::string>{"Re: {t} status", "Invoice October",
                                                                         "Your parcel is on its way"}, 180);
    } else if (a.rfind("calendar:", 0) == 0) {
      TimelineEvent& e = Emit("laptop", "text", "calendar.event", b.start_us, b.end_us);
      e.text = a.substr(9);
      e.data = {{"title", a.substr(9)}, {"attendees", {"Jonas", "Aiko", "Lea"}}, {"room", "Blue room"}};
      Talk(b, {"let's move the {t} review to Thursday", "the {t} is blocked on the database schema",
               "{c} will own the {t} follow-up", "any objections to shipping on {wd}?"}, 90);
    } else if (a == "conversation" && b.place == home_) {
      Chat(b, 70);
    } else if (a == "conversation") {
      Talk(b, {"we've been here before, it was mediocre", "the {f} at {r} is better than last time",
               "{c} says the new project starts in January", "should we share the {f}?",
               "{c} recommended {r} last week", "how is the apartment search going, {c}?",
               "I paid with the card, you get the next one"}, 75);
      TimelineEvent& menu = Emit("glasses", "visual", "scene.text", b.start_us + 4 * kMicrosPerMinute);
      menu.text = Fill("Menu: {f} 12.50, gyoza 6.00, matcha 4.00", Vars(b));
      Photo(b.start_us + static_cast<int64_t>(rng_.Uniform(5, 20) * 60e6), p);
      if (p.kind == "restaurant") {
        // Searched ten minutes before arriving.
        TimelineEvent& q = Emit("phone", "behavioral", "browser.visit", b.start_us - 10 * kMicrosPerMinute);
        q.text = p.food + " restaurant nearby";
        q.data = {{"url", "https://maps.example/search?q=" + p.food}, {"title", q.text}};
      }
    } else if (a == "app:News") {
      RenderFocus(b, "phone", "News");
      Browse(b, "phone", kNews, 240);
    } else if (a == "app:Browser") {
      RenderFocus(b, "laptop", "Browser");
      Browse(b, "laptop", {"Recipe: miso ramen at home", "Train tickets to Hamburg", "Reviews: {r}",
                           "Weather this weekend"}, 150);
    } else if (a == "app:Video") {
      RenderFocus(b, "phone", "Video");
    } else if (a == "app:Notes") {
      RenderFocus(b, "phone", "Notes");
      ScreenText(b, "phone", {"Shopping list: milk, eggs, rice, miso paste, tofu"}, 240);
    } else if (a == "idle" && b.place == park_) {
      for (int k = 0; k < 4; ++k) Photo(b.start_us + static_cast<int64_t>(rng_.Uniform(0.1, 0.9) * static_cast<double>(b.end_us - b.start_us)), p);
    }
  }

  void RenderHome() {
    // Temperature every 10 minutes in three rooms; lights and door follow the plan.
    const double step = 600.0 / o_.density;
    static const std::vector<std::string> kRooms = {"living room", "bedroom", "kitchen"};
    for (int64_t t = life_.start_us; t < life_.end_us; t += static_cast<int64_t>(step * 1e6)) {
      for (size_t r = 0; r < kRooms.size(); ++r) {
        TimelineEvent& e = Emit("hub", "residential", "home.state", t + static_cast<int64_t>(r) * kMicrosPerSecond);
        const double hour = static_cast<double>(FloorDiv(zone_.UtcToLocal(FloorDiv(t, kMicrosPerSecond)), 60) % 1440) / 60.0;
        const double temp = 19.5 + 1.5 * std::sin((hour - 9) / 24 * 2 * kPi) + rng_.Normal() * 0.2 + (r == 2 ? 0.5 : 0);
        e.data = {{"sensor", "temperature"}, {"room", kRooms[r]}, {"value", std::round(temp * 10) / 10}, {"unit", "C"}};
      }
    }
    for (size_t k = 0; k < blocks_.size(); ++k) {
      const Block& b = blocks_[k];
      if (b.place >= 0) continue;
      if (b.from == home_) {
        Door(b.start_us - 30 * kMicrosPerSecond, "lights", "off");
        Door(b.start_us - 20 * kMicrosPerSecond, "door", "open");
      }
      if (b.to == home_) {
        Door(b.end_us + 10 * kMicrosPerSecond, "door", "open");
        Door(b.end_us + 40 * kMicrosPerSecond, "lights", "on");
      }
    }
  }
  void Door(int64_t t, const std::string& sensor, const std::string& value) {
    TimelineEvent& e = Emit("hub", "residential", "home.state", t);
    e.data = {{"sensor", sensor}, {"room", sensor == "door" ? "hall" : "living room"}, {"value", value}};
  }

  void RenderExchanges() {
    for (const auto& name : names_) {
      const ClockModel& c = clocks_[name];
      DemoDevice dev;
      dev.name = name;
      std::vector<int64_t> at;
      for (int64_t t = life_.start_us + rng_.Int(0, 600) * kMicrosPerSecond; t < life_.end_us;
           t += static_cast<int64_t>(rng_.Uniform(50, 70) * 60e6)) {
        at.push_back(t);
      }
      if (name == "glasses" && glasses_step_us_ > 0) at.push_back(glasses_step_us_ + 3 * kMicrosPerSecond);
      std::sort(at.begin(), at.end());
      for (int64_t t : at) {
        if (name == "glasses" && t >= glasses_offline_.first && t < glasses_offline_.second) continue;
        // Asymmetric network: each leg 3-40 ms, with an occasional slow one.
        int64_t up = static_cast<int64_t>(rng_.Uniform(3, 40) * 1000);
        if (rng_.Chance(0.05)) up += 400'000;
        const int64_t down = static_cast<int64_t>(rng_.Uniform(3, 40) * 1000);
        ClockExchange x;
        x.t0_us = c.DeviceTime(t);
        x.t1_us = t + up;
        x.t2_us = x.t1_us + 800;
        x.t3_us = c.DeviceTime(x.t2_us + down);
        dev.exchanges.push_back(x);
      }
      dev.events = std::move(out_[name]);
      if (name == "glasses") {
        late_count_ = late_glasses_.size();
        for (auto& e : late_glasses_) dev.events.push_back(std::move(e));
      }
      life_.devices.push_back(std::move(dev));
    }
  }

  void Finish() {
    nlohmann::json places = nlohmann::json::array();
    for (const auto& p : places_) {
      places.push_back({{"id", p.id}, {"name", p.name}, {"kind", p.kind}, {"lat", p.lat}, {"lon", p.lon}});
    }
    nlohmann::json devices = nlohmann::json::object();
    for (const auto& name : names_) {
      const ClockModel& c = clocks_[name];
      nlohmann::json steps = nlohmann::json::array();
      for (auto [at, delta] : c.steps) steps.push_back({{"at_us", at}, {"delta_us", delta}});
      nlohmann::json checks = nlohmann::json::array();
      for (int64_t t = life_.start_us; t < life_.end_us; t += 15 * kMicrosPerMinute) {
        checks.push_back({c.DeviceTime(t), t});
      }
      devices[name] = {{"clock", {{"base_offset_us", c.base_us}, {"drift_ppm", c.drift_ppm}, {"steps", steps}}},
                       {"checks_raw_true_us", checks}};
    }
    devices["glasses"]["late_events"] = late_count_;
    devices["phone"]["gps_outage"] = {{"start_us", phone_dead_.first}, {"end_us", phone_dead_.second}};
    life_.ground_truth = {{"seed", o_.seed},        {"days", o_.days},
                          {"start", o_.start_date}, {"zone", zone_.name()},
                          {"density", o_.density},  {"start_us", life_.start_us},
                          {"end_us", life_.end_us}, {"places", places},
                          {"stays", truth_stays_},  {"episodes", truth_episodes_},
                          {"devices", devices}};
  }

  // The phone's battery dies as it leaves work on the fourth day and is back
  // a quarter of an hour after the next arrival: a gap with a move in it.
  void PlanOutage() {
    if (o_.days < 4) return;
    for (const Block& b : blocks_) {
      if (b.place < 0 && b.from == work_ && b.to != work_ && b.start_us >= LocalClock(3, 16) && b.start_us < DayStart(4)) {
        phone_dead_ = {b.start_us, b.end_us + 15 * kMicrosPerMinute};
        return;
      }
    }
  }

  const DemoOptions& o_;
  const TimeZone& zone_;
  Rng rng_;
  DemoLife life_;
  int64_t first_day_ = 0;
  std::vector<int64_t> day_starts_;  // local midnights, UTC
  std::vector<PlaceDef> places_;
  int home_ = 0, work_ = 0, shop_ = 0, park_ = 0, gym_ = 0, friend_ = 0;
  std::vector<int> work_food_, home_food_;
  std::vector<std::string> names_;
  std::map<std::string, ClockModel> clocks_;
  int64_t glasses_step_us_ = 0;
  std::pair<int64_t, int64_t> glasses_offline_ = {0, 0};
  std::pair<int64_t, int64_t> phone_dead_ = {0, 0};
  int64_t cursor_ = 0;
  int at_ = 0;
  std::vector<Block> blocks_;
  std::map<std::string, std::vector<TimelineEvent>> out_;
  std::vector<TimelineEvent> late_glasses_;
  size_t late_count_ = 0;
  std::map<std::string, int64_t> seq_;
  nlohmann::json truth_stays_ = nlohmann::json::array();
  nlohmann::json truth_episodes_ = nlohmann::json::array();
};

}  // namespace

Result<DemoLife> GenerateDemoLife(const DemoOptions& options, const TimeZone& zone) {
  Generator g(options, zone);
  return g.Run();
}

Status WriteDemoLife(const DemoLife& life, const std::string& dir) {
  HEARTH_RETURN_IF_ERROR(EnsureDirectory(dir));
  for (const auto& dev : life.devices) {
    std::string events;
    for (const auto& e : dev.events) {
      events += EventToWire(e).dump();
      events += '\n';
    }
    HEARTH_RETURN_IF_ERROR(WriteFileAtomic(dir + "/" + dev.name + ".ndjson", events));
    std::string clock;
    for (const auto& x : dev.exchanges) {
      clock += nlohmann::json{{"t0", x.t0_us}, {"t1", x.t1_us}, {"t2", x.t2_us}, {"t3", x.t3_us}}.dump();
      clock += '\n';
    }
    HEARTH_RETURN_IF_ERROR(WriteFileAtomic(dir + "/" + dev.name + ".clock.ndjson", clock));
  }
  return WriteFileAtomic(dir + "/ground_truth.json", life.ground_truth.dump(1) + "\n");
}

}  // namespace hearth::timeline
