// Session: the engine's public API for running a model.
//
//   auto model = Model::Load("model.gguf");               // map + validate
//   auto session = Session::Open(**model, options);        // plan, check budget, allocate
//   session->EvaluatePrompt(prompt_ids);                   // batched, reuses a cached prefix
//   int32_t next = sampler.Sample(session->logits());
//   session->Evaluate({&next, 1});                         // one token at a time
//
// Open() computes the memory plan (memory_plan.h) and refuses, before
// allocating anything, a plan that exceeds the budget. Everything the session
// uses (KV cache, forward buffers, kernel scratch) is allocated in Open();
// evaluation never allocates more.
//
// Context limit: evaluating past n_ctx positions is an OutOfRange error that
// names the numbers; nothing is evaluated and the cache is unchanged. There
// is no silent truncation and no implicit shift.
//
// Thread-safety: one thread at a time per Session; sessions over the same
// Model are independent.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "common/status.h"
#include "engine/kernels/thread_pool.h"
#include "engine/kv_cache.h"
#include "engine/memory_plan.h"
#include "engine/model.h"
#include "engine/transformer.h"

namespace hearth::engine {

struct SessionOptions {
  int64_t n_ctx = 0;        // 0: min(training context, 4096)
  int64_t n_batch = 512;    // prompt tokens per forward pass
  int n_threads = 0;        // 0: hardware concurrency
  bool all_logits = false;  // plan logits for every token (Score)
  // The budget: nullopt detects it (DetectBudget(mem_reserve)).
  std::optional<uint64_t> mem_budget;
  uint64_t mem_reserve = kDefaultReserveBytes;
};

class Session {
 public:
  // Plans, checks the budget, then allocates. ResourceExhausted (from
  // CheckPlanFits) when the plan does not fit. `model` must outlive the
  // session.
  static Result<std::unique_ptr<Session>> Open(const Model& model, const SessionOptions& options);

  // Appends `tokens` to the cached sequence, in batches of n_batch. Afterwards
  // logits() is the last token's. OutOfRange when the context would overflow.
  Status Evaluate(std::span<const int32_t> tokens);

  // Makes the cached sequence equal to `tokens`, evaluating only what follows
  // the longest prefix shared with the cache (at least the last token, so
  // that logits() is fresh). Returns the number of tokens reused. A prompt
  // longer than the context is OutOfRange and leaves the cache unchanged.
  Result<int64_t> EvaluatePrompt(std::span<const int32_t> tokens);

  // Scores `tokens` after the cached sequence: calls on_logits(i, row) with
  // the logits predicting the token after tokens[i], for every i. Needs
  // options.all_logits.
  using LogitsFn = std::function<void(int64_t index, std::span<const float> logits)>;
  Status Score(std::span<const int32_t> tokens, const LogitsFn& on_logits);

  // Logits after the last evaluated token (n_vocab floats).
  std::span<const float> logits() const;
  const std::vector<int32_t>& tokens() const { return tokens_; }
  int64_t n_past() const { return static_cast<int64_t>(tokens_.size()); }
  int64_t n_ctx() const { return plan_.request.n_ctx; }
  int n_threads() const { return pool_->size(); }
  const MemoryPlan& plan() const { return plan_; }
  const Model& model() const { return model_; }

  // Forgets cached positions from `n` on (n <= n_past()).
  void Truncate(int64_t n);
  void Reset() { Truncate(0); }

 private:
  Session(const Model& model, MemoryPlan plan) : model_(model), plan_(std::move(plan)) {}
  Status EvaluateBatches(std::span<const int32_t> tokens, const LogitsFn* on_logits);

  const Model& model_;
  MemoryPlan plan_;
  std::unique_ptr<kernels::ThreadPool> pool_;
  std::unique_ptr<KvCache> cache_;
  std::unique_ptr<ForwardBuffers> buffers_;
  std::vector<int32_t> tokens_;  // capacity n_ctx, reserved at Open
  bool has_logits_ = false;
  int64_t last_row_ = 0;  // row of logits() in the buffers' logits
};

}  // namespace hearth::engine
