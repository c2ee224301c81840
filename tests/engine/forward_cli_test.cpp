// `hearth run`, `hearth eval` and `hearth bench`, run as real processes on a
// synthesized model with a real tokenizer (../shared fixtures).
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "engine/model.h"
#include "engine/model_synth.h"
#include "engine/session.h"
#include "engine/support/tiny_model.h"

namespace hearth::engine {
namespace {

struct Output {
  int code = -1;
  std::string out, err;
};

Output Hearth(const std::string& args, const std::string& dir) {
  const std::string err_path = dir + "/stderr.txt";
  const std::string cmd = std::string(HEARTH_BINARY) + " --log-level warn " + args + " 2>" + err_path + " </dev/null";
  Output o;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return o;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) o.out.append(buf, n);
  const int status = pclose(p);
  o.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream e(err_path);
  std::stringstream ss;
  ss << e.rdbuf();
  o.err = ss.str();
  return o;
}

class ForwardCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string vocab = std::string(HEARTH_SHARED_DIR) + "/fixtures/vocab/ggml-vocab-llama-spm.gguf";
    if (!std::filesystem::exists(vocab)) return;
    dir_ = new std::string(testing::TempDir("hearth-cli"));
    SynthOptions o;
    o.arch = "llama";
    o.vocab_path = vocab;
    o.dim = 128;
    o.layers = 2;
    o.heads = 4;
    o.kv_heads = 2;
    o.ffn = 256;
    o.type = "q8_0";
    o.seed = 5;
    o.threads = 2;
    model_ = new std::string(*dir_ + "/llama.gguf");
    Status st = SynthesizeModel(o, *model_);
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
  static void TearDownTestSuite() {
    if (dir_ != nullptr) std::filesystem::remove_all(*dir_);
    delete dir_;
    delete model_;
    dir_ = model_ = nullptr;
  }
  void SetUp() override {
    if (model_ == nullptr) GTEST_SKIP() << "../shared fixtures absent: " << HEARTH_SHARED_DIR;
  }
  static std::string* dir_;
  static std::string* model_;
};
std::string* ForwardCliTest::dir_ = nullptr;
std::string* ForwardCliTest::model_ = nullptr;

TEST_F(ForwardCliTest, EvalJsonMatchesTheSessionApi) {
  const std::vector<int32_t> ids = {1, 450, 4996, 17354, 1701, 432, 17204, 975, 278, 17366};
  std::string arg = "[";
  for (size_t i = 0; i < ids.size(); ++i) arg += (i ? "," : "") + std::to_string(ids[i]);
  arg += "]";
  Output o = Hearth("eval -m " + *model_ + " -t 2 --json --ids '" + arg + "'", *dir_);
  ASSERT_EQ(o.code, 0) << o.err;
  const auto j = nlohmann::json::parse(o.out);
  ASSERT_EQ(j.size(), ids.size() - 1);

  auto model = Model::Load(*model_);
  ASSERT_TRUE(model.ok());
  SessionOptions so;
  so.n_ctx = static_cast<int64_t>(ids.size());
  so.n_threads = 2;
  so.all_logits = true;
  auto s = Session::Open(**model, so);
  ASSERT_TRUE(s.ok());
  std::vector<std::vector<float>> rows;
  ASSERT_TRUE((*s)->Score(ids, [&](int64_t, std::span<const float> l) { rows.emplace_back(l.begin(), l.end()); }).ok());
  for (size_t k = 0; k < j.size(); ++k) {
    const size_t pos = k + 1;
    EXPECT_EQ(j[k]["pos"].get<int64_t>(), static_cast<int64_t>(pos));
    EXPECT_EQ(j[k]["id"].get<int32_t>(), ids[pos]);
    const auto& l = rows[pos - 1];
    const int32_t argmax = static_cast<int32_t>(std::max_element(l.begin(), l.end()) - l.begin());
    EXPECT_EQ(j[k]["argmax"].get<int32_t>(), argmax);
    double max = *std::max_element(l.begin(), l.end()), sum = 0;
    for (float v : l) sum += std::exp(v - max);
    const double expected = l[static_cast<size_t>(ids[pos])] - max - std::log(sum);
    EXPECT_NEAR(j[k]["logprob"].get<double>(), expected, 1e-9);
    EXPECT_LT(j[k]["logprob"].get<double>(), 0.0);
  }
}

