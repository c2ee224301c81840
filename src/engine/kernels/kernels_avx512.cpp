// AVX-512 F/BW/VL + VNNI (256-bit vectors, 32 registers) kernels: x86_kernels.inc compiled with this level's flags
// (set per file in src/engine/CMakeLists.txt).
#include "engine/kernels/matmul_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>

#include <cstdint>
#include <cstring>

namespace hearth::engine::kernels::internal {
namespace avx512_impl {

constexpr int kTileR = 4;
constexpr int kTileT = 4;

#include "engine/kernels/x86_kernels.inc"

}  // namespace avx512_impl

const IsaKernels* Avx512Kernels() { return &avx512_impl::kKernels; }

}  // namespace hearth::engine::kernels::internal

#else

namespace hearth::engine::kernels::internal {
const IsaKernels* Avx512Kernels() { return nullptr; }
}  // namespace hearth::engine::kernels::internal

#endif
