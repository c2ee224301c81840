// ops.h primitives against float64 references, at every ISA level.
#include "engine/kernels/ops.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "engine/fp16.h"
#include "engine/kernels/cpu_features.h"

namespace hearth::engine::kernels {
namespace {

class OpsTest : public ::testing::TestWithParam<IsaLevel> {
 protected:
  void SetUp() override {
    if (GetParam() > DetectedIsa()) GTEST_SKIP() << "this CPU lacks " << IsaName(GetParam());
    previous_ = ActiveIsa();
    SetActiveIsa(GetParam());
  }
  void TearDown() override { SetActiveIsa(previous_); }

  std::vector<float> Random(int64_t n, float scale = 1.0f) {
    std::normal_distribution<float> d(0.0f, scale);
    std::vector<float> v(static_cast<size_t>(n));
    for (auto& x : v) x = d(rng_);
    return v;
  }
  std::vector<uint16_t> RandomHalf(int64_t n) {
    std::vector<uint16_t> h(static_cast<size_t>(n));
    for (size_t i = 0; i < h.size(); ++i) h[i] = Fp32ToFp16(Random(1)[0]);
    return h;
  }

  IsaLevel previous_ = IsaLevel::kScalar;
  std::mt19937 rng_{42};
};

const int64_t kSizes[] = {1, 7, 8, 9, 31, 64, 100, 2051};

TEST_P(OpsTest, RmsNorm) {
  for (int64_t n : kSizes) {
    const auto x = Random(n, 3.0f), w = Random(n);
    std::vector<float> out(static_cast<size_t>(n)), in_place = x;
    RmsNorm(x.data(), w.data(), n, 1e-5f, out.data());
    RmsNorm(in_place.data(), w.data(), n, 1e-5f, in_place.data());
    double ss = 0;
    for (float v : x) ss += static_cast<double>(v) * v;
    const double scale = 1.0 / std::sqrt(ss / n + 1e-5);
    for (int64_t i = 0; i < n; ++i) {
      const double want = x[i] * scale * w[i];
      EXPECT_NEAR(out[i], want, 1e-6 * std::fabs(want) + 1e-7) << "n=" << n << " i=" << i;
      EXPECT_EQ(out[i], in_place[i]);
    }
  }
}

TEST_P(OpsTest, SoftmaxIsStableAndMasksMinusInfinity) {
  for (int64_t n : kSizes) {
    auto x = Random(n, 10.0f);
    x[0] += 500.0f;  // would overflow exp() without the max shift
    if (n > 2) x[static_cast<size_t>(n / 2)] = -std::numeric_limits<float>::infinity();
    const auto orig = x;
    Softmax(x.data(), n);
    double max = -INFINITY, sum = 0;
    for (float v : orig) max = std::max(max, static_cast<double>(v));
    for (float v : orig) sum += std::exp(v - max);
    double total = 0;
    for (int64_t i = 0; i < n; ++i) {
      const double want = std::exp(orig[i] - max) / sum;
      EXPECT_NEAR(x[i], want, 1e-6 * want + 1e-12) << "n=" << n << " i=" << i;
      total += x[i];
    }
    if (n > 2) {
      EXPECT_EQ(x[static_cast<size_t>(n / 2)], 0.0f);
    }
    EXPECT_NEAR(total, 1.0, 1e-5);
  }
}

TEST_P(OpsTest, SiluMulAddScale) {
  for (int64_t n : kSizes) {
    auto g = Random(n, 4.0f);
    g[0] = -100.0f;  // exp(100) overflows float: silu must still be ~0
    if (n > 1) g[1] = 100.0f;
    const auto u = Random(n);
    std::vector<float> out(static_cast<size_t>(n)), sum(static_cast<size_t>(n));
    SiluMul(g.data(), u.data(), n, out.data());
    Add(g.data(), u.data(), n, sum.data());
    for (int64_t i = 0; i < n; ++i) {
      const double want = g[i] / (1.0 + std::exp(-static_cast<double>(g[i]))) * u[i];
      EXPECT_NEAR(out[i], want, 2e-6 * std::fabs(want) + 1e-30) << "n=" << n << " g=" << g[i];
      EXPECT_EQ(sum[i], g[i] + u[i]);
    }
    auto s = u;
    Scale(s.data(), n, 0.25f);
    for (int64_t i = 0; i < n; ++i) EXPECT_EQ(s[i], u[i] * 0.25f);
  }
}

TEST_P(OpsTest, DotAndAxpyOverF16) {
  for (int64_t n : kSizes) {
    const auto a = RandomHalf(n);
    const auto b = Random(n);
    double want = 0, mag = 0;
    for (int64_t i = 0; i < n; ++i) {
      want += static_cast<double>(Fp16ToFp32(a[i])) * b[i];
      mag += std::fabs(static_cast<double>(Fp16ToFp32(a[i])) * b[i]);
    }
    EXPECT_NEAR(DotF16F32(a.data(), b.data(), n), want, 1e-6 * mag + 1e-30) << "n=" << n;
    auto y = Random(n);
    const auto y0 = y;
    AxpyF16(0.5f, a.data(), n, y.data());
    for (int64_t i = 0; i < n; ++i)
      EXPECT_NEAR(y[i], y0[i] + 0.5 * Fp16ToFp32(a[i]), 1e-6 * (std::fabs(y0[i]) + 1)) << i;
  }
}

TEST_P(OpsTest, HalfConversionsMatchScalarExactly) {
  // Every half value converts up exactly (NaN payloads aside) ...
  std::vector<uint16_t> all(65536);
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<uint16_t>(i);
  std::vector<float> up(all.size());
  Fp16ToFp32Row(all.data(), static_cast<int64_t>(all.size()), up.data());
  for (size_t i = 0; i < all.size(); ++i) {
    const float want = Fp16ToFp32(all[i]);
    if (std::isnan(want)) {
      EXPECT_TRUE(std::isnan(up[i])) << i;
    } else {
      EXPECT_EQ(FloatToBits(up[i]), FloatToBits(want)) << i;
    }
  }
  // ... and floats round to nearest-even like fp16.h, including ties,
  // subnormals, overflow and signed zero.
  std::vector<float> f = Random(1001, 1000.0f);
  const float specials[] = {0.0f, -0.0f, 65504.0f, 65520.0f, 1e9f, -1e9f, 5.96e-8f, 2.98e-8f, 1e-10f,
                            1.0f + 1.0f / 2048, 1.0f + 3.0f / 2048, -6.1e-5f, INFINITY, -INFINITY};
  f.insert(f.end(), std::begin(specials), std::end(specials));
  std::vector<uint16_t> down(f.size());
  Fp32ToFp16Row(f.data(), static_cast<int64_t>(f.size()), down.data());
  for (size_t i = 0; i < f.size(); ++i) EXPECT_EQ(down[i], Fp32ToFp16(f[i])) << f[i];
}

TEST_P(OpsTest, AttendHeadMatchesReference) {
  const int64_t head_dim = 64, n_kv_heads = 3, kv_head = 1, stride = n_kv_heads * head_dim;
  for (int64_t n_pos : {1, 5, 37}) {
    const auto k = RandomHalf(n_pos * stride), v = RandomHalf(n_pos * stride);
    const auto q = Random(head_dim);
    const float scale = 1.0f / 8.0f;
    std::vector<float> scores(static_cast<size_t>(n_pos)), out(static_cast<size_t>(head_dim));
    AttendHeadF16(q.data(), k.data() + kv_head * head_dim, v.data() + kv_head * head_dim, n_pos, head_dim, stride,
                  scale, scores.data(), out.data());
    std::vector<double> s(static_cast<size_t>(n_pos));
    double max = -INFINITY, sum = 0;
    for (int64_t p = 0; p < n_pos; ++p) {
      double dot = 0;
      for (int64_t d = 0; d < head_dim; ++d)
        dot += static_cast<double>(q[d]) * Fp16ToFp32(k[p * stride + kv_head * head_dim + d]);
      s[p] = scale * dot;
      max = std::max(max, s[p]);
    }
    for (auto& e : s) sum += (e = std::exp(e - max));
    for (int64_t d = 0; d < head_dim; ++d) {
      double want = 0;
      for (int64_t p = 0; p < n_pos; ++p) want += s[p] / sum * Fp16ToFp32(v[p * stride + kv_head * head_dim + d]);
      EXPECT_NEAR(out[d], want, 1e-5) << "n_pos=" << n_pos << " d=" << d;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Isa, OpsTest, ::testing::Values(IsaLevel::kScalar, IsaLevel::kAvx2, IsaLevel::kAvx512),
                         [](const auto& param_info) { return std::string(IsaName(param_info.param)); });

TEST(CpuFeatures, NamesRoundTripAndOverrideOnlyLowers) {
  for (IsaLevel l : {IsaLevel::kScalar, IsaLevel::kAvx2, IsaLevel::kAvx512}) EXPECT_EQ(ParseIsaName(IsaName(l)), l);
  EXPECT_FALSE(ParseIsaName("avx1024").has_value());
  const IsaLevel before = ActiveIsa();
  EXPECT_EQ(SetActiveIsa(IsaLevel::kAvx512), DetectedIsa());
  EXPECT_EQ(SetActiveIsa(IsaLevel::kScalar), IsaLevel::kScalar);
  EXPECT_EQ(ActiveIsa(), IsaLevel::kScalar);
  SetActiveIsa(before);
  const CpuFeatures& f = DetectedCpuFeatures();
  if (DetectedIsa() >= IsaLevel::kAvx2) {
    EXPECT_TRUE(f.avx2 && f.fma && f.f16c);
  }
  if (DetectedIsa() == IsaLevel::kAvx512) {
    EXPECT_TRUE(f.avx512f && f.avx512bw && f.avx512vl && f.avx512vnni);
  }
}

}  // namespace
}  // namespace hearth::engine::kernels
