// GgufWriter: write -> read gives identical metadata and tensors; misuse and
// I/O failures are errors that leave no partial file.
#include "engine/gguf_writer.h"

#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/gguf.h"
#include "engine/quants.h"

namespace hearth::engine {
namespace {

namespace fs = std::filesystem;

TEST(GgufWriterTest, RoundTripMetadataAndTensors) {
  GgufWriter w;
  ASSERT_TRUE(w.SetAlignment(64).ok());
  w.SetString("general.architecture", "qwen2");
  w.SetString("empty", "");
  w.SetBool("flag", false);
  w.SetUint32("u32", 4000000000u);
  w.SetInt32("i32", -5);
  w.SetUint64("u64", 1ull << 50);
  w.SetFloat32("f32", 0.25f);
  w.SetStringArray("strs", {"a", "", "ünïcode", std::string("nul\0in", 6)});
  w.SetFloat32Array("floats", {1.5f, -2.0f});
  w.SetInt32Array("ints", {});
  w.SetUint32("u32", 7);  // replaces in place, keeps the position
  EXPECT_TRUE(w.HasKey("u32"));

  std::mt19937 rng(3);
  std::uniform_real_distribution<float> dist(-1, 1);
  std::vector<float> a(256 * 3);
  for (float& x : a) x = dist(rng);
  std::vector<uint8_t> qa(static_cast<size_t>(*TensorBytes(GgmlType::kQ4_K, {256, 3})));
  for (int r = 0; r < 3; ++r) {
    ASSERT_TRUE(QuantizeRow(GgmlType::kQ4_K, a.data() + 256 * r, qa.data() + r * 144, 256).ok());
  }
  std::vector<uint8_t> small(7 * 2);
  for (size_t i = 0; i < small.size(); ++i) small[i] = static_cast<uint8_t>(i);
  ASSERT_TRUE(w.AddTensor("q", GgmlType::kQ4_K, {256, 3}).ok());
  ASSERT_TRUE(w.AddTensor("h", GgmlType::kF16, {7}).ok());
  ASSERT_TRUE(w.AddTensor("z", GgmlType::kF32, {0}).ok());

  std::string bytes;
  ASSERT_TRUE(w.BeginInMemory(&bytes).ok());
  // Chunks of one tensor may come in pieces.
  ASSERT_TRUE(w.WriteTensorData(qa.data(), 100).ok());
  ASSERT_TRUE(w.WriteTensorData(qa.data() + 100, qa.size() - 100).ok());
  ASSERT_TRUE(w.WriteTensorData(small.data(), small.size()).ok());
  ASSERT_TRUE(w.Finish().ok());
  EXPECT_EQ(bytes.size(), w.FileSize());

  auto f = GgufFile::FromBytes(bytes, "rt.gguf");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  const GgufFile& g = **f;
  EXPECT_EQ(g.alignment(), 64u);
  EXPECT_EQ(g.Keys(), (std::vector<std::string>{"general.alignment", "general.architecture", "empty", "flag", "u32", "i32",
                                                 "u64", "f32", "strs", "floats", "ints"}));
  EXPECT_EQ(*g.GetString("empty"), "");
  EXPECT_FALSE(*g.GetBool("flag"));
  EXPECT_EQ(*g.GetUint("u32"), 7u);
  EXPECT_EQ(*g.GetInt("i32"), -5);
  EXPECT_EQ(*g.GetUint("u64"), 1ull << 50);
  EXPECT_EQ(*g.GetFloat("f32"), 0.25);
  EXPECT_EQ(*g.GetStringArray("strs"), (std::vector<std::string>{"a", "", "ünïcode", std::string("nul\0in", 6)}));
  EXPECT_EQ(*g.GetFloatArray("floats"), (std::vector<float>{1.5f, -2.0f}));
  EXPECT_EQ(g.ArrayLength("ints"), 0u);
  ASSERT_EQ(g.tensors().size(), 3u);
  const GgufTensorInfo* q = g.FindTensor("q");
  EXPECT_EQ(q->offset % 64, 0u);
  EXPECT_EQ(std::memcmp(g.TensorData(*q), qa.data(), qa.size()), 0);
  const GgufTensorInfo* h = g.FindTensor("h");
  EXPECT_EQ(h->offset % 64, 0u);
  EXPECT_EQ(std::memcmp(g.TensorData(*h), small.data(), small.size()), 0);
  EXPECT_EQ(g.FindTensor("z")->n_bytes, 0u);

  // Copying every key into a second writer reproduces the header exactly.
  GgufWriter w2;
  ASSERT_TRUE(w2.SetAlignment(64).ok());
  for (const std::string& k : g.Keys()) ASSERT_TRUE(w2.CopyKey(g, k).ok());
  for (const GgufTensorInfo& t : g.tensors()) ASSERT_TRUE(w2.AddTensor(t.name, t.type, t.dims).ok());
  std::string bytes2;
  ASSERT_TRUE(w2.BeginInMemory(&bytes2).ok());
  for (const GgufTensorInfo& t : g.tensors()) {
    if (t.n_bytes) {
      ASSERT_TRUE(w2.WriteTensorData(g.TensorData(t), t.n_bytes).ok());
    }
  }
  ASSERT_TRUE(w2.Finish().ok());
  EXPECT_EQ(bytes2, bytes);
  EXPECT_EQ(w2.CopyKey(g, "absent").code(), StatusCode::kNotFound);
}

TEST(GgufWriterTest, Misuse) {
  GgufWriter w;
  EXPECT_EQ(w.SetAlignment(24).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(w.AddTensor("a", GgmlType::kQ8_0, {64}).ok());
  EXPECT_EQ(w.SetAlignment(64).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(w.AddTensor("a", GgmlType::kF32, {1}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(w.AddTensor("", GgmlType::kF32, {1}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(w.AddTensor("b", GgmlType::kQ4_0, {31}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(w.AddTensor("c", GgmlType::kF32, {1, 1, 1, 1, 1}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(w.AddTensor("d", GgmlType::kF32, {1ull << 62, 4}).code(), StatusCode::kOutOfRange);
  EXPECT_EQ(w.WriteTensorData("x", 1).code(), StatusCode::kFailedPrecondition);
  std::string out;
  ASSERT_TRUE(w.BeginInMemory(&out).ok());
  EXPECT_EQ(w.AddTensor("e", GgmlType::kF32, {1}).code(), StatusCode::kFailedPrecondition);
  std::vector<uint8_t> buf(100);
  EXPECT_EQ(w.WriteTensorData(buf.data(), 100).code(), StatusCode::kInvalidArgument);  // tensor holds 68
  EXPECT_EQ(w.Finish().code(), StatusCode::kFailedPrecondition);                      // 'a' not written
}

TEST(GgufWriterTest, FileIsAtomic) {
  const fs::path dir = fs::temp_directory_path() / ("gguf_writer_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "m.gguf").string();
  {
    GgufWriter w;
    w.SetString("general.architecture", "llama");
    ASSERT_TRUE(w.AddTensor("a", GgmlType::kF32, {4}).ok());
    ASSERT_TRUE(w.Begin(path).ok());
    EXPECT_TRUE(fs::exists(path + ".tmp"));
    EXPECT_FALSE(fs::exists(path));
    // Abandoned without Finish: nothing is left behind.
  }
  EXPECT_FALSE(fs::exists(path + ".tmp"));
  EXPECT_FALSE(fs::exists(path));
  {
    GgufWriter w;
    ASSERT_TRUE(w.AddTensor("a", GgmlType::kF32, {4}).ok());
    ASSERT_TRUE(w.Begin(path).ok());
    const float v[4] = {1, 2, 3, 4};
    ASSERT_TRUE(w.WriteTensorData(v, sizeof(v)).ok());
    ASSERT_TRUE(w.Finish().ok());
  }
  EXPECT_FALSE(fs::exists(path + ".tmp"));
  auto f = GgufFile::Open(path);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(reinterpret_cast<const float*>((*f)->TensorData((*f)->tensors()[0]))[3], 4.0f);
  GgufWriter bad;
  EXPECT_EQ(bad.Begin((dir / "no" / "such" / "dir.gguf").string()).code(), StatusCode::kIoError);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace hearth::engine