TEST_F(ForwardCliTest, EvalRejectsBadIdsNamingTheElement) {
  Output o = Hearth("eval -m " + *model_ + " --json --ids '[1, 2, -5]'", *dir_);
  EXPECT_EQ(o.code, 1);
  EXPECT_NE(o.err.find("element 2 (-5)"), std::string::npos) << o.err;
  o = Hearth("eval -m " + *model_ + " --json --ids '[1, 2, 99999999]'", *dir_);
  EXPECT_EQ(o.code, 1);
  EXPECT_NE(o.err.find("token id 99999999 at index 2"), std::string::npos) << o.err;
  o = Hearth("eval -m " + *model_ + " --json --ids '[1, 2'", *dir_);
  EXPECT_EQ(o.code, 1);
  EXPECT_NE(o.err.find("not JSON at byte"), std::string::npos) << o.err;
}

TEST_F(ForwardCliTest, GreedyRunIsReproducibleAcrossThreadCounts) {
  const std::string base = "run -m " + *model_ + " -p 'The quick brown fox' -n 24 --temp 0 --ctx 64";
  Output a = Hearth(base + " -t 1", *dir_);
  Output b = Hearth(base + " -t 2", *dir_);
  Output c = Hearth(base + " -t 2", *dir_);
  ASSERT_EQ(a.code, 0) << a.err;
  EXPECT_FALSE(a.out.empty());
  EXPECT_EQ(a.out, b.out);
  EXPECT_EQ(b.out, c.out);
  // A seeded sampled run is reproducible too.
  const std::string sampled = "run -m " + *model_ + " -p 'Hello' -n 16 --temp 1.0 --seed 9 -t 2";
  EXPECT_EQ(Hearth(sampled, *dir_).out, Hearth(sampled, *dir_).out);
}

TEST_F(ForwardCliTest, OversizedContextIsRefusedWithTheNumbers) {
  Output o = Hearth("run -m " + *model_ + " -p hi --ctx 1000000 --mem-budget 64M", *dir_);
  EXPECT_EQ(o.code, 1);
  EXPECT_NE(o.err.find("but the memory budget is 64.0 MiB (--mem-budget)"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("would fit (--ctx"), std::string::npos) << o.err;
  o = Hearth("run -m " + *model_ + " -p hi --mem-budget 12Q", *dir_);
  EXPECT_EQ(o.code, 1);
  EXPECT_NE(o.err.find("--mem-budget: size '12Q'"), std::string::npos) << o.err;
}

TEST_F(ForwardCliTest, ContextOverflowDuringRunIsAnError) {
  Output o = Hearth("run -m " + *model_ + " -p 'The quick brown fox' -n 100 --temp 0 --ctx 12", *dir_);
  EXPECT_EQ(o.code, 1);
  EXPECT_NE(o.err.find("context full"), std::string::npos) << o.err;
}

TEST_F(ForwardCliTest, BenchJsonReportsBothTests) {
  Output o = Hearth("bench -m " + *model_ + " -p 16 -n 4 -r 2 -t 2 --json", *dir_);
  ASSERT_EQ(o.code, 0) << o.err;
  const auto j = nlohmann::json::parse(o.out);
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["test"], "pp16");
  EXPECT_EQ(j[1]["test"], "tg4");
  for (const auto& t : j) {
    EXPECT_GT(t["tokens_per_second"].get<double>(), 0.0);
    EXPECT_GE(t["stddev"].get<double>(), 0.0);
    EXPECT_EQ(t["threads"].get<int>(), 2);
  }
}

}  // namespace
}  // namespace hearth::engine
