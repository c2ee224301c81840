// Vector primitives of the forward pass, vectorized for the active ISA level
// (cpu_features.h) with a portable fallback.
//
// All run on the calling thread (parallelize over rows/heads with the
// ThreadPool). Each result depends only on the inputs and ActiveIsa(), never
// on timing, so generation is reproducible. `n` counts elements. Unless said
// otherwise an output may alias an input exactly (in place), but not overlap
// it partially. F16 data are IEEE half bits (uint16_t), as in fp16.h.
#pragma once

#include <cstdint>

namespace hearth::engine::kernels {

// out[i] = x[i] / sqrt(mean(x^2) + eps) * weight[i]. (The sum of squares is
// accumulated in double.) weight may be null: no scaling.
void RmsNorm(const float* x, const float* weight, int64_t n, float eps, float* out);

// x = softmax(x), in place, stable (subtracts the max). Entries equal to
// -infinity (masked) become 0; n >= 1 and at least one entry finite.
void Softmax(float* x, int64_t n);

// out[i] = silu(gate[i]) * up[i], silu(g) = g / (1 + exp(-g))  (SwiGLU).
void SiluMul(const float* gate, const float* up, int64_t n, float* out);

// out[i] = a[i] + b[i].
void Add(const float* a, const float* b, int64_t n, float* out);
// x[i] *= s.
void Scale(float* x, int64_t n, float s);

// sum_i a[i] * b[i], a in F16.
float DotF16F32(const uint16_t* a, const float* b, int64_t n);
// y[i] += alpha * x[i], x in F16.
void AxpyF16(float alpha, const uint16_t* x, int64_t n, float* y);

// Bulk conversions; F16 rounding is to nearest-even (as fp16.h, as F16C).
void Fp32ToFp16Row(const float* src, int64_t n, uint16_t* dst);
void Fp16ToFp32Row(const uint16_t* src, int64_t n, float* dst);

// Attention of one query head over an F16 KV cache:
//   s_p  = scale * dot(q, K_p)                      for p < n_pos
//   out  = sum_p softmax(s)_p * V_p                 (head_dim floats)
// K_p starts at k + p * stride and V_p at v + p * stride (stride in
// elements). With the cache laid out [pos][kv_head][head_dim], pass
// k = cache_k + kv_head * head_dim and stride = n_kv_heads * head_dim.
// Causality is the caller's: pass n_pos = position of the query + 1.
// `scores` is scratch for n_pos floats; out must not alias q, k, v or scores.
void AttendHeadF16(const float* q, const uint16_t* k, const uint16_t* v, int64_t n_pos,
                   int64_t head_dim, int64_t stride, float scale, float* scores, float* out);

}  // namespace hearth::engine::kernels
