// Model synthesis: names, shapes, types and metadata as llama.cpp writes them,
// determinism, and the `hearth model synth` / `hearth model info` commands.
#include "engine/model_synth.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "engine/gguf.h"
#include "engine/gguf_writer.h"
#include "engine/model_info.h"
#include "engine/quants.h"

namespace hearth::engine {
namespace {

namespace fs = std::filesystem;

class SynthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("synth_test_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    vocab_ = (dir_ / "vocab.gguf").string();
    GgufWriter w;
    w.SetString("general.architecture", "llama");
    w.SetString("tokenizer.ggml.model", "llama");
    std::vector<std::string> tokens;
    std::vector<float> scores;
    std::vector<int32_t> types;
    for (int i = 0; i < 512; ++i) {
      tokens.push_back("t" + std::to_string(i));
      scores.push_back(-static_cast<float>(i));
      types.push_back(i < 3 ? 3 : 1);
    }
    w.SetStringArray("tokenizer.ggml.tokens", tokens);
    w.SetFloat32Array("tokenizer.ggml.scores", scores);
    w.SetInt32Array("tokenizer.ggml.token_type", types);
    w.SetUint32("tokenizer.ggml.bos_token_id", 1);
    w.SetUint32("tokenizer.ggml.eos_token_id", 2);
    w.SetBool("tokenizer.ggml.add_bos_token", true);
    w.SetString("tokenizer.chat_template", "{% for m in messages %}{{ m.content }}{% endfor %}");
    ASSERT_TRUE(w.Begin(vocab_).ok());
    ASSERT_TRUE(w.Finish().ok());
  }
  void TearDown() override { fs::remove_all(dir_); }

  SynthOptions Options(const std::string& arch, const std::string& type) const {
    SynthOptions o;
    o.arch = arch;
    o.vocab_path = vocab_;
    o.dim = 256;
    o.layers = 2;
    o.heads = 4;
    o.kv_heads = 2;
    o.ffn = 512;
    o.type = type;
    o.seed = 7;
    o.threads = 2;
    return o;
  }

  std::unique_ptr<GgufFile> Synth(const SynthOptions& o, const std::string& name) {
    const std::string path = (dir_ / name).string();
    Status s = SynthesizeModel(o, path);
    EXPECT_TRUE(s.ok()) << s.ToString();
    auto f = GgufFile::Open(path);
    EXPECT_TRUE(f.ok()) << f.status().ToString();
    return f.ok() ? std::move(*f) : nullptr;
  }

  static std::string Slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  fs::path dir_;
  std::string vocab_;
};

TEST_F(SynthTest, LlamaTensorsAndMetadata) {
  auto f = Synth(Options("llama", "q4_0"), "m.gguf");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->Arch(), "llama");
  EXPECT_EQ(*f->GetUint("llama.embedding_length"), 256u);
  EXPECT_EQ(*f->GetUint("llama.block_count"), 2u);
  EXPECT_EQ(*f->GetUint("llama.feed_forward_length"), 512u);
  EXPECT_EQ(*f->GetUint("llama.attention.head_count"), 4u);
  EXPECT_EQ(*f->GetUint("llama.attention.head_count_kv"), 2u);
  EXPECT_EQ(*f->GetUint("llama.context_length"), 2048u);
  EXPECT_EQ(*f->GetUint("llama.vocab_size"), 512u);
  EXPECT_EQ(*f->GetUint("llama.rope.dimension_count"), 64u);
  EXPECT_EQ(*f->GetFloat("llama.rope.freq_base"), 10000.0);
  EXPECT_NEAR(*f->GetFloat("llama.attention.layer_norm_rms_epsilon"), 1e-5, 1e-12);
  EXPECT_EQ(*f->GetUint("general.file_type"), 2u);
  EXPECT_EQ(*f->GetUint("general.alignment"), 32u);
  EXPECT_EQ(f->TypeOf("llama.block_count"), GgufValueType::kUint32);
  EXPECT_EQ(f->TypeOf("llama.rope.freq_base"), GgufValueType::kFloat32);

  // Tokenizer metadata is copied byte for byte.
  auto v = GgufFile::Open(vocab_);
  ASSERT_TRUE(v.ok());
  for (const std::string& key : (*v)->Keys()) {
    if (key.rfind("tokenizer.", 0) != 0) continue;
    EXPECT_EQ(f->RawValue(key), (*v)->RawValue(key)) << key;
  }

