#include "engine/memory_plan.h"

#include <cctype>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

#include <fmt/format.h>

#include "engine/kernels/matmul.h"

namespace hearth::engine {
namespace {

// Overflow-checked a * b for plan sizes (inputs come from files).
bool MulOk(uint64_t a, uint64_t b, uint64_t* out) { return !__builtin_mul_overflow(a, b, out); }

std::optional<uint64_t> ReadNumberFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::string word;
  in >> word;
  if (word.empty() || word == "max") return std::nullopt;
  try {
    return std::stoull(word);
  } catch (...) {
    return std::nullopt;
  }
}

// The cgroup of this process: "0::/path" (v2) or "N:memory:/path" (v1).
void CgroupHeadroom(MemoryBudget* b) {
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("0::", 0) == 0) {
      const std::string dir = "/sys/fs/cgroup" + line.substr(3);
      for (std::string d = dir; !d.empty(); d = d.substr(0, d.rfind('/'))) {
        auto max = ReadNumberFile(d + "/memory.max");
        if (max) {
          uint64_t cur = ReadNumberFile(d + "/memory.current").value_or(0);
          uint64_t head = *max > cur ? *max - cur : 0;
          if (!b->has_cgroup_limit || head < b->cgroup_headroom) b->cgroup_headroom = head;
          b->has_cgroup_limit = true;
        }
        if (d == "/sys/fs/cgroup") break;
      }
    } else if (line.find(":memory:") != std::string::npos) {
      const std::string dir = "/sys/fs/cgroup/memory" + line.substr(line.find(":memory:") + 8);
      auto limit = ReadNumberFile(dir + "/memory.limit_in_bytes");
      // v1 reports "no limit" as a huge page-rounded number.
      if (limit && *limit < (uint64_t{1} << 60)) {
        uint64_t used = ReadNumberFile(dir + "/memory.usage_in_bytes").value_or(0);
        b->cgroup_headroom = *limit > used ? *limit - used : 0;
        b->has_cgroup_limit = true;
      }
    }
  }
}

}  // namespace

uint64_t ScratchLayout::Bytes() const {
  const int64_t floats = x + xn + q + k + v + attn + gate + up + scores + logits;
  return static_cast<uint64_t>(floats) * sizeof(float) + static_cast<uint64_t>(kernel_shared_bytes) +
         static_cast<uint64_t>(kernel_per_thread_bytes) * static_cast<uint64_t>(n_threads);
}

uint64_t KvBytesPerPosition(const HParams& hp) {
  return 2ull * static_cast<uint64_t>(hp.n_layer) * static_cast<uint64_t>(hp.kv_dim()) * 2ull;
}

namespace {

kernels::WeightView ViewOf(const Tensor& t) {
  kernels::WeightView w;
  w.type = t.type;
  w.data = t.data;
  w.rows = t.rows;
  w.cols = t.cols;
  auto traits = GetTypeTraits(t.type);
  w.row_bytes = static_cast<size_t>(t.cols / traits->block_size) * traits->type_size;
  return w;
}

ScratchLayout PlanScratch(const Model& model, const PlanRequest& req) {
  const HParams& hp = model.hparams();
  ScratchLayout s;
  s.n_batch = req.n_batch;
  const int64_t nb = req.n_batch;
  s.x = nb * hp.n_embd;
  // xn also receives the attention-output and FFN-down projections.
  s.xn = nb * hp.n_embd;
  s.q = nb * hp.q_dim();
  s.k = nb * hp.kv_dim();
  s.v = nb * hp.kv_dim();
  s.attn = nb * hp.q_dim();
  s.gate = nb * hp.n_ff;
  s.up = nb * hp.n_ff;
  s.scores = static_cast<int64_t>(std::max(req.n_threads, 1)) * req.n_ctx;
  s.logits = (req.all_logits ? nb : 1) * hp.n_vocab;
  s.n_threads = std::max(req.n_threads, 1);
  auto account = [&](const Tensor& t) {
    for (int64_t n : {nb, int64_t{1}}) {
      const kernels::ScratchBytes b = kernels::MatMulScratchBytes(ViewOf(t), n);
      s.kernel_shared_bytes = std::max(s.kernel_shared_bytes, static_cast<int64_t>(b.shared));
      s.kernel_per_thread_bytes = std::max(s.kernel_per_thread_bytes, static_cast<int64_t>(b.per_thread));
    }
  };
  const ModelWeights& w = model.weights();
  account(w.output);
  for (const LayerWeights& l : w.layers) {
    for (const Tensor* t : {&l.wq, &l.wk, &l.wv, &l.wo, &l.w_gate, &l.w_up, &l.w_down}) account(*t);
  }
  return s;
}

}  // namespace

