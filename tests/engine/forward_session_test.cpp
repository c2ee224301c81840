// Sessions: determinism across thread counts and runs, prefix reuse, the
// context limit, and bad input.
#include <cstring>
#include <filesystem>
#include <set>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/model.h"
#include "engine/sampler.h"
#include "engine/session.h"
#include "engine/support/tiny_model.h"

namespace hearth::engine {
namespace {

class SessionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(testing::TempDir("hearth-session"));
    testing::TinySpec spec;
    spec.arch = "llama";
    spec.type = GgmlType::kQ4_0;  // a fast-path type: the quantized kernels must be deterministic too
    spec.seed = 11;
    path_ = new std::string(*dir_ + "/tiny.gguf");
    ASSERT_TRUE(testing::WriteTinyModel(spec, *path_).ok());
    auto m = Model::Load(*path_);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    model_ = std::move(m).value().release();
  }
  static void TearDownTestSuite() {
    delete model_;
    std::filesystem::remove_all(*dir_);
    delete dir_;
    delete path_;
  }

  static std::unique_ptr<Session> Open(int threads, int64_t ctx = 128, int64_t batch = 512) {
    SessionOptions o;
    o.n_ctx = ctx;
    o.n_threads = threads;
    o.n_batch = batch;
    o.mem_budget = uint64_t{1} << 30;
    auto s = Session::Open(*model_, o);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(s).value() : nullptr;
  }

  static std::vector<int32_t> Greedy(Session& s, const std::vector<int32_t>& prompt, int n) {
    std::vector<int32_t> out;
    EXPECT_TRUE(s.EvaluatePrompt(prompt).ok());
    SamplerParams p;
    p.temperature = 0;
    auto sampler = Sampler::Create(p, model_->hparams().n_vocab);
    for (int i = 0; i < n; ++i) {
      int32_t t = sampler->Sample(s.logits());
      out.push_back(t);
      EXPECT_TRUE(s.Evaluate({&t, 1}).ok());
    }
    return out;
  }

  static std::string* dir_;
  static std::string* path_;
  static Model* model_;
};
std::string* SessionTest::dir_ = nullptr;
std::string* SessionTest::path_ = nullptr;
Model* SessionTest::model_ = nullptr;

const std::vector<int32_t> kPrompt = {1, 17, 42, 99, 5, 200, 13, 77, 3, 150, 64, 8};

TEST_F(SessionTest, GreedyIsTheSameWithOneAndTwoThreadsAndAcrossRuns) {
  auto one = Open(1);
  auto two = Open(2);
  const auto a = Greedy(*one, kPrompt, 40);
  const auto b = Greedy(*two, kPrompt, 40);
  EXPECT_EQ(a, b);
  auto again = Open(2);
  EXPECT_EQ(Greedy(*again, kPrompt, 40), b);
  // The tokens are not trivially constant (the test could not fail otherwise).
  EXPECT_GT(std::set<int32_t>(a.begin(), a.end()).size(), 3u);
}

TEST_F(SessionTest, LogitsAreBitIdenticalAcrossThreadCounts) {
  auto one = Open(1);
  auto two = Open(2);
  ASSERT_TRUE(one->Evaluate(kPrompt).ok());
  ASSERT_TRUE(two->Evaluate(kPrompt).ok());
  const auto a = one->logits();
  const auto b = two->logits();
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * sizeof(float)));
}

