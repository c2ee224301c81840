#include "engine/sampler.h"

#include <cmath>
#include <limits>
#include <map>
#include <vector>

#include <gtest/gtest.h>

namespace hearth::engine {
namespace {

std::vector<float> Logits() { return {1.0f, 3.0f, 2.5f, -1.0f, 0.5f, 2.9f, 0.0f, -2.0f}; }

Sampler Make(SamplerParams p, int64_t n = 8) {
  auto s = Sampler::Create(p, n);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return std::move(s).value();
}

TEST(SamplerTest, GreedyPicksArgmax) {
  SamplerParams p;
  p.temperature = 0;
  Sampler s = Make(p);
  EXPECT_EQ(s.Sample(Logits()), 1);
}

TEST(SamplerTest, TopKOneIsGreedyAtAnyTemperature) {
  SamplerParams p;
  p.temperature = 5.0f;
  p.top_k = 1;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    p.seed = seed;
    Sampler s = Make(p);
    EXPECT_EQ(s.Sample(Logits()), 1);
  }
}

TEST(SamplerTest, SameSeedSameSequenceDifferentSeedDiffers) {
  SamplerParams p;
  p.temperature = 1.5f;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  auto draw = [&](uint64_t seed) {
    p.seed = seed;
    Sampler s = Make(p);
    std::vector<int32_t> out;
    for (int i = 0; i < 64; ++i) out.push_back(s.Sample(Logits()));
    return out;
  };
  EXPECT_EQ(draw(42), draw(42));
  EXPECT_NE(draw(42), draw(43));
}

TEST(SamplerTest, ResetRestartsTheSequence) {
  SamplerParams p;
  p.temperature = 1.0f;
  p.top_k = 0;
  p.seed = 7;
  Sampler s = Make(p);
  std::vector<int32_t> a, b;
  for (int i = 0; i < 16; ++i) a.push_back(s.Sample(Logits()));
  s.Reset();
  for (int i = 0; i < 16; ++i) b.push_back(s.Sample(Logits()));
  EXPECT_EQ(a, b);
}

TEST(SamplerTest, FollowsTheDistribution) {
  // Two tokens with logits differing by ln 3: expect a 3:1 split.
  SamplerParams p;
  p.temperature = 1.0f;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  p.seed = 1;
  Sampler s = Make(p, 2);
  const std::vector<float> logits = {static_cast<float>(std::log(3.0)), 0.0f};
  int zeros = 0;
  const int n = 4000;
  for (int i = 0; i < n; ++i) zeros += s.Sample(logits) == 0;
  EXPECT_NEAR(static_cast<double>(zeros) / n, 0.75, 0.03);
}

TEST(SamplerTest, LogitBiasMinusInfinityBansAToken) {
  SamplerParams p;
  p.temperature = 0;
  p.logit_bias = {{1, -std::numeric_limits<float>::infinity()}};
  Sampler greedy = Make(p);
  EXPECT_EQ(greedy.Sample(Logits()), 5);  // next best

  p.temperature = 3.0f;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  Sampler hot = Make(p);
  for (int i = 0; i < 500; ++i) ASSERT_NE(hot.Sample(Logits()), 1);
}

TEST(SamplerTest, PositiveBiasPromotes) {
  SamplerParams p;
  p.temperature = 0;
  p.logit_bias = {{7, 10.0f}};
  Sampler s = Make(p);
  EXPECT_EQ(s.Sample(Logits()), 7);
}

TEST(SamplerTest, RepetitionPenaltyLowersRepeatedTokens) {
  SamplerParams p;
  p.temperature = 0;
  p.repeat_penalty = 1.5f;  // 3.0 / 1.5 = 2.0 < 2.9
  Sampler s = Make(p);
  EXPECT_EQ(s.Sample(Logits()), 1);
  s.Accept(1);
  EXPECT_EQ(s.Sample(Logits()), 5);
}

TEST(SamplerTest, FrequencyPenaltyScalesWithCount) {
  SamplerParams p;
  p.temperature = 0;
  p.frequency_penalty = 0.3f;
  Sampler s = Make(p);
  s.Accept(1);  // 3.0 - 0.3 = 2.7 < 2.9
  EXPECT_EQ(s.Sample(Logits()), 5);
  s.Accept(5);
  s.Accept(5);  // 2.9 - 0.6 = 2.3 < 2.5 (token 2) and 2.7 (token 1)
  EXPECT_EQ(s.Sample(Logits()), 1);
}

TEST(SamplerTest, PresencePenaltyAppliesOnce) {
  SamplerParams p;
  p.temperature = 0;
  p.presence_penalty = 0.2f;
  Sampler s = Make(p);
  for (int i = 0; i < 5; ++i) s.Accept(1);  // 3.0 - 0.2 = 2.8 < 2.9 regardless of count
  EXPECT_EQ(s.Sample(Logits()), 5);
  s.Accept(5);  // 2.9 - 0.2 = 2.7 < 2.8
  EXPECT_EQ(s.Sample(Logits()), 1);
}

TEST(SamplerTest, PenaltyWindowForgetsOldTokens) {
  SamplerParams p;
  p.temperature = 0;
  p.repeat_penalty = 2.0f;
  p.penalty_last_n = 2;
  Sampler s = Make(p);
  s.Accept(1);
  EXPECT_EQ(s.Sample(Logits()), 5);
  s.Accept(6);
  s.Accept(6);  // token 1 leaves the window
  EXPECT_EQ(s.Sample(Logits()), 1);
}

TEST(SamplerTest, TopPKeepsTheSmallestNucleus) {
  // p = {0.6, 0.3, 0.1}: top_p 0.5 keeps only token 0; 0.85 keeps {0, 1}.
  const std::vector<float> logits = {std::log(0.6f), std::log(0.3f), std::log(0.1f)};
  SamplerParams p;
  p.temperature = 1.0f;
  p.top_k = 0;
  p.min_p = 0.0f;
  p.top_p = 0.5f;
  Sampler narrow = Make(p, 3);
  for (int i = 0; i < 300; ++i) ASSERT_EQ(narrow.Sample(logits), 0);
  p.top_p = 0.85f;
  Sampler wider = Make(p, 3);
  std::map<int32_t, int> seen;
  for (int i = 0; i < 600; ++i) ++seen[wider.Sample(logits)];
  EXPECT_GT(seen[1], 0);
  EXPECT_EQ(seen.count(2), 0u);
}

TEST(SamplerTest, MinPDropsUnlikelyTokens) {
  const std::vector<float> logits = {std::log(0.6f), std::log(0.3f), std::log(0.1f)};
  SamplerParams p;
  p.temperature = 1.0f;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.4f;  // floor 0.24: keeps tokens 0 and 1
  Sampler s = Make(p, 3);
  std::map<int32_t, int> seen;
  for (int i = 0; i < 600; ++i) ++seen[s.Sample(logits)];
  EXPECT_GT(seen[1], 0);
  EXPECT_EQ(seen.count(2), 0u);
}

TEST(SamplerTest, LowTemperatureSharpens) {
  SamplerParams p;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  p.temperature = 0.05f;
  Sampler s = Make(p);
  int best = 0;
  for (int i = 0; i < 300; ++i) best += s.Sample(Logits()) == 1;
  EXPECT_GT(best, 250);  // 3.0 vs 2.9 at T=0.05: e^2 ≈ 7.4 : 1
}

TEST(SamplerTest, RejectsBadParameters) {
  SamplerParams p;
  p.top_p = 0.0f;
  EXPECT_FALSE(Sampler::Create(p, 8).ok());
  p = {};
  p.top_k = -1;
  EXPECT_FALSE(Sampler::Create(p, 8).ok());
  p = {};
  p.logit_bias = {{8, 1.0f}};
  auto s = Sampler::Create(p, 8);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("logit_bias token 8"), std::string::npos);
}

TEST(StopMatcherTest, CutsAtStopAndNeverShowsAPartialStop) {
  StopMatcher m({"</s>", "\nUser:"});
  std::string shown;
  for (const char* piece : {"Hello", " wor", "ld<", "/", "s>", "ignored"}) {
    shown += m.Push(piece);
    EXPECT_EQ(shown.find('<'), std::string::npos) << "partial stop string shown: " << shown;
  }
  EXPECT_TRUE(m.stopped());
  EXPECT_EQ(shown, "Hello world");
  EXPECT_EQ(m.Flush(), "");
}

TEST(StopMatcherTest, ReleasesHeldTextWhenItIsNotAStop) {
  StopMatcher m({"</s>"});
  EXPECT_EQ(m.Push("a <"), "a ");
  EXPECT_EQ(m.Push("b"), "<b");
  EXPECT_EQ(m.Push("</"), "");
  EXPECT_FALSE(m.stopped());
  EXPECT_EQ(m.Flush(), "</");
}

}  // namespace
}  // namespace hearth::engine