  struct Expect { const char* name; std::vector<uint64_t> dims; GgmlType type; };
  const std::vector<Expect> expected = {
      {"token_embd.weight", {256, 512}, GgmlType::kQ4_0},
      {"blk.0.attn_norm.weight", {256}, GgmlType::kF32},
      {"blk.0.attn_q.weight", {256, 256}, GgmlType::kQ4_0},
      {"blk.0.attn_k.weight", {256, 128}, GgmlType::kQ4_0},
      {"blk.0.attn_v.weight", {256, 128}, GgmlType::kQ4_0},
      {"blk.0.attn_output.weight", {256, 256}, GgmlType::kQ4_0},
      {"blk.0.ffn_norm.weight", {256}, GgmlType::kF32},
      {"blk.0.ffn_gate.weight", {256, 512}, GgmlType::kQ4_0},
      {"blk.0.ffn_up.weight", {256, 512}, GgmlType::kQ4_0},
      {"blk.1.ffn_down.weight", {512, 256}, GgmlType::kQ4_0},
      {"output_norm.weight", {256}, GgmlType::kF32},
      {"output.weight", {256, 512}, GgmlType::kQ6_K},
  };
  for (const Expect& e : expected) {
    const GgufTensorInfo* t = f->FindTensor(e.name);
    ASSERT_NE(t, nullptr) << e.name;
    EXPECT_EQ(t->dims, e.dims) << e.name;
    EXPECT_EQ(t->type, e.type) << e.name;
  }
  EXPECT_EQ(f->tensors().size(), 1u + 2 * 9 + 2);
  EXPECT_EQ(f->FindTensor("blk.0.attn_q.bias"), nullptr);
}

TEST_F(SynthTest, Qwen2HasBiasesAndQwen3HasQkNorms) {
  auto q2 = Synth(Options("qwen2", "q8_0"), "q2.gguf");
  ASSERT_NE(q2, nullptr);
  EXPECT_EQ(q2->FindTensor("blk.1.attn_q.bias")->dims, (std::vector<uint64_t>{256}));
  EXPECT_EQ(q2->FindTensor("blk.1.attn_k.bias")->dims, (std::vector<uint64_t>{128}));
  EXPECT_EQ(q2->FindTensor("blk.1.attn_v.bias")->type, GgmlType::kF32);
  EXPECT_EQ(q2->FindTensor("output.weight")->type, GgmlType::kQ8_0);
  EXPECT_EQ(*q2->GetFloat("qwen2.rope.freq_base"), 1000000.0);
  EXPECT_FALSE(q2->Has("qwen2.vocab_size"));

  SynthOptions o = Options("qwen3", "f16");
  o.head_dim = 128;  // qwen3 takes the head size from metadata, not dim / heads
  auto q3 = Synth(o, "q3.gguf");
  ASSERT_NE(q3, nullptr);
  EXPECT_EQ(*q3->GetUint("qwen3.attention.key_length"), 128u);
  EXPECT_EQ(*q3->GetUint("qwen3.attention.value_length"), 128u);
  EXPECT_EQ(q3->FindTensor("blk.0.attn_q_norm.weight")->dims, (std::vector<uint64_t>{128}));
  EXPECT_EQ(q3->FindTensor("blk.0.attn_k_norm.weight")->dims, (std::vector<uint64_t>{128}));
  EXPECT_EQ(q3->FindTensor("blk.0.attn_q.weight")->dims, (std::vector<uint64_t>{256, 512}));
  EXPECT_EQ(q3->FindTensor("blk.0.attn_k.weight")->dims, (std::vector<uint64_t>{256, 256}));
  EXPECT_EQ(q3->FindTensor("blk.0.attn_output.weight")->dims, (std::vector<uint64_t>{512, 256}));
  EXPECT_EQ(q3->FindTensor("output.weight")->type, GgmlType::kF16);
  EXPECT_EQ(*q3->GetUint("general.file_type"), 1u);
}

