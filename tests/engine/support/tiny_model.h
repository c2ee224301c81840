// Tiny seeded GGUF models for the forward-pass tests, written with
// GgufWriter and QuantizeRow. (The synth library makes full-size models with
// real tokenizers; these tests need control over the switches the forward
// pass depends on, e.g. qwen3's key_length != dim / heads, rope_freqs, tied
// output, and no tokenizer at all.)
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"
#include "engine/ggml_types.h"

namespace hearth::engine::testing {

struct TinySpec {
  std::string arch = "llama";   // llama, qwen2, qwen3
  GgmlType type = GgmlType::kF32;  // every matrix, token_embd included
  int64_t n_embd = 256;
  int64_t n_layer = 2;
  int64_t n_head = 4;
  int64_t n_head_kv = 2;
  int64_t head_dim = 0;         // 0: n_embd / n_head (written as key_length when set)
  int64_t n_ff = 512;
  int64_t n_vocab = 256;
  int64_t n_ctx = 512;
  bool tied = false;            // omit output.weight
  bool rope_freqs = false;      // llama 3 style rope_freqs.weight
  float rope_base = 10000.0f;
  uint64_t seed = 1;
};

// Writes the model to `path`.
Status WriteTinyModel(const TinySpec& spec, const std::string& path);

// A fresh temporary directory (removed by the caller or left in /tmp).
std::string TempDir(const std::string& prefix);

}  // namespace hearth::engine::testing
