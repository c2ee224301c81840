#include "engine/model_info.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/json_util.h"

namespace hearth::engine {
namespace {

int64_t IntOr(const GgufFile& f, const std::string& key, int64_t fallback) {
  Result<int64_t> v = f.GetInt(key);
  return v.ok() ? *v : fallback;
}

std::string StringOr(const GgufFile& f, const std::string& key) {
  Result<std::string> v = f.GetString(key);
  return v.ok() ? *v : std::string();
}

uint64_t Fnv1a64(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

uint64_t SatMul(uint64_t a, uint64_t b) {
  uint64_t r = 0;
  return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}

uint64_t SatAdd(uint64_t a, uint64_t b) {
  uint64_t r = 0;
  return __builtin_add_overflow(a, b, &r) ? UINT64_MAX : r;
}

uint64_t U(int64_t v) { return v > 0 ? static_cast<uint64_t>(v) : 0; }

}  // namespace

std::string FormatBytes(uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024.0 && u < 4) {
    v /= 1024.0;
    ++u;
  }
  if (u == 0) return fmt::format("{} B", bytes);
  return fmt::format("{:.2f} {}", v, units[u]);
}

MemoryEstimate EstimateMemory(const ModelInfo& info, int64_t ctx) {
  MemoryEstimate m;
  m.ctx = ctx;
  for (const TypeUsage& t : info.types) m.weight_bytes = SatAdd(m.weight_bytes, t.bytes);
  const uint64_t kv_dim = SatMul(U(info.kv_heads), U(info.head_dim));
  m.kv_bytes = SatMul(SatMul(SatMul(2, U(info.layers)), U(ctx)), SatMul(kv_dim, 2));
  // Scratch: float activations of one batch (x, normed x, q, k, v, attention
  // output, gate, up), logits of one token and one attention row per head.
  const uint64_t batch = std::min<uint64_t>(512, U(ctx));
  const uint64_t q_dim = SatMul(U(info.heads), U(info.head_dim));
  const uint64_t per_token =
      SatAdd(SatAdd(SatMul(2, U(info.dim)), SatMul(2, q_dim)), SatAdd(SatMul(2, kv_dim), SatMul(2, U(info.ffn))));
  m.scratch_bytes = SatAdd(SatAdd(SatMul(SatMul(per_token, batch), 4), SatMul(info.vocab_size, 4)),
                           SatMul(SatMul(U(info.heads), U(ctx)), 4));
  return m;
}

Result<ModelInfo> GetModelInfo(const GgufFile& f, int64_t ctx) {
  if (ctx < 0) return Status::InvalidArgument(fmt::format("--ctx: {} must not be negative", ctx));
  ModelInfo info;
  info.path = f.path();
  info.gguf_version = f.version();
  info.file_size = f.file_size();
  info.architecture = f.Arch();
  info.name = StringOr(f, "general.name");
  info.file_type = IntOr(f, "general.file_type", -1);
  info.tensor_count = f.tensors().size();
  std::map<uint32_t, TypeUsage> by_type;
  for (const GgufTensorInfo& t : f.tensors()) {
    TypeUsage& u = by_type[static_cast<uint32_t>(t.type)];
    u.type = t.type;
    u.tensors += 1;
    u.bytes = SatAdd(u.bytes, t.n_bytes);
    u.parameters = SatAdd(u.parameters, t.n_elements);
    info.parameters = SatAdd(info.parameters, t.n_elements);
  }
  for (const auto& [id, u] : by_type) info.types.push_back(u);
  std::sort(info.types.begin(), info.types.end(), [](const TypeUsage& a, const TypeUsage& b) { return a.bytes > b.bytes; });

  info.context_length = IntOr(f, f.ArchKey("context_length"), 0);
  info.layers = IntOr(f, f.ArchKey("block_count"), 0);
  info.dim = IntOr(f, f.ArchKey("embedding_length"), 0);
  info.ffn = IntOr(f, f.ArchKey("feed_forward_length"), 0);
  info.heads = IntOr(f, f.ArchKey("attention.head_count"), 0);
  info.kv_heads = IntOr(f, f.ArchKey("attention.head_count_kv"), info.heads);
  info.head_dim = IntOr(f, f.ArchKey("attention.key_length"), info.heads > 0 ? info.dim / info.heads : 0);
  Result<double> rope = f.GetFloat(f.ArchKey("rope.freq_base"));
  info.rope_base = rope.ok() ? *rope : 0.0;
  info.tied_embeddings = f.FindTensor("token_embd.weight") != nullptr && f.FindTensor("output.weight") == nullptr;

  info.tokenizer_model = StringOr(f, "tokenizer.ggml.model");
  info.tokenizer_pre = StringOr(f, "tokenizer.ggml.pre");
  info.vocab_size = f.ArrayLength("tokenizer.ggml.tokens").value_or(0);
  info.bos_id = IntOr(f, "tokenizer.ggml.bos_token_id", -1);
  info.eos_id = IntOr(f, "tokenizer.ggml.eos_token_id", -1);
  info.chat_template = StringOr(f, "tokenizer.chat_template");

  const int64_t use_ctx = ctx > 0 ? ctx : (info.context_length > 0 ? info.context_length : 2048);
  info.memory = EstimateMemory(info, use_ctx);
  return info;
}

std::string FormatModelInfo(const ModelInfo& i) {
  std::string s;
  auto line = [&s](std::string_view k, const std::string& v) { s += fmt::format("{:<18}{}\n", k, v); };
  line("file", fmt::format("{} (GGUF v{}, {})", i.path, i.gguf_version, FormatBytes(i.file_size)));
  line("architecture", i.architecture.empty() ? "(none)" : i.architecture);
  if (!i.name.empty()) line("name", i.name);
  line("parameters", fmt::format("{} ({:.2f} B)", i.parameters, static_cast<double>(i.parameters) / 1e9));
  if (i.file_type >= 0) line("file type", std::to_string(i.file_type));
  line("tensors", std::to_string(i.tensor_count));
  for (const TypeUsage& t : i.types) {
    const std::optional<GgmlTypeTraits> tr = GetTypeTraits(t.type);
    line("", fmt::format("{:<6} {:>5} tensors {:>12}  {:>14} params", tr ? std::string(tr->name) : "?", t.tensors,
                         FormatBytes(t.bytes), t.parameters));
  }
  line("context length", std::to_string(i.context_length));
  line("layers", std::to_string(i.layers));
  line("embedding", std::to_string(i.dim));
  line("feed-forward", std::to_string(i.ffn));
  line("heads", fmt::format("{} (kv {}, head dim {})", i.heads, i.kv_heads, i.head_dim));
  if (i.rope_base > 0) line("rope base", fmt::format("{}", i.rope_base));
  line("embeddings", i.tied_embeddings ? "tied (no output.weight)" : "separate output");
  line("tokenizer", fmt::format("{} (pre {}), {} tokens, bos {}, eos {}", i.tokenizer_model.empty() ? "(none)" : i.tokenizer_model,
                                i.tokenizer_pre.empty() ? "default" : i.tokenizer_pre, i.vocab_size, i.bos_id, i.eos_id));
  if (i.chat_template.empty()) {
    line("chat template", "(none)");
  } else {
    line("chat template", fmt::format("{} bytes, fnv1a64 {:016x}", i.chat_template.size(), Fnv1a64(i.chat_template)));
    size_t pos = 0;
    for (int n = 0; n < 3 && pos < i.chat_template.size(); ++n) {
      size_t end = i.chat_template.find('\n', pos);
      if (end == std::string::npos) end = i.chat_template.size();
      std::string l = i.chat_template.substr(pos, std::min<size_t>(end - pos, 100));
      line("", "| " + l);
      pos = end + 1;
    }
  }
  const MemoryEstimate& m = i.memory;
  line("memory", fmt::format("{} at ctx {} (estimate)", FormatBytes(m.Total()), m.ctx));
  line("", fmt::format("weights {}, KV cache (F16) {}, scratch {}", FormatBytes(m.weight_bytes), FormatBytes(m.kv_bytes),
                       FormatBytes(m.scratch_bytes)));
  return s;
}

std::string ModelInfoJson(const ModelInfo& i) {
  nlohmann::json types = nlohmann::json::array();
  for (const TypeUsage& t : i.types) {
    const std::optional<GgmlTypeTraits> tr = GetTypeTraits(t.type);
    types.push_back({{"type", tr ? std::string(tr->name) : "?"}, {"tensors", t.tensors}, {"bytes", t.bytes}, {"parameters", t.parameters}});
  }
  nlohmann::json j = {
      {"path", i.path},
      {"gguf_version", i.gguf_version},
      {"file_size", i.file_size},
      {"architecture", i.architecture},
      {"name", i.name},
      {"file_type", i.file_type},
      {"parameters", i.parameters},
      {"tensor_count", i.tensor_count},
      {"types", types},
      {"context_length", i.context_length},
      {"layers", i.layers},
      {"embedding_length", i.dim},
      {"feed_forward_length", i.ffn},
      {"heads", i.heads},
      {"kv_heads", i.kv_heads},
      {"head_dim", i.head_dim},
      {"rope_base", i.rope_base},
      {"tied_embeddings", i.tied_embeddings},
      {"tokenizer", {{"model", i.tokenizer_model}, {"pre", i.tokenizer_pre}, {"vocab_size", i.vocab_size}, {"bos_id", i.bos_id}, {"eos_id", i.eos_id}}},
      {"chat_template", i.chat_template},
      {"memory", {{"ctx", i.memory.ctx}, {"weights_bytes", i.memory.weight_bytes}, {"kv_cache_bytes", i.memory.kv_bytes},
                  {"scratch_bytes", i.memory.scratch_bytes}, {"total_bytes", i.memory.Total()}, {"estimate", true}}},
  };
  return DumpJson(j);
}

}  // namespace hearth::engine
