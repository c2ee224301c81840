// llama: Llama 2 and 3.x, Mistral, TinyLlama, SmolLM2.
//
// RoPE rotates adjacent pairs (the GGUF converter permutes Q/K rows so that
// this holds). Llama 3.1+ stores its long-context frequency scaling as the
// `rope_freqs.weight` tensor (bound by Model, used by the transformer); linear
// scaling comes from `llama.rope.scaling.*`.
#include "engine/arch/arch.h"

namespace hearth::engine {
namespace {

Status ReadLlamaHParams(const GgufFile& file, HParams* hp) {
  hp->rope_style = RopeStyle::kNormal;
  (void)file;
  return Status::Ok();
}

Status BindLlamaLayer(TensorBinder& b, const HParams& hp, int64_t il, LayerWeights* lw) {
  return BindStandardLayer(b, hp, il, lw);
}

}  // namespace

const ArchSpec& LlamaArch() {
  static const ArchSpec spec{"llama", RopeStyle::kNormal, /*qkv_bias=*/false, /*qk_norm=*/false,
                             &ReadLlamaHParams, &BindLlamaLayer};
  return spec;
}

}  // namespace hearth::engine