kernels::WeightView WeightViewOf(const Tensor& t) { return ViewOf(t); }

Result<MemoryPlan> PlanMemory(const Model& model, const PlanRequest& req) {
  const HParams& hp = model.hparams();
  const uint64_t weight_bytes = model.weight_bytes();
  if (req.n_ctx <= 0 || req.n_ctx > (int64_t{1} << 24)) {
    return Status::InvalidArgument(fmt::format("context size {} is out of range [1, 16777216]", req.n_ctx));
  }
  if (req.n_seq <= 0 || req.n_seq > 4096) {
    return Status::InvalidArgument(fmt::format("sequence count {} is out of range [1, 4096]", req.n_seq));
  }
  if (req.n_batch <= 0 || req.n_batch > 65536) {
    return Status::InvalidArgument(fmt::format("batch size {} is out of range [1, 65536]", req.n_batch));
  }
  if (req.n_threads <= 0 || req.n_threads > 1024) {
    return Status::InvalidArgument(fmt::format("thread count {} is out of range [1, 1024]", req.n_threads));
  }
  MemoryPlan p;
  p.request = req;
  p.weight_bytes = weight_bytes;
  p.scratch = PlanScratch(model, req);
  uint64_t per_seq_kv = 0;
  if (!MulOk(KvBytesPerPosition(hp), static_cast<uint64_t>(req.n_ctx), &per_seq_kv) ||
      !MulOk(per_seq_kv, static_cast<uint64_t>(req.n_seq), &p.kv_bytes) ||
      !MulOk(p.scratch.Bytes(), static_cast<uint64_t>(req.n_seq), &p.scratch_bytes)) {
    return Status::InvalidArgument("memory plan overflows 64 bits: context or sequence count too large");
  }
  p.overhead_bytes = kPlanOverheadBytes;
  return p;
}

std::string MemoryPlan::ToString() const {
  std::string out;
  out += fmt::format("memory plan (ctx {}, sequences {}, batch {}, threads {}):\n", request.n_ctx, request.n_seq,
                     request.n_batch, request.n_threads);
  out += fmt::format("  weights (mapped)  {:>12}\n", FormatPlanBytes(weight_bytes));
  out += fmt::format("  KV cache (F16)    {:>12}\n", FormatPlanBytes(kv_bytes));
  out += fmt::format("  scratch buffers   {:>12}\n", FormatPlanBytes(scratch_bytes));
  out += fmt::format("  runtime overhead  {:>12}\n", FormatPlanBytes(overhead_bytes));
  out += fmt::format("  total             {:>12}\n", FormatPlanBytes(Total()));
  return out;
}

std::string MemoryBudget::Describe() const {
  if (overridden) return fmt::format("{} (--mem-budget)", FormatPlanBytes(budget));
  std::string s = fmt::format("{} (MemAvailable {}", FormatPlanBytes(budget), FormatPlanBytes(mem_available));
  if (has_cgroup_limit) s += fmt::format(", cgroup headroom {}", FormatPlanBytes(cgroup_headroom));
  return s + fmt::format(", minus reserve {})", FormatPlanBytes(reserve));
}

Result<MemoryBudget> DetectBudget(uint64_t reserve) {
  MemoryBudget b;
  b.reserve = reserve;
  std::ifstream in("/proc/meminfo");
  std::string line;
  bool found = false;
  while (std::getline(in, line)) {
    if (line.rfind("MemAvailable:", 0) == 0) {
      std::istringstream ls(line.substr(13));
      uint64_t kb = 0;
      ls >> kb;
      b.mem_available = kb * 1024;
      found = true;
    }
  }
  if (!found) return Status::Unavailable("/proc/meminfo: MemAvailable not found; pass --mem-budget SIZE");
  CgroupHeadroom(&b);
  uint64_t avail = b.mem_available;
  if (b.has_cgroup_limit) avail = std::min(avail, b.cgroup_headroom);
  b.budget = avail > reserve ? avail - reserve : 0;
  return b;
}

MemoryBudget FixedBudget(uint64_t bytes) {
  MemoryBudget b;
  b.overridden = true;
  b.reserve = 0;
  b.budget = bytes;
  return b;
}

