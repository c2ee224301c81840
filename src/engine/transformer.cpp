#include "engine/transformer.h"

#include <cmath>
#include <new>

#include <fmt/format.h>

#include "engine/arch/arch.h"
#include "engine/kernels/matmul.h"
#include "engine/kernels/ops.h"
#include "engine/quants.h"

namespace hearth::engine {
namespace {

using kernels::ThreadPool;

const float* F32(const Tensor& t) { return reinterpret_cast<const float*>(t.data); }

void MatMul(const Tensor& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool) {
  kernels::MatMul(WeightViewOf(w), x, n_tokens, y, pool);
}

}  // namespace

Result<std::unique_ptr<ForwardBuffers>> ForwardBuffers::Create(const Model& model, const ScratchLayout& s) {
  std::unique_ptr<ForwardBuffers> b(new ForwardBuffers());
  b->layout_ = s;
  const int64_t total = s.x + s.xn + s.q + s.k + s.v + s.attn + s.gate + s.up + s.scores + s.logits;
  b->storage_.reset(new (std::nothrow) float[static_cast<size_t>(total)]);
  if (!b->storage_) {
    return Status::ResourceExhausted(fmt::format("forward buffers of {} bytes could not be allocated", total * 4));
  }
  float* p = b->storage_.get();
  auto take = [&p](int64_t n) { float* r = p; p += n; return r; };
  b->x_ = take(s.x);
  b->xn_ = take(s.xn);
  b->q_ = take(s.q);
  b->k_ = take(s.k);
  b->v_ = take(s.v);
  b->attn_ = take(s.attn);
  b->gate_ = take(s.gate);
  b->up_ = take(s.up);
  b->scores_ = take(s.scores);
  b->logits_ = take(s.logits);

  const HParams& hp = model.hparams();
  const Tensor& ff = model.weights().rope_freqs;
  b->inv_freq_.resize(static_cast<size_t>(hp.n_rot / 2));
  for (int64_t i = 0; i < hp.n_rot / 2; ++i) {
    double f = hp.rope_freq_scale * std::pow(static_cast<double>(hp.rope_freq_base), -2.0 * i / hp.n_rot);
    if (ff) f /= F32(ff)[i];
    b->inv_freq_[static_cast<size_t>(i)] = f;
  }
  return b;
}

Status Forward(const Model& model, const int32_t* tokens, int64_t nt, int64_t pos0, bool all_logits,
               KvCache& cache, ForwardBuffers& buf, ThreadPool& pool) {
  const HParams& hp = model.hparams();
  const ArchSpec& arch = model.arch();
  const ModelWeights& w = model.weights();
  const ScratchLayout& lay = buf.layout();
  if (nt < 1 || nt > lay.n_batch) {
    return Status::InvalidArgument(fmt::format("batch of {} tokens is outside [1, {}]", nt, lay.n_batch));
  }
  if (pos0 < 0 || pos0 + nt > cache.n_ctx()) {
    return Status::OutOfRange(fmt::format("positions [{}, {}) exceed the context of {}", pos0, pos0 + nt, cache.n_ctx()));
  }
  if (all_logits && lay.logits < nt * hp.n_vocab) {
    return Status::InvalidArgument("all_logits requested but the session was planned for last-token logits only");
  }
  if (lay.scores < static_cast<int64_t>(pool.size()) * (pos0 + nt)) {
    return Status::Internal("attention scratch smaller than the pool needs");
  }
  for (int64_t t = 0; t < nt; ++t) {
    if (tokens[t] < 0 || tokens[t] >= hp.n_vocab) {
      return Status::InvalidArgument(fmt::format("token id {} at batch index {} is outside the vocabulary [0, {})",
                                                 tokens[t], t, hp.n_vocab));
    }
  }

  const int64_t D = hp.n_embd, hd = hp.head_dim, qd = hp.q_dim(), kvd = hp.kv_dim();
  const int64_t n_head = hp.n_head, group = hp.n_head / hp.n_head_kv;
  const float eps = hp.rms_eps;
  float* x = buf.x_;
  float* xn = buf.xn_;
  float* q = buf.q_;
  float* k = buf.k_;
  float* v = buf.v_;
  float* attn = buf.attn_;
  float* gate = buf.gate_;
  float* up = buf.up_;

  // Embeddings: one dequantized row per token.
  {
    const auto traits = GetTypeTraits(w.token_embd.type);
    const size_t row_bytes = static_cast<size_t>(D / traits->block_size) * traits->type_size;
    pool.ParallelFor(nt, [&](int64_t b, int64_t e) {
      for (int64_t t = b; t < e; ++t) {
        DequantizeRow(w.token_embd.type, w.token_embd.data + static_cast<size_t>(tokens[t]) * row_bytes, x + t * D, D);
      }
    }, 1);
  }

  // RoPE rotates the first n_rot dimensions of each head: kNormal pairs
  // (2i, 2i+1), kNeox pairs (i, i + n_rot/2). Angles are computed in double
  // once per (position, pair) and shared by all heads.
  const int64_t half = hp.n_rot / 2;
  const double* inv_freq = buf.inv_freq_.data();
  const float attn_scale = 1.0f / std::sqrt(static_cast<float>(hd));

  for (int64_t il = 0; il < hp.n_layer; ++il) {
    const LayerWeights& L = w.layers[static_cast<size_t>(il)];
    pool.ParallelFor(nt, [&](int64_t b, int64_t e) {
      for (int64_t t = b; t < e; ++t) kernels::RmsNorm(x + t * D, F32(L.attn_norm), D, eps, xn + t * D);
    }, 1);
    MatMul(L.wq, xn, nt, q, pool);
    MatMul(L.wk, xn, nt, k, pool);
    MatMul(L.wv, xn, nt, v, pool);

    // Per token: biases, per-head norms, RoPE, then K/V into the cache.
    pool.ParallelFor(nt, [&](int64_t b, int64_t e) {
      for (int64_t t = b; t < e; ++t) {
        float* qt = q + t * qd;
        float* kt = k + t * kvd;
        float* vt = v + t * kvd;
        if (arch.qkv_bias) {
          kernels::Add(qt, F32(L.bq), qd, qt);
          kernels::Add(kt, F32(L.bk), kvd, kt);
          kernels::Add(vt, F32(L.bv), kvd, vt);
        }
        if (arch.qk_norm) {
          for (int64_t h = 0; h < n_head; ++h) kernels::RmsNorm(qt + h * hd, F32(L.q_norm), hd, eps, qt + h * hd);
          for (int64_t h = 0; h < hp.n_head_kv; ++h) kernels::RmsNorm(kt + h * hd, F32(L.k_norm), hd, eps, kt + h * hd);
        }
        const double pos = static_cast<double>(pos0 + t);
        for (int64_t i = 0; i < half; ++i) {
          const double theta = pos * inv_freq[i];
          const float c = static_cast<float>(std::cos(theta)), s = static_cast<float>(std::sin(theta));
          const int64_t a = hp.rope_style == RopeStyle::kNormal ? 2 * i : i;
          const int64_t bb = hp.rope_style == RopeStyle::kNormal ? 2 * i + 1 : i + half;
          for (int64_t h = 0; h < n_head; ++h) {
            float* hv = qt + h * hd;
            const float x0 = hv[a], x1 = hv[bb];
            hv[a] = x0 * c - x1 * s;
            hv[bb] = x0 * s + x1 * c;
          }
          for (int64_t h = 0; h < hp.n_head_kv; ++h) {
            float* hv = kt + h * hd;
            const float x0 = hv[a], x1 = hv[bb];
            hv[a] = x0 * c - x1 * s;
            hv[bb] = x0 * s + x1 * c;
          }
        }
        kernels::Fp32ToFp16Row(kt, kvd, cache.K(il, pos0 + t));
        kernels::Fp32ToFp16Row(vt, kvd, cache.V(il, pos0 + t));
      }
    }, 1);

    // Attention: one task per (token, head); token t sees positions <= pos0+t.
    pool.ParallelFor(nt * n_head, [&](int64_t b, int64_t e) {
      float* scores = buf.scores_ + static_cast<int64_t>(ThreadPool::CurrentThread()) * (lay.scores / pool.size());
      for (int64_t task = b; task < e; ++task) {
        const int64_t t = task / n_head, h = task % n_head, kvh = h / group;
        kernels::AttendHeadF16(q + t * qd + h * hd, cache.K(il, 0) + kvh * hd, cache.V(il, 0) + kvh * hd,
                               pos0 + t + 1, hd, kvd, attn_scale, scores, attn + t * qd + h * hd);
      }
    });
    MatMul(L.wo, attn, nt, xn, pool);
    kernels::Add(x, xn, nt * D, x);

    pool.ParallelFor(nt, [&](int64_t b, int64_t e) {
      for (int64_t t = b; t < e; ++t) kernels::RmsNorm(x + t * D, F32(L.ffn_norm), D, eps, xn + t * D);
    }, 1);
    MatMul(L.w_gate, xn, nt, gate, pool);
    MatMul(L.w_up, xn, nt, up, pool);
    pool.ParallelFor(nt, [&](int64_t b, int64_t e) {
      for (int64_t t = b; t < e; ++t) kernels::SiluMul(gate + t * hp.n_ff, up + t * hp.n_ff, hp.n_ff, gate + t * hp.n_ff);
    }, 1);
    MatMul(L.w_down, gate, nt, xn, pool);
    kernels::Add(x, xn, nt * D, x);
  }

  // Output: all rows for scoring, else only the last token's.
  const int64_t first = all_logits ? 0 : nt - 1;
  const int64_t n_out = nt - first;
  pool.ParallelFor(n_out, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) kernels::RmsNorm(x + (first + t) * D, F32(w.output_norm), D, eps, xn + t * D);
  }, 1);
  MatMul(w.output, xn, n_out, buf.logits_, pool);
  cache.SetSize(pos0 + nt);
  return Status::Ok();
}

}  // namespace hearth::engine
