#include "engine/model_synth.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "engine/gguf.h"
#include "engine/gguf_writer.h"
#include "engine/quants.h"

namespace hearth::engine {
namespace {

struct FileType {
  std::string_view name;
  GgmlType base;
  uint32_t llama_ftype;  // general.file_type as llama.cpp numbers it
  bool k_m;              // Q4_K_M mix
};

constexpr FileType kFileTypes[] = {
    {"f32", GgmlType::kF32, 0, false},    {"f16", GgmlType::kF16, 1, false},
    {"bf16", GgmlType::kBF16, 32, false}, {"q4_0", GgmlType::kQ4_0, 2, false},
    {"q4_1", GgmlType::kQ4_1, 3, false},  {"q5_0", GgmlType::kQ5_0, 8, false},
    {"q5_1", GgmlType::kQ5_1, 9, false},  {"q8_0", GgmlType::kQ8_0, 7, false},
    {"q2_k", GgmlType::kQ2_K, 10, false}, {"q3_k", GgmlType::kQ3_K, 11, false},
    {"q4_k", GgmlType::kQ4_K, 14, false}, {"q5_k", GgmlType::kQ5_K, 16, false},
    {"q6_k", GgmlType::kQ6_K, 18, false}, {"q4_k_m", GgmlType::kQ4_K, 15, true},
};

const FileType* FindFileType(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const FileType& f : kFileTypes) {
    if (f.name == lower) return &f;
  }
  return nullptr;
}

// llama.cpp's use_more_bits: the first and last eighth of the layers, and
// every third layer in between, get more bits in the _M mixes.
bool UseMoreBits(int64_t i_layer, int64_t n_layers) {
  return i_layer < n_layers / 8 || i_layer >= 7 * n_layers / 8 || (i_layer - n_layers / 8) % 3 == 2;
}

bool IsKQuant(GgmlType t) {
  return t == GgmlType::kQ2_K || t == GgmlType::kQ3_K || t == GgmlType::kQ4_K || t == GgmlType::kQ5_K || t == GgmlType::kQ6_K;
}

// llama.cpp's fallback when a row is not a multiple of 256 (it picks IQ4_NL
// for Q2_K/Q3_K; Hearth writes Q4_0, the type older llama.cpp used).
GgmlType Fallback(GgmlType t) {
  switch (t) {
    case GgmlType::kQ2_K: case GgmlType::kQ3_K: return GgmlType::kQ4_0;
    case GgmlType::kQ4_K: return GgmlType::kQ5_0;
    case GgmlType::kQ5_K: return GgmlType::kQ5_1;
    case GgmlType::kQ6_K: return GgmlType::kQ8_0;
    default: return t;
  }
}

uint64_t SplitMix64(uint64_t* state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Fills x[0..n) with approximately N(mean, sd^2) values: an Irwin–Hall sum of
// four 16-bit uniforms per draw (fast, bounded at ±3.46 sd).
void FillRow(uint64_t seed, uint64_t tensor_index, uint64_t row, float mean, float sd, float* x, int64_t n) {
  uint64_t state = seed;
  state ^= SplitMix64(&state) + tensor_index * 0xD1B54A32D192ED03ull;
  state ^= SplitMix64(&state) + row * 0xABC98388FB8FAC03ull;
  (void)SplitMix64(&state);
  constexpr float kMean = 4 * 32767.5f;
  constexpr float kInvSd = 1.0f / 37837.23f;  // sqrt(4 * (65536^2 - 1) / 12)
  const float scale = sd * kInvSd;
  for (int64_t i = 0; i < n; ++i) {
    const uint64_t r = SplitMix64(&state);
    const uint32_t s = static_cast<uint32_t>(r & 0xFFFF) + static_cast<uint32_t>((r >> 16) & 0xFFFF) +
                       static_cast<uint32_t>((r >> 32) & 0xFFFF) + static_cast<uint32_t>(r >> 48);
    x[i] = mean + (static_cast<float>(s) - kMean) * scale;
  }
}

struct Resolved {
  SynthOptions o;
  const FileType* ftype;
};

Result<Resolved> Resolve(const SynthOptions& in) {
  Resolved r{in, FindFileType(in.type)};
  SynthOptions& o = r.o;
  if (o.arch != "llama" && o.arch != "qwen2" && o.arch != "qwen3") {
    return Status::InvalidArgument(fmt::format("--arch: '{}' is not one of llama, qwen2, qwen3", o.arch));
  }
  if (r.ftype == nullptr) {
    return Status::InvalidArgument(fmt::format("--type: '{}' is not one of {}", o.type, fmt::join(SynthTypeNames(), ", ")));
  }
  auto positive = [](int64_t v, std::string_view what) -> Status {
    if (v <= 0 || v > (int64_t{1} << 24)) return Status::InvalidArgument(fmt::format("{}: {} must be between 1 and 16777216", what, v));
    return Status::Ok();
  };
  HEARTH_RETURN_IF_ERROR(positive(o.dim, "--dim"));
  HEARTH_RETURN_IF_ERROR(positive(o.layers, "--layers"));
  HEARTH_RETURN_IF_ERROR(positive(o.heads, "--heads"));
  HEARTH_RETURN_IF_ERROR(positive(o.kv_heads, "--kv-heads"));
  HEARTH_RETURN_IF_ERROR(positive(o.ffn, "--ffn"));
  HEARTH_RETURN_IF_ERROR(positive(o.ctx, "--ctx"));
  if (o.layers > 4096) return Status::InvalidArgument(fmt::format("--layers: {} is absurd (at most 4096)", o.layers));
  if (o.heads % o.kv_heads != 0) {
    return Status::InvalidArgument(fmt::format("--heads {} is not a multiple of --kv-heads {}", o.heads, o.kv_heads));
  }
  if (o.head_dim == 0) {
    if (o.dim % o.heads != 0) {
      return Status::InvalidArgument(fmt::format("--dim {} is not a multiple of --heads {}; give --head-dim", o.dim, o.heads));
    }
    o.head_dim = o.dim / o.heads;
  }
  HEARTH_RETURN_IF_ERROR(positive(o.head_dim, "--head-dim"));
  if (o.head_dim % 2 != 0) return Status::InvalidArgument(fmt::format("--head-dim {} must be even (RoPE rotates pairs)", o.head_dim));
  if (o.rope_base == 0) o.rope_base = o.arch == "llama" ? 10000.0 : 1000000.0;
  if (o.rms_eps == 0) o.rms_eps = o.arch == "llama" ? 1e-5 : 1e-6;
  if (!(o.rope_base > 0) || !std::isfinite(o.rope_base)) return Status::InvalidArgument("--rope-base must be positive");
  if (o.name.empty()) o.name = "hearth-synth-" + o.arch;
  return r;
}

}  // namespace

const std::vector<std::string>& SynthTypeNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const FileType& f : kFileTypes) v.emplace_back(f.name);
    return v;
  }();
  return names;
}