TEST_F(SessionTest, PrefixReuseEvaluatesOnlyNewTokensAndMatchesFreshEvaluation) {
  std::vector<int32_t> second(kPrompt.begin(), kPrompt.begin() + 8);
  for (int32_t t : {9, 10, 11, 12, 14}) second.push_back(t);

  auto reused = Open(2);
  ASSERT_TRUE(reused->EvaluatePrompt(kPrompt).ok());
  auto n_reused = reused->EvaluatePrompt(second);
  ASSERT_TRUE(n_reused.ok());
  EXPECT_EQ(*n_reused, 8);
  EXPECT_EQ(reused->tokens(), second);

  // A fresh session evaluating the same split (8, then 5) gives the same bits.
  auto fresh = Open(2);
  ASSERT_TRUE(fresh->Evaluate(std::span(second).first(8)).ok());
  ASSERT_TRUE(fresh->Evaluate(std::span(second).subspan(8)).ok());
  ASSERT_EQ(0, std::memcmp(reused->logits().data(), fresh->logits().data(), reused->logits().size_bytes()));

  // And one single batch agrees to float rounding.
  auto whole = Open(2);
  ASSERT_TRUE(whole->Evaluate(second).ok());
  for (size_t i = 0; i < whole->logits().size(); ++i) {
    ASSERT_NEAR(whole->logits()[i], reused->logits()[i], 1e-3f * (1.0f + std::abs(whole->logits()[i]))) << i;
  }

  // The same prompt again reuses all but the last token (for fresh logits).
  auto again = reused->EvaluatePrompt(second);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, static_cast<int64_t>(second.size()) - 1);
  ASSERT_EQ(0, std::memcmp(reused->logits().data(), fresh->logits().data(), reused->logits().size_bytes()));
}

TEST_F(SessionTest, BatchSplittingDoesNotChangeResults) {
  auto big = Open(2, 128, 512);
  auto small = Open(2, 128, 5);
  ASSERT_TRUE(big->Evaluate(kPrompt).ok());
  ASSERT_TRUE(small->Evaluate(kPrompt).ok());
  for (size_t i = 0; i < big->logits().size(); ++i) {
    ASSERT_NEAR(big->logits()[i], small->logits()[i], 1e-3f * (1.0f + std::abs(big->logits()[i])));
  }
}

TEST_F(SessionTest, ContextOverflowIsAClearErrorAndChangesNothing) {
  auto s = Open(2, 16);
  ASSERT_TRUE(s->Evaluate(std::span(kPrompt).first(10)).ok());
  const std::vector<float> before(s->logits().begin(), s->logits().end());
  Status st = s->Evaluate(std::span(kPrompt).first(7));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kOutOfRange);
  EXPECT_NE(st.message().find("10 cached + 7 new tokens exceed the context of 16"), std::string::npos) << st.message();
  EXPECT_EQ(s->n_past(), 10);
  EXPECT_EQ(std::vector<float>(s->logits().begin(), s->logits().end()), before);
  EXPECT_TRUE(s->Evaluate(std::span(kPrompt).first(6)).ok());
  EXPECT_EQ(s->n_past(), 16);
  int32_t one = 1;
  EXPECT_EQ(s->Evaluate({&one, 1}).code(), StatusCode::kOutOfRange);
  std::vector<int32_t> long_prompt(kPrompt.begin(), kPrompt.end());
  long_prompt.insert(long_prompt.end(), kPrompt.begin(), kPrompt.end());
  auto r = s->EvaluatePrompt(long_prompt);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(s->n_past(), 16);  // the cached prefix was kept
}

TEST_F(SessionTest, BadTokenIdIsRejectedWithItsIndex) {
  auto s = Open(1);
  const std::vector<int32_t> bad = {1, 2, 100000};
  Status st = s->Evaluate(bad);
  ASSERT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("token id 100000 at index 2"), std::string::npos) << st.message();
  EXPECT_EQ(s->n_past(), 0);
  EXPECT_FALSE(s->Evaluate(std::vector<int32_t>{}).ok());
}

TEST_F(SessionTest, ScoreNeedsAllLogits) {
  auto s = Open(1);
  EXPECT_EQ(s->Score(kPrompt, [](int64_t, std::span<const float>) {}).code(), StatusCode::kFailedPrecondition);
}

TEST(ModelLoadTest, MissingTensorAndBadShapeAreNamed) {
  const std::string dir = testing::TempDir("hearth-model");
  testing::TinySpec spec;
  spec.arch = "qwen2";
  spec.n_head = 3;  // 256 is not a multiple of 3
  ASSERT_TRUE(testing::WriteTinyModel(spec, dir + "/bad.gguf").ok());
  auto m = Model::Load(dir + "/bad.gguf");
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("not a multiple of head_count 3"), std::string::npos) << m.status().message();

  spec = {};
  spec.arch = "mamba";
  ASSERT_TRUE(testing::WriteTinyModel(spec, dir + "/mamba.gguf").ok());
  m = Model::Load(dir + "/mamba.gguf");
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("architecture 'mamba' is not supported"), std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace hearth::engine
