#include "engine/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace hearth::engine {

Result<Sampler> Sampler::Create(const SamplerParams& p, int64_t n_vocab) {
  if (n_vocab <= 0 || n_vocab > (int64_t{1} << 24)) return Status::InvalidArgument(fmt::format("sampler: vocabulary size {} is invalid", n_vocab));
  if (!std::isfinite(p.temperature)) return Status::InvalidArgument("sampler: temperature must be finite");
  if (p.top_k < 0) return Status::InvalidArgument(fmt::format("sampler: top_k {} must be >= 0", p.top_k));
  if (!(p.top_p > 0.0f && p.top_p <= 1.0f)) return Status::InvalidArgument(fmt::format("sampler: top_p {} must be in (0, 1]", p.top_p));
  if (!(p.min_p >= 0.0f && p.min_p <= 1.0f)) return Status::InvalidArgument(fmt::format("sampler: min_p {} must be in [0, 1]", p.min_p));
  if (!(p.repeat_penalty > 0.0f) || !std::isfinite(p.repeat_penalty)) return Status::InvalidArgument(fmt::format("sampler: repeat_penalty {} must be > 0", p.repeat_penalty));
  if (!std::isfinite(p.frequency_penalty) || !std::isfinite(p.presence_penalty)) return Status::InvalidArgument("sampler: frequency/presence penalties must be finite");
  if (p.penalty_last_n < 0 || p.penalty_last_n > (1 << 20)) return Status::InvalidArgument(fmt::format("sampler: penalty_last_n {} must be in [0, 1048576]", p.penalty_last_n));
  for (const auto& [id, bias] : p.logit_bias) {
    if (id < 0 || id >= n_vocab) return Status::InvalidArgument(fmt::format("sampler: logit_bias token {} is outside the vocabulary [0, {})", id, n_vocab));
    if (std::isnan(bias) || bias == std::numeric_limits<float>::infinity()) return Status::InvalidArgument(fmt::format("sampler: logit_bias for token {} must be a number or -inf", id));
  }
  return Sampler(p, n_vocab);
}

Sampler::Sampler(const SamplerParams& p, int64_t n_vocab)
    : params_(p), n_vocab_(n_vocab), rng_(p.seed), cand_(static_cast<size_t>(n_vocab)),
      counts_(static_cast<size_t>(n_vocab), 0) {
  history_.reserve(static_cast<size_t>(p.penalty_last_n));
}

void Sampler::Reset() {
  rng_.seed(params_.seed);
  history_.clear();
  history_next_ = 0;
  std::fill(counts_.begin(), counts_.end(), 0);
}

void Sampler::Accept(int32_t token) {
  if (params_.penalty_last_n == 0 || token < 0 || token >= n_vocab_) return;
  const size_t window = static_cast<size_t>(params_.penalty_last_n);
  if (history_.size() < window) {
    history_.push_back(token);
  } else {
    --counts_[static_cast<size_t>(history_[history_next_])];
    history_[history_next_] = token;
    history_next_ = (history_next_ + 1) % window;
  }
  ++counts_[static_cast<size_t>(token)];
}

