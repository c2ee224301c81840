// Which x86 vector instruction sets the kernels may use.
//
// The kernels come in three levels; each level needs every feature listed:
//   kScalar  portable C++ (any CPU)
//   kAvx2    AVX2, FMA, F16C
//   kAvx512  kAvx2 + AVX-512 F/BW/VL + AVX512_VNNI (Ice Lake, Zen 4 and later)
// The active level is the best the CPU supports (cpuid + OS XSAVE state),
// lowered by the environment variable HEARTH_ISA=scalar|avx2|avx512 when set
// (read once, at first use), or by SetActiveIsa() (tests). A request above
// what the CPU supports is clamped to the detected level, never honoured:
// executing an unsupported instruction would crash.
#pragma once

#include <optional>
#include <string_view>

namespace hearth::engine::kernels {

enum class IsaLevel : int { kScalar = 0, kAvx2 = 1, kAvx512 = 2 };

struct CpuFeatures {
  bool avx2 = false;
  bool fma = false;
  bool f16c = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512vl = false;
  bool avx512vnni = false;
  bool avx512bf16 = false;
};

// Features of the CPU we run on (detected once; thread-safe).
const CpuFeatures& DetectedCpuFeatures();
// The best level DetectedCpuFeatures() allows.
IsaLevel DetectedIsa();

// The level the kernels dispatch to now (see the top of this file).
IsaLevel ActiveIsa();
// Sets the active level to min(level, DetectedIsa()) and returns what was
// set. Not meant to race with running kernels: call it between calls.
IsaLevel SetActiveIsa(IsaLevel level);

// "scalar", "avx2", "avx512".
std::string_view IsaName(IsaLevel level);
// Inverse of IsaName (case-sensitive); nullopt for anything else.
std::optional<IsaLevel> ParseIsaName(std::string_view name);

}  // namespace hearth::engine::kernels
