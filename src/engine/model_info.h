// ModelInfo: what `hearth model info` reports about a GGUF model, read from
// its metadata and tensor table (nothing is loaded or allocated).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "engine/ggml_types.h"
#include "engine/gguf.h"

namespace hearth::engine {

struct TypeUsage {
  GgmlType type;
  uint64_t tensors = 0;
  uint64_t bytes = 0;
  uint64_t parameters = 0;
};

// Memory a model needs at a context length. An estimate until the forward
// pass's exact plan replaces EstimateMemory (model_info.cpp).
struct MemoryEstimate {
  int64_t ctx = 0;
  uint64_t weight_bytes = 0;   // every tensor byte (mapped)
  uint64_t kv_bytes = 0;       // F16 K and V: 2 * layers * ctx * kv_heads * head_dim * 2
  uint64_t scratch_bytes = 0;  // activations of a 512-token batch, logits, attention rows
  uint64_t Total() const { return weight_bytes + kv_bytes + scratch_bytes; }
};

struct ModelInfo {
  std::string path;
  uint32_t gguf_version = 0;
  uint64_t file_size = 0;
  std::string architecture;
  std::string name;
  int64_t file_type = -1;      // general.file_type, -1 when absent
  uint64_t parameters = 0;
  uint64_t tensor_count = 0;
  std::vector<TypeUsage> types;  // ordered by bytes, largest first
  // Hyper-parameters (0 when the metadata lacks them).
  int64_t context_length = 0;
  int64_t layers = 0;
  int64_t dim = 0;
  int64_t ffn = 0;
  int64_t heads = 0;
  int64_t kv_heads = 0;
  int64_t head_dim = 0;
  double rope_base = 0;
  bool tied_embeddings = false;
  // Tokenizer.
  std::string tokenizer_model;
  std::string tokenizer_pre;
  uint64_t vocab_size = 0;
  int64_t bos_id = -1;
  int64_t eos_id = -1;
  std::string chat_template;   // empty when absent
  MemoryEstimate memory;
};

// Reads the info; `ctx` 0 means the model's own context length (2048 when
// the file has none).
Result<ModelInfo> GetModelInfo(const GgufFile& file, int64_t ctx = 0);

// The memory estimate. One function so the forward pass's exact memory plan
// can replace it.
MemoryEstimate EstimateMemory(const ModelInfo& info, int64_t ctx);

// Human-readable report (several lines) and JSON (one object).
std::string FormatModelInfo(const ModelInfo& info);
std::string ModelInfoJson(const ModelInfo& info);

// "1.10 GiB", "512 KiB", "123 B".
std::string FormatBytes(uint64_t bytes);

}  // namespace hearth::engine
