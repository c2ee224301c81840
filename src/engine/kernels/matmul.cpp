#include "engine/kernels/matmul.h"

#include <algorithm>
#include <cassert>
#include <string>

#include "engine/kernels/cpu_features.h"
#include "engine/kernels/matmul_internal.h"
#include "engine/quants.h"

namespace hearth::engine::kernels {
namespace internal {

const IsaKernels* ActiveKernels() {
  switch (ActiveIsa()) {
    case IsaLevel::kAvx512: return Avx512Kernels();
    case IsaLevel::kAvx2: return Avx2Kernels();
    case IsaLevel::kScalar: return nullptr;
  }
  return nullptr;
}

}  // namespace internal

namespace {

using internal::ActFormat;
using internal::ActQ8_0;
using internal::ActQ8_K;
using internal::IsaKernels;
using internal::MatArgs;
using internal::TileFn;

// Work is split into fixed tasks of kRowsPerTask rows x kTokensPerTask
// tokens, independent of the pool size (see "Determinism" in matmul.h). A
// task's weights (16 rows) stay in L1 while its tokens' activations (64
// tokens, a few hundred KB at most) stay in L2.
constexpr int64_t kRowsPerTask = 16;
constexpr int64_t kTokensPerTask = 64;

size_t ActBytesPerToken(ActFormat format, int64_t cols) {
  switch (format) {
    case ActFormat::kQ8_0: return static_cast<size_t>(cols / 32) * sizeof(ActQ8_0);
    case ActFormat::kQ8_K: return static_cast<size_t>(cols / 256) * sizeof(ActQ8_K);
    case ActFormat::kF32: return 0;  // x is used as given
  }
  return 0;
}

// Dequantizes each row once and dots it with every token, in double.
void SlowMatMul(const WeightView& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool) {
  const size_t row_floats = static_cast<size_t>(w.cols) * sizeof(float);
  pool.ParallelFor(
      w.rows,
      [&](int64_t r0, int64_t r1) {
        float* row = static_cast<float*>(pool.ThreadScratch(ThreadPool::CurrentThread(), row_floats));
        for (int64_t r = r0; r < r1; ++r) {
          DequantizeRow(w.type, static_cast<const uint8_t*>(w.data) + r * w.row_bytes, row, w.cols);
          for (int64_t t = 0; t < n_tokens; ++t) {
            const float* xt = x + t * w.cols;
            double s = 0;
            for (int64_t k = 0; k < w.cols; ++k) s += static_cast<double>(row[k]) * xt[k];
            y[t * w.rows + r] = static_cast<float>(s);
          }
        }
      });
}

// Types without a kernel of their own at a vector level: each task
// dequantizes its rows once into thread scratch and runs the F32 kernel over
// its tokens, so prompt processing still runs at float-FMA speed.
void DequantizedMatMul(const IsaKernels& k, const WeightView& w, const float* x, int64_t n_tokens, float* y,
                       ThreadPool& pool) {
  ActFormat f32_format;
  const TileFn f32_tile = k.find(GgmlType::kF32, &f32_format);
  const size_t row_floats = static_cast<size_t>(w.cols);
  const int64_t row_tasks = (w.rows + kRowsPerTask - 1) / kRowsPerTask;
  const int64_t token_tasks = (n_tokens + kTokensPerTask - 1) / kTokensPerTask;
  pool.ParallelFor(row_tasks * token_tasks, [&](int64_t b, int64_t e) {
    float* rows = static_cast<float*>(
        pool.ThreadScratch(ThreadPool::CurrentThread(), kRowsPerTask * row_floats * sizeof(float)));
    for (int64_t task = b; task < e; ++task) {
      const int64_t r0 = (task % row_tasks) * kRowsPerTask;
      const int64_t r1 = std::min(w.rows, r0 + kRowsPerTask);
      const int64_t t0 = (task / row_tasks) * kTokensPerTask;
      for (int64_t r = r0; r < r1; ++r) {
        DequantizeRow(w.type, static_cast<const uint8_t*>(w.data) + r * w.row_bytes,
                      rows + static_cast<size_t>(r - r0) * row_floats, w.cols);
      }
      MatArgs args{};
      args.w = reinterpret_cast<const uint8_t*>(rows);
      args.row_bytes = row_floats * sizeof(float);
      args.rows = w.rows;
      args.cols = w.cols;
      args.x = reinterpret_cast<const uint8_t*>(x);
      args.x_stride = row_floats * sizeof(float);
      args.y = y + r0;  // row r0 of y is row 0 of the scratch rows
      f32_tile(args, 0, r1 - r0, t0, std::min(n_tokens, t0 + kTokensPerTask));
    }
  });
}

bool IsReadableType(GgmlType type) {
  // Q8_1 and Q8_K are activation formats; no model stores weights in them.
  return CanDequantize(type) && type != GgmlType::kQ8_1 && type != GgmlType::kQ8_K;
}

}  // namespace

bool MatMulSupportsType(GgmlType type) { return IsReadableType(type); }

bool MatMulHasFastPath(GgmlType type) {
  const IsaKernels* k = internal::ActiveKernels();
  ActFormat format;
  return k != nullptr && k->find(type, &format) != nullptr;
}

Status ValidateWeightView(const WeightView& w, std::string_view name) {
  const auto traits = GetTypeTraits(w.type);
  const std::string where = "weight '" + std::string(name) + "'";
  if (!traits || !IsReadableType(w.type)) {
    return Status::InvalidArgument(where + ": type id " + std::to_string(static_cast<uint32_t>(w.type)) +
                                   " is not supported by the matrix kernels");
  }
  if (w.rows <= 0 || w.cols <= 0) {
    return Status::InvalidArgument(where + ": shape " + std::to_string(w.rows) + " x " + std::to_string(w.cols) +
                                   " must be positive");
  }
  if (w.cols % traits->block_size != 0) {
    return Status::InvalidArgument(where + ": " + std::to_string(w.cols) + " columns are not a multiple of " +
                                   std::string(traits->name) + "'s block size " +
                                   std::to_string(traits->block_size));
  }
  auto bytes = RowBytes(w.type, w.cols);
  if (!bytes.ok()) return bytes.status().WithContext(where);
  if (w.row_bytes < *bytes) {
    return Status::InvalidArgument(where + ": row stride " + std::to_string(w.row_bytes) + " bytes is below the " +
                                   std::to_string(*bytes) + " bytes a row of " + std::to_string(w.cols) + " " +
                                   std::string(traits->name) + " takes");
  }
  if (w.data == nullptr) return Status::InvalidArgument(where + ": no data");
  return Status::Ok();
}

ScratchBytes MatMulScratchBytes(const WeightView& w, int64_t n_tokens) {
  ScratchBytes s;
  // Reported for the best level the CPU has, which needs the most; the
  // dequantized rows of the fallback path are counted whatever the type.
  ActFormat format = ActFormat::kF32;
  if (const IsaKernels* k = internal::Avx2Kernels(); k != nullptr && DetectedIsa() != IsaLevel::kScalar)
    k->find(w.type, &format);
  s.shared = ActBytesPerToken(format, w.cols) * static_cast<size_t>(std::max<int64_t>(n_tokens, 1));
  s.per_thread = static_cast<size_t>(kRowsPerTask * w.cols) * sizeof(float);
  return s;
}

void MatMul(const WeightView& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool) {
  assert(ValidateWeightView(w, "").ok());
  assert(n_tokens >= 1);
  const IsaKernels* k = internal::ActiveKernels();
  ActFormat format = ActFormat::kF32;
  const TileFn tile = k != nullptr ? k->find(w.type, &format) : nullptr;
  if (tile == nullptr) {
    if (k != nullptr) {
      DequantizedMatMul(*k, w, x, n_tokens, y, pool);
    } else {
      SlowMatMul(w, x, n_tokens, y, pool);
    }
    return;
  }

  MatArgs args{};
  args.w = static_cast<const uint8_t*>(w.data);
  args.row_bytes = w.row_bytes;
  args.rows = w.rows;
  args.cols = w.cols;
  args.y = y;
  if (format == ActFormat::kF32) {
    args.x = reinterpret_cast<const uint8_t*>(x);
    args.x_stride = static_cast<size_t>(w.cols) * sizeof(float);
  } else {
    const size_t stride = ActBytesPerToken(format, w.cols);
    uint8_t* act = static_cast<uint8_t*>(pool.SharedScratch(stride * static_cast<size_t>(n_tokens)));
    const int64_t cols = w.cols;
    auto quantize = [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) {
        if (format == ActFormat::kQ8_0) {
          k->quantize_q8_0(x + t * cols, cols, reinterpret_cast<ActQ8_0*>(act + t * stride));
        } else {
          k->quantize_q8_k(x + t * cols, cols, reinterpret_cast<ActQ8_K*>(act + t * stride));
        }
      }
    };
    if (n_tokens == 1) {
      quantize(0, 1);  // a few microseconds: not worth a dispatch
    } else {
      pool.ParallelFor(n_tokens, quantize);
    }
    args.x = act;
    args.x_stride = stride;
  }

  const int64_t row_tasks = (w.rows + kRowsPerTask - 1) / kRowsPerTask;
  const int64_t token_tasks = (n_tokens + kTokensPerTask - 1) / kTokensPerTask;
  pool.ParallelFor(row_tasks * token_tasks, [&](int64_t b, int64_t e) {
    for (int64_t task = b; task < e; ++task) {
      const int64_t tt = task / row_tasks;
      const int64_t rt = task % row_tasks;
      const int64_t r0 = rt * kRowsPerTask;
      const int64_t t0 = tt * kTokensPerTask;
      tile(args, r0, std::min(w.rows, r0 + kRowsPerTask), t0, std::min(n_tokens, t0 + kTokensPerTask));
    }
  });
}

}  // namespace hearth::engine::kernels
