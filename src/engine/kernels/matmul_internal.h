// Internal contract between matmul.cpp (dispatch, slow path) and the
// ISA-specific kernel files (x86_kernels.inc compiled once per ISA level).
//
// The ISA files are compiled with -mavx2/-mavx512*: they include nothing
// that defines inline functions shared with other translation units (no
// standard containers, no fp16.h), so the linker can never pick an
// AVX-512 copy of a common inline function for code running on an older CPU.
#pragma once

#include <cstddef>
#include <cstdint>

#include "engine/ggml_types.h"

namespace hearth::engine::kernels::internal {

// Activations quantized to 8 bits in blocks of 32 (for Q4_0 / Q8_0 weights):
// x[i] ~= d * qs[i], qs in [-127, 127], sum = sum of qs.
struct ActQ8_0 {
  float d;
  int32_t sum;
  int8_t qs[32];
};
static_assert(sizeof(ActQ8_0) == 40);

// Activations in blocks of 256 (for the k-quants): bsums[j] = sum of
// qs[16j .. 16j+15].
struct ActQ8_K {
  int8_t qs[256];
  int16_t bsums[16];
  float d;
  int32_t unused;
};
static_assert(sizeof(ActQ8_K) == 296);

enum class ActFormat { kF32, kQ8_0, kQ8_K };

// Everything a kernel needs to compute y[t * rows + r].
struct MatArgs {
  const uint8_t* w;    // row r at w + r * row_bytes
  size_t row_bytes;
  int64_t rows;        // also the stride of y between tokens
  int64_t cols;
  const uint8_t* x;    // activations of token t at x + t * x_stride (format per type)
  size_t x_stride;
  float* y;
};

// Computes y for rows [r0, r1) x tokens [t0, t1).
using TileFn = void (*)(const MatArgs& a, int64_t r0, int64_t r1, int64_t t0, int64_t t1);

struct IsaKernels {
  // Returns the kernel for a weight type and the activation format it wants,
  // or nullptr when this level has no fast path for the type.
  TileFn (*find)(GgmlType type, ActFormat* format);
  // Quantize one row of n floats (n a multiple of 32 / 256).
  void (*quantize_q8_0)(const float* x, int64_t n, ActQ8_0* out);
  void (*quantize_q8_k)(const float* x, int64_t n, ActQ8_K* out);
  // ops.h primitives.
  float (*dot_f16_f32)(const uint16_t* a, const float* b, int64_t n);
  void (*axpy_f16)(float alpha, const uint16_t* x, int64_t n, float* y);
  void (*fp32_to_fp16)(const float* src, int64_t n, uint16_t* dst);
  void (*fp16_to_fp32)(const uint16_t* src, int64_t n, float* dst);
  float (*sum_squares)(const float* x, int64_t n);
  void (*silu_mul)(const float* gate, const float* up, int64_t n, float* out);
  // x[i] = exp(x[i] - max), returns the sum (x[i] == -inf gives 0).
  float (*exp_shift_sum)(float* x, int64_t n, float max);
};

// nullptr when the library was built without that level (non-x86).
const IsaKernels* Avx2Kernels();
const IsaKernels* Avx512Kernels();
// The kernels of ActiveIsa(), nullptr for kScalar.
const IsaKernels* ActiveKernels();

}  // namespace hearth::engine::kernels::internal
