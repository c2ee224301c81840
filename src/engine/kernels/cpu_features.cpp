#include "engine/kernels/cpu_features.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define HEARTH_X86 1
#endif

namespace hearth::engine::kernels {
namespace {

#if defined(HEARTH_X86)
uint64_t ReadXcr0() {
  uint32_t eax = 0, edx = 0;
  // xgetbv with ecx=0; only valid when OSXSAVE is set (checked by the caller).
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<uint64_t>(edx) << 32) | eax;
}
#endif

CpuFeatures Detect() {
  CpuFeatures f;
#if defined(HEARTH_X86)
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid(0, &eax, &ebx, &ecx, &edx) == 0) return f;
  const unsigned max_leaf = eax;
  if (max_leaf < 7) return f;
  __cpuid_count(1, 0, eax, ebx, ecx, edx);
  const bool osxsave = (ecx >> 27) & 1;
  const bool fma = (ecx >> 12) & 1;
  const bool f16c = (ecx >> 29) & 1;
  const bool avx = (ecx >> 28) & 1;
  if (!osxsave || !avx) return f;
  const uint64_t xcr0 = ReadXcr0();
  // The OS must save the YMM (bits 1,2) and, for AVX-512, opmask/ZMM state
  // (bits 5,6,7); otherwise the registers are not usable.
  const bool ymm_ok = (xcr0 & 0x6) == 0x6;
  const bool zmm_ok = (xcr0 & 0xE6) == 0xE6;
  if (!ymm_ok) return f;
  __cpuid_count(7, 0, eax, ebx, ecx, edx);
  f.fma = fma;
  f.f16c = f16c;
  f.avx2 = (ebx >> 5) & 1;
  if (zmm_ok) {
    f.avx512f = (ebx >> 16) & 1;
    f.avx512bw = (ebx >> 30) & 1;
    f.avx512vl = (ebx >> 31) & 1;
    f.avx512vnni = (ecx >> 11) & 1;
    __cpuid_count(7, 1, eax, ebx, ecx, edx);
    f.avx512bf16 = (eax >> 5) & 1;
  }
#endif
  return f;
}

IsaLevel BestLevel(const CpuFeatures& f) {
  const bool avx2 = f.avx2 && f.fma && f.f16c;
  if (avx2 && f.avx512f && f.avx512bw && f.avx512vl && f.avx512vnni) return IsaLevel::kAvx512;
  if (avx2) return IsaLevel::kAvx2;
  return IsaLevel::kScalar;
}

IsaLevel InitialLevel() {
  IsaLevel level = DetectedIsa();
  if (const char* env = std::getenv("HEARTH_ISA"); env != nullptr) {
    // An unknown value keeps the detected level: the variable can only ever
    // lower it, so a typo cannot make the kernels unsafe.
    if (auto parsed = ParseIsaName(env)) level = std::min(level, *parsed);
  }
  return level;
}

std::atomic<int>& ActiveSlot() {
  static std::atomic<int> slot{static_cast<int>(InitialLevel())};
  return slot;
}

}  // namespace

const CpuFeatures& DetectedCpuFeatures() {
  static const CpuFeatures features = Detect();
  return features;
}

IsaLevel DetectedIsa() {
  static const IsaLevel level = BestLevel(DetectedCpuFeatures());
  return level;
}

IsaLevel ActiveIsa() { return static_cast<IsaLevel>(ActiveSlot().load(std::memory_order_relaxed)); }

IsaLevel SetActiveIsa(IsaLevel level) {
  const IsaLevel set = std::min(level, DetectedIsa());
  ActiveSlot().store(static_cast<int>(set), std::memory_order_relaxed);
  return set;
}

std::string_view IsaName(IsaLevel level) {
  switch (level) {
    case IsaLevel::kScalar: return "scalar";
    case IsaLevel::kAvx2: return "avx2";
    case IsaLevel::kAvx512: return "avx512";
  }
  return "unknown";
}

std::optional<IsaLevel> ParseIsaName(std::string_view name) {
  if (name == "scalar") return IsaLevel::kScalar;
  if (name == "avx2") return IsaLevel::kAvx2;
  if (name == "avx512") return IsaLevel::kAvx512;
  return std::nullopt;
}

}  // namespace hearth::engine::kernels
