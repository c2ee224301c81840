// Matrix-vector (generation) and matrix-matrix (prompt processing, 512
// tokens) speed of MatMul per weight type on TinyLlama-1.1B's shapes.
//
//   build/kern-rel/bench/kernels_bench --benchmark_filter='q4_0/.*'
//
// Arguments of each benchmark: rows, cols, n_tokens, threads. Counters:
// GFLOP/s (2 * rows * cols * tokens per second) and GB/s (weight bytes read
// per second, once per call). HEARTH_ISA=avx2|scalar lowers the ISA level.
#include <benchmark/benchmark.h>

#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "engine/fp16.h"
#include "engine/ggml_types.h"
#include "engine/kernels/cpu_features.h"
#include "engine/kernels/matmul.h"
#include "engine/kernels/ops.h"

namespace {

using hearth::engine::GgmlType;
using hearth::engine::GetTypeTraits;
namespace k = hearth::engine::kernels;

// Random bytes with every half-float field (any 2-byte aligned pair could be
// one) replaced by a small value would be type-specific; instead fill the
// matrix with bytes whose every uint16 is a small positive half (0x2000..):
// valid for d/dmin fields and as F16/BF16 weights, and speed does not depend
// on the values.
std::vector<uint8_t> MakeWeights(size_t bytes) {
  std::vector<uint8_t> w(bytes);
  std::mt19937 rng(1);
  for (size_t i = 0; i + 1 < bytes; i += 2) {
    const uint16_t h = static_cast<uint16_t>(0x2000 | (rng() & 0x0FFF));
    std::memcpy(w.data() + i, &h, 2);
  }
  return w;
}

void BM_MatMul(benchmark::State& state, GgmlType type) {
  const int64_t rows = state.range(0), cols = state.range(1), n_tokens = state.range(2);
  const int threads = static_cast<int>(state.range(3));
  const auto traits = GetTypeTraits(type);
  const size_t row_bytes = static_cast<size_t>(cols / traits->block_size) * traits->type_size;
  const std::vector<uint8_t> w = MakeWeights(row_bytes * static_cast<size_t>(rows));
  std::vector<float> x(static_cast<size_t>(cols * n_tokens));
  std::mt19937 rng(2);
  std::normal_distribution<float> normal;
  for (auto& v : x) v = normal(rng);
  std::vector<float> y(static_cast<size_t>(rows * n_tokens));
  k::ThreadPool pool(threads);
  const k::WeightView view{type, w.data(), rows, cols, row_bytes};
  const auto scratch = k::MatMulScratchBytes(view, n_tokens);
  pool.Reserve(scratch.shared, scratch.per_thread);
  for (auto _ : state) {
    k::MatMul(view, x.data(), n_tokens, y.data(), pool);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  const double iters = static_cast<double>(state.iterations());
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * rows * cols * n_tokens * iters / 1e9, benchmark::Counter::kIsRate);
  state.counters["GB/s"] = benchmark::Counter(static_cast<double>(w.size()) * iters / 1e9, benchmark::Counter::kIsRate);
  state.SetLabel(std::string(k::IsaName(k::ActiveIsa())));
}

void Shapes(benchmark::internal::Benchmark* b) {
  const int64_t shapes[][2] = {{2048, 2048}, {5632, 2048}, {2048, 5632}, {32000, 2048}};
  for (int64_t tokens : {1, 512})
    for (int64_t threads : {1, 2})
      for (const auto& s : shapes) b->Args({s[0], s[1], tokens, threads});
  b->ArgNames({"rows", "cols", "tokens", "threads"})->UseRealTime()->Unit(benchmark::kMicrosecond);
}

// Dispatch latency of an empty parallel region (generation issues ~150 per token).
void BM_ParallelForOverhead(benchmark::State& state) {
  k::ThreadPool pool(static_cast<int>(state.range(0)));
  std::vector<int64_t> sink(64);
  for (auto _ : state) {
    pool.ParallelFor(64, [&](int64_t b, int64_t e) { for (int64_t i = b; i < e; ++i) sink[i] += i; }, 1);
  }
  benchmark::DoNotOptimize(sink.data());
}
BENCHMARK(BM_ParallelForOverhead)->Arg(1)->Arg(2)->UseRealTime();

void BM_SiluMul(benchmark::State& state) {
  std::vector<float> g(5632, 0.5f), u(5632, 1.5f), o(5632);
  for (auto _ : state) {
    k::SiluMul(g.data(), u.data(), 5632, o.data());
    benchmark::DoNotOptimize(o.data());
  }
}
BENCHMARK(BM_SiluMul);

void BM_AttendHead(benchmark::State& state) {
  const int64_t n_pos = state.range(0), head_dim = 64, stride = 4 * 64;
  std::vector<uint16_t> kv(static_cast<size_t>(n_pos * stride), hearth::engine::Fp32ToFp16(0.1f));
  std::vector<float> q(64, 0.3f), scores(static_cast<size_t>(n_pos)), out(64);
  for (auto _ : state) {
    k::AttendHeadF16(q.data(), kv.data(), kv.data(), n_pos, head_dim, stride, 0.125f, scores.data(), out.data());
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_AttendHead)->Arg(128)->Arg(512);

const struct {
  const char* name;
  GgmlType type;
} kTypes[] = {
    {"q4_0", GgmlType::kQ4_0}, {"q8_0", GgmlType::kQ8_0}, {"q4_K", GgmlType::kQ4_K}, {"q6_K", GgmlType::kQ6_K},
    {"f16", GgmlType::kF16},   {"bf16", GgmlType::kBF16}, {"f32", GgmlType::kF32},   {"q5_K", GgmlType::kQ5_K},
};

const bool kRegistered = [] {
  for (const auto& t : kTypes) Shapes(benchmark::RegisterBenchmark(t.name, BM_MatMul, t.type));
  return true;
}();

}  // namespace

BENCHMARK_MAIN();
