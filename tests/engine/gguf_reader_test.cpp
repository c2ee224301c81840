// GgufFile: real vocabulary files parse; every kind of corruption is rejected
// with a message naming the field and the byte offset.
#include "engine/gguf.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/gguf_writer.h"

namespace hearth::engine {
namespace {

namespace fs = std::filesystem;

// Raw GGUF bytes, for files the writer would refuse to produce.
class Bytes {
 public:
  Bytes& U8(uint8_t v) { return Put(v); }
  Bytes& U32(uint32_t v) { return Put(v); }
  Bytes& U64(uint64_t v) { return Put(v); }
  Bytes& F32(float v) { return Put(v); }
  Bytes& Str(std::string_view s) {
    U64(s.size());
    data_.append(s);
    return *this;
  }
  Bytes& Raw(std::string_view s) {
    data_.append(s);
    return *this;
  }
  Bytes& Header(uint64_t n_tensors, uint64_t n_kv, uint32_t version = 3) {
    data_.append("GGUF", 4);
    return U32(version).U64(n_tensors).U64(n_kv);
  }
  Bytes& KvU32(std::string_view key, uint32_t v) { return Str(key).U32(4).U32(v); }
  Bytes& KvStr(std::string_view key, std::string_view v) { return Str(key).U32(8).Str(v); }
  Bytes& Tensor(std::string_view name, std::vector<uint64_t> dims, uint32_t type, uint64_t offset) {
    Str(name).U32(static_cast<uint32_t>(dims.size()));
    for (uint64_t d : dims) U64(d);
    return U32(type).U64(offset);
  }
  Bytes& PadTo(size_t alignment) {
    data_.append((alignment - data_.size() % alignment) % alignment, '\0');
    return *this;
  }
  Bytes& Zeros(size_t n) {
    data_.append(n, '\0');
    return *this;
  }
  size_t size() const { return data_.size(); }
  const std::string& str() const { return data_; }

