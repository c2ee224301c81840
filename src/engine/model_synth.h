// Synthesized models: valid GGUF files with seeded random weights and a real
// tokenizer copied from another GGUF, shaped like llama.cpp's converters
// write llama / qwen2 / qwen3 models. No model can be downloaded here, so
// tests and benchmarks use these.
//
// Determinism: the same options (seed included) give a byte-identical file,
// whatever the number of threads. Weights are N(0, 1/fan_in)-like (an
// Irwin–Hall approximation of a normal, scaled by 1/sqrt(row length)) so
// activations stay in range through many layers; norm weights are ~1.
//
// Types follow llama.cpp's quantize tool without an importance matrix:
// norms and biases F32; output.weight Q6_K for the quantized file types other
// than q8_0; q4_k_m puts Q6_K on attn_v / ffn_down of a subset of layers. A
// k-quant tensor whose rows are not a multiple of 256 falls back as llama.cpp
// does (Q4_K -> Q5_0, Q5_K -> Q5_1, Q6_K -> Q8_0, Q2_K/Q3_K -> Q4_0).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "engine/ggml_types.h"

namespace hearth::engine {

struct SynthOptions {
  std::string arch = "llama";   // llama | qwen2 | qwen3
  std::string vocab_path;       // a GGUF whose tokenizer.* metadata is copied
  int64_t dim = 0;
  int64_t layers = 0;
  int64_t heads = 0;
  int64_t kv_heads = 0;
  int64_t ffn = 0;
  int64_t head_dim = 0;         // 0: dim / heads
  int64_t ctx = 2048;
  double rope_base = 0;         // 0: 10000 for llama, 1000000 for qwen2/qwen3
  double rms_eps = 0;           // 0: 1e-5 for llama, 1e-6 for qwen2/qwen3
  std::string type = "q4_0";    // f32 f16 bf16 q4_0 q4_1 q5_0 q5_1 q8_0 q2_k q3_k q4_k q5_k q6_k q4_k_m
  uint64_t seed = 0;
  bool tied = false;            // omit output.weight (tied embeddings)
  std::string chat_template;    // overrides tokenizer.chat_template when set
  std::string name;             // general.name; default "hearth-synth-<arch>"
  int threads = 0;              // 0: hardware concurrency
};

// One planned tensor of a synthesized model.
struct SynthTensor {
  std::string name;
  GgmlType type;
  std::vector<uint64_t> dims;
};

// The file-type names SynthOptions::type accepts.
const std::vector<std::string>& SynthTypeNames();

// The tensors (names, types, shapes) a synthesis with `options` would write,
// given the vocabulary size. InvalidArgument names the bad option.
Result<std::vector<SynthTensor>> PlanSynthTensors(const SynthOptions& options, int64_t vocab_size);

// Writes the model to `out_path` (atomically: a temporary file renamed into
// place). Errors name the option or file at fault.
Status SynthesizeModel(const SynthOptions& options, const std::string& out_path);

}  // namespace hearth::engine
