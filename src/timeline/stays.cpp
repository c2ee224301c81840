#include "timeline/stays.h"

#include <algorithm>
#include <cmath>

#include "timeline/geo.h"

namespace hearth::timeline {

std::vector<GpsFix> FixesFromEvents(const std::vector<TimelineEvent>& events) {
  std::vector<GpsFix> fixes;
  for (const auto& e : events) {
    if (e.kind == "gps.fix" && e.geo) fixes.push_back({e.start_us, e.geo->lat, e.geo->lon, e.geo->acc_m});
  }
  std::sort(fixes.begin(), fixes.end(), [](const GpsFix& a, const GpsFix& b) { return a.t_us < b.t_us; });
  return fixes;
}

namespace {

double Dist(const GpsFix& a, const GpsFix& b) { return DistanceM(a.lat, a.lon, b.lat, b.lon); }

// Accuracy weight. Reported accuracies under ~20 m are optimistic in
// practice; flooring them keeps a few crisp fixes from a passing walk from
// outweighing hundreds of indoor fixes.
double Weight(const GpsFix& f) {
  const double acc = std::max(f.acc_m, 20.0);
  return 1.0 / (acc * acc);
}

// Coordinate-wise median of the member fixes: a centre that approach and
// departure fixes cannot drag.
GpsFix MedianCentre(const std::vector<GpsFix>& pts, const std::vector<size_t>& members) {
  std::vector<double> lat, lon;
  lat.reserve(members.size());
  lon.reserve(members.size());
  for (size_t m : members) {
    lat.push_back(pts[m].lat);
    lon.push_back(pts[m].lon);
  }
  const auto mid = static_cast<std::ptrdiff_t>(members.size() / 2);
  std::nth_element(lat.begin(), lat.begin() + mid, lat.end());
  std::nth_element(lon.begin(), lon.begin() + mid, lon.end());
  return GpsFix{0, lat[static_cast<size_t>(mid)], lon[static_cast<size_t>(mid)], 0};
}

// Drops lone spikes: a fix that is far from both neighbours, reached at an
// impossible speed, while the neighbours are close to each other.
std::vector<GpsFix> DropJumps(const std::vector<GpsFix>& in, const StayOptions& o) {
  std::vector<GpsFix> out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (!out.empty() && i + 1 < in.size()) {
      const GpsFix& prev = out.back();
      const GpsFix& cur = in[i];
      const GpsFix& next = in[i + 1];
      const double d_in = Dist(prev, cur), d_out = Dist(cur, next), d_skip = Dist(prev, next);
      const double dt_in = std::max(1.0, (cur.t_us - prev.t_us) / 1e6);
      const double dt_out = std::max(1.0, (next.t_us - cur.t_us) / 1e6);
      const bool spike = d_in > 2 * o.radius_m && d_out > 2 * o.radius_m &&
                         d_skip < 0.5 * std::min(d_in, d_out);
      const bool too_fast = d_in / dt_in > o.max_speed_mps && d_out / dt_out > o.max_speed_mps;
      // Out and back within the miss window without a track in between is
      // not a trip either, whatever the sampling rate.
      const bool brief = next.t_us - prev.t_us <= 2 * o.miss_window_us;
      if (spike && (too_fast || brief)) continue;
    }
    out.push_back(in[i]);
  }
  return out;
}

struct Accumulator {
  double w = 0, lat = 0, lon = 0;
  void Add(const GpsFix& f) {
    const double fw = Weight(f);
    w += fw;
    lat += fw * f.lat;
    lon += fw * f.lon;
  }
  GpsFix Centre() const { return GpsFix{0, lat / w, lon / w, 0}; }
};

}  // namespace