 private:
  template <typename T>
  Bytes& Put(T v) {
    char b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    data_.append(b, sizeof(T));
    return *this;
  }
  std::string data_;
};

Status Parse(const std::string& bytes) { return GgufFile::FromBytes(bytes, "t.gguf").status(); }

// Expects Corruption whose message contains every fragment.
void ExpectCorrupt(const std::string& bytes, std::vector<std::string> fragments) {
  Status s = Parse(bytes);
  ASSERT_EQ(s.code(), StatusCode::kCorruption) << s.ToString();
  EXPECT_NE(s.message().find("t.gguf"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("(byte "), std::string::npos) << s.message();
  for (const std::string& f : fragments) EXPECT_NE(s.message().find(f), std::string::npos) << "missing '" << f << "' in: " << s.message();
}

// A small valid file: a few kinds of metadata and two F32 tensors.
std::string SmallValidFile() {
  GgufWriter w;
  w.SetString("general.architecture", "llama");
  w.SetUint32("llama.block_count", 2);
  w.SetFloat32("llama.rope.freq_base", 10000.0f);
  w.SetBool("tokenizer.ggml.add_bos_token", true);
  w.SetStringArray("tokenizer.ggml.tokens", {"<s>", "a", "bc"});
  w.SetInt32Array("tokenizer.ggml.token_type", {3, 1, 1});
  EXPECT_TRUE(w.AddTensor("a.weight", GgmlType::kF32, {4, 2}).ok());
  EXPECT_TRUE(w.AddTensor("b.weight", GgmlType::kQ8_0, {32}).ok());
  std::string out;
  EXPECT_TRUE(w.BeginInMemory(&out).ok());
  std::vector<float> a = {1, 2, 3, 4, 5, 6, 7, 8};
  EXPECT_TRUE(w.WriteTensorData(a.data(), a.size() * 4).ok());
  std::string b(34, '\1');
  EXPECT_TRUE(w.WriteTensorData(b.data(), b.size()).ok());
  EXPECT_TRUE(w.Finish().ok());
  return out;
}

TEST(GgufReaderTest, SmallFileParses) {
  std::string bytes = SmallValidFile();
  auto f = GgufFile::FromBytes(bytes, "small.gguf");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  const GgufFile& g = **f;
  EXPECT_EQ(g.version(), 3u);
  EXPECT_EQ(g.Arch(), "llama");
  EXPECT_EQ(g.ArchKey("block_count"), "llama.block_count");
  EXPECT_EQ(*g.GetUint("llama.block_count"), 2u);
  EXPECT_EQ(*g.GetInt("llama.block_count"), 2);
  EXPECT_EQ(*g.GetFloat("llama.block_count"), 2.0);
  EXPECT_EQ(*g.GetFloat("llama.rope.freq_base"), 10000.0);
  EXPECT_TRUE(*g.GetBool("tokenizer.ggml.add_bos_token"));
  EXPECT_EQ(*g.GetStringArray("tokenizer.ggml.tokens"), (std::vector<std::string>{"<s>", "a", "bc"}));
  EXPECT_EQ(*g.GetIntArray("tokenizer.ggml.token_type"), (std::vector<int64_t>{3, 1, 1}));
  EXPECT_EQ(*g.GetFloatArray("tokenizer.ggml.token_type"), (std::vector<float>{3, 1, 1}));
  EXPECT_EQ(g.ArrayLength("tokenizer.ggml.tokens"), 3u);
  EXPECT_EQ(g.ArrayElementType("tokenizer.ggml.tokens"), GgufValueType::kString);
  EXPECT_EQ(g.TypeOf("llama.block_count"), GgufValueType::kUint32);
  EXPECT_FALSE(g.Has("nope"));
  EXPECT_EQ(g.GetString("nope").status().code(), StatusCode::kNotFound);
  Status wrong = g.GetString("llama.block_count").status();
  EXPECT_EQ(wrong.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(wrong.message().find("uint32"), std::string::npos) << wrong.message();
  EXPECT_NE(wrong.message().find("llama.block_count"), std::string::npos);
  EXPECT_EQ(g.GetUint("general.architecture").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(g.ValueToString("tokenizer.ggml.tokens", 2), "[\"<s>\", \"a\", … (3 string items)]");
  EXPECT_EQ(g.ValueToString("general.architecture"), "\"llama\"");
  EXPECT_EQ(g.Keys().front(), "general.architecture");

  ASSERT_EQ(g.tensors().size(), 2u);
  const GgufTensorInfo* a = g.FindTensor("a.weight");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->dims, (std::vector<uint64_t>{4, 2}));
  EXPECT_EQ(a->n_elements, 8u);
  EXPECT_EQ(a->n_bytes, 32u);
  EXPECT_EQ(a->Rows(), 2u);
  float v[8];
  std::memcpy(v, g.TensorData(*a), sizeof(v));
  EXPECT_EQ(v[7], 8.0f);
  const GgufTensorInfo* b = g.FindTensor("b.weight");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->type, GgmlType::kQ8_0);
  EXPECT_EQ(b->offset % g.alignment(), 0u);
  EXPECT_EQ(g.TensorData(*b)[33], 1);
  EXPECT_EQ((g.data_offset()) % 32, 0u);
  EXPECT_EQ(g.FindTensor("c"), nullptr);
}

TEST(GgufReaderTest, NegativeAndWideIntegers) {
  Bytes b;
  b.Header(0, 3).Str("neg").U32(5).U32(static_cast<uint32_t>(-7)).Str("big").U32(10).U64(~0ull).Str("i8").U32(1).U8(0xFF);
  auto f = GgufFile::FromBytes(b.str(), "t.gguf");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(*(*f)->GetInt("neg"), -7);
  EXPECT_EQ((*f)->GetUint("neg").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(*(*f)->GetUint("big"), ~0ull);
  EXPECT_EQ((*f)->GetInt("big").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(*(*f)->GetInt("i8"), -1);
  EXPECT_EQ(*(*f)->GetFloat("neg"), -7.0);
}

TEST(GgufReaderTest, VocabFixturesParse) {
  const fs::path dir = fs::path(HEARTH_SHARED_DIR) / "fixtures" / "vocab";
  if (!fs::exists(dir)) GTEST_SKIP() << "shared fixtures absent: " << dir;
  int n = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".gguf") continue;
    ++n;
    auto f = GgufFile::Open(entry.path().string());
    ASSERT_TRUE(f.ok()) << f.status().ToString();
    const GgufFile& g = **f;
    EXPECT_FALSE(g.Arch().empty()) << entry.path();
    Result<std::vector<std::string>> tokens = g.GetStringArray("tokenizer.ggml.tokens");
    ASSERT_TRUE(tokens.ok()) << tokens.status().ToString();
    EXPECT_GT(tokens->size(), 1000u);
    EXPECT_TRUE(g.GetString("tokenizer.ggml.model").ok()) << entry.path();
    EXPECT_TRUE(g.tensors().empty());
  }
  EXPECT_GE(n, 8);
  auto spm = GgufFile::Open((dir / "ggml-vocab-llama-spm.gguf").string());
  ASSERT_TRUE(spm.ok());
  EXPECT_EQ(*(*spm)->GetString("tokenizer.ggml.model"), "llama");
  EXPECT_EQ((*spm)->GetStringArray("tokenizer.ggml.tokens")->size(), 32000u);
  EXPECT_EQ((*spm)->GetFloatArray("tokenizer.ggml.scores")->size(), 32000u);
  EXPECT_EQ(*(*spm)->GetUint("llama.vocab_size"), 32000u);
}

TEST(GgufReaderTest, OpenErrors) {
  EXPECT_EQ(GgufFile::Open("/nonexistent/x.gguf").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(GgufFile::Open("/").status().code(), StatusCode::kInvalidArgument);
  const fs::path p = fs::temp_directory_path() / ("gguf_reader_test_" + std::to_string(::getpid()) + ".gguf");
  {
    std::ofstream out(p, std::ios::binary);
    out << "GGUF";
  }
  Status s = GgufFile::Open(p.string()).status();
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find(p.string()), std::string::npos);
  const std::string valid = SmallValidFile();
  {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << valid;
  }
  auto f = GgufFile::Open(p.string());
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ((*f)->file_size(), valid.size());
  EXPECT_EQ((*f)->path(), p.string());
  fs::remove(p);
}

TEST(GgufCorruptTest, EveryTruncationIsRejected) {
  const std::string bytes = SmallValidFile();
  auto f = GgufFile::FromBytes(bytes, "t.gguf");
  ASSERT_TRUE(f.ok());
  // The padding after the last tensor is optional (llama.cpp does not check
  // it either); every shorter prefix cuts into the header or a tensor.
  uint64_t end = 0;
  for (const GgufTensorInfo& t : (*f)->tensors()) end = std::max(end, (*f)->data_offset() + t.offset + t.n_bytes);
  ASSERT_LT(end, bytes.size());
  for (size_t n = 0; n < bytes.size(); ++n) {
    Status s = Parse(bytes.substr(0, n));
    if (n >= end) {
      ASSERT_TRUE(s.ok()) << "prefix " << n << ": " << s.ToString();
      continue;
    }
    ASSERT_EQ(s.code(), StatusCode::kCorruption) << "prefix " << n << ": " << s.ToString();
    ASSERT_NE(s.message().find("byte "), std::string::npos) << s.message();
  }
}

TEST(GgufCorruptTest, EveryByteFlipIsSafe) {
  // Not every flip is invalid (a flipped tensor value is fine), but none may
  // crash or read out of bounds (ASan checks the latter).
  const std::string bytes = SmallValidFile();
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (uint8_t x : {0x01, 0x80, 0xFF}) {
      std::string m = bytes;
      m[i] = static_cast<char>(m[i] ^ x);
      auto f = GgufFile::FromBytes(m, "t.gguf");
      if (f.ok()) {
        for (const std::string& k : (*f)->Keys()) (void)(*f)->ValueToString(k);
      }
    }
  }
}

TEST(GgufCorruptTest, BadMagicAndVersion) {
  Bytes b;
  b.Raw("GGML").U32(3).U64(0).U64(0);
  ExpectCorrupt(b.str(), {"magic", "byte 0"});
  ExpectCorrupt(Bytes().Header(0, 0, 1).str(), {"version", "v1"});
  ExpectCorrupt(Bytes().Header(0, 0, 7).str(), {"version", "7", "byte 4"});
  ExpectCorrupt(Bytes().Header(0, 0, 0x03000000).str(), {"big-endian"});
}

TEST(GgufCorruptTest, WrongCounts) {
  ExpectCorrupt(Bytes().Header(0, 1000000000000ull).str(), {"metadata_kv_count", "byte 16"});
  ExpectCorrupt(Bytes().Header(~0ull, 0).str(), {"tensor_count", "byte 8"});
  // Claims two keys, holds one.
  ExpectCorrupt(Bytes().Header(0, 2).KvU32("a", 1).Zeros(12).str(), {"metadata key #1"});
}

TEST(GgufCorruptTest, HugeStringLength) {
  Bytes b;
  b.Header(0, 1).Str("general.name").U32(8).U64(1ull << 60).Raw("abc");
  ExpectCorrupt(b.str(), {"metadata 'general.name'", "string length 1152921504606846976", "byte 48"});
  Bytes k;
  k.Header(0, 1).U64(~0ull).Zeros(16);
  ExpectCorrupt(k.str(), {"metadata key #0", "string length"});
}

TEST(GgufCorruptTest, UnknownValueTypes) {
  ExpectCorrupt(Bytes().Header(0, 1).Str("k").U32(13).U32(0).str(), {"metadata 'k'", "unknown value type 13", "byte 33"});
  ExpectCorrupt(Bytes().Header(0, 1).Str("k").U32(9).U32(77).U64(0).str(), {"unknown array element type 77"});
  ExpectCorrupt(Bytes().Header(0, 1).Str("k").U32(9).U32(9).U64(0).str(), {"nested arrays"});
  ExpectCorrupt(Bytes().Header(0, 1).Str("k").U32(7).U8(2).Zeros(8).str(), {"bool value 2"});
}

TEST(GgufCorruptTest, ArrayLengthsBeyondFile) {
  ExpectCorrupt(Bytes().Header(0, 1).Str("k").U32(9).U32(8).U64(1ull << 62).Zeros(16).str(), {"array length"});
  ExpectCorrupt(Bytes().Header(0, 1).Str("k").U32(9).U32(10).U64(1ull << 62).Zeros(16).str(), {"uint64", "exceeds"});
  // Length that overflows when multiplied by the element size.
  ExpectCorrupt(Bytes().Header(0, 1).Str("k").U32(9).U32(12).U64(~0ull / 4).Zeros(16).str(), {"float64", "exceeds"});
}

TEST(GgufCorruptTest, DuplicateKeysAndTensorNames) {
  ExpectCorrupt(Bytes().Header(0, 2).KvU32("a", 1).KvU32("a", 2).str(), {"metadata 'a'", "duplicate key", "byte 41"});
  Bytes t;
  t.Header(2, 0).Tensor("w", {32}, 0, 0).Tensor("w", {32}, 0, 128).PadTo(32).Zeros(256);
  ExpectCorrupt(t.str(), {"tensor 'w'", "duplicate tensor name"});
}

TEST(GgufCorruptTest, BadAlignment) {
  ExpectCorrupt(Bytes().Header(0, 1).KvU32("general.alignment", 48).str(), {"general.alignment", "power of two"});
  ExpectCorrupt(Bytes().Header(0, 1).KvU32("general.alignment", 0).str(), {"power of two"});
  ExpectCorrupt(Bytes().Header(0, 1).KvStr("general.alignment", "32").str(), {"general.alignment", "string"});
  Bytes t;
  t.Header(1, 0).Tensor("w", {8}, 0, 4).PadTo(32).Zeros(64);
  ExpectCorrupt(t.str(), {"tensor 'w'", "offset 4 is not a multiple of the alignment 32"});
  // A larger alignment is honoured.
  Bytes ok;
  ok.Header(1, 1).KvU32("general.alignment", 64).Tensor("w", {8}, 0, 64).PadTo(64).Zeros(128);
  auto f = GgufFile::FromBytes(ok.str(), "t.gguf");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ((*f)->alignment(), 64u);
  EXPECT_EQ((*f)->data_offset() % 64, 0u);
}

TEST(GgufCorruptTest, OverlappingTensors) {
  Bytes t;
  t.Header(2, 0).Tensor("a", {16}, 0, 0).Tensor("b", {16}, 0, 32).PadTo(32).Zeros(128);
  ExpectCorrupt(t.str(), {"tensor", "overlaps tensor"});
  // Adjacent is fine.
  Bytes ok;
  ok.Header(2, 0).Tensor("a", {8}, 0, 0).Tensor("b", {8}, 0, 32).PadTo(32).Zeros(64);
  EXPECT_TRUE(Parse(ok.str()).ok()) << Parse(ok.str()).ToString();
}

TEST(GgufCorruptTest, TensorPastEndOfFile) {
  Bytes t;
  t.Header(1, 0).Tensor("blk.0.attn_q.weight", {64, 64}, 0, 0).PadTo(32).Zeros(100);
  ExpectCorrupt(t.str(), {"tensor 'blk.0.attn_q.weight'", "past end of file", "size"});
  Bytes o;
  o.Header(1, 0).Tensor("w", {8}, 0, ~0ull - 31).PadTo(32).Zeros(64);
  ExpectCorrupt(o.str(), {"tensor 'w'", "past end of file"});
}

TEST(GgufCorruptTest, AbsurdDimensions) {
  ExpectCorrupt(Bytes().Header(1, 0).Tensor("w", {~0ull}, 0, 0).str(), {"tensor 'w'", "absurd"});
  ExpectCorrupt(Bytes().Header(1, 0).Tensor("w", {1ull << 32, 1ull << 32}, 0, 0).str(), {"tensor 'w'", "overflows"});
  ExpectCorrupt(Bytes().Header(1, 0).Tensor("w", {1, 2, 3, 4, 5}, 0, 0).str(), {"n_dims 5"});
  ExpectCorrupt(Bytes().Header(1, 0).Tensor("w", {}, 0, 0).str(), {"n_dims 0"});
  // Element count fits but bytes overflow? F64 of 2^61 elements is 2^64 bytes.
  ExpectCorrupt(Bytes().Header(1, 0).Tensor("w", {1ull << 61}, 28, 0).PadTo(32).str(), {"tensor 'w'"});
  // Row length not a multiple of the block size.
  ExpectCorrupt(Bytes().Header(1, 0).Tensor("w", {33}, 2, 0).PadTo(32).Zeros(64).str(), {"row length 33", "q4_0"});
}

TEST(GgufCorruptTest, UnknownTensorTypeAndBadNames) {
  ExpectCorrupt(Bytes().Header(1, 0).Tensor("w", {32}, 4, 0).PadTo(32).Zeros(64).str(), {"tensor 'w'", "unsupported tensor type id 4"});
  ExpectCorrupt(Bytes().Header(1, 0).Tensor("w", {32}, 1000, 0).str(), {"type id 1000"});
  ExpectCorrupt(Bytes().Header(1, 0).Tensor("", {32}, 0, 0).str(), {"tensor #0 name"});
  ExpectCorrupt(Bytes().Header(1, 0).Tensor(std::string("a\0b", 3), {32}, 0, 0).str(), {"tensor #0 name"});
}

TEST(GgufCorruptTest, DataSectionPastEnd) {
  Bytes t;
  t.Header(1, 0).Tensor("w", {0}, 0, 0);  // zero-size tensor, no padding, no data
  ExpectCorrupt(t.str(), {"tensor data section"});
}

}  // namespace
}  // namespace hearth::engine
