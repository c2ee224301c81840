// MemoryPlan: exactly what running a model will take, computed before loading.
//
// The plan counts the mapped weights (every tensor byte; the mapping brings
// them into the page cache as they are touched), the F16 KV cache for
// n_ctx x n_seq positions, and every scratch buffer of the forward pass, sized
// for the largest batch. Sessions allocate from the plan once, at open; after
// that nothing grows during evaluation or generation.
//
// The budget is min(cgroup headroom, MemAvailable) - reserve, where the cgroup
// headroom is memory.max - memory.current (v2) or limit_in_bytes -
// usage_in_bytes (v1), and the reserve (default 512 MiB, config
// `engine.mem_reserve`) keeps the host responsive. `--mem-budget SIZE` (config
// `engine.mem_budget`) replaces the detected figure. A plan that does not fit
// is refused with the numbers and what would fit.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "engine/kernels/matmul.h"
#include "engine/model.h"

namespace hearth::engine {

struct PlanRequest {
  int64_t n_ctx = 2048;     // positions per sequence
  int64_t n_seq = 1;        // sequences (sessions) with their own KV cache
  int64_t n_batch = 512;    // largest number of tokens evaluated in one pass
  bool all_logits = false;  // keep logits for every token of a batch (eval)
  int n_threads = 1;
};

// Element counts (floats unless said) of each forward-pass buffer, for one
// sequence. The transformer uses exactly these; memory_plan.cpp and
// transformer.cpp must agree.
struct ScratchLayout {
  int64_t n_batch = 0;
  int64_t x = 0, xn = 0, q = 0, k = 0, v = 0, attn = 0, gate = 0, up = 0;
  int64_t scores = 0;        // per-thread attention rows: n_threads * n_ctx
  int64_t logits = 0;        // (all_logits ? n_batch : 1) * n_vocab
  // Workspace of the matrix kernels (kernels::MatMulScratchBytes, maximum
  // over the model's matrices): shared activation blocks + per-thread rows.
  int64_t kernel_shared_bytes = 0;
  int64_t kernel_per_thread_bytes = 0;
  int n_threads = 1;
  uint64_t Bytes() const;
};

struct MemoryPlan {
  PlanRequest request;
  uint64_t weight_bytes = 0;
  uint64_t kv_bytes = 0;       // all sequences
  uint64_t scratch_bytes = 0;  // all sequences
  // Code, heap of the runtime, thread stacks: a fixed allowance.
  uint64_t overhead_bytes = 0;
  ScratchLayout scratch;
  uint64_t Total() const { return weight_bytes + kv_bytes + scratch_bytes + overhead_bytes; }
  // Multi-line human-readable table (for `hearth model info --ctx`).
  std::string ToString() const;
};

constexpr uint64_t kPlanOverheadBytes = uint64_t{48} << 20;
constexpr uint64_t kDefaultReserveBytes = uint64_t{512} << 20;

// KV bytes per position per sequence: 2 (K and V) * n_layer * kv_dim * 2 (F16).
uint64_t KvBytesPerPosition(const HParams& hp);
// The plan for `model` (loaded = mapped and validated; nothing else is
// allocated until a Session opens with this plan).
Result<MemoryPlan> PlanMemory(const Model& model, const PlanRequest& req);

struct MemoryBudget {
  uint64_t mem_available = 0;  // /proc/meminfo MemAvailable
  uint64_t cgroup_headroom = 0;  // 0 when there is no cgroup limit
  bool has_cgroup_limit = false;
  uint64_t reserve = kDefaultReserveBytes;
  bool overridden = false;     // --mem-budget
  uint64_t budget = 0;         // what a plan may use
  std::string Describe() const;
};

// Detects the budget from the system (see the header comment).
Result<MemoryBudget> DetectBudget(uint64_t reserve = kDefaultReserveBytes);
MemoryBudget FixedBudget(uint64_t bytes);

// OK when the plan fits; otherwise ResourceExhausted naming the plan's parts,
// the budget, the longest context that would fit and, when the weights
// themselves are too large, a smaller quantization that would.
Status CheckPlanFits(const MemoryPlan& plan, const Model& model, const MemoryBudget& budget);

// The kernels' view of a bound weight tensor.
kernels::WeightView WeightViewOf(const Tensor& t);

// "8G", "512M", "1.5GiB", "100000" (bytes). Errors name the text.
Result<uint64_t> ParseSize(std::string_view text);
// "1.50 GiB", "96.0 MiB", "512 B": the format of the plan's messages.
std::string FormatPlanBytes(uint64_t bytes);

}  // namespace hearth::engine
