// Reference (scalar) conversion between float rows and GGUF tensor types.
//
// These are the bit-exact counterparts of ggml's reference routines
// (dequantize_row_* and quantize_row_*_ref): a row quantized here is byte-for-
// byte what llama.cpp's quantize tool writes without an importance matrix, and
// dequantizing gives exactly ggml's floats. They are the correctness baseline
// the fast kernels are tested against; they are not fast.
//
// A "row" is n contiguous elements; n must be a multiple of the type's block
// size (callers check with RowBytes, which also guards against overflow).
#pragma once

#include <cstdint>
#include <vector>

#include "common/status.h"
#include "engine/ggml_types.h"

namespace hearth::engine {

// Bytes taken by a row of n elements of `type`. InvalidArgument when the type
// is unknown, n is negative or not a multiple of the block size; OutOfRange
// when the size does not fit in 63 bits.
Result<uint64_t> RowBytes(GgmlType type, int64_t n);
// Bytes of a tensor with dims ne[0], ne[1], … (ne[0] the row length).
Result<uint64_t> TensorBytes(GgmlType type, const std::vector<uint64_t>& dims);

// Whether DequantizeRow / QuantizeRow support `type`.
// Dequantization: F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1, Q2_K,
// Q3_K, Q4_K, Q5_K, Q6_K, Q8_K. Quantization: the same less Q8_1.
bool CanDequantize(GgmlType type);
bool CanQuantize(GgmlType type);

// Converts n elements of `type` at `src` to floats at `dst`.
// Preconditions: CanDequantize(type), n a multiple of the block size, and src
// holds RowBytes(type, n) bytes. (Unsupported types fill dst with NaN.)
void DequantizeRow(GgmlType type, const void* src, float* dst, int64_t n);

// Converts n floats to `type`, writing RowBytes(type, n) bytes at dst.
// Unimplemented for types without a quantizer; InvalidArgument when n is not
// a multiple of the block size or (for block types) a value is NaN/infinite.
Status QuantizeRow(GgmlType type, const float* src, void* dst, int64_t n);

// Like QuantizeRow, but the k-quants (Q2_K..Q6_K) skip ggml's error-
// minimizing scale search and keep its first estimate: valid blocks of the
// same layout, somewhat larger error, ~10-20x faster. Not bit-identical to
// llama.cpp for k-quants (identical for every other type). Model synthesis
// uses it; anything that must match llama.cpp uses QuantizeRow.
Status QuantizeRowFast(GgmlType type, const float* src, void* dst, int64_t n);

}  // namespace hearth::engine
