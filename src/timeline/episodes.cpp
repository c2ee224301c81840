#include "timeline/episodes.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <set>
#include <unordered_map>

#include "timeline/slicing.h"

namespace hearth::timeline {

std::string TruncateUtf8(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  size_t cut = max_bytes;
  // Back up over continuation bytes (10xxxxxx) so the cut lands on a lead byte.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut));
}

namespace {

constexpr std::string_view kIdle = "idle";
constexpr std::string_view kTravel = "travel";
constexpr std::string_view kConversation = "conversation";

struct PlaceSegment {
  int64_t start_us, end_us;
  int place_id;
  bool travelling;
};

std::vector<PlaceSegment> PlaceSegments(const std::vector<Stay>& stays, int64_t from, int64_t to,
                                        const EpisodeOptions& o) {
  std::vector<PlaceSegment> segs;
  int64_t cursor = from;
  const Stay* prev = nullptr;
  auto fill_gap = [&](int64_t until, const Stay* next) {
    if (until <= cursor) return;
    const bool between = prev && next;
    const int64_t gap = until - cursor;
    if (between && prev->place_id == next->place_id && prev->place_id >= 0 && gap < o.min_travel_us) {
      // A short hole inside one place: part of the stay before it.
      if (!segs.empty()) segs.back().end_us = until;
    } else {
      const bool travel = between && gap <= o.max_travel_us;
      segs.push_back({cursor, until, -1, travel});
    }
    cursor = until;
  };
  for (const auto& s : stays) {
    if (s.end_us <= from || s.start_us >= to) {
      if (s.end_us <= from) prev = &s;
      continue;
    }
    const int64_t start = std::max(s.start_us, cursor);
    fill_gap(start, &s);
    const int64_t end = std::min(s.end_us, to);
    if (end > cursor) {
      if (!segs.empty() && !segs.back().travelling && segs.back().place_id == s.place_id && s.place_id >= 0) {
        segs.back().end_us = end;
      } else {
        segs.push_back({cursor, end, s.place_id, false});
      }
      cursor = end;
    }
    prev = &s;
  }
  const Stay* next_after = nullptr;
  for (const auto& s : stays) {
    if (s.start_us >= to) { next_after = &s; break; }
  }
  fill_gap(to, next_after);
  return segs;
}

bool IsActivityEvent(const TimelineEvent& e) {
  return e.layer == "text" || e.layer == "visual" || e.layer == "auditory" || e.layer == "behavioral";
}

std::string CalendarTitle(const TimelineEvent& e) {
  if (auto it = e.data.find("title"); it != e.data.end() && it->is_string()) return it->get<std::string>();
  return e.text;
}

std::string AppName(const TimelineEvent& e) {
  if (auto it = e.data.find("app"); it != e.data.end() && it->is_string()) return it->get<std::string>();
  return e.text;
}

struct Run {
  size_t first, last;  // bins, inclusive
  std::string label;
  size_t len() const { return last - first + 1; }
};

// Merges short runs into neighbours until every run is long enough (or is the
// only one). Idle runs shorter than the long-gap length count as short.
std::vector<Run> Smooth(std::vector<Run> runs, size_t min_bins, size_t gap_bins) {
  auto is_short = [&](const Run& r) {
    return r.label == kIdle ? r.len() < gap_bins : r.len() < min_bins;
  };
  auto coalesce = [](std::vector<Run>& rs) {
    std::vector<Run> out;
    for (auto& r : rs) {
      if (!out.empty() && out.back().label == r.label) out.back().last = r.last;
      else out.push_back(std::move(r));
    }
    rs = std::move(out);
  };
  coalesce(runs);
  while (runs.size() > 1) {
    // The shortest short run goes first, so small blips vanish before they
    // can split a long run.
    size_t victim = runs.size();
    for (size_t k = 0; k < runs.size(); ++k) {
      if (is_short(runs[k]) && (victim == runs.size() || runs[k].len() < runs[victim].len())) victim = k;
    }
    if (victim == runs.size()) break;
    size_t target;
    if (victim == 0) target = 1;
    else if (victim + 1 == runs.size()) target = victim - 1;
    else if (runs[victim].label == kIdle) target = victim - 1;  // a pause belongs to what came before
    else target = runs[victim - 1].len() >= runs[victim + 1].len() ? victim - 1 : victim + 1;
    if (target < victim) runs[target].last = runs[victim].last;
    else runs[target].first = runs[victim].first;
    runs.erase(runs.begin() + static_cast<std::ptrdiff_t>(victim));
    coalesce(runs);
  }
  return runs;
}

std::vector<std::string> Terms(std::string_view text) {
  static const std::set<std::string, std::less<>> kStop = {
      "the", "and", "for", "you", "with", "that", "this", "was", "are", "have", "has", "but", "not",
      "its", "it's", "from", "what", "when", "where", "will", "just", "about", "your", "our", "they",
      "there", "here", "been", "were", "can", "all", "out", "get", "got", "let", "lets", "let's", "i'm",
      "we're", "did", "how", "too", "yes", "okay", "then", "than", "some", "also", "into", "over", "very",
      "would", "could", "should", "still", "see", "one", "now", "new", "like", "more", "need"};
  std::vector<std::string> out;
  std::string cur;
  auto flush = [&] {
    if (cur.size() >= 3 && !kStop.count(cur)) out.push_back(cur);
    cur.clear();
  };
  for (char ch : text) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c >= 0x80 || std::isalnum(c) || c == '\'') {
      cur += (c < 0x80) ? static_cast<char>(std::tolower(c)) : ch;
    } else {
      flush();
    }
  }
  flush();
  return out;
}

