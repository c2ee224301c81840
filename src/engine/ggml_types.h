// Tensor element types as GGUF files in the wild store them.
//
// The numeric values of GgmlType and the block layouts below are fixed by the
// GGUF format (they are what llama.cpp writes); they must never change. Each
// quantized type stores `block_size` elements in `type_size` bytes; a row of
// n elements (n a multiple of block_size) takes n / block_size * type_size
// bytes. Multi-byte fields are little-endian; `d`/`dmin` fields are IEEE
// half floats stored as raw uint16 bits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace hearth::engine {

enum class GgmlType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ5_0 = 6,
  kQ5_1 = 7,
  kQ8_0 = 8,
  kQ8_1 = 9,
  kQ2_K = 10,
  kQ3_K = 11,
  kQ4_K = 12,
  kQ5_K = 13,
  kQ6_K = 14,
  kQ8_K = 15,
  kI8 = 24,
  kI16 = 25,
  kI32 = 26,
  kI64 = 27,
  kF64 = 28,
  kBF16 = 30,
};

struct GgmlTypeTraits {
  GgmlType type;
  std::string_view name;  // "f32", "q4_0", "q4_K", … (llama.cpp's spelling)
  int64_t block_size;     // elements per block (1 for plain types)
  size_t type_size;       // bytes per block
  bool quantized;
};

// Traits of a type, or nullopt for ids Hearth does not support (a file using
// one is rejected with the tensor's name and the id).
std::optional<GgmlTypeTraits> GetTypeTraits(uint32_t type_id);
std::optional<GgmlTypeTraits> GetTypeTraits(GgmlType type);
// Parses a name such as "q4_0", "Q4_K", "f16" (case-insensitive).
std::optional<GgmlType> ParseTypeName(std::string_view name);

constexpr int64_t kQK4_0 = 32;
constexpr int64_t kQK4_1 = 32;
constexpr int64_t kQK5_0 = 32;
constexpr int64_t kQK5_1 = 32;
constexpr int64_t kQK8_0 = 32;
constexpr int64_t kQK8_1 = 32;
constexpr int64_t kQK_K = 256;       // super-block size of the k-quants
constexpr int kKScaleSize = 12;      // packed 6-bit scales of Q4_K / Q5_K

#pragma pack(push, 1)
struct BlockQ4_0 { uint16_t d; uint8_t qs[kQK4_0 / 2]; };
struct BlockQ4_1 { uint16_t d; uint16_t m; uint8_t qs[kQK4_1 / 2]; };
struct BlockQ5_0 { uint16_t d; uint8_t qh[4]; uint8_t qs[kQK5_0 / 2]; };
struct BlockQ5_1 { uint16_t d; uint16_t m; uint8_t qh[4]; uint8_t qs[kQK5_1 / 2]; };
struct BlockQ8_0 { uint16_t d; int8_t qs[kQK8_0]; };
struct BlockQ8_1 { uint16_t d; uint16_t s; int8_t qs[kQK8_1]; };
struct BlockQ2_K { uint8_t scales[kQK_K / 16]; uint8_t qs[kQK_K / 4]; uint16_t d; uint16_t dmin; };
struct BlockQ3_K { uint8_t hmask[kQK_K / 8]; uint8_t qs[kQK_K / 4]; uint8_t scales[12]; uint16_t d; };
struct BlockQ4_K { uint16_t d; uint16_t dmin; uint8_t scales[kKScaleSize]; uint8_t qs[kQK_K / 2]; };
struct BlockQ5_K { uint16_t d; uint16_t dmin; uint8_t scales[kKScaleSize]; uint8_t qh[kQK_K / 8]; uint8_t qs[kQK_K / 2]; };
struct BlockQ6_K { uint8_t ql[kQK_K / 2]; uint8_t qh[kQK_K / 4]; int8_t scales[kQK_K / 16]; uint16_t d; };
struct BlockQ8_K { float d; int8_t qs[kQK_K]; int16_t bsums[kQK_K / 16]; };
#pragma pack(pop)

static_assert(sizeof(BlockQ4_0) == 18);
static_assert(sizeof(BlockQ4_1) == 20);
static_assert(sizeof(BlockQ5_0) == 22);
static_assert(sizeof(BlockQ5_1) == 24);
static_assert(sizeof(BlockQ8_0) == 34);
static_assert(sizeof(BlockQ8_1) == 36);
static_assert(sizeof(BlockQ2_K) == 84);
static_assert(sizeof(BlockQ3_K) == 110);
static_assert(sizeof(BlockQ4_K) == 144);
static_assert(sizeof(BlockQ5_K) == 176);
static_assert(sizeof(BlockQ6_K) == 210);
static_assert(sizeof(BlockQ8_K) == 292);

}  // namespace hearth::engine