std::vector<Stay> DetectStays(std::vector<GpsFix> fixes, const StayOptions& o) {
  std::vector<GpsFix> sorted;
  sorted.reserve(fixes.size());
  for (const auto& f : fixes) {
    if (f.acc_m <= o.max_accuracy_m && std::isfinite(f.lat) && std::isfinite(f.lon)) sorted.push_back(f);
  }
  std::stable_sort(sorted.begin(), sorted.end(), [](const GpsFix& a, const GpsFix& b) { return a.t_us < b.t_us; });
  const std::vector<GpsFix> pts = DropJumps(sorted, o);
  const size_t n = pts.size();

  std::vector<Stay> stays;
  std::vector<size_t> members;
  size_t prev_last = 0;  // last member fix of stays.back()
  size_t i = 0;
  while (i < n) {
    Accumulator acc;
    acc.Add(pts[i]);
    members.assign(1, i);
    size_t j = i + 1;
    int misses = 0;
    int64_t first_miss_us = 0;
    for (; j < n; ++j) {
      const GpsFix& last = pts[members.back()];
      const double d = Dist(acc.Centre(), pts[j]);
      // A fix counts as inside when its error disc reaches the stay disc.
      const bool inside = d <= o.radius_m + std::min(pts[j].acc_m, o.radius_m) * 0.5;
      if (inside) {
        if (pts[j].t_us - last.t_us > o.max_gap_us) break;
        acc.Add(pts[j]);
        members.push_back(j);
        misses = 0;
        continue;
      }
      // Misses are judged from the first one, not from the last member:
      // after a silence, one stray fix must not end the stay.
      if (misses++ == 0) first_miss_us = pts[j].t_us;
      if (misses > o.max_misses || pts[j].t_us - first_miss_us > o.miss_window_us) break;
    }
    if (pts[members.back()].t_us - pts[i].t_us < o.min_duration_us) {
      ++i;
      continue;
    }
    // Trim the approach and the departure against a robust centre.
    GpsFix centre = MedianCentre(pts, members);
    size_t lo = 0, hi = members.size();
    auto far = [&](size_t m) { return Dist(centre, pts[members[m]]) > std::max(o.trim_m, pts[members[m]].acc_m); };
    while (lo + 1 < hi && far(lo)) ++lo;
    while (hi - 1 > lo && far(hi - 1)) --hi;
    Accumulator trimmed;
    for (size_t m = lo; m < hi; ++m) trimmed.Add(pts[members[m]]);
    centre = trimmed.Centre();
    Stay s;
    s.start_us = pts[members[lo]].t_us;
    s.end_us = pts[members[hi - 1]].t_us;
    s.lat = centre.lat;
    s.lon = centre.lon;
    s.fixes = static_cast<int>(hi - lo);
    double sq = 0;
    for (size_t m = lo; m < hi; ++m) {
      const double d = Dist(centre, pts[members[m]]);
      sq += Weight(pts[members[m]]) * d * d;
    }
    s.spread_m = std::sqrt(sq / trimmed.w);
    if (s.end_us - s.start_us >= o.min_duration_us) {
      // A stay that resumes at the same spot after a blip (an outlier the
      // filter missed, a short silence) continues the previous one.
      if (!stays.empty()) {
        Stay& prev = stays.back();
        const size_t between = members[lo] - prev_last - 1;  // fixes neither stay kept
        if (DistanceM(prev.lat, prev.lon, s.lat, s.lon) <= o.radius_m &&
            (s.start_us - prev.end_us <= o.miss_window_us || static_cast<int>(between) <= o.max_misses) &&
            s.start_us - prev.end_us <= o.max_gap_us) {
          const double wp = prev.fixes, ws = s.fixes;
          prev.lat = (prev.lat * wp + s.lat * ws) / (wp + ws);
          prev.lon = (prev.lon * wp + s.lon * ws) / (wp + ws);
          prev.spread_m = std::max(prev.spread_m, s.spread_m);
          prev.fixes += s.fixes;
          prev.end_us = s.end_us;
          prev_last = members[hi - 1];
          i = members[hi - 1] + 1;
          continue;
        }
      }
      stays.push_back(s);
      prev_last = members[hi - 1];
    }
    // Fixes after the last member (misses, departures) start the next search.
    i = members[hi - 1] + 1;
  }
  return stays;
}

void AssignPlaces(std::vector<Stay>& stays, std::vector<Place>* places, const PlaceOptions& o) {
  int next_id = 0;
  for (const auto& p : *places) next_id = std::max(next_id, p.id + 1);
  // Weighted sums for updating centroids; existing places weigh their history.
  struct Sum { double w, lat, lon; };
  std::vector<Sum> sums;
  for (const auto& p : *places) {
    const double w = std::max(1.0, p.total_us / 60e6);
    sums.push_back({w, p.lat * w, p.lon * w});
  }
  for (auto& s : stays) {
    int best = -1;
    double best_d = o.merge_radius_m;
    for (size_t k = 0; k < places->size(); ++k) {
      const double d = DistanceM((*places)[k].lat, (*places)[k].lon, s.lat, s.lon);
      if (d <= best_d) {
        best_d = d;
        best = static_cast<int>(k);
      }
    }
    if (best < 0) {
      Place p;
      p.id = next_id++;
      p.lat = s.lat;
      p.lon = s.lon;
      p.first_visit_us = s.start_us;
      p.last_visit_us = s.end_us;
      places->push_back(p);
      sums.push_back({0, 0, 0});
      best = static_cast<int>(places->size() - 1);
    }
    Place& p = (*places)[best];
    const double w = std::max(1.0, (s.end_us - s.start_us) / 60e6);  // minutes
    sums[best].w += w;
    sums[best].lat += w * s.lat;
    sums[best].lon += w * s.lon;
    p.lat = sums[best].lat / sums[best].w;
    p.lon = sums[best].lon / sums[best].w;
    p.visits += 1;
    p.total_us += s.end_us - s.start_us;
    p.first_visit_us = std::min(p.first_visit_us, s.start_us);
    p.last_visit_us = std::max(p.last_visit_us, s.end_us);
    s.place_id = p.id;
  }
}

std::vector<TimelineEvent> StaysToEvents(const std::vector<Stay>& stays) {
  std::vector<TimelineEvent> out;
  out.reserve(stays.size());
  for (const auto& s : stays) {
    TimelineEvent e;
    e.client_id = "stay:" + std::to_string(s.start_us);
    e.device = "hearth.timeline";
    e.layer = "environmental";
    e.kind = "place.stay";
    e.start_us = e.raw_start_us = s.start_us;
    e.end_us = s.end_us;
    e.geo = Geo{s.lat, s.lon, s.spread_m};
    e.data = {{"place", s.place_id}, {"fixes", s.fixes}, {"spread_m", std::round(s.spread_m * 10) / 10}};
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace hearth::timeline
