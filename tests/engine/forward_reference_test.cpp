// The fast forward pass against the float64 reference (support/), on tiny
// synthesized models of every architecture and weight type.
//
// Error measure: max |logit - reference| over all positions and tokens,
// divided by the RMS of the reference logits. Tolerances per weight type
// (see kTolerances) cover the fast path's deliberate roundings: K/V stored in
// F16 (~5e-4 relative), activations rounded to 8 bits per block for the
// Q4_0/Q8_0/Q4_K/Q6_K integer kernels (~1/254 per product, compounded over
// layers), and float32 accumulation. The reference uses the very same
// dequantized weights, so weight quantization error is not part of it.
#include <cmath>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/gguf.h"
#include "engine/kernels/cpu_features.h"
#include "engine/model.h"
#include "engine/session.h"
#include "engine/support/reference_forward.h"
#include "engine/support/tiny_model.h"

namespace hearth::engine {
namespace {

using testing::ReferenceForward;
using testing::TinySpec;

// Relative error allowed per weight type at the detected ISA level. At the
// scalar level every type dequantizes and multiplies in float, so only the
// F16 KV cache and float rounding remain: kScalarTolerance for all types.
constexpr double kScalarTolerance = 6e-3;
double FastTolerance(GgmlType t) {
  if (kernels::ActiveIsa() == kernels::IsaLevel::kScalar) return kScalarTolerance;
  switch (t) {
    case GgmlType::kQ4_0: case GgmlType::kQ8_0: case GgmlType::kQ4_K: case GgmlType::kQ6_K:
      // Activations rounded to 8 bits per block (matmul.h): ~0.5% per
      // product, compounded through attention over 2 layers; the maximum over
      // all logits is ~4x the typical error.
      return 0.25;
    default:
      return kScalarTolerance;
  }
}

struct Case {
  std::string arch;
  GgmlType type;
  bool tied = false;
  bool rope_freqs = false;
  int64_t head_dim = 0;
};

std::string Name(const Case& c) {
  std::string n = c.arch + "_" + std::string(GetTypeTraits(c.type)->name);
  if (c.tied) n += "_tied";
  if (c.rope_freqs) n += "_ropefreqs";
  return n;
}

std::vector<int32_t> Tokens(int n, int32_t vocab, uint32_t seed) {
  std::vector<int32_t> t;
  uint32_t s = seed;
  for (int i = 0; i < n; ++i) {
    s = s * 1664525u + 1013904223u;
    t.push_back(static_cast<int32_t>((s >> 8) % static_cast<uint32_t>(vocab)));
  }
  return t;
}

double RelativeError(const std::vector<std::vector<double>>& ref, const std::vector<std::vector<float>>& got) {
  double sq = 0, n = 0, max_err = 0;
  for (size_t p = 0; p < ref.size(); ++p) {
    for (size_t i = 0; i < ref[p].size(); ++i) {
      sq += ref[p][i] * ref[p][i];
      n += 1;
      max_err = std::max(max_err, std::abs(ref[p][i] - static_cast<double>(got[p][i])));
    }
  }
  return max_err / std::sqrt(sq / n);
}

class ForwardReferenceTest : public ::testing::TestWithParam<Case> {};

TEST_P(ForwardReferenceTest, MatchesFloat64Reference) {
  const Case& c = GetParam();
  const std::string dir = testing::TempDir("hearth-fwd");
  const std::string path = dir + "/" + Name(c) + ".gguf";
  TinySpec spec;
  spec.arch = c.arch;
  spec.type = c.type;
  spec.tied = c.tied;
  spec.rope_freqs = c.rope_freqs;
  spec.head_dim = c.head_dim;
  spec.seed = std::hash<std::string>{}(Name(c));
  ASSERT_TRUE(testing::WriteTinyModel(spec, path).ok());

  auto model = Model::Load(path);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const HParams& hp = (*model)->hparams();
  EXPECT_EQ((*model)->weights().tied_output, c.tied);

  const std::vector<int32_t> tokens = Tokens(9, static_cast<int32_t>(hp.n_vocab), 7);
  auto file = GgufFile::Open(path);
  ASSERT_TRUE(file.ok());
  const auto ref = ReferenceForward(**file, hp, tokens);

  for (kernels::IsaLevel isa : {kernels::IsaLevel::kScalar, kernels::DetectedIsa()}) {
    kernels::SetActiveIsa(isa);
    const double tolerance = FastTolerance(c.type);
    // Batched prompt processing (batches of 4: 4 + 4 + 1), every position scored.
    SessionOptions o;
    o.n_ctx = 64;
    o.n_batch = 4;
    o.n_threads = 2;
    o.all_logits = true;
    o.mem_budget = uint64_t{1} << 30;
    auto batched = Session::Open(**model, o);
    ASSERT_TRUE(batched.ok()) << batched.status().ToString();
    std::vector<std::vector<float>> got(tokens.size());
    ASSERT_TRUE((*batched)->Score(tokens, [&](int64_t i, std::span<const float> l) {
      got[static_cast<size_t>(i)].assign(l.begin(), l.end());
    }).ok());
    const double err = RelativeError(ref, got);
    EXPECT_LT(err, tolerance) << Name(c) << " batched at " << kernels::IsaName(isa);

    // Generation path: one token per call (matrix-vector kernels).
    o.all_logits = false;
    auto single = Session::Open(**model, o);
    ASSERT_TRUE(single.ok());
    std::vector<std::vector<float>> got1;
    for (int32_t t : tokens) {
      ASSERT_TRUE((*single)->Evaluate({&t, 1}).ok());
      got1.emplace_back((*single)->logits().begin(), (*single)->logits().end());
    }
    const double err1 = RelativeError(ref, got1);
    EXPECT_LT(err1, tolerance) << Name(c) << " one at a time at " << kernels::IsaName(isa);
    std::printf("%-22s %-7s batched %.2e  single %.2e  (tolerance %.0e)\n", Name(c).c_str(),
                std::string(kernels::IsaName(isa)).c_str(), err, err1, tolerance);
  }
  kernels::SetActiveIsa(kernels::DetectedIsa());
  std::filesystem::remove_all(dir);
}

std::vector<Case> AllCases() {
  const GgmlType types[] = {GgmlType::kQ4_0, GgmlType::kQ4_1, GgmlType::kQ5_0, GgmlType::kQ5_1, GgmlType::kQ8_0,
                            GgmlType::kQ2_K, GgmlType::kQ3_K, GgmlType::kQ4_K, GgmlType::kQ5_K, GgmlType::kQ6_K,
                            GgmlType::kF16, GgmlType::kBF16, GgmlType::kF32};
  std::vector<Case> cases;
  for (const char* arch : {"llama", "qwen2", "qwen3"}) {
    for (GgmlType t : types) {
      Case c{arch, t};
      if (std::string(arch) == "qwen3") c.head_dim = 128;  // q_dim 512 != n_embd 256
      cases.push_back(c);
    }
  }
  cases.push_back({"llama", GgmlType::kQ8_0, /*tied=*/true});
  cases.push_back({"qwen2", GgmlType::kF16, /*tied=*/true});
  cases.push_back({"llama", GgmlType::kF32, false, /*rope_freqs=*/true});
  return cases;
}

INSTANTIATE_TEST_SUITE_P(AllArchsAndTypes, ForwardReferenceTest, ::testing::ValuesIn(AllCases()),
                         [](const ::testing::TestParamInfo<Case>& case_info) { return Name(case_info.param); });

}  // namespace
}  // namespace hearth::engine
