// Sampler: picks the next token from logits, and StopMatcher: cuts streamed
// text at stop strings.
//
// The order of the steps is fixed (as llama.cpp's defaults): logit bias ->
// repetition / frequency / presence penalties over the last `penalty_last_n`
// accepted tokens -> (greedy when temperature <= 0) -> top-k -> top-p ->
// min-p -> temperature -> softmax -> a draw from the seeded generator.
// A step with its neutral value (top_k 0, top_p 1, min_p 0, penalty 1/0) is
// skipped. Same seed, same logits, same history: same token, on any machine
// (the draw uses the 53 high bits of mt19937_64, not a library
// distribution).
//
// Sample() allocates nothing after construction: candidates live in a buffer
// sized n_vocab.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/status.h"

namespace hearth::engine {

struct SamplerParams {
  float temperature = 0.8f;   // <= 0: greedy
  int32_t top_k = 40;         // 0: off
  float top_p = 0.95f;        // 1: off
  float min_p = 0.05f;        // 0: off
  float repeat_penalty = 1.0f;     // 1: off; > 1 discourages repeats
  float frequency_penalty = 0.0f;  // subtracted per occurrence
  float presence_penalty = 0.0f;   // subtracted once if present
  int32_t penalty_last_n = 64;     // window of accepted tokens penalised
  std::vector<std::pair<int32_t, float>> logit_bias;  // -inf bans a token
  uint64_t seed = 0;
};

class Sampler {
 public:
  // InvalidArgument naming the field for out-of-range parameters (negative
  // top_k, top_p outside (0, 1], bias for a token outside the vocabulary…).
  static Result<Sampler> Create(const SamplerParams& params, int64_t n_vocab);

  // The next token for `logits` (n_vocab floats). Does not accept it.
  int32_t Sample(std::span<const float> logits);
  // Records `token` in the penalty history.
  void Accept(int32_t token);
  void Reset();
  const SamplerParams& params() const { return params_; }

 private:
  Sampler(const SamplerParams& params, int64_t n_vocab);
  struct Candidate { int32_t id; float logit; float p; };

  SamplerParams params_;
  int64_t n_vocab_;
  std::mt19937_64 rng_;
  std::vector<Candidate> cand_;
  std::vector<int32_t> history_;   // ring of the last penalty_last_n tokens
  size_t history_next_ = 0;
  std::vector<int32_t> counts_;    // occurrences in the window, per token
};

// Holds back streamed text that might be the start of a stop string, so a
// stop string is never shown in part.
class StopMatcher {
 public:
  explicit StopMatcher(std::vector<std::string> stops) : stops_(std::move(stops)) {}
  // Adds a decoded piece; returns the text that is now safe to show. After a
  // stop string is found, stopped() is true and the text before it has been
  // returned; later pieces are ignored.
  std::string Push(std::string_view piece);
  // The held-back text at the end of generation (empty after a stop).
  std::string Flush();
  bool stopped() const { return stopped_; }

 private:
  std::vector<std::string> stops_;
  std::string pending_;
  bool stopped_ = false;
};

}  // namespace hearth::engine
