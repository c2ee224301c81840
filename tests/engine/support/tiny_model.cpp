#include "engine/support/tiny_model.h"

#include <cmath>
#include <cstdlib>
#include <random>
#include <vector>

#include "engine/gguf_writer.h"
#include "engine/quants.h"

namespace hearth::engine::testing {
namespace {

struct Pending {
  GgmlType type;
  std::vector<float> values;
  int64_t cols;
  bool matrix;
};

}  // namespace

std::string TempDir(const std::string& prefix) {
  std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
  char* dir = mkdtemp(tmpl.data());
  return dir ? std::string(dir) : std::string("/tmp");
}

Status WriteTinyModel(const TinySpec& s, const std::string& path) {
  const int64_t hd = s.head_dim > 0 ? s.head_dim : s.n_embd / s.n_head;
  const int64_t qd = s.n_head * hd, kvd = s.n_head_kv * hd;
  std::mt19937_64 rng(s.seed);
  auto uniform = [&](float a) { return std::uniform_real_distribution<float>(-a, a)(rng); };

  GgufWriter w;
  const std::string a = s.arch;
  w.SetString("general.architecture", a);
  w.SetString("general.name", "tiny-" + a);
  w.SetUint32(a + ".context_length", static_cast<uint32_t>(s.n_ctx));
  w.SetUint32(a + ".embedding_length", static_cast<uint32_t>(s.n_embd));
  w.SetUint32(a + ".block_count", static_cast<uint32_t>(s.n_layer));
  w.SetUint32(a + ".feed_forward_length", static_cast<uint32_t>(s.n_ff));
  w.SetUint32(a + ".attention.head_count", static_cast<uint32_t>(s.n_head));
  w.SetUint32(a + ".attention.head_count_kv", static_cast<uint32_t>(s.n_head_kv));
  if (s.head_dim > 0) {
    w.SetUint32(a + ".attention.key_length", static_cast<uint32_t>(hd));
    w.SetUint32(a + ".attention.value_length", static_cast<uint32_t>(hd));
  }
  w.SetFloat32(a + ".attention.layer_norm_rms_epsilon", 1e-6f);
  w.SetFloat32(a + ".rope.freq_base", s.rope_base);

  std::vector<std::pair<std::string, Pending>> tensors;
  auto matrix = [&](const std::string& name, int64_t cols, int64_t rows, float scale = 1.0f) {
    Pending p{s.type, std::vector<float>(static_cast<size_t>(cols * rows)), cols, true};
    const float amp = scale * 1.7f / std::sqrt(static_cast<float>(cols));
    for (float& v : p.values) v = uniform(amp);
    tensors.emplace_back(name, std::move(p));
  };
  auto vec = [&](const std::string& name, int64_t n, float center, float spread) {
    Pending p{GgmlType::kF32, std::vector<float>(static_cast<size_t>(n)), n, false};
    for (float& v : p.values) v = center + uniform(spread);
    tensors.emplace_back(name, std::move(p));
  };
  // Embeddings of unit-ish scale so the first norm sees sensible inputs.
  matrix("token_embd.weight", s.n_embd, s.n_vocab, std::sqrt(static_cast<float>(s.n_embd)) / 1.7f);
  vec("output_norm.weight", s.n_embd, 1.0f, 0.2f);
  if (!s.tied) matrix("output.weight", s.n_embd, s.n_vocab, 4.0f);
  if (s.rope_freqs) {
    Pending p{GgmlType::kF32, {}, hd / 2, false};
    for (int64_t i = 0; i < hd / 2; ++i) p.values.push_back(i < hd / 4 ? 1.0f : 1.0f + static_cast<float>(i) * 0.5f);
    tensors.emplace_back("rope_freqs.weight", std::move(p));
  }
  for (int64_t il = 0; il < s.n_layer; ++il) {
    const std::string b = "blk." + std::to_string(il) + ".";
    vec(b + "attn_norm.weight", s.n_embd, 1.0f, 0.2f);
    matrix(b + "attn_q.weight", s.n_embd, qd, 2.0f);
    matrix(b + "attn_k.weight", s.n_embd, kvd, 2.0f);
    matrix(b + "attn_v.weight", s.n_embd, kvd);
    if (a == "qwen2") {
      vec(b + "attn_q.bias", qd, 0.0f, 0.3f);
      vec(b + "attn_k.bias", kvd, 0.0f, 0.3f);
      vec(b + "attn_v.bias", kvd, 0.0f, 0.3f);
    }
    if (a == "qwen3") {
      vec(b + "attn_q_norm.weight", hd, 1.0f, 0.3f);
      vec(b + "attn_k_norm.weight", hd, 1.0f, 0.3f);
    }
    matrix(b + "attn_output.weight", qd, s.n_embd);
    vec(b + "ffn_norm.weight", s.n_embd, 1.0f, 0.2f);
    matrix(b + "ffn_gate.weight", s.n_embd, s.n_ff, 2.0f);
    matrix(b + "ffn_up.weight", s.n_embd, s.n_ff);
    matrix(b + "ffn_down.weight", s.n_ff, s.n_embd);
  }
  for (auto& [name, p] : tensors) {
    const int64_t rows = static_cast<int64_t>(p.values.size()) / p.cols;
    std::vector<uint64_t> dims = {static_cast<uint64_t>(p.cols)};
    if (p.matrix) dims.push_back(static_cast<uint64_t>(rows));
    HEARTH_RETURN_IF_ERROR(w.AddTensor(name, p.type, dims));
  }
  HEARTH_RETURN_IF_ERROR(w.Begin(path));
  for (auto& [name, p] : tensors) {
    const int64_t rows = static_cast<int64_t>(p.values.size()) / p.cols;
    HEARTH_ASSIGN_OR_RETURN(uint64_t row_bytes, RowBytes(p.type, p.cols));
    std::vector<uint8_t> bytes(row_bytes * static_cast<uint64_t>(rows));
    for (int64_t r = 0; r < rows; ++r) {
      HEARTH_RETURN_IF_ERROR(QuantizeRow(p.type, p.values.data() + r * p.cols, bytes.data() + r * row_bytes, p.cols));
    }
    HEARTH_RETURN_IF_ERROR(w.WriteTensorData(bytes.data(), bytes.size()));
  }
  return w.Finish();
}

}  // namespace hearth::engine::testing
