// Matrix products of a (quantized) weight matrix with float activations.
//
//   y[t * rows + r] = sum_k W[r, k] * x[t * cols + k]   for t < n_tokens, r < rows
//
// W is stored row-major in GGUF layout: row r starts at data + r * row_bytes
// and holds `cols` elements of `type` (cols a multiple of the type's block
// size). n_tokens == 1 is generation (matrix-vector, bound by memory
// bandwidth); n_tokens > 1 is prompt processing (matrix-matrix), tiled over
// tokens x rows so each weight block is loaded once for several tokens.
//
// Fast paths (AVX2 and AVX-512 VNNI, picked by ActiveIsa()): Q4_0, Q8_0,
// Q4_K, Q6_K quantize the activations once per call (to 8-bit blocks of 32
// for Q4_0/Q8_0, of 256 for the k-quants, as llama.cpp does) and use integer
// dot products; F16, BF16 and F32 use float FMA on the activations as given.
// Every other readable type (Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q5_K, ...)
// dequantizes its rows (quants.h) into per-thread scratch and runs the F32
// kernel: slower for generation, exact up to float rounding. The scalar level
// dequantizes a row at a time and dots in double.
//
// Accuracy, relative to the exact product with the dequantized weights:
//   F32/F16/BF16 and the dequantizing paths: float rounding only (|err| <~ 1e-6 * sum|w*x|).
//   Q4_0/Q8_0/Q4_K/Q6_K fast paths: each activation is rounded to 8 bits per
//     block, so |err| <= sum_k |w_k| * amax(block of x_k) / 254 (+ float rounding).
//
// Determinism: every y element is computed by one thread in a fixed order, so
// results are bit-identical for any pool size and across repeated calls
// (for a given ActiveIsa()).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/status.h"
#include "engine/ggml_types.h"
#include "engine/kernels/thread_pool.h"

namespace hearth::engine::kernels {

struct WeightView {
  GgmlType type = GgmlType::kF32;
  const void* data = nullptr;
  int64_t rows = 0;
  int64_t cols = 0;
  size_t row_bytes = 0;  // >= cols / block_size * type_size
};

// Checks that MatMul can run on w: a supported type, positive shape, cols a
// multiple of the block size, row_bytes large enough, data non-null.
// `name` (e.g. the tensor's name) goes into the message.
Status ValidateWeightView(const WeightView& w, std::string_view name);

// Whether MatMul accepts `type` at all (fast or slow path).
bool MatMulSupportsType(GgmlType type);
// Whether `type` has a fast (vectorized) path at the active ISA level.
bool MatMulHasFastPath(GgmlType type);

// Scratch MatMul takes from the pool for this shape (activation blocks are
// shared; the dequantizing paths need 16 rows of floats per thread). The memory
// plan reserves the maximum over the model's matrices with
// pool.Reserve(shared, per_thread) so that nothing grows while generating.
struct ScratchBytes {
  size_t shared = 0;
  size_t per_thread = 0;
};
ScratchBytes MatMulScratchBytes(const WeightView& w, int64_t n_tokens);

// y = W x as stated at the top. Preconditions (checked by assert only; use
// ValidateWeightView when loading): ValidateWeightView(w).ok(), n_tokens >= 1,
// x holds n_tokens * cols floats, y holds n_tokens * rows floats, x and y do
// not overlap. Runs on the pool's threads.
void MatMul(const WeightView& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool);

}  // namespace hearth::engine::kernels