int32_t Sampler::Sample(std::span<const float> logits) {
  const size_t n_all = std::min(logits.size(), cand_.size());
  for (size_t i = 0; i < n_all; ++i) cand_[i] = {static_cast<int32_t>(i), logits[i], 0.0f};
  for (const auto& [id, bias] : params_.logit_bias) {
    if (static_cast<size_t>(id) < n_all) cand_[static_cast<size_t>(id)].logit += bias;
  }
  const bool penalize = params_.repeat_penalty != 1.0f || params_.frequency_penalty != 0.0f || params_.presence_penalty != 0.0f;
  if (penalize) {
    for (int32_t id : history_) {
      Candidate& c = cand_[static_cast<size_t>(id)];
      const int32_t count = counts_[static_cast<size_t>(id)];
      if (count == 0 || c.p != 0.0f) continue;  // p marks "already penalised" here
      c.p = 1.0f;
      c.logit = c.logit > 0 ? c.logit / params_.repeat_penalty : c.logit * params_.repeat_penalty;
      c.logit -= static_cast<float>(count) * params_.frequency_penalty + params_.presence_penalty;
    }
  }
  // Highest logit first; ties go to the lower id, so the order is total.
  auto better = [](const Candidate& a, const Candidate& b) { return a.logit > b.logit || (a.logit == b.logit && a.id < b.id); };
  if (params_.temperature <= 0.0f) {
    return std::min_element(cand_.begin(), cand_.begin() + static_cast<ptrdiff_t>(n_all), better)->id;
  }
  size_t n = n_all;
  if (params_.top_k > 0 && static_cast<size_t>(params_.top_k) < n) {
    n = static_cast<size_t>(params_.top_k);
    std::partial_sort(cand_.begin(), cand_.begin() + static_cast<ptrdiff_t>(n), cand_.begin() + static_cast<ptrdiff_t>(n_all), better);
  } else {
    std::sort(cand_.begin(), cand_.begin() + static_cast<ptrdiff_t>(n), better);
  }
  auto softmax = [&](float temp) {
    const float max = cand_[0].logit;
    double sum = 0;
    for (size_t i = 0; i < n; ++i) {
      const float e = std::isinf(cand_[i].logit) && cand_[i].logit < 0 ? 0.0f : std::exp((cand_[i].logit - max) / temp);
      cand_[i].p = e;
      sum += e;
    }
    for (size_t i = 0; i < n; ++i) cand_[i].p = static_cast<float>(cand_[i].p / sum);
  };
  softmax(1.0f);
  if (params_.top_p < 1.0f) {
    double cum = 0;
    size_t keep = n;
    for (size_t i = 0; i < n; ++i) {
      cum += cand_[i].p;
      if (cum >= params_.top_p) { keep = i + 1; break; }
    }
    n = keep;
  }
  if (params_.min_p > 0.0f) {
    const float floor = params_.min_p * cand_[0].p;
    size_t keep = 1;
    while (keep < n && cand_[keep].p >= floor) ++keep;
    n = keep;
  }
  softmax(params_.temperature);
  const double u = static_cast<double>(rng_() >> 11) * (1.0 / 9007199254740992.0);
  double cum = 0;
  for (size_t i = 0; i < n; ++i) {
    cum += cand_[i].p;
    if (u < cum) return cand_[i].id;
  }
  // Rounding left cum a hair below 1: the last non-zero candidate.
  for (size_t i = n; i-- > 0;) if (cand_[i].p > 0) return cand_[i].id;
  return cand_[0].id;
}

std::string StopMatcher::Push(std::string_view piece) {
  if (stopped_) return {};
  pending_.append(piece);
  size_t cut = std::string::npos;
  for (const std::string& s : stops_) {
    if (s.empty()) continue;
    const size_t at = pending_.find(s);
    if (at != std::string::npos && at < cut) cut = at;
  }
  if (cut != std::string::npos) {
    stopped_ = true;
    std::string out = pending_.substr(0, cut);
    pending_.clear();
    return out;
  }
  // Hold back the longest tail of pending_ that begins some stop string.
  size_t hold = 0;
  for (const std::string& s : stops_) {
    for (size_t len = std::min(s.size() - (s.empty() ? 0 : 1), pending_.size()); len > hold; --len) {
      if (pending_.compare(pending_.size() - len, len, s, 0, len) == 0) { hold = len; break; }
    }
  }
  std::string out = pending_.substr(0, pending_.size() - hold);
  pending_.erase(0, pending_.size() - hold);
  return out;
}

std::string StopMatcher::Flush() {
  std::string out;
  if (!stopped_) out.swap(pending_);
  pending_.clear();
  return out;
}

}  // namespace hearth::engine