TEST_F(SynthTest, Q4KMMixAndFallbacks) {
  SynthOptions o = Options("llama", "q4_k_m");
  o.layers = 8;
  auto f = Synth(o, "km.gguf");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(*f->GetUint("general.file_type"), 15u);
  EXPECT_EQ(f->FindTensor("token_embd.weight")->type, GgmlType::kQ4_K);
  EXPECT_EQ(f->FindTensor("output.weight")->type, GgmlType::kQ6_K);
  // use_more_bits(i, 8): i < 1, i >= 7, or (i - 1) % 3 == 2 -> layers 0, 3, 6, 7.
  for (int i = 0; i < 8; ++i) {
    const bool more = i == 0 || i == 3 || i == 6 || i == 7;
    const GgmlType want = more ? GgmlType::kQ6_K : GgmlType::kQ4_K;
    EXPECT_EQ(f->FindTensor("blk." + std::to_string(i) + ".attn_v.weight")->type, want) << i;
    EXPECT_EQ(f->FindTensor("blk." + std::to_string(i) + ".ffn_down.weight")->type, want) << i;
    EXPECT_EQ(f->FindTensor("blk." + std::to_string(i) + ".attn_q.weight")->type, GgmlType::kQ4_K) << i;
  }

  // Rows of 96 are not a multiple of 256: Q4_K -> Q5_0, Q6_K -> Q8_0.
  SynthOptions small = Options("qwen2", "q4_k_m");
  small.dim = 96;
  small.heads = 3;
  small.kv_heads = 1;
  small.ffn = 256;
  auto g = Synth(small, "fallback.gguf");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->FindTensor("token_embd.weight")->type, GgmlType::kQ5_0);
  EXPECT_EQ(g->FindTensor("output.weight")->type, GgmlType::kQ8_0);
  EXPECT_EQ(g->FindTensor("blk.0.ffn_down.weight")->type, GgmlType::kQ4_K);  // rows of 256 keep the k-quant
  EXPECT_EQ(g->FindTensor("blk.1.ffn_down.weight")->type, GgmlType::kQ6_K);
  EXPECT_EQ(g->FindTensor("blk.0.attn_v.weight")->type, GgmlType::kQ5_0);
  EXPECT_EQ(g->FindTensor("blk.1.attn_v.weight")->type, GgmlType::kQ8_0);
}

TEST_F(SynthTest, DeterministicAndSeeded) {
  SynthOptions o = Options("llama", "q4_k_m");
  ASSERT_TRUE(SynthesizeModel(o, (dir_ / "a.gguf").string()).ok());
  o.threads = 1;
  ASSERT_TRUE(SynthesizeModel(o, (dir_ / "b.gguf").string()).ok());
  o.seed = 8;
  ASSERT_TRUE(SynthesizeModel(o, (dir_ / "c.gguf").string()).ok());
  const std::string a = Slurp((dir_ / "a.gguf").string());
  EXPECT_EQ(a, Slurp((dir_ / "b.gguf").string()));
  EXPECT_NE(a, Slurp((dir_ / "c.gguf").string()));
  EXPECT_FALSE(fs::exists(dir_ / "a.gguf.tmp"));
}

TEST_F(SynthTest, WeightsHaveSaneScale) {
  auto f = Synth(Options("llama", "f32"), "f32.gguf");
  ASSERT_NE(f, nullptr);
  auto stats = [&](const char* name, double* mean, double* sd) {
    const GgufTensorInfo* t = f->FindTensor(name);
    ASSERT_NE(t, nullptr);
    std::vector<float> x(t->n_elements);
    DequantizeRow(t->type, f->TensorData(*t), x.data(), static_cast<int64_t>(x.size()));
    double s = 0, s2 = 0;
    for (float v : x) { s += v; s2 += static_cast<double>(v) * v; }
    *mean = s / x.size();
    *sd = std::sqrt(s2 / x.size() - *mean * *mean);
  };
  double mean = 0, sd = 0;
  stats("blk.0.attn_q.weight", &mean, &sd);
  EXPECT_NEAR(mean, 0.0, 0.01);
  EXPECT_NEAR(sd, 1.0 / 16, 0.1 / 16);  // 1/sqrt(256)
  stats("blk.0.ffn_down.weight", &mean, &sd);
  EXPECT_NEAR(sd, 1.0 / std::sqrt(512.0), 0.1 / std::sqrt(512.0));
  stats("blk.0.attn_norm.weight", &mean, &sd);
  EXPECT_NEAR(mean, 1.0, 0.02);
  EXPECT_LT(sd, 0.1);
}

TEST_F(SynthTest, TiedAndChatTemplateOverride) {
  SynthOptions o = Options("llama", "q8_0");
  o.tied = true;
  o.chat_template = "custom";
  auto f = Synth(o, "tied.gguf");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->FindTensor("output.weight"), nullptr);
  EXPECT_EQ(*f->GetString("tokenizer.chat_template"), "custom");
  auto info = GetModelInfo(*f, 1024);
  ASSERT_TRUE(info.ok());
  EXPECT_TRUE(info->tied_embeddings);
}

