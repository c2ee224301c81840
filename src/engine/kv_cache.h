// KvCache: the keys and values of every evaluated position, in F16.
//
// Layout per layer: K[pos][kv_head][head_dim] and the same for V, so that the
// rows of one KV head are `kv_dim` elements apart (kernels::AttendHeadF16's
// stride). The whole cache is allocated once, at Create(), for n_ctx
// positions; it never grows. Positions [0, size()) hold valid entries.
#pragma once

#include <cstdint>
#include <memory>

#include "common/status.h"

namespace hearth::engine {

class KvCache {
 public:
  static Result<std::unique_ptr<KvCache>> Create(int64_t n_layer, int64_t n_ctx, int64_t kv_dim);

  int64_t n_ctx() const { return n_ctx_; }
  int64_t kv_dim() const { return kv_dim_; }
  int64_t size() const { return size_; }
  uint64_t bytes() const { return static_cast<uint64_t>(n_layer_ * n_ctx_ * kv_dim_) * 2 * sizeof(uint16_t); }

  // Row of position `pos` in layer `layer` (kv_dim halves). pos < n_ctx().
  uint16_t* K(int64_t layer, int64_t pos) { return k_.get() + (layer * n_ctx_ + pos) * kv_dim_; }
  uint16_t* V(int64_t layer, int64_t pos) { return v_.get() + (layer * n_ctx_ + pos) * kv_dim_; }

  // Marks [0, n) valid; n <= n_ctx(). Shrinking forgets the later positions.
  void SetSize(int64_t n) { size_ = n; }

 private:
  KvCache() = default;
  int64_t n_layer_ = 0, n_ctx_ = 0, kv_dim_ = 0, size_ = 0;
  std::unique_ptr<uint16_t[]> k_, v_;
};

}  // namespace hearth::engine
