// AVX2 + FMA + F16C kernels: x86_kernels.inc compiled with this level's flags
// (set per file in src/engine/CMakeLists.txt).
#include "engine/kernels/matmul_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>

#include <cstdint>
#include <cstring>

namespace hearth::engine::kernels::internal {
namespace avx2_impl {

constexpr int kTileR = 2;
constexpr int kTileT = 4;

#include "engine/kernels/x86_kernels.inc"

}  // namespace avx2_impl

const IsaKernels* Avx2Kernels() { return &avx2_impl::kKernels; }

}  // namespace hearth::engine::kernels::internal

#else

namespace hearth::engine::kernels::internal {
const IsaKernels* Avx2Kernels() { return nullptr; }
}  // namespace hearth::engine::kernels::internal

#endif