namespace {

Result<std::vector<SynthTensor>> Plan(const Resolved& r, int64_t vocab) {
  const SynthOptions& o = r.o;
  const FileType& ft = *r.ftype;
  const uint64_t dim = static_cast<uint64_t>(o.dim);
  const uint64_t q_dim = static_cast<uint64_t>(o.heads * o.head_dim);
  const uint64_t kv_dim = static_cast<uint64_t>(o.kv_heads * o.head_dim);
  const uint64_t ffn = static_cast<uint64_t>(o.ffn);
  const uint64_t nv = static_cast<uint64_t>(vocab);
  const bool quantized = GetTypeTraits(ft.base)->quantized;

  std::vector<SynthTensor> out;
  // `layer` is -1 for tensors outside the blocks.
  auto add = [&](std::string name, std::vector<uint64_t> dims, int64_t layer) -> Status {
    GgmlType t = ft.base;
    const std::string_view n = name;
    const bool is_output = n == "output.weight" || (o.tied && n == "token_embd.weight");
    if (dims.size() == 1) {
      t = GgmlType::kF32;
    } else if (quantized) {
      if (is_output) {
        t = ft.base == GgmlType::kQ8_0 ? GgmlType::kQ8_0 : GgmlType::kQ6_K;
      } else if (ft.k_m && (n.find(".attn_v.") != std::string_view::npos || n.find(".ffn_down.") != std::string_view::npos) &&
                 UseMoreBits(layer, o.layers)) {
        t = GgmlType::kQ6_K;
      }
      if (IsKQuant(t) && dims[0] % static_cast<uint64_t>(kQK_K) != 0) t = Fallback(t);
      if (dims[0] % 32 != 0) {
        return Status::InvalidArgument(fmt::format("tensor '{}': row length {} is not a multiple of 32, which {} needs "
                                                   "(choose --dim/--ffn/--head-dim accordingly, or an f16/f32 --type)",
                                                   name, dims[0], GetTypeTraits(t)->name));
      }
    }
    out.push_back(SynthTensor{std::move(name), t, std::move(dims)});
    return Status::Ok();
  };

  HEARTH_RETURN_IF_ERROR(add("token_embd.weight", {dim, nv}, -1));
  for (int64_t i = 0; i < o.layers; ++i) {
    const std::string b = fmt::format("blk.{}.", i);
    HEARTH_RETURN_IF_ERROR(add(b + "attn_norm.weight", {dim}, i));
    HEARTH_RETURN_IF_ERROR(add(b + "attn_q.weight", {dim, q_dim}, i));
    HEARTH_RETURN_IF_ERROR(add(b + "attn_k.weight", {dim, kv_dim}, i));
    HEARTH_RETURN_IF_ERROR(add(b + "attn_v.weight", {dim, kv_dim}, i));
    if (o.arch == "qwen2") {
      HEARTH_RETURN_IF_ERROR(add(b + "attn_q.bias", {q_dim}, i));
      HEARTH_RETURN_IF_ERROR(add(b + "attn_k.bias", {kv_dim}, i));
      HEARTH_RETURN_IF_ERROR(add(b + "attn_v.bias", {kv_dim}, i));
    }
    if (o.arch == "qwen3") {
      HEARTH_RETURN_IF_ERROR(add(b + "attn_q_norm.weight", {static_cast<uint64_t>(o.head_dim)}, i));
      HEARTH_RETURN_IF_ERROR(add(b + "attn_k_norm.weight", {static_cast<uint64_t>(o.head_dim)}, i));
    }
    HEARTH_RETURN_IF_ERROR(add(b + "attn_output.weight", {q_dim, dim}, i));
    HEARTH_RETURN_IF_ERROR(add(b + "ffn_norm.weight", {dim}, i));
    HEARTH_RETURN_IF_ERROR(add(b + "ffn_gate.weight", {dim, ffn}, i));
    HEARTH_RETURN_IF_ERROR(add(b + "ffn_up.weight", {dim, ffn}, i));
    HEARTH_RETURN_IF_ERROR(add(b + "ffn_down.weight", {ffn, dim}, i));
  }
  HEARTH_RETURN_IF_ERROR(add("output_norm.weight", {dim}, -1));
  if (!o.tied) HEARTH_RETURN_IF_ERROR(add("output.weight", {dim, nv}, -1));
  return out;
}

// Mean and standard deviation of a tensor's synthetic values.
void Distribution(const SynthTensor& t, float* mean, float* sd) {
  const std::string_view n = t.name;
  if (n.find("norm") != std::string_view::npos) {
    *mean = 1.0f;
    *sd = 0.05f;
  } else if (n.size() >= 5 && n.substr(n.size() - 5) == ".bias") {
    *mean = 0.0f;
    *sd = 0.02f;
  } else {
    *mean = 0.0f;
    *sd = 1.0f / std::sqrt(static_cast<float>(t.dims[0]));
  }
}

// Generates and converts one tensor, `rows` at a time over `threads` threads,
// streaming each chunk to the writer.
Status WriteTensor(GgufWriter* w, const SynthTensor& t, uint64_t index, uint64_t seed, int threads) {
  const int64_t ne0 = static_cast<int64_t>(t.dims[0]);
  uint64_t n_rows = 1;
  for (size_t i = 1; i < t.dims.size(); ++i) n_rows *= t.dims[i];
  HEARTH_ASSIGN_OR_RETURN(const uint64_t row_bytes, RowBytes(t.type, ne0));
  float mean = 0, sd = 0;
  Distribution(t, &mean, &sd);
  const uint64_t chunk_rows = std::max<uint64_t>(1, (uint64_t{1} << 21) / static_cast<uint64_t>(ne0));
  std::vector<uint8_t> buf;
  for (uint64_t first = 0; first < n_rows; first += chunk_rows) {
    const uint64_t rows = std::min(chunk_rows, n_rows - first);
    buf.resize(static_cast<size_t>(rows * row_bytes));
    const int n_threads = static_cast<int>(std::min<uint64_t>(static_cast<uint64_t>(threads), rows));
    std::vector<Status> results(static_cast<size_t>(n_threads));
    auto work = [&](int ti) {
      std::vector<float> x(static_cast<size_t>(ne0));
      for (uint64_t r = static_cast<uint64_t>(ti); r < rows; r += static_cast<uint64_t>(n_threads)) {
        FillRow(seed, index, first + r, mean, sd, x.data(), ne0);
        Status s = QuantizeRowFast(t.type, x.data(), buf.data() + r * row_bytes, ne0);
        if (!s.ok()) {
          results[static_cast<size_t>(ti)] = s;
          return;
        }
      }
    };
    std::vector<std::thread> pool;
    for (int ti = 1; ti < n_threads; ++ti) pool.emplace_back(work, ti);
    work(0);
    for (std::thread& th : pool) th.join();
    for (const Status& s : results) {
      if (!s.ok()) return s.WithContext(fmt::format("tensor '{}'", t.name));
    }
    HEARTH_RETURN_IF_ERROR(w->WriteTensorData(buf.data(), buf.size()));
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<SynthTensor>> PlanSynthTensors(const SynthOptions& options, int64_t vocab_size) {
  HEARTH_ASSIGN_OR_RETURN(Resolved r, Resolve(options));
  if (vocab_size <= 0) return Status::InvalidArgument("vocabulary is empty");
  return Plan(r, vocab_size);
}

Status SynthesizeModel(const SynthOptions& options, const std::string& out_path) {
  HEARTH_ASSIGN_OR_RETURN(Resolved r, Resolve(options));
  const SynthOptions& o = r.o;
  if (o.vocab_path.empty()) return Status::InvalidArgument("--vocab: a GGUF file with tokenizer metadata is required");
  HEARTH_ASSIGN_OR_RETURN(std::unique_ptr<GgufFile> vocab, GgufFile::Open(o.vocab_path));
  std::optional<uint64_t> n_vocab = vocab->ArrayLength("tokenizer.ggml.tokens");
  if (!n_vocab || *n_vocab == 0 || vocab->ArrayElementType("tokenizer.ggml.tokens") != GgufValueType::kString) {
    return Status::InvalidArgument(fmt::format("{}: --vocab has no 'tokenizer.ggml.tokens' string array", o.vocab_path));
  }
  if (*n_vocab > (uint64_t{1} << 24)) return Status::InvalidArgument(fmt::format("{}: vocabulary of {} tokens is absurd", o.vocab_path, *n_vocab));
  HEARTH_ASSIGN_OR_RETURN(std::vector<SynthTensor> tensors, Plan(r, static_cast<int64_t>(*n_vocab)));

  GgufWriter w;
  const std::string& a = o.arch;
  w.SetString("general.architecture", a);
  w.SetString("general.name", o.name);
  w.SetUint32(a + ".block_count", static_cast<uint32_t>(o.layers));
  w.SetUint32(a + ".context_length", static_cast<uint32_t>(o.ctx));
  w.SetUint32(a + ".embedding_length", static_cast<uint32_t>(o.dim));
  w.SetUint32(a + ".feed_forward_length", static_cast<uint32_t>(o.ffn));
  w.SetUint32(a + ".attention.head_count", static_cast<uint32_t>(o.heads));
  w.SetUint32(a + ".attention.head_count_kv", static_cast<uint32_t>(o.kv_heads));
  w.SetFloat32(a + ".rope.freq_base", static_cast<float>(o.rope_base));
  w.SetFloat32(a + ".attention.layer_norm_rms_epsilon", static_cast<float>(o.rms_eps));
  if (a == "qwen3" || o.head_dim * o.heads != o.dim) {
    w.SetUint32(a + ".attention.key_length", static_cast<uint32_t>(o.head_dim));
    w.SetUint32(a + ".attention.value_length", static_cast<uint32_t>(o.head_dim));
  }
  w.SetUint32("general.file_type", r.ftype->llama_ftype);
  if (a == "llama") {
    w.SetUint32("llama.vocab_size", static_cast<uint32_t>(*n_vocab));
    w.SetUint32("llama.rope.dimension_count", static_cast<uint32_t>(o.head_dim));
  }
  if (GetTypeTraits(r.ftype->base)->quantized) w.SetUint32("general.quantization_version", 2);
  HEARTH_RETURN_IF_ERROR(w.SetAlignment(32));
  for (const std::string& key : vocab->Keys()) {
    if (key.rfind("tokenizer.", 0) == 0) HEARTH_RETURN_IF_ERROR(w.CopyKey(*vocab, key));
  }
  if (!o.chat_template.empty()) w.SetString("tokenizer.chat_template", o.chat_template);

  for (const SynthTensor& t : tensors) HEARTH_RETURN_IF_ERROR(w.AddTensor(t.name, t.type, t.dims));
  HEARTH_RETURN_IF_ERROR(w.Begin(out_path));
  int threads = o.threads > 0 ? o.threads : static_cast<int>(std::thread::hardware_concurrency());
  threads = std::clamp(threads, 1, 64);
  for (size_t i = 0; i < tensors.size(); ++i) {
    HEARTH_RETURN_IF_ERROR(WriteTensor(&w, tensors[i], i, o.seed, threads));
  }
  return w.Finish();
}

}  // namespace hearth::engine
