#include "engine/model.h"

#include <cmath>
#include <cstring>
#include <map>

#include <fmt/format.h>

#include "engine/arch/arch.h"
#include "engine/fp16.h"

namespace hearth::engine {
namespace {

// Sizes beyond these are not models but attacks or corruption; refusing them
// keeps every later product of sizes far from overflow.
constexpr int64_t kMaxDim = int64_t{1} << 20;
constexpr int64_t kMaxLayers = 4096;

Status ReadDim(const GgufFile& f, std::string_view suffix, int64_t max, int64_t* out,
               std::optional<int64_t> fallback = std::nullopt) {
  const std::string key = f.ArchKey(suffix);
  if (!f.Has(key)) {
    if (fallback) { *out = *fallback; return Status::Ok(); }
    return Status::InvalidArgument(fmt::format("{}: required metadata key '{}' is missing", f.path(), key));
  }
  auto v = f.GetUint(key);
  if (!v.ok()) return Status::InvalidArgument(fmt::format("{}: {}", f.path(), v.status().message()));
  if (*v == 0 || *v > static_cast<uint64_t>(max)) {
    return Status::InvalidArgument(fmt::format("{}: metadata '{}' = {} is out of range [1, {}]", f.path(), key, *v, max));
  }
  *out = static_cast<int64_t>(*v);
  return Status::Ok();
}

Status ReadFloat(const GgufFile& f, std::string_view suffix, float* out, float fallback) {
  const std::string key = f.ArchKey(suffix);
  if (!f.Has(key)) { *out = fallback; return Status::Ok(); }
  auto v = f.GetFloat(key);
  if (!v.ok()) return Status::InvalidArgument(fmt::format("{}: {}", f.path(), v.status().message()));
  if (!std::isfinite(*v) || *v <= 0) {
    return Status::InvalidArgument(fmt::format("{}: metadata '{}' = {} must be a positive finite number", f.path(), key, *v));
  }
  *out = static_cast<float>(*v);
  return Status::Ok();
}

std::string ShapeString(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

}  // namespace

Status TensorBinder::Bind(const GgufTensorInfo& info, const std::vector<int64_t>& shape, Tensor* out) {
  // Trailing dimensions of 1 are the same shape (writers differ on this).
  std::vector<int64_t> dims(info.dims.begin(), info.dims.end());
  while (dims.size() > shape.size() && dims.back() == 1) dims.pop_back();
  if (dims != shape) {
    return Status::InvalidArgument(fmt::format("{}: tensor '{}' has shape {}, expected {} from the hyperparameters",
                                               file_.path(), info.name, ShapeString(dims), ShapeString(shape)));
  }
  switch (info.type) {
    case GgmlType::kF32: case GgmlType::kF16: case GgmlType::kBF16:
    case GgmlType::kQ4_0: case GgmlType::kQ4_1: case GgmlType::kQ5_0: case GgmlType::kQ5_1:
    case GgmlType::kQ8_0: case GgmlType::kQ2_K: case GgmlType::kQ3_K: case GgmlType::kQ4_K:
    case GgmlType::kQ5_K: case GgmlType::kQ6_K:
      break;
    default: {
      auto traits = GetTypeTraits(info.type);
      return Status::Unimplemented(fmt::format("{}: tensor '{}' has type {} which the engine cannot compute with",
                                               file_.path(), info.name,
                                               traits ? std::string(traits->name) : std::to_string(static_cast<uint32_t>(info.type))));
    }
  }
  if (shape.size() == 1 && info.type != GgmlType::kF32) {
    return Status::Unimplemented(fmt::format("{}: vector tensor '{}' must be f32 (norm weights and biases), found type {}",
                                             file_.path(), info.name, GetTypeTraits(info.type)->name));
  }
  out->info = &info;
  out->data = file_.TensorData(info);
  out->type = info.type;
  out->cols = shape[0];
  out->rows = shape.size() > 1 ? shape[1] : 1;
  return Status::Ok();
}

Status TensorBinder::Require(const std::string& name, std::vector<int64_t> shape, Tensor* out) {
  const GgufTensorInfo* info = file_.FindTensor(name);
  if (info == nullptr) {
    return Status::InvalidArgument(fmt::format("{}: required tensor '{}' is missing", file_.path(), name));
  }
  return Bind(*info, shape, out);
}

Status TensorBinder::Optional(const std::string& name, std::vector<int64_t> shape, Tensor* out) {
  *out = Tensor{};
  const GgufTensorInfo* info = file_.FindTensor(name);
  if (info == nullptr) return Status::Ok();
  return Bind(*info, shape, out);
}

Result<HParams> Model::ReadHParams(const GgufFile& f) {
  HParams hp;
  hp.arch = f.Arch();
  if (hp.arch.empty()) {
    return Status::InvalidArgument(fmt::format("{}: metadata 'general.architecture' is missing", f.path()));
  }
  const ArchSpec* spec = FindArch(hp.arch);
  if (spec == nullptr) {
    std::string known;
    for (auto n : ArchNames()) known += (known.empty() ? "" : ", ") + std::string(n);
    return Status::Unimplemented(fmt::format("{}: architecture '{}' is not supported (supported: {})", f.path(), hp.arch, known));
  }
  HEARTH_RETURN_IF_ERROR(ReadDim(f, "embedding_length", kMaxDim, &hp.n_embd));
  HEARTH_RETURN_IF_ERROR(ReadDim(f, "block_count", kMaxLayers, &hp.n_layer));
  HEARTH_RETURN_IF_ERROR(ReadDim(f, "attention.head_count", kMaxDim, &hp.n_head));
  HEARTH_RETURN_IF_ERROR(ReadDim(f, "attention.head_count_kv", kMaxDim, &hp.n_head_kv, hp.n_head));
  HEARTH_RETURN_IF_ERROR(ReadDim(f, "feed_forward_length", kMaxDim, &hp.n_ff));
  HEARTH_RETURN_IF_ERROR(ReadDim(f, "context_length", int64_t{1} << 24, &hp.n_ctx_train, 2048));
  if (hp.n_embd % hp.n_head != 0 && !f.Has(f.ArchKey("attention.key_length"))) {
    return Status::InvalidArgument(fmt::format("{}: embedding_length {} is not a multiple of head_count {}",
                                               f.path(), hp.n_embd, hp.n_head));
  }
  HEARTH_RETURN_IF_ERROR(ReadDim(f, "attention.key_length", 8192, &hp.head_dim, hp.n_embd / hp.n_head));
  HEARTH_RETURN_IF_ERROR(ReadDim(f, "rope.dimension_count", 8192, &hp.n_rot, hp.head_dim));
  if (hp.n_head % hp.n_head_kv != 0) {
    return Status::InvalidArgument(fmt::format("{}: head_count {} is not a multiple of head_count_kv {} (grouped-query attention)",
                                               f.path(), hp.n_head, hp.n_head_kv));
  }
  if (hp.head_dim % 2 != 0 || hp.n_rot % 2 != 0 || hp.n_rot > hp.head_dim) {
    return Status::InvalidArgument(fmt::format("{}: head size {} and rope.dimension_count {} must be even, rope <= head size",
                                               f.path(), hp.head_dim, hp.n_rot));
  }
  if (hp.q_dim() > kMaxDim) {
    return Status::InvalidArgument(fmt::format("{}: head_count * key_length = {} is too large", f.path(), hp.q_dim()));
  }
  HEARTH_RETURN_IF_ERROR(ReadFloat(f, "attention.layer_norm_rms_epsilon", &hp.rms_eps, 1e-5f));
  HEARTH_RETURN_IF_ERROR(ReadFloat(f, "rope.freq_base", &hp.rope_freq_base, 10000.0f));
  // RoPE scaling: linear is a position divisor; YaRN and others are refused
  // rather than silently run wrong.
  std::string scaling = "none";
  if (f.Has(f.ArchKey("rope.scaling.type"))) {
    auto t = f.GetString(f.ArchKey("rope.scaling.type"));
    if (!t.ok()) return Status::InvalidArgument(fmt::format("{}: {}", f.path(), t.status().message()));
    scaling = *t;
  }
  float factor = 1.0f;
  if (scaling == "linear") {
    HEARTH_RETURN_IF_ERROR(ReadFloat(f, "rope.scaling.factor", &factor, 1.0f));
  } else if (scaling == "none") {
    HEARTH_RETURN_IF_ERROR(ReadFloat(f, "rope.scale_linear", &factor, 1.0f));  // older key
  } else {
    return Status::Unimplemented(fmt::format("{}: {} = '{}' is not supported (supported: none, linear, llama3 rope_freqs)",
                                             f.path(), f.ArchKey("rope.scaling.type"), scaling));
  }
  hp.rope_freq_scale = 1.0f / factor;

  const GgufTensorInfo* embd = f.FindTensor("token_embd.weight");
  if (embd == nullptr) {
    return Status::InvalidArgument(fmt::format("{}: required tensor 'token_embd.weight' is missing", f.path()));
  }
  if (embd->dims.size() < 2 || embd->dims[1] == 0 || embd->dims[1] > (uint64_t{1} << 24)) {
    return Status::InvalidArgument(fmt::format("{}: tensor 'token_embd.weight' must be [n_embd, n_vocab]", f.path()));
  }
  hp.n_vocab = static_cast<int64_t>(embd->dims[1]);
  HEARTH_RETURN_IF_ERROR(spec->read_hparams(f, &hp));
  return hp;
}

Result<std::unique_ptr<Model>> Model::Load(const std::string& path) {
  HEARTH_ASSIGN_OR_RETURN(auto file, GgufFile::Open(path));
  return FromGguf(std::move(file));
}

Result<std::unique_ptr<Model>> Model::FromGguf(std::unique_ptr<GgufFile> file) {
  std::unique_ptr<Model> m(new Model());
  HEARTH_ASSIGN_OR_RETURN(m->hparams_, ReadHParams(*file));
  m->arch_ = FindArch(m->hparams_.arch);
  m->file_ = std::move(file);
  const HParams& hp = m->hparams_;
  TensorBinder b(*m->file_);
  ModelWeights& w = m->weights_;
  HEARTH_RETURN_IF_ERROR(b.Require("token_embd.weight", {hp.n_embd, hp.n_vocab}, &w.token_embd));
  HEARTH_RETURN_IF_ERROR(b.Require("output_norm.weight", {hp.n_embd}, &w.output_norm));
  HEARTH_RETURN_IF_ERROR(b.Optional("output.weight", {hp.n_embd, hp.n_vocab}, &w.output));
  if (!w.output) {
    w.output = w.token_embd;
    w.tied_output = true;
  }
  HEARTH_RETURN_IF_ERROR(b.Optional("rope_freqs.weight", {hp.n_rot / 2}, &w.rope_freqs));
  w.layers.resize(static_cast<size_t>(hp.n_layer));
  for (int64_t il = 0; il < hp.n_layer; ++il) {
    HEARTH_RETURN_IF_ERROR(m->arch_->bind_layer(b, hp, il, &w.layers[static_cast<size_t>(il)]));
  }
  if (w.rope_freqs) {
    const float* f = reinterpret_cast<const float*>(w.rope_freqs.data);
    for (int64_t i = 0; i < w.rope_freqs.cols; ++i) {
      float v;
      std::memcpy(&v, f + i, sizeof v);
      if (!std::isfinite(v) || v <= 0) {
        return Status::InvalidArgument(fmt::format("{}: tensor 'rope_freqs.weight' element {} = {} must be positive",
                                                   m->file_->path(), i, v));
      }
    }
  }
  return m;
}

uint64_t Model::weight_bytes() const {
  uint64_t total = 0;
  for (const auto& t : file_->tensors()) total += t.n_bytes;
  return total;
}

uint64_t Model::n_params() const {
  uint64_t total = 0;
  for (const auto& t : file_->tensors()) total += t.n_elements;
  return total;
}

std::string Model::dominant_type() const {
  std::map<std::string, uint64_t> bytes;
  for (const auto& t : file_->tensors()) {
    // Layer matrices: embeddings and output often keep another type.
    if (t.dims.size() < 2 || t.name.rfind("blk.", 0) != 0) continue;
    auto traits = GetTypeTraits(t.type);
    bytes[traits ? std::string(traits->name) : "?"] += t.n_bytes;
  }
  std::string best = "f32";
  uint64_t most = 0;
  for (const auto& [name, n] : bytes) if (n > most) { most = n; best = name; }
  return best;
}

}  // namespace hearth::engine
