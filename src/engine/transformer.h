// The forward pass shared by every architecture: pre-norm transformer blocks
// (RMSNorm, grouped-query attention with RoPE over an F16 KV cache, SwiGLU
// FFN), then a final RMSNorm and the output projection. The ArchSpec switches
// on the family's specifics (Q/K/V biases, per-head Q/K norm, RoPE style).
//
// Numerics: activations are F32; K and V are rounded to F16 when stored;
// matrix products follow kernels/matmul.h. Every output element is computed
// whole by one thread, so results are identical for any thread count.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "common/status.h"
#include "engine/kernels/thread_pool.h"
#include "engine/kv_cache.h"
#include "engine/memory_plan.h"
#include "engine/model.h"

namespace hearth::engine {

// The buffers of one sequence's forward pass, allocated once from the plan.
class ForwardBuffers {
 public:
  static Result<std::unique_ptr<ForwardBuffers>> Create(const Model& model, const ScratchLayout& layout);

  const ScratchLayout& layout() const { return layout_; }
  // Logits of the last Forward(): one row per token when all_logits was
  // asked, else one row (the last token's).
  const float* logits() const { return logits_; }

 private:
  friend Status Forward(const Model&, const int32_t*, int64_t, int64_t, bool, KvCache&, ForwardBuffers&,
                        kernels::ThreadPool&);
  ForwardBuffers() = default;
  ScratchLayout layout_;
  std::unique_ptr<float[]> storage_;
  float *x_ = nullptr, *xn_ = nullptr, *q_ = nullptr, *k_ = nullptr, *v_ = nullptr, *attn_ = nullptr;
  float *gate_ = nullptr, *up_ = nullptr, *scores_ = nullptr, *logits_ = nullptr;
  // RoPE angle per position unit for each rotated pair: freq_scale *
  // base^(-2i/n_rot) / rope_freqs[i].
  std::vector<double> inv_freq_;
};

// Evaluates tokens[0, n_tokens) at positions [pos0, pos0 + n_tokens), writing
// their keys and values into `cache` and the logits into `buffers`.
// Preconditions (checked, InvalidArgument/OutOfRange): 1 <= n_tokens <=
// layout.n_batch, pos0 + n_tokens <= cache.n_ctx(), every token < n_vocab,
// all_logits only when the layout has room. The cache size becomes pos0 +
// n_tokens.
Status Forward(const Model& model, const int32_t* tokens, int64_t n_tokens, int64_t pos0, bool all_logits,
               KvCache& cache, ForwardBuffers& buffers, kernels::ThreadPool& pool);

}  // namespace hearth::engine
