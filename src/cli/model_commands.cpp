// `hearth model …`: owned by the engine (GGUF, synth, info).
#include <cstdio>
#include <memory>
#include <string>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli/commands.h"
#include "common/paths.h"
#include "engine/gguf.h"
#include "engine/memory_plan.h"
#include "engine/model.h"
#include "engine/model_info.h"
#include "engine/model_synth.h"

namespace hearth::cli {
namespace {

struct SynthArgs {
  engine::SynthOptions options;
  std::string chat_template_file;
  std::string out;
};

int RunSynth(const SynthArgs& args) {
  engine::SynthOptions o = args.options;
  if (!args.chat_template_file.empty()) {
    Result<std::string> t = ReadFileToString(args.chat_template_file);
    if (!t.ok()) return Fail(fmt::format("--chat-template: {}", t.status().message()));
    if (t->empty()) return Fail(fmt::format("--chat-template: {} is empty", args.chat_template_file));
    o.chat_template = *t;
  }
  Status s = engine::SynthesizeModel(o, args.out);
  if (!s.ok()) return Fail(s.message());
  return 0;
}

struct InfoArgs {
  std::string path;
  int64_t ctx = 0;
  bool json = false;
  std::string mem_budget;
};

// The engine's exact memory plan for a runnable model, checked against the
// budget (--mem-budget, config engine.mem_budget, else detected). Files the
// engine cannot run (vocabulary-only GGUFs, other architectures) keep the
// estimate printed by FormatModelInfo.
void PrintPlan(std::unique_ptr<engine::GgufFile> file, const InfoArgs& args, const CliContext& ctx) {
  auto model = engine::Model::FromGguf(std::move(file));
  if (!model.ok()) {
    std::printf("\nexact memory plan: not available (%s)\n", model.status().message().c_str());
    return;
  }
  engine::PlanRequest req;
  req.n_ctx = args.ctx > 0 ? args.ctx : (*model)->hparams().n_ctx_train;
  auto plan = engine::PlanMemory(**model, req);
  if (!plan.ok()) {
    std::printf("\nexact memory plan: %s\n", plan.status().message().c_str());
    return;
  }
  std::printf("\nmemory plan at ctx %lld:\n%s\n", static_cast<long long>(req.n_ctx), plan->ToString().c_str());
  std::string budget_text = args.mem_budget.empty() ? ctx.config.GetOr("engine.mem_budget", "") : args.mem_budget;
  Result<engine::MemoryBudget> budget = engine::DetectBudget();
  if (!budget.ok()) {
    std::printf("budget: unknown (%s)\n", budget.status().message().c_str());
    return;
  }
  if (!budget_text.empty()) {
    auto bytes = engine::ParseSize(budget_text);
    if (!bytes.ok()) {
      std::printf("budget: %s\n", bytes.status().message().c_str());
      return;
    }
    budget->budget = *bytes;
    budget->overridden = true;
  }
  Status fits = engine::CheckPlanFits(*plan, **model, *budget);
  std::printf("budget: %s%s -> %s\n", engine::FormatPlanBytes(budget->budget).c_str(),
              budget->overridden ? " (given)" : " (detected)", fits.ok() ? "fits" : fits.message().c_str());
}

int RunInfo(const InfoArgs& args, const CliContext& ctx) {
  Result<std::unique_ptr<engine::GgufFile>> file = engine::GgufFile::Open(args.path);
  if (!file.ok()) return Fail(file.status().message());
  Result<engine::ModelInfo> info = engine::GetModelInfo(**file, args.ctx);
  if (!info.ok()) return Fail(info.status().message());
  const std::string out = args.json ? engine::ModelInfoJson(*info) + "\n" : engine::FormatModelInfo(*info);
  std::fwrite(out.data(), 1, out.size(), stdout);
  if (!args.json) PrintPlan(std::move(file).value(), args, ctx);
  return 0;
}

}  // namespace

void RegisterModelCommands(CLI::App& app, CliContext& ctx) {
  CLI::App* model = app.add_subcommand("model", "Inspect, synthesize and tokenize GGUF models")->require_subcommand(1);

  auto synth = std::make_shared<SynthArgs>();
  CLI::App* s = model->add_subcommand("synth", "Write a GGUF model with seeded random weights and a real tokenizer");
  engine::SynthOptions& o = synth->options;
  s->add_option("--arch", o.arch, "llama, qwen2 or qwen3")->required();
  s->add_option("--vocab", o.vocab_path, "GGUF file whose tokenizer.* metadata is copied")->required();
  s->add_option("--dim", o.dim, "embedding length")->required();
  s->add_option("--layers", o.layers, "number of blocks")->required();
  s->add_option("--heads", o.heads, "attention heads")->required();
  s->add_option("--kv-heads", o.kv_heads, "key/value heads")->required();
  s->add_option("--ffn", o.ffn, "feed-forward length")->required();
  s->add_option("--head-dim", o.head_dim, "head size (default dim / heads)");
  s->add_option("--ctx", o.ctx, "context length written to the metadata")->capture_default_str();
  s->add_option("--rope-base", o.rope_base, "RoPE base frequency (default 10000 llama, 1e6 qwen)");
  s->add_option("--type", o.type, fmt::format("weight type: {}", fmt::join(engine::SynthTypeNames(), ", ")))->required();
  s->add_option("--seed", o.seed, "random seed (same seed, same file)")->required();
  s->add_option("--name", o.name, "general.name");
  s->add_option("--threads", o.threads, "threads (default: all cores)");
  s->add_flag("--tied", o.tied, "tie output to token embeddings (no output.weight)");
  s->add_option("--chat-template", synth->chat_template_file, "file with a chat template to store instead of the vocab's");
  s->add_option("-o,--output", synth->out, "output GGUF path")->required();
  s->callback([synth, &ctx]() { ctx.exit_code = RunSynth(*synth); });

  auto info = std::make_shared<InfoArgs>();
  CLI::App* i = model->add_subcommand("info", "Describe a GGUF model: architecture, size, types, tokenizer, memory");
  i->add_option("file", info->path, "GGUF model")->required();
  i->add_option("--ctx", info->ctx, "context length for the memory figure (default: the model's)");
  i->add_option("--mem-budget", info->mem_budget, "memory budget to check the plan against, e.g. 6G (default: detected)");
  i->add_flag("--json", info->json, "print one JSON object");
  i->callback([info, &ctx]() { ctx.exit_code = RunInfo(*info, ctx); });
}

}  // namespace hearth::cli
