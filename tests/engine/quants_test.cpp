// Reference quantization: known-value blocks, round-trip error bounds, and
// exact F16/BF16 conversions.
#include "engine/quants.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "engine/fp16.h"

namespace hearth::engine {
namespace {

std::vector<float> Normal(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

std::vector<float> Dequant(GgmlType type, const std::vector<uint8_t>& bytes, int64_t n) {
  std::vector<float> out(static_cast<size_t>(n));
  DequantizeRow(type, bytes.data(), out.data(), n);
  return out;
}

std::vector<uint8_t> Quant(GgmlType type, const std::vector<float>& x) {
  Result<uint64_t> bytes = RowBytes(type, static_cast<int64_t>(x.size()));
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  std::vector<uint8_t> out(static_cast<size_t>(*bytes));
  Status s = QuantizeRow(type, x.data(), out.data(), static_cast<int64_t>(x.size()));
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

TEST(RowBytesTest, SizesAndErrors) {
  EXPECT_EQ(*RowBytes(GgmlType::kQ4_0, 4096), 4096u / 32 * 18);
  EXPECT_EQ(*RowBytes(GgmlType::kQ4_K, 4096), 4096u / 256 * 144);
  EXPECT_EQ(*RowBytes(GgmlType::kF16, 7), 14u);
  EXPECT_EQ(*RowBytes(GgmlType::kQ6_K, 0), 0u);
  EXPECT_EQ(RowBytes(GgmlType::kQ4_0, 33).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RowBytes(GgmlType::kQ4_K, 896).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RowBytes(GgmlType::kF32, -1).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RowBytes(static_cast<GgmlType>(99), 32).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RowBytes(GgmlType::kF64, std::numeric_limits<int64_t>::max()).status().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(TensorBytes(GgmlType::kF32, {1ull << 40, 1ull << 30}).status().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(*TensorBytes(GgmlType::kQ8_0, {64, 3}), 2u * 34 * 3);
}

TEST(TypeTraitsTest, NamesAndIds) {
  EXPECT_EQ(*ParseTypeName("Q4_K"), GgmlType::kQ4_K);
  EXPECT_EQ(*ParseTypeName("q4_k"), GgmlType::kQ4_K);
  EXPECT_EQ(*ParseTypeName("bf16"), GgmlType::kBF16);
  EXPECT_FALSE(ParseTypeName("q4_k_m").has_value());
  EXPECT_EQ(GetTypeTraits(30u)->name, "bf16");
  EXPECT_FALSE(GetTypeTraits(4u).has_value());  // removed Q4_2
  EXPECT_EQ(GetTypeTraits(GgmlType::kQ6_K)->type_size, 210u);
}

TEST(QuantsTest, Q4_0KnownBlock) {
  BlockQ4_0 b{};
  b.d = 0x3800;  // 0.5
  b.qs[0] = 0x1F;  // low 15 -> 7, high 1 -> -7
  b.qs[5] = 0x80;  // low 0 -> -8, high 8 -> 0
  std::vector<float> y(32);
  DequantizeRow(GgmlType::kQ4_0, &b, y.data(), 32);
  EXPECT_EQ(y[0], 3.5f);
  EXPECT_EQ(y[16], -3.5f);
  EXPECT_EQ(y[5], -4.0f);
  EXPECT_EQ(y[21], 0.0f);
  EXPECT_EQ(y[1], -4.0f);  // qs[1] == 0 -> -8 * 0.5
}

TEST(QuantsTest, Q4_0QuantizesKnownRamp) {
  std::vector<float> x(32);
  for (int j = 0; j < 32; ++j) x[j] = static_cast<float>(j - 16);
  std::vector<uint8_t> q = Quant(GgmlType::kQ4_0, x);
  BlockQ4_0 b;
  std::memcpy(&b, q.data(), sizeof(b));
  EXPECT_EQ(b.d, 0x4000);  // max = -16, d = -16 / -8 = 2
  // x*id + 8.5 truncated: j=0 -> 0, j=16 -> 8; j=1 -> 1, j=17 -> 9; j=15 -> 8 (7.5+... -0.5+8.5=8), j=31 -> min(15, 16).
  EXPECT_EQ(b.qs[0], 0x80);
  EXPECT_EQ(b.qs[1], 0x91);
  EXPECT_EQ(b.qs[15], 0xF8);
}

TEST(QuantsTest, Q8_0KnownBlockAndQuantize) {
  BlockQ8_0 b{};
  b.d = 0x3400;  // 0.25
  b.qs[0] = -128;
  b.qs[1] = 127;
  b.qs[31] = -3;
  std::vector<float> y(32);
  DequantizeRow(GgmlType::kQ8_0, &b, y.data(), 32);
  EXPECT_EQ(y[0], -32.0f);
  EXPECT_EQ(y[1], 31.75f);
  EXPECT_EQ(y[31], -0.75f);
  EXPECT_EQ(y[2], 0.0f);

  std::vector<float> x(32, 0.0f);
  x[0] = 127.0f;
  x[1] = -63.5f;   // rounds half away from zero -> -64
  x[2] = 0.49f;
  std::vector<uint8_t> q = Quant(GgmlType::kQ8_0, x);
  BlockQ8_0 qb;
  std::memcpy(&qb, q.data(), sizeof(qb));
  EXPECT_EQ(qb.d, 0x3C00);  // 127 / 127 = 1
  EXPECT_EQ(qb.qs[0], 127);
  EXPECT_EQ(qb.qs[1], -64);
  EXPECT_EQ(qb.qs[2], 0);
}

TEST(QuantsTest, Q4_KKnownBlock) {
  BlockQ4_K b{};
  b.d = 0x3C00;     // 1.0
  b.dmin = 0x3800;  // 0.5
  b.scales[0] = 0x42;  // sub-block 0 scale 2; top bits feed sub-block 4's scale
  b.scales[4] = 3;     // sub-block 0 min 3
  b.scales[8] = 0x21;  // sub-block 4: scale low nibble 1, min low nibble 2
  b.qs[0] = 0x05;      // element 0 (low nibble, sub-block 0); element 32 (high nibble, sub-block 1) = 0
  b.qs[64] = 0x03;     // element 128 (sub-block 4)
  std::vector<float> y(256);
  DequantizeRow(GgmlType::kQ4_K, &b, y.data(), 256);
  EXPECT_EQ(y[0], 2.0f * 5 - 0.5f * 3);      // 8.5
  EXPECT_EQ(y[128], 17.0f * 3 - 0.5f * 2);   // scale 1 | (1 << 4) = 17 -> 50
  EXPECT_EQ(y[32], 0.0f);                    // sub-block 1: scale 0, min 0
}

TEST(QuantsTest, Q6_KKnownBlock) {
  BlockQ6_K b{};
  b.d = 0x3800;  // 0.5
  b.scales[0] = 2;
  b.scales[4] = -1;
  b.ql[0] = 0x05;  // element 0 low bits 5; element 64 low bits 0
  b.qh[0] = 0x02;  // element 0 high bits 2 -> (5 | 32) - 32 = 5; element 64 high bits 0 -> -32
  std::vector<float> y(256);
  DequantizeRow(GgmlType::kQ6_K, &b, y.data(), 256);
  EXPECT_EQ(y[0], 0.5f * 2 * 5);
  EXPECT_EQ(y[64], 0.5f * -1 * -32);
}

TEST(QuantsTest, Q5_0AndQ5_1HighBits) {
  BlockQ5_0 b{};
  b.d = 0x3C00;
  b.qs[3] = 0xF0;  // element 3 low 0, element 19 low 15
  const uint32_t qh = (1u << 3) | (1u << 19);
  std::memcpy(b.qh, &qh, 4);
  std::vector<float> y(32);
  DequantizeRow(GgmlType::kQ5_0, &b, y.data(), 32);
  EXPECT_EQ(y[3], 16.0f - 16);
  EXPECT_EQ(y[19], 31.0f - 16);
  EXPECT_EQ(y[0], -16.0f);

  BlockQ5_1 c{};
  c.d = 0x3C00;
  c.m = 0xBC00;  // -1
  c.qs[0] = 0x01;
  std::memcpy(c.qh, &qh, 4);
  DequantizeRow(GgmlType::kQ5_1, &c, y.data(), 32);
  EXPECT_EQ(y[0], 0.0f);
  EXPECT_EQ(y[3], 15.0f);
  EXPECT_EQ(y[19], 15.0f);
}

struct Bound {
  GgmlType type;
  double max_rel_rmse;
};

class RoundTripTest : public ::testing::TestWithParam<Bound> {};

TEST_P(RoundTripTest, ErrorWithinBound) {
  const Bound b = GetParam();
  const int64_t n = 4096;
  std::vector<float> x = Normal(static_cast<size_t>(n), 1234, 0.02f);
  std::vector<uint8_t> q = Quant(b.type, x);
  std::vector<float> y = Dequant(b.type, q, n);
  double err = 0, ref = 0;
  for (int64_t i = 0; i < n; ++i) {
    err += (x[i] - y[i]) * static_cast<double>(x[i] - y[i]);
    ref += x[i] * static_cast<double>(x[i]);
  }
  const double rel = std::sqrt(err / ref);
  EXPECT_LT(rel, b.max_rel_rmse) << GetTypeTraits(b.type)->name;
  // A working quantizer is not exact except for the float types.
  if (GetTypeTraits(b.type)->quantized) {
    EXPECT_GT(rel, 0.0);
  }
  // Deterministic.
  EXPECT_EQ(Quant(b.type, x), q);
}

INSTANTIATE_TEST_SUITE_P(AllTypes, RoundTripTest,
                         ::testing::Values(Bound{GgmlType::kF32, 1e-12}, Bound{GgmlType::kF16, 1e-3},
                                           Bound{GgmlType::kBF16, 5e-3}, Bound{GgmlType::kQ8_0, 0.01},
                                           Bound{GgmlType::kQ5_0, 0.05}, Bound{GgmlType::kQ5_1, 0.05},
                                           Bound{GgmlType::kQ4_0, 0.11}, Bound{GgmlType::kQ4_1, 0.10},
                                           Bound{GgmlType::kQ6_K, 0.02}, Bound{GgmlType::kQ5_K, 0.04},
                                           Bound{GgmlType::kQ4_K, 0.08}, Bound{GgmlType::kQ3_K, 0.2},
                                           Bound{GgmlType::kQ2_K, 0.4}, Bound{GgmlType::kQ8_K, 0.01}));

TEST(QuantsTest, RequantizingIsStable) {
  // Dequantized values sit exactly on the grid, so quantizing them again
  // reproduces the same bytes for the absmax types.
  for (GgmlType t : {GgmlType::kQ8_0, GgmlType::kQ4_0}) {
    std::vector<float> x = Normal(1024, 7);
    std::vector<uint8_t> q = Quant(t, x);
    std::vector<float> y = Dequant(t, q, 1024);
    EXPECT_EQ(Quant(t, y), q) << GetTypeTraits(t)->name;
  }
}

TEST(QuantsTest, FastQuantizerIsValidAndCloseToReference) {
  const int64_t n = 2048;
  std::vector<float> x = Normal(static_cast<size_t>(n), 99, 0.05f);
  for (GgmlType t : {GgmlType::kQ4_0, GgmlType::kQ8_0, GgmlType::kF16, GgmlType::kQ2_K, GgmlType::kQ3_K,
                     GgmlType::kQ4_K, GgmlType::kQ5_K, GgmlType::kQ6_K}) {
    std::vector<uint8_t> ref = Quant(t, x);
    std::vector<uint8_t> fast(ref.size());
    ASSERT_TRUE(QuantizeRowFast(t, x.data(), fast.data(), n).ok());
    if (t == GgmlType::kQ4_0 || t == GgmlType::kQ8_0 || t == GgmlType::kF16) {
      EXPECT_EQ(fast, ref) << GetTypeTraits(t)->name;  // no search to skip
      continue;
    }
    std::vector<float> yr = Dequant(t, ref, n), yf = Dequant(t, fast, n);
    double er = 0, ef = 0, sx = 0;
    for (int64_t i = 0; i < n; ++i) {
      er += (x[i] - yr[i]) * static_cast<double>(x[i] - yr[i]);
      ef += (x[i] - yf[i]) * static_cast<double>(x[i] - yf[i]);
      sx += x[i] * static_cast<double>(x[i]);
    }
    // The search can only help, and skipping it costs little.
    EXPECT_LE(er, ef * 1.0001) << GetTypeTraits(t)->name;
    EXPECT_LT(std::sqrt(ef / sx), 2.0 * std::sqrt(er / sx) + 0.02) << GetTypeTraits(t)->name;
  }
}

TEST(QuantsTest, ZeroRowsGiveZeroBlocks) {
  for (GgmlType t : {GgmlType::kQ4_0, GgmlType::kQ8_0, GgmlType::kQ4_K, GgmlType::kQ6_K, GgmlType::kQ2_K,
                     GgmlType::kQ3_K, GgmlType::kQ5_K}) {
    std::vector<float> x(256, 0.0f);
    std::vector<float> y = Dequant(t, Quant(t, x), 256);
    for (float v : y) ASSERT_EQ(v, 0.0f) << GetTypeTraits(t)->name;
  }
}

TEST(QuantsTest, RejectsBadInput) {
  std::vector<float> x(64, 1.0f);
  std::vector<uint8_t> out(1024);
  EXPECT_EQ(QuantizeRow(GgmlType::kQ4_0, x.data(), out.data(), 40).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(QuantizeRow(GgmlType::kQ8_1, x.data(), out.data(), 64).code(), StatusCode::kUnimplemented);
  EXPECT_EQ(QuantizeRow(GgmlType::kI32, x.data(), out.data(), 64).code(), StatusCode::kUnimplemented);
  x[10] = std::numeric_limits<float>::quiet_NaN();
  Status s = QuantizeRow(GgmlType::kQ4_0, x.data(), out.data(), 64);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("index 10"), std::string::npos) << s.message();
  x[10] = std::numeric_limits<float>::infinity();
  EXPECT_EQ(QuantizeRow(GgmlType::kQ8_0, x.data(), out.data(), 64).code(), StatusCode::kInvalidArgument);
  // Float types carry NaN/inf through.
  EXPECT_TRUE(QuantizeRow(GgmlType::kF16, x.data(), out.data(), 64).ok());
}

TEST(Fp16Test, ExactCases) {
  EXPECT_EQ(Fp32ToFp16(1.0f), 0x3C00);
  EXPECT_EQ(Fp32ToFp16(-2.0f), 0xC000);
  EXPECT_EQ(Fp32ToFp16(-0.0f), 0x8000);
  EXPECT_EQ(Fp32ToFp16(65504.0f), 0x7BFF);
  EXPECT_EQ(Fp32ToFp16(65520.0f), 0x7C00);  // rounds up to infinity
  EXPECT_EQ(Fp32ToFp16(65519.0f), 0x7BFF);
  EXPECT_EQ(Fp32ToFp16(std::numeric_limits<float>::infinity()), 0x7C00);
  EXPECT_EQ(Fp32ToFp16(std::ldexp(1.0f, -24)), 0x0001);  // smallest subnormal
  EXPECT_EQ(Fp32ToFp16(std::ldexp(1.0f, -25)), 0x0000);  // tie -> even (0)
  EXPECT_EQ(Fp32ToFp16(std::ldexp(3.0f, -25)), 0x0002);  // 1.5 ulp tie -> even (2)
  EXPECT_EQ(Fp32ToFp16(std::ldexp(1.0f, -14)), 0x0400);  // smallest normal
  EXPECT_EQ(Fp32ToFp16(1.0f + std::ldexp(1.0f, -11)), 0x3C00);  // tie -> even
  EXPECT_EQ(Fp32ToFp16(1.0f + std::ldexp(3.0f, -11)), 0x3C02);
  const uint16_t nan = Fp32ToFp16(std::numeric_limits<float>::quiet_NaN());
  EXPECT_EQ(nan & 0x7C00, 0x7C00);
  EXPECT_NE(nan & 0x03FF, 0);
  EXPECT_TRUE(std::isnan(Fp16ToFp32(nan)));
  EXPECT_EQ(Fp16ToFp32(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(Fp16ToFp32(0x03FF), std::ldexp(1023.0f, -24));
  EXPECT_EQ(Fp16ToFp32(0xFC00), -std::numeric_limits<float>::infinity());
  // Every finite half survives a round trip exactly.
  for (uint32_t h = 0; h < 0x10000; ++h) {
    if ((h & 0x7C00) == 0x7C00) continue;
    ASSERT_EQ(Fp32ToFp16(Fp16ToFp32(static_cast<uint16_t>(h))), h) << h;
  }
}

TEST(Bf16Test, ExactCases) {
  EXPECT_EQ(Fp32ToBf16(1.0f), 0x3F80);
  EXPECT_EQ(Fp32ToBf16(1.0f + std::ldexp(1.0f, -8)), 0x3F80);      // tie -> even
  EXPECT_EQ(Fp32ToBf16(1.0f + std::ldexp(3.0f, -8)), 0x3F82);      // tie -> even (up)
  EXPECT_EQ(Fp32ToBf16(std::ldexp(1.0f, -130)), 0x0008);           // subnormals are kept
  EXPECT_EQ(Fp32ToBf16(std::numeric_limits<float>::infinity()), 0x7F80);
  const uint16_t nan = Fp32ToBf16(BitsToFloat(0x7F800001u));       // signalling NaN stays NaN
  EXPECT_TRUE(std::isnan(Bf16ToFp32(nan)));
  EXPECT_EQ(Bf16ToFp32(0xC040), -3.0f);
  std::vector<float> x = {1.0f, -3.0f, 0.5f, 1e-40f};
  std::vector<uint8_t> q = Quant(GgmlType::kBF16, x);
  std::vector<float> y = Dequant(GgmlType::kBF16, q, 4);
  EXPECT_EQ(y[0], 1.0f);
  EXPECT_EQ(y[1], -3.0f);
  EXPECT_EQ(y[2], 0.5f);
  EXPECT_GT(y[3], 0.0f);
}

}  // namespace
}  // namespace hearth::engine