Status CheckPlanFits(const MemoryPlan& plan, const Model& model, const MemoryBudget& budget) {
  if (plan.Total() <= budget.budget) return Status::Ok();
  std::string msg = fmt::format(
      "model needs {} (weights {} + KV cache {} for ctx {} x {} sequence(s) + scratch {} + overhead {}) "
      "but the memory budget is {}",
      FormatPlanBytes(plan.Total()), FormatPlanBytes(plan.weight_bytes), FormatPlanBytes(plan.kv_bytes), plan.request.n_ctx,
      plan.request.n_seq, FormatPlanBytes(plan.scratch_bytes), FormatPlanBytes(plan.overhead_bytes), budget.Describe());
  // The longest context that fits, found by bisection over the exact plan.
  int64_t lo = 0, hi = plan.request.n_ctx;
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo + 1) / 2;
    PlanRequest r = plan.request;
    r.n_ctx = mid;
    auto p = PlanMemory(model, r);
    if (p.ok() && p->Total() <= budget.budget) lo = mid; else hi = mid - 1;
  }
  if (lo >= 256) {
    msg += fmt::format("; a context of {} would fit (--ctx {})", lo / 256 * 256, lo / 256 * 256);
  } else if (lo > 0) {
    msg += fmt::format("; only a context of {} would fit", lo);
  } else {
    // Even no context fits: suggest the first smaller quantization that would
    // fit with the requested context (bits per weight as llama.cpp writes them).
    const uint64_t fixed = plan.Total() - plan.weight_bytes;
    struct Q { const char* name; double bpw; };
    const Q kinds[] = {{"q8_0", 8.5}, {"q6_k", 6.56}, {"q5_k_m", 5.7}, {"q4_k_m", 4.85}, {"q4_0", 4.5}, {"q3_k_m", 3.9}, {"q2_k", 3.35}};
    const double n_params = static_cast<double>(model.n_params());
    const double current_bpw = static_cast<double>(plan.weight_bytes) * 8.0 / n_params;
    bool suggested = false;
    for (const Q& q : kinds) {
      if (q.bpw >= current_bpw - 0.1) continue;
      const uint64_t w = static_cast<uint64_t>(n_params * q.bpw / 8.0);
      if (w + fixed <= budget.budget) {
        msg += fmt::format("; a {} quantization (about {} of weights) would fit", q.name, FormatPlanBytes(w));
        suggested = true;
        break;
      }
    }
    if (!suggested) msg += "; no context or smaller quantization of this model would fit";
  }
  return Status::ResourceExhausted(msg);
}

Result<uint64_t> ParseSize(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
  const std::string number(text.substr(0, i));
  std::string unit(text.substr(i));
  for (auto& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  double value = 0;
  try {
    size_t used = 0;
    value = std::stod(number, &used);
    if (used != number.size()) throw std::invalid_argument("x");
  } catch (...) {
    return Status::InvalidArgument(fmt::format("size '{}': expected a number with an optional unit (K, M, G, T)", text));
  }
  double mult = 1;
  if (unit.empty() || unit == "b") mult = 1;
  else if (unit == "k" || unit == "kb" || unit == "kib") mult = 1024.0;
  else if (unit == "m" || unit == "mb" || unit == "mib") mult = 1024.0 * 1024;
  else if (unit == "g" || unit == "gb" || unit == "gib") mult = 1024.0 * 1024 * 1024;
  else if (unit == "t" || unit == "tb" || unit == "tib") mult = 1024.0 * 1024 * 1024 * 1024;
  else return Status::InvalidArgument(fmt::format("size '{}': unknown unit '{}' (use K, M, G or T)", text, unit));
  const double bytes = value * mult;
  if (!std::isfinite(bytes) || bytes >= 1.8e19) {
    return Status::InvalidArgument(fmt::format("size '{}' is too large", text));
  }
  return static_cast<uint64_t>(bytes);
}

std::string FormatPlanBytes(uint64_t bytes) {
  const double b = static_cast<double>(bytes);
  if (bytes >= (uint64_t{1} << 30)) return fmt::format("{:.2f} GiB", b / (1 << 30));
  if (bytes >= (uint64_t{1} << 20)) return fmt::format("{:.1f} MiB", b / (1 << 20));
  if (bytes >= 1024) return fmt::format("{:.1f} KiB", b / 1024);
  return fmt::format("{} B", bytes);
}

}  // namespace hearth::engine
