// qwen3: Qwen3 dense models. NeoX-style RoPE, no Q/K/V biases, and an RMSNorm
// over each head of Q and K (before RoPE) with weights of size head_dim. The
// head size is `qwen3.attention.key_length` (e.g. 128 with dim 1024 and 16
// heads), so q_dim = n_head * head_dim may differ from n_embd.
#include <fmt/format.h>

#include "engine/arch/arch.h"

namespace hearth::engine {
namespace {

Status ReadQwen3HParams(const GgufFile& file, HParams* hp) {
  hp->rope_style = RopeStyle::kNeox;
  if (file.Has(file.ArchKey("attention.value_length"))) {
    auto v = file.GetUint(file.ArchKey("attention.value_length"));
    if (!v.ok()) return v.status().WithContext(file.path());
    if (static_cast<int64_t>(*v) != hp->head_dim) {
      return Status::Unimplemented(fmt::format(
          "{}: {} = {} differs from attention.key_length = {}; Hearth needs equal K and V head sizes",
          file.path(), file.ArchKey("attention.value_length"), *v, hp->head_dim));
    }
  }
  return Status::Ok();
}

Status BindQwen3Layer(TensorBinder& b, const HParams& hp, int64_t il, LayerWeights* lw) {
  HEARTH_RETURN_IF_ERROR(BindStandardLayer(b, hp, il, lw));
  HEARTH_RETURN_IF_ERROR(b.Require(LayerTensorName(il, "attn_q_norm.weight"), {hp.head_dim}, &lw->q_norm));
  HEARTH_RETURN_IF_ERROR(b.Require(LayerTensorName(il, "attn_k_norm.weight"), {hp.head_dim}, &lw->k_norm));
  return Status::Ok();
}

}  // namespace

const ArchSpec& Qwen3Arch() {
  static const ArchSpec spec{"qwen3", RopeStyle::kNeox, /*qkv_bias=*/false, /*qk_norm=*/true,
                             &ReadQwen3HParams, &BindQwen3Layer};
  return spec;
}

}  // namespace hearth::engine
