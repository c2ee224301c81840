// Model: a GGUF file's hyperparameters and weights, validated, ready to run.
//
// Load() reads the architecture's hyperparameters from the GGUF metadata,
// checks them (positive sizes, heads dividing evenly, GQA ratio integral),
// looks up every tensor the architecture needs and checks its shape and type
// against the hyperparameters. A problem is an error naming the file and the
// key or tensor. Weights are never copied: Tensor::data points into the
// file's read-only mapping, which lives as long as the Model.
//
// Thread-safety: a Model is immutable after Load(); sessions on any number of
// threads may share it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "engine/ggml_types.h"
#include "engine/gguf.h"

namespace hearth::engine {

struct ArchSpec;

// How RoPE pairs the dimensions of a head: kNormal rotates adjacent pairs
// (2i, 2i+1) (llama); kNeox rotates (i, i + n_rot/2) (qwen2, qwen3).
enum class RopeStyle { kNormal, kNeox };

struct HParams {
  std::string arch;
  int64_t n_vocab = 0;
  int64_t n_embd = 0;
  int64_t n_layer = 0;
  int64_t n_head = 0;
  int64_t n_head_kv = 0;
  int64_t head_dim = 0;     // attention.key_length, default n_embd / n_head
  int64_t n_ff = 0;
  int64_t n_ctx_train = 0;
  int64_t n_rot = 0;        // rope.dimension_count, default head_dim
  float rms_eps = 1e-5f;
  float rope_freq_base = 10000.0f;
  float rope_freq_scale = 1.0f;  // 1 / rope.scaling.factor for linear scaling
  RopeStyle rope_style = RopeStyle::kNormal;

  int64_t q_dim() const { return n_head * head_dim; }
  int64_t kv_dim() const { return n_head_kv * head_dim; }
};

// A weight tensor inside the mapping. For a matrix, `cols` is the input size
// (GGUF ne[0], contiguous) and `rows` the output size.
struct Tensor {
  const GgufTensorInfo* info = nullptr;  // nullptr: absent (optional tensor)
  const uint8_t* data = nullptr;
  GgmlType type = GgmlType::kF32;
  int64_t cols = 0;
  int64_t rows = 0;
  explicit operator bool() const { return info != nullptr; }
};

struct LayerWeights {
  Tensor attn_norm;
  Tensor wq, wk, wv, wo;
  Tensor bq, bk, bv;          // qwen2
  Tensor q_norm, k_norm;      // qwen3, per head (head_dim)
  Tensor ffn_norm;
  Tensor w_gate, w_up, w_down;
};

struct ModelWeights {
  Tensor token_embd;   // rows = n_vocab, cols = n_embd
  Tensor output_norm;
  Tensor output;       // token_embd when tied (output.weight absent)
  bool tied_output = false;
  Tensor rope_freqs;   // llama 3: per-pair frequency divisors (n_rot / 2), F32
  std::vector<LayerWeights> layers;
};

class Model {
 public:
  static Result<std::unique_ptr<Model>> Load(const std::string& path);
  // Takes an already opened file (e.g. one the memory plan has inspected).
  static Result<std::unique_ptr<Model>> FromGguf(std::unique_ptr<GgufFile> file);

  // Reads and validates only the hyperparameters (for planning before load).
  static Result<HParams> ReadHParams(const GgufFile& file);

  const HParams& hparams() const { return hparams_; }
  const ModelWeights& weights() const { return weights_; }
  const ArchSpec& arch() const { return *arch_; }
  const GgufFile& gguf() const { return *file_; }
  // Sum of all tensor bytes (what the mapping will bring into memory).
  uint64_t weight_bytes() const;
  uint64_t n_params() const;
  // The type holding most bytes of the layer matrices (e.g. "q4_0"), for reports.
  std::string dominant_type() const;

 private:
  Model() = default;
  std::unique_ptr<GgufFile> file_;
  const ArchSpec* arch_ = nullptr;
  HParams hparams_;
  ModelWeights weights_;
};

}  // namespace hearth::engine
