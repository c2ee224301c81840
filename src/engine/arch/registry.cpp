#include <fmt/format.h>

#include "engine/arch/arch.h"

namespace hearth::engine {

const ArchSpec* FindArch(std::string_view name) {
  for (const ArchSpec* spec : {&LlamaArch(), &Qwen2Arch(), &Qwen3Arch()}) {
    if (spec->name == name) return spec;
  }
  return nullptr;
}

std::vector<std::string_view> ArchNames() {
  return {LlamaArch().name, Qwen2Arch().name, Qwen3Arch().name};
}

std::string LayerTensorName(int64_t il, std::string_view suffix) {
  return fmt::format("blk.{}.{}", il, suffix);
}

Status BindStandardLayer(TensorBinder& b, const HParams& hp, int64_t il, LayerWeights* lw) {
  auto name = [il](std::string_view s) { return LayerTensorName(il, s); };
  HEARTH_RETURN_IF_ERROR(b.Require(name("attn_norm.weight"), {hp.n_embd}, &lw->attn_norm));
  HEARTH_RETURN_IF_ERROR(b.Require(name("attn_q.weight"), {hp.n_embd, hp.q_dim()}, &lw->wq));
  HEARTH_RETURN_IF_ERROR(b.Require(name("attn_k.weight"), {hp.n_embd, hp.kv_dim()}, &lw->wk));
  HEARTH_RETURN_IF_ERROR(b.Require(name("attn_v.weight"), {hp.n_embd, hp.kv_dim()}, &lw->wv));
  HEARTH_RETURN_IF_ERROR(b.Require(name("attn_output.weight"), {hp.q_dim(), hp.n_embd}, &lw->wo));
  HEARTH_RETURN_IF_ERROR(b.Require(name("ffn_norm.weight"), {hp.n_embd}, &lw->ffn_norm));
  HEARTH_RETURN_IF_ERROR(b.Require(name("ffn_gate.weight"), {hp.n_embd, hp.n_ff}, &lw->w_gate));
  HEARTH_RETURN_IF_ERROR(b.Require(name("ffn_up.weight"), {hp.n_embd, hp.n_ff}, &lw->w_up));
  HEARTH_RETURN_IF_ERROR(b.Require(name("ffn_down.weight"), {hp.n_ff, hp.n_embd}, &lw->w_down));
  return Status::Ok();
}

}  // namespace hearth::engine
