// qwen2: Qwen2 and Qwen2.5. NeoX-style RoPE (split halves) and biases on the
// Q, K and V projections.
#include "engine/arch/arch.h"

namespace hearth::engine {
namespace {

Status ReadQwen2HParams(const GgufFile& file, HParams* hp) {
  (void)file;
  hp->rope_style = RopeStyle::kNeox;
  return Status::Ok();
}

Status BindQwen2Layer(TensorBinder& b, const HParams& hp, int64_t il, LayerWeights* lw) {
  HEARTH_RETURN_IF_ERROR(BindStandardLayer(b, hp, il, lw));
  HEARTH_RETURN_IF_ERROR(b.Require(LayerTensorName(il, "attn_q.bias"), {hp.q_dim()}, &lw->bq));
  HEARTH_RETURN_IF_ERROR(b.Require(LayerTensorName(il, "attn_k.bias"), {hp.kv_dim()}, &lw->bk));
  HEARTH_RETURN_IF_ERROR(b.Require(LayerTensorName(il, "attn_v.bias"), {hp.kv_dim()}, &lw->bv));
  return Status::Ok();
}

}  // namespace

const ArchSpec& Qwen2Arch() {
  static const ArchSpec spec{"qwen2", RopeStyle::kNeox, /*qkv_bias=*/true, /*qk_norm=*/false,
                             &ReadQwen2HParams, &BindQwen2Layer};
  return spec;
}

}  // namespace hearth::engine
