#include "engine/ggml_types.h"

#include <array>
#include <cctype>

namespace hearth::engine {
namespace {

constexpr std::array<GgmlTypeTraits, 20> kTraits = {{
    {GgmlType::kF32, "f32", 1, 4, false},
    {GgmlType::kF16, "f16", 1, 2, false},
    {GgmlType::kQ4_0, "q4_0", kQK4_0, sizeof(BlockQ4_0), true},
    {GgmlType::kQ4_1, "q4_1", kQK4_1, sizeof(BlockQ4_1), true},
    {GgmlType::kQ5_0, "q5_0", kQK5_0, sizeof(BlockQ5_0), true},
    {GgmlType::kQ5_1, "q5_1", kQK5_1, sizeof(BlockQ5_1), true},
    {GgmlType::kQ8_0, "q8_0", kQK8_0, sizeof(BlockQ8_0), true},
    {GgmlType::kQ8_1, "q8_1", kQK8_1, sizeof(BlockQ8_1), true},
    {GgmlType::kQ2_K, "q2_K", kQK_K, sizeof(BlockQ2_K), true},
    {GgmlType::kQ3_K, "q3_K", kQK_K, sizeof(BlockQ3_K), true},
    {GgmlType::kQ4_K, "q4_K", kQK_K, sizeof(BlockQ4_K), true},
    {GgmlType::kQ5_K, "q5_K", kQK_K, sizeof(BlockQ5_K), true},
    {GgmlType::kQ6_K, "q6_K", kQK_K, sizeof(BlockQ6_K), true},
    {GgmlType::kQ8_K, "q8_K", kQK_K, sizeof(BlockQ8_K), true},
    {GgmlType::kI8, "i8", 1, 1, false},
    {GgmlType::kI16, "i16", 1, 2, false},
    {GgmlType::kI32, "i32", 1, 4, false},
    {GgmlType::kI64, "i64", 1, 8, false},
    {GgmlType::kF64, "f64", 1, 8, false},
    {GgmlType::kBF16, "bf16", 1, 2, false},
}};

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::optional<GgmlTypeTraits> GetTypeTraits(uint32_t type_id) {
  for (const GgmlTypeTraits& t : kTraits) {
    if (static_cast<uint32_t>(t.type) == type_id) return t;
  }
  return std::nullopt;
}

std::optional<GgmlTypeTraits> GetTypeTraits(GgmlType type) {
  return GetTypeTraits(static_cast<uint32_t>(type));
}

std::optional<GgmlType> ParseTypeName(std::string_view name) {
  for (const GgmlTypeTraits& t : kTraits) {
    if (EqualsIgnoreCase(t.name, name)) return t.type;
  }
  return std::nullopt;
}

}  // namespace hearth::engine
