#include "engine/kv_cache.h"

#include <new>

#include <fmt/format.h>

namespace hearth::engine {

Result<std::unique_ptr<KvCache>> KvCache::Create(int64_t n_layer, int64_t n_ctx, int64_t kv_dim) {
  if (n_layer <= 0 || n_ctx <= 0 || kv_dim <= 0) {
    return Status::InvalidArgument(fmt::format("KV cache shape {} layers x {} positions x {} is invalid", n_layer, n_ctx, kv_dim));
  }
  std::unique_ptr<KvCache> c(new KvCache());
  c->n_layer_ = n_layer;
  c->n_ctx_ = n_ctx;
  c->kv_dim_ = kv_dim;
  const size_t n = static_cast<size_t>(n_layer * n_ctx * kv_dim);
  // Not value-initialized: pages are touched as positions are written, and
  // no position is read before it is written (size_ guards it).
  c->k_.reset(new (std::nothrow) uint16_t[n]);
  c->v_.reset(new (std::nothrow) uint16_t[n]);
  if (!c->k_ || !c->v_) {
    return Status::ResourceExhausted(fmt::format("KV cache of {} bytes could not be allocated", c->bytes()));
  }
  return c;
}

}  // namespace hearth::engine
