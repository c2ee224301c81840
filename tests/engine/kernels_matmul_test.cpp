// MatMul against a float64 reference (weights dequantized with quants.h),
// for every supported weight type at every ISA level this CPU has.
#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "engine/fp16.h"
#include "engine/ggml_types.h"
#include "engine/kernels/cpu_features.h"
#include "engine/kernels/matmul.h"
#include "engine/quants.h"

namespace hearth::engine::kernels {
namespace {

const GgmlType kAllTypes[] = {
    GgmlType::kF32,  GgmlType::kF16,  GgmlType::kBF16, GgmlType::kQ4_0, GgmlType::kQ8_0,
    GgmlType::kQ4_K, GgmlType::kQ6_K, GgmlType::kQ4_1, GgmlType::kQ5_0, GgmlType::kQ5_1,
    GgmlType::kQ2_K, GgmlType::kQ3_K, GgmlType::kQ5_K,
};

bool HasFastPathByContract(GgmlType t) {
  switch (t) {
    case GgmlType::kF32: case GgmlType::kF16: case GgmlType::kBF16: case GgmlType::kQ4_0:
    case GgmlType::kQ8_0: case GgmlType::kQ4_K: case GgmlType::kQ6_K: return true;
    default: return false;
  }
}

// Block size of the activation quantization the fast path uses (0: none).
int64_t ActivationBlock(GgmlType t) {
  switch (t) {
    case GgmlType::kQ4_0: case GgmlType::kQ8_0: return 32;
    case GgmlType::kQ4_K: case GgmlType::kQ6_K: return 256;
    default: return 0;
  }
}

void PutHalf(uint8_t* block, size_t offset, float v) {
  const uint16_t h = Fp32ToFp16(v);
  std::memcpy(block + offset, &h, 2);
}

// A matrix of random blocks: every bit pattern of the quantized fields is
// possible (including Q8_0's -128 and negative Q6_K scales), only the half
// float scales are set to sane positive values.
struct Matrix {
  GgmlType type;
  int64_t rows, cols;
  size_t row_bytes;
  std::vector<uint8_t> data;
  WeightView view() const { return {type, data.data(), rows, cols, row_bytes}; }
};

Matrix RandomMatrix(GgmlType type, int64_t rows, int64_t cols, std::mt19937& rng, size_t pad = 0) {
  const auto traits = GetTypeTraits(type);
  Matrix m{type, rows, cols, 0, {}};
  m.row_bytes = static_cast<size_t>(cols / traits->block_size) * traits->type_size + pad;
  m.data.resize(m.row_bytes * static_cast<size_t>(rows));
  std::uniform_real_distribution<float> value(-1.0f, 1.0f);
  std::uniform_real_distribution<float> scale(0.002f, 0.05f);
  std::uniform_int_distribution<int> byte(0, 255);
  for (auto& b : m.data) b = static_cast<uint8_t>(byte(rng));
  for (int64_t r = 0; r < rows; ++r) {
    uint8_t* row = m.data.data() + r * m.row_bytes;
    if (type == GgmlType::kF32) {
      for (int64_t k = 0; k < cols; ++k) { const float v = value(rng); std::memcpy(row + 4 * k, &v, 4); }
      continue;
    }
    if (type == GgmlType::kF16 || type == GgmlType::kBF16) {
      for (int64_t k = 0; k < cols; ++k) {
        const float v = value(rng);
        const uint16_t h = type == GgmlType::kF16 ? Fp32ToFp16(v) : Fp32ToBf16(v);
        std::memcpy(row + 2 * k, &h, 2);
      }
      continue;
    }
    for (int64_t b = 0; b < cols / traits->block_size; ++b) {
      uint8_t* blk = row + b * traits->type_size;
      switch (type) {
        case GgmlType::kQ4_0: PutHalf(blk, offsetof(BlockQ4_0, d), scale(rng)); break;
        case GgmlType::kQ8_0: PutHalf(blk, offsetof(BlockQ8_0, d), scale(rng)); break;
        case GgmlType::kQ5_0: PutHalf(blk, offsetof(BlockQ5_0, d), scale(rng)); break;
        case GgmlType::kQ4_1:
          PutHalf(blk, offsetof(BlockQ4_1, d), scale(rng));
          PutHalf(blk, offsetof(BlockQ4_1, m), -8 * scale(rng));
          break;
        case GgmlType::kQ5_1:
          PutHalf(blk, offsetof(BlockQ5_1, d), scale(rng));
          PutHalf(blk, offsetof(BlockQ5_1, m), -16 * scale(rng));
          break;
        case GgmlType::kQ2_K:
          PutHalf(blk, offsetof(BlockQ2_K, d), scale(rng));
          PutHalf(blk, offsetof(BlockQ2_K, dmin), scale(rng));
          break;
        case GgmlType::kQ3_K: PutHalf(blk, offsetof(BlockQ3_K, d), scale(rng)); break;
        case GgmlType::kQ4_K:
          PutHalf(blk, offsetof(BlockQ4_K, d), scale(rng) * 0.1f);
          PutHalf(blk, offsetof(BlockQ4_K, dmin), scale(rng) * 0.1f);
          break;
        case GgmlType::kQ5_K:
          PutHalf(blk, offsetof(BlockQ5_K, d), scale(rng) * 0.1f);
          PutHalf(blk, offsetof(BlockQ5_K, dmin), scale(rng) * 0.1f);
          break;
        case GgmlType::kQ6_K: PutHalf(blk, offsetof(BlockQ6_K, d), scale(rng) * 0.1f); break;
        default: ADD_FAILURE() << "no generator for type " << static_cast<int>(type);
      }
    }
  }
  return m;
}

std::vector<float> RandomActivations(int64_t n, std::mt19937& rng) {
  // Mostly small values with a few large ones, like real hidden states; the
  // outliers make the per-block activation scales matter.
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_int_distribution<int> outlier(0, 63);
  std::vector<float> x(static_cast<size_t>(n));
  for (auto& v : x) v = normal(rng) * (outlier(rng) == 0 ? 20.0f : 1.0f);
  return x;
}

// Checks y against a double-precision product with the dequantized weights.
// Tolerance: float rounding (1e-5 of sum |w x|) for exact paths; for paths
// that round activations to 8 bits per block, also the worst case of that
// rounding: each x_k moves by at most amax(its block) / 254.
void ExpectMatchesReference(const Matrix& m, const std::vector<float>& x, int64_t n_tokens,
                            const std::vector<float>& y, int64_t act_block, const std::string& what) {
  std::vector<float> row(static_cast<size_t>(m.cols));
  int failures = 0;
  double sum_sq_ratio = 0;  // of |diff| / (activation rounding bound)
  for (int64_t r = 0; r < m.rows; ++r) {
    DequantizeRow(m.type, m.data.data() + r * m.row_bytes, row.data(), m.cols);
    for (int64_t t = 0; t < n_tokens; ++t) {
      const float* xt = x.data() + t * m.cols;
      double exact = 0, magnitude = 0, quant_bound = 0;
      for (int64_t k = 0; k < m.cols; ++k) {
        exact += static_cast<double>(row[k]) * xt[k];
        magnitude += std::fabs(static_cast<double>(row[k]) * xt[k]);
      }
      if (act_block > 0) {
        for (int64_t b = 0; b < m.cols; b += act_block) {
          double amax = 0, wsum = 0;
          for (int64_t k = b; k < b + act_block; ++k) {
            amax = std::max(amax, std::fabs(static_cast<double>(xt[k])));
            wsum += std::fabs(static_cast<double>(row[k]));
          }
          quant_bound += wsum * amax / 254.0 * 1.001;
        }
      }
      const double tol = 1e-5 * magnitude + quant_bound + 1e-30;
      const double got = y[static_cast<size_t>(t * m.rows + r)];
      if (act_block > 0) sum_sq_ratio += std::pow(std::fabs(got - exact) / quant_bound, 2);
      if (!(std::fabs(got - exact) <= tol) && ++failures <= 5) {
        ADD_FAILURE() << what << ": y[t=" << t << "][r=" << r << "] = " << got << ", reference " << exact
                      << ", |diff| " << std::fabs(got - exact) << " > tolerance " << tol;
      }
    }
  }
  EXPECT_EQ(failures, 0) << what;
  // The bound above is a worst case (all roundings aligned). Independent
  // roundings cancel: typically the error is a few percent of the bound, so
  // its RMS over all outputs must stay well below it; this catches small
  // systematic errors (a wrong offset or scale) the worst case would hide.
  if (act_block > 0) {
    const double rms = std::sqrt(sum_sq_ratio / static_cast<double>(m.rows * n_tokens));
    EXPECT_LT(rms, 0.15) << what << ": error is a large fraction of the rounding bound";
  }
}

class MatMulTest : public ::testing::TestWithParam<IsaLevel> {
 protected:
  void SetUp() override {
    if (GetParam() > DetectedIsa()) GTEST_SKIP() << "this CPU lacks " << IsaName(GetParam());
    previous_ = ActiveIsa();
    ASSERT_EQ(SetActiveIsa(GetParam()), GetParam());
  }
  void TearDown() override { SetActiveIsa(previous_); }
  IsaLevel previous_ = IsaLevel::kScalar;
};

TEST_P(MatMulTest, EveryTypeMatchesReferenceOnOddShapes) {
  ThreadPool pool(2);
  std::mt19937 rng(1234);
  for (GgmlType type : kAllTypes) {
    const auto traits = GetTypeTraits(type);
    const int64_t bs = traits->block_size;
    const int64_t blocks_per_row = bs == 256 ? 3 : (bs == 32 ? 9 : 0);
    // Plain types: a length that is not a multiple of 8 exercises the tails.
    const int64_t cols = bs == 1 ? 301 : bs * blocks_per_row;
    const bool fast = GetParam() != IsaLevel::kScalar && HasFastPathByContract(type);
    EXPECT_EQ(MatMulHasFastPath(type), fast) << traits->name;
    for (int64_t rows : {1, 7, 37}) {
      const Matrix m = RandomMatrix(type, rows, cols, rng, rows == 7 ? 6 : 0);
      ASSERT_TRUE(ValidateWeightView(m.view(), "w").ok()) << ValidateWeightView(m.view(), "w").ToString();
      for (int64_t n_tokens : {1, 2, 3, 4, 5, 6, 7, 9, 17}) {
        if (rows == 37 && n_tokens > 5 && n_tokens != 17) continue;  // keep ASan runs short
        const auto x = RandomActivations(n_tokens * cols, rng);
        std::vector<float> y(static_cast<size_t>(n_tokens * rows), NAN);
        MatMul(m.view(), x.data(), n_tokens, y.data(), pool);
        ExpectMatchesReference(m, x, n_tokens, y, fast ? ActivationBlock(type) : 0,
                               std::string(traits->name) + " " + std::to_string(rows) + "x" +
                                   std::to_string(cols) + " tokens=" + std::to_string(n_tokens));
      }
    }
  }
}

TEST_P(MatMulTest, ManyTokensCrossTaskBoundaries) {
  // 70 tokens x 40 rows spans several 64-token and 16-row tasks.
  ThreadPool pool(2);
  std::mt19937 rng(99);
  for (GgmlType type : {GgmlType::kQ4_0, GgmlType::kQ8_0, GgmlType::kQ4_K, GgmlType::kQ6_K, GgmlType::kF16}) {
    const auto traits = GetTypeTraits(type);
    const int64_t cols = traits->block_size == 256 ? 256 : 64;
    const Matrix m = RandomMatrix(type, 40, cols, rng);
    const int64_t n_tokens = 70;
    const auto x = RandomActivations(n_tokens * cols, rng);
    std::vector<float> y(static_cast<size_t>(n_tokens * m.rows), NAN);
    MatMul(m.view(), x.data(), n_tokens, y.data(), pool);
    ExpectMatchesReference(m, x, n_tokens, y, GetParam() == IsaLevel::kScalar ? 0 : ActivationBlock(type),
                           std::string(traits->name) + " 70 tokens");
  }
}

TEST_P(MatMulTest, ResultsAreBitIdenticalForAnyThreadCount) {
  std::mt19937 rng(7);
  ThreadPool one(1), two(2), three(3);
  for (GgmlType type : kAllTypes) {
    const auto traits = GetTypeTraits(type);
    const int64_t cols = traits->block_size == 256 ? 512 : 128;
    const Matrix m = RandomMatrix(type, 53, cols, rng);
    for (int64_t n_tokens : {1, 11}) {
      const auto x = RandomActivations(n_tokens * cols, rng);
      std::vector<float> y1(static_cast<size_t>(n_tokens * m.rows)), y2(y1.size()), y3(y1.size()), y2b(y1.size());
      MatMul(m.view(), x.data(), n_tokens, y1.data(), one);
      MatMul(m.view(), x.data(), n_tokens, y2.data(), two);
      MatMul(m.view(), x.data(), n_tokens, y3.data(), three);
      MatMul(m.view(), x.data(), n_tokens, y2b.data(), two);
      EXPECT_EQ(std::memcmp(y1.data(), y2.data(), y1.size() * 4), 0) << traits->name << " 1 vs 2 threads";
      EXPECT_EQ(std::memcmp(y1.data(), y3.data(), y1.size() * 4), 0) << traits->name << " 1 vs 3 threads";
      EXPECT_EQ(std::memcmp(y2.data(), y2b.data(), y1.size() * 4), 0) << traits->name << " repeated call";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Isa, MatMulTest,
                         ::testing::Values(IsaLevel::kScalar, IsaLevel::kAvx2, IsaLevel::kAvx512),
                         [](const auto& param_info) { return std::string(IsaName(param_info.param)); });

TEST(MatMulValidate, RejectsBadViewsWithTheProblemNamed) {
  std::vector<uint8_t> data(4096);
  WeightView ok{GgmlType::kQ4_0, data.data(), 4, 64, 36};
  EXPECT_TRUE(ValidateWeightView(ok, "blk.0.attn_q.weight").ok());

  WeightView odd = ok;
  odd.cols = 48;
  Status s = ValidateWeightView(odd, "blk.0.attn_q.weight");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("blk.0.attn_q.weight"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("block size 32"), std::string::npos) << s.message();

  WeightView short_rows = ok;
  short_rows.row_bytes = 35;
  s = ValidateWeightView(short_rows, "w");
  EXPECT_NE(s.message().find("36 bytes"), std::string::npos) << s.message();

  WeightView empty = ok;
  empty.rows = 0;
  EXPECT_FALSE(ValidateWeightView(empty, "w").ok());

  WeightView null_data = ok;
  null_data.data = nullptr;
  EXPECT_FALSE(ValidateWeightView(null_data, "w").ok());

  WeightView activation_type = ok;
  activation_type.type = GgmlType::kQ8_K;
  activation_type.cols = 256;
  s = ValidateWeightView(activation_type, "w");
  EXPECT_NE(s.message().find("not supported"), std::string::npos) << s.message();
  EXPECT_FALSE(MatMulSupportsType(GgmlType::kI32));
}

TEST(MatMulScratch, ReportsActivationAndRowBytes) {
  const WeightView q4{GgmlType::kQ4_0, nullptr, 10, 2048, 1152};
  const ScratchBytes s = MatMulScratchBytes(q4, 512);
  EXPECT_EQ(s.per_thread, 16u * 2048 * 4);
  if (DetectedIsa() != IsaLevel::kScalar) {
    EXPECT_EQ(s.shared, 512u * 64 * 40);
  }
}

}  // namespace
}  // namespace hearth::engine::kernels
