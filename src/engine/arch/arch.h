// The architecture registry: what differs between model families.
//
// Each family (arch/llama.cpp, arch/qwen2.cpp, arch/qwen3.cpp) describes its
// hyperparameter quirks, the tensors each layer must have, and the switches
// the shared transformer block (transformer.h) reads: RoPE style, Q/K/V
// biases, per-head Q/K RMSNorm. Adding a family means adding one file and one
// line in arch/registry.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "engine/gguf.h"
#include "engine/model.h"

namespace hearth::engine {

// Looks tensors up by name and checks their shape against what the
// architecture expects. Errors name the file and the tensor.
class TensorBinder {
 public:
  explicit TensorBinder(const GgufFile& file) : file_(file) {}
  // `shape` is {ne0} for vectors, {ne0, ne1} for matrices.
  Status Require(const std::string& name, std::vector<int64_t> shape, Tensor* out);
  // Leaves *out empty when the tensor is absent; a present one must match.
  Status Optional(const std::string& name, std::vector<int64_t> shape, Tensor* out);
  const GgufFile& file() const { return file_; }

 private:
  Status Bind(const GgufTensorInfo& info, const std::vector<int64_t>& shape, Tensor* out);
  const GgufFile& file_;
};

struct ArchSpec {
  std::string_view name;
  RopeStyle rope_style;
  bool qkv_bias;   // attn_{q,k,v}.bias present (qwen2)
  bool qk_norm;    // attn_{q,k}_norm.weight per head (qwen3)
  // Reads what the family adds to the common hyperparameters (already filled).
  Status (*read_hparams)(const GgufFile& file, HParams* hp);
  // Binds the tensors of layer `il`.
  Status (*bind_layer)(TensorBinder& binder, const HParams& hp, int64_t il, LayerWeights* lw);
};

// The spec for `general.architecture`, or nullptr when Hearth cannot run it.
const ArchSpec* FindArch(std::string_view name);
std::vector<std::string_view> ArchNames();

// The layer tensors every family shares: norms, Q/K/V/O, gated FFN.
Status BindStandardLayer(TensorBinder& binder, const HParams& hp, int64_t il, LayerWeights* lw);
std::string LayerTensorName(int64_t il, std::string_view suffix);

// The families, each defined in its own file.
const ArchSpec& LlamaArch();
const ArchSpec& Qwen2Arch();
const ArchSpec& Qwen3Arch();

}  // namespace hearth::engine
