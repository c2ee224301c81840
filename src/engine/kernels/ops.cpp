#include "engine/kernels/ops.h"

#include <cmath>
#include <limits>

#include "engine/fp16.h"
#include "engine/kernels/matmul_internal.h"

namespace hearth::engine::kernels {

using internal::ActiveKernels;
using internal::IsaKernels;

void RmsNorm(const float* x, const float* weight, int64_t n, float eps, float* out) {
  double ss;
  if (const IsaKernels* k = ActiveKernels()) {
    ss = k->sum_squares(x, n);
  } else {
    ss = 0;
    for (int64_t i = 0; i < n; ++i) ss += static_cast<double>(x[i]) * x[i];
  }
  const float scale = static_cast<float>(1.0 / std::sqrt(ss / static_cast<double>(n) + eps));
  if (weight != nullptr) {
    for (int64_t i = 0; i < n; ++i) out[i] = x[i] * scale * weight[i];
  } else {
    for (int64_t i = 0; i < n; ++i) out[i] = x[i] * scale;
  }
}

void Softmax(float* x, int64_t n) {
  float max = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < n; ++i) max = std::fmax(max, x[i]);
  float sum;
  if (const IsaKernels* k = ActiveKernels()) {
    sum = k->exp_shift_sum(x, n, max);
  } else {
    sum = 0;
    for (int64_t i = 0; i < n; ++i) {
      x[i] = std::exp(x[i] - max);
      sum += x[i];
    }
  }
  const float inv = 1.0f / sum;
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

void SiluMul(const float* gate, const float* up, int64_t n, float* out) {
  if (const IsaKernels* k = ActiveKernels()) {
    k->silu_mul(gate, up, n, out);
    return;
  }
  for (int64_t i = 0; i < n; ++i) out[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

void Add(const float* a, const float* b, int64_t n, float* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = a[i] + b[i];
}

void Scale(float* x, int64_t n, float s) {
  for (int64_t i = 0; i < n; ++i) x[i] *= s;
}

float DotF16F32(const uint16_t* a, const float* b, int64_t n) {
  if (const IsaKernels* k = ActiveKernels()) return k->dot_f16_f32(a, b, n);
  float s = 0;
  for (int64_t i = 0; i < n; ++i) s += Fp16ToFp32(a[i]) * b[i];
  return s;
}

void AxpyF16(float alpha, const uint16_t* x, int64_t n, float* y) {
  if (const IsaKernels* k = ActiveKernels()) {
    k->axpy_f16(alpha, x, n, y);
    return;
  }
  for (int64_t i = 0; i < n; ++i) y[i] += alpha * Fp16ToFp32(x[i]);
}

void Fp32ToFp16Row(const float* src, int64_t n, uint16_t* dst) {
  if (const IsaKernels* k = ActiveKernels()) {
    k->fp32_to_fp16(src, n, dst);
    return;
  }
  for (int64_t i = 0; i < n; ++i) dst[i] = Fp32ToFp16(src[i]);
}

void Fp16ToFp32Row(const uint16_t* src, int64_t n, float* dst) {
  if (const IsaKernels* k = ActiveKernels()) {
    k->fp16_to_fp32(src, n, dst);
    return;
  }
  for (int64_t i = 0; i < n; ++i) dst[i] = Fp16ToFp32(src[i]);
}

void AttendHeadF16(const float* q, const uint16_t* k, const uint16_t* v, int64_t n_pos, int64_t head_dim,
                   int64_t stride, float scale, float* scores, float* out) {
  for (int64_t p = 0; p < n_pos; ++p) scores[p] = scale * DotF16F32(k + p * stride, q, head_dim);
  Softmax(scores, n_pos);
  for (int64_t d = 0; d < head_dim; ++d) out[d] = 0.0f;
  for (int64_t p = 0; p < n_pos; ++p) AxpyF16(scores[p], v + p * stride, head_dim, out);
}

}  // namespace hearth::engine::kernels