TEST_F(SynthTest, EveryTypeSynthesizesAndDequantizes) {
  for (const std::string& type : SynthTypeNames()) {
    SynthOptions o = Options("llama", type);
    o.layers = 1;
    auto f = Synth(o, type + ".gguf");
    ASSERT_NE(f, nullptr) << type;
    const GgufTensorInfo* t = f->FindTensor("blk.0.attn_q.weight");
    std::vector<float> x(t->n_elements);
    DequantizeRow(t->type, f->TensorData(*t), x.data(), static_cast<int64_t>(x.size()));
    double s2 = 0;
    for (float v : x) s2 += static_cast<double>(v) * v;
    const double sd = std::sqrt(s2 / x.size());
    EXPECT_GT(sd, 0.5 / 16) << type;
    EXPECT_LT(sd, 1.5 / 16) << type;
  }
}

TEST_F(SynthTest, BadOptionsAreNamed) {
  auto expect = [&](SynthOptions o, const std::string& fragment) {
    Status s = SynthesizeModel(o, (dir_ / "bad.gguf").string());
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find(fragment), std::string::npos) << s.message();
    EXPECT_FALSE(fs::exists(dir_ / "bad.gguf"));
  };
  SynthOptions o = Options("llama", "q4_0");
  o.arch = "gpt9";
  expect(o, "--arch");
  o = Options("llama", "q4_0");
  o.type = "q9_9";
  expect(o, "--type");
  o = Options("llama", "q4_0");
  o.kv_heads = 3;
  expect(o, "--kv-heads");
  o = Options("llama", "q4_0");
  o.dim = 0;
  expect(o, "--dim");
  o = Options("llama", "q4_0");
  o.ffn = 100;
  expect(o, "not a multiple of 32");
  o = Options("llama", "q4_0");
  o.vocab_path = (dir_ / "missing.gguf").string();
  expect(o, "missing.gguf");
  o = Options("llama", "q4_0");
  o.vocab_path = "";
  expect(o, "--vocab");
}

TEST_F(SynthTest, CommandLineSynthAndInfo) {
  const std::string out = (dir_ / "cli.gguf").string();
  const std::string cmd = std::string(HEARTH_BINARY) + " model synth --arch qwen2 --vocab " + vocab_ +
                          " --dim 128 --layers 2 --heads 4 --kv-heads 2 --ffn 256 --type q8_0 --seed 3 -o " + out;
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  const std::string json_path = (dir_ / "info.json").string();
  ASSERT_EQ(std::system((std::string(HEARTH_BINARY) + " model info --json --ctx 1024 " + out + " > " + json_path).c_str()), 0);
  nlohmann::json j = nlohmann::json::parse(Slurp(json_path));
  EXPECT_EQ(j["architecture"], "qwen2");
  EXPECT_EQ(j["layers"], 2);
  EXPECT_EQ(j["kv_heads"], 2);
  EXPECT_EQ(j["head_dim"], 32);
  EXPECT_EQ(j["tokenizer"]["vocab_size"], 512);
  EXPECT_EQ(j["tokenizer"]["model"], "llama");
  // 2 (K,V) * 2 layers * 1024 ctx * 2 kv heads * 32 head dim * 2 bytes
  EXPECT_EQ(j["memory"]["kv_cache_bytes"], 2 * 2 * 1024 * 2 * 32 * 2);
  const uint64_t params = 2 * 128 * 512 + 2 * (128 + 128 * 128 + 2 * 128 * 64 + 128 + 2 * 64 + 128 * 128 + 128 + 3 * 128 * 256) + 128;
  EXPECT_EQ(j["parameters"], params);
  const std::string err = (dir_ / "err.txt").string();
  EXPECT_NE(std::system((std::string(HEARTH_BINARY) + " model info " + (dir_ / "nope.gguf").string() + " 2> " + err).c_str()), 0);
  EXPECT_NE(Slurp(err).find("nope.gguf"), std::string::npos);
  EXPECT_NE(std::system((std::string(HEARTH_BINARY) + " model info " + vocab_ + " --ctx -5 2> " + err).c_str()), 0);
  EXPECT_NE(Slurp(err).find("--ctx"), std::string::npos);
}

}  // namespace
}  // namespace hearth::engine