std::string HumanActivity(const std::string& activity) {
  if (activity.rfind("app:", 0) == 0) return "using " + activity.substr(4);
  if (activity.rfind("calendar:", 0) == 0) return activity.substr(9);
  return activity;
}

}  // namespace

Result<std::vector<Episode>> SegmentEpisodes(const std::vector<TimelineEvent>& events,
                                             const std::vector<Stay>& stays, int64_t from_us,
                                             int64_t to_us, const EpisodeOptions& o) {
  if (to_us <= from_us) return Status::InvalidArgument("episode range is empty or inverted");
  if (o.bin_us <= 0) return Status::InvalidArgument("episode bin size must be positive");
  const int64_t span = to_us - from_us;
  if (span / o.bin_us > 4 * 1440 * 31) return Status::InvalidArgument("episode range too long for the bin size");
  const size_t nbins = static_cast<size_t>((span + o.bin_us - 1) / o.bin_us);
  auto bin_of = [&](int64_t t) {
    return static_cast<size_t>(std::clamp<int64_t>((t - from_us) / o.bin_us, 0, static_cast<int64_t>(nbins) - 1));
  };

  const std::vector<size_t> inside = EventsOverlapping(events, from_us, to_us);

  // Minute labels: app focus painted in start order (later starts win), then
  // conversation, then calendar on top.
  std::vector<std::string> label(nbins, std::string(kIdle));
  std::vector<int> talk(nbins, 0);
  std::vector<std::pair<size_t, size_t>> calendar;  // bin ranges
  std::vector<std::string> calendar_title;
  for (size_t idx : inside) {
    const TimelineEvent& e = events[idx];
    if (!IsActivityEvent(e)) continue;
    const size_t b0 = bin_of(e.start_us);
    const size_t b1 = (e.end_us && *e.end_us > e.start_us) ? bin_of(*e.end_us - 1) : b0;
    if (e.kind == "app.focus") {
      const std::string l = "app:" + AppName(e);
      for (size_t b = b0; b <= b1; ++b) label[b] = l;
    } else if (e.kind == "calendar.event") {
      calendar.emplace_back(b0, b1);
      calendar_title.push_back("calendar:" + CalendarTitle(e));
    } else if (e.kind == "audio.transcript" || e.kind == "chat.message") {
      talk[b0] += 1;
    }
  }
  {
    std::vector<int> prefix(nbins + 1, 0);
    for (size_t b = 0; b < nbins; ++b) prefix[b + 1] = prefix[b] + talk[b];
    for (size_t b = 0; b < nbins; ++b) {
      const size_t lo = b >= 3 ? b - 3 : 0, hi = std::min(nbins, b + 4);
      if (prefix[hi] - prefix[lo] >= 3) label[b] = std::string(kConversation);
    }
  }
  for (size_t k = 0; k < calendar.size(); ++k) {
    for (size_t b = calendar[k].first; b <= calendar[k].second; ++b) label[b] = calendar_title[k];
  }

  const size_t min_bins = static_cast<size_t>(std::max<int64_t>(1, o.min_episode_us / o.bin_us));
  const size_t gap_bins = static_cast<size_t>(std::max<int64_t>(1, o.long_gap_us / o.bin_us));
  std::vector<Episode> episodes;
  for (const PlaceSegment& seg : PlaceSegments(stays, from_us, to_us, o)) {
    if (seg.travelling) {
      episodes.push_back({seg.start_us, seg.end_us, -1, true, std::string(kTravel), {}, 0, {}});
      continue;
    }
    const size_t b0 = bin_of(seg.start_us), b1 = bin_of(seg.end_us - 1);
    std::vector<Run> runs;
    for (size_t b = b0; b <= b1; ++b) {
      if (!runs.empty() && runs.back().label == label[b]) runs.back().last = b;
      else runs.push_back({b, b, label[b]});
    }
    runs = Smooth(std::move(runs), min_bins, gap_bins);
    for (size_t k = 0; k < runs.size(); ++k) {
      Episode ep;
      ep.start_us = k == 0 ? seg.start_us : from_us + static_cast<int64_t>(runs[k].first) * o.bin_us;
      ep.end_us = k + 1 == runs.size() ? seg.end_us : from_us + static_cast<int64_t>(runs[k].last + 1) * o.bin_us;
      if (ep.end_us <= ep.start_us) continue;
      ep.place_id = seg.place_id;
      ep.activity = runs[k].label;
      episodes.push_back(std::move(ep));
    }
  }

  // Layers, counts and term statistics per episode.
  std::vector<std::map<std::string, int>> tf(episodes.size());
  std::unordered_map<std::string, int> df;
  std::vector<std::vector<size_t>> members(episodes.size());
  for (size_t k = 0; k < episodes.size(); ++k) {
    Episode& ep = episodes[k];
    std::set<std::string> layers;
    // `inside` is in start order; intervals may reach back, so use the
    // overlap rule rather than a plain cursor for them.
    for (size_t idx : inside) {
      const TimelineEvent& e = events[idx];
      if (e.start_us >= ep.end_us) break;
      const bool overlaps = (e.end_us && *e.end_us > e.start_us) ? *e.end_us > ep.start_us : e.start_us >= ep.start_us;
      if (!overlaps) continue;
      layers.insert(e.layer);
      members[k].push_back(idx);
      if (!e.text.empty() && e.start_us >= ep.start_us) {
        for (auto& t : Terms(e.text)) tf[k][t] += 1;
      }
    }
    ep.layers.assign(layers.begin(), layers.end());
    ep.event_count = members[k].size();
    for (const auto& [term, count] : tf[k]) df[term] += 1;
  }
  const double n_eps = static_cast<double>(episodes.size());
  for (size_t k = 0; k < episodes.size(); ++k) {
    Episode& ep = episodes[k];
    std::unordered_map<std::string, double> weight;
    std::vector<std::pair<double, std::string>> ranked;
    for (const auto& [term, count] : tf[k]) {
      const double w = (1.0 + std::log(static_cast<double>(count))) * std::log(1.0 + n_eps / df[term]);
      weight[term] = w;
      ranked.emplace_back(-w, term);
    }
    std::sort(ranked.begin(), ranked.end());
    // The most informative text: highest mean term weight, ties to earlier.
    const TimelineEvent* best = nullptr;
    double best_score = 0;
    for (size_t idx : members[k]) {
      const TimelineEvent& e = events[idx];
      if (e.text.empty() || e.start_us < ep.start_us) continue;
      auto terms = Terms(e.text);
      if (terms.empty()) continue;
      double sum = 0;
      for (auto& t : terms) sum += weight[t];
      const double score = sum / std::sqrt(static_cast<double>(terms.size()));
      if (!best || score > best_score) {
        best = &e;
        best_score = score;
      }
    }
    std::string summary = HumanActivity(ep.activity);
    if (!ranked.empty()) {
      summary += " [";
      for (size_t r = 0; r < std::min<size_t>(3, ranked.size()); ++r) summary += (r ? ", " : "") + ranked[r].second;
      summary += "]";
    }
    if (best) summary += ": " + best->text;
    ep.summary = TruncateUtf8(summary, kMaxSummaryBytes);
  }
  return episodes;
}

}  // namespace hearth::timeline
