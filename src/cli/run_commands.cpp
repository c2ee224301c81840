// `hearth run`, `hearth eval`, `hearth bench`: running GGUF models (engine).
//
//   run   -m MODEL -p PROMPT [-n N] [--temp T] [--seed S] [--top-k K] [--top-p P]
//         [--min-p P] [--repeat-penalty R] [--stop TEXT]... [--ctx N] [-t N]
//         [--mem-budget SIZE] [-i]
//         Streams the generated text to stdout. -i chats with the model's chat
//         template, one user line at a time (EOF or an empty line ends).
//   eval  -m MODEL --ids '[id, ...]' --json   one JSON array: for every position
//         after the first {"pos", "id", "logprob", "argmax"}.
//         eval -m MODEL --file TEXT  perplexity over the file (chunks of --ctx).
//   bench -m MODEL [-p 512] [-n 128] [-t THREADS] [-r REPS] [--json]
//         prompt processing and generation speed, as llama-bench measures them.
//
// The memory budget: --mem-budget, else config `engine.mem_budget`, else
// detected (engine/memory_plan.h) minus `engine.mem_reserve` (default 512M).
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "common/log.h"
#include "common/paths.h"
#include "engine/chat_template.h"
#include "engine/memory_plan.h"
#include "engine/model.h"
#include "engine/sampler.h"
#include "engine/session.h"
#include "engine/tokenizer.h"

namespace hearth::cli {
namespace {

using engine::Model;
using engine::Session;
using engine::SessionOptions;

struct CommonArgs {
  std::string model;
  int64_t ctx = 0;
  int threads = 0;
  std::string mem_budget;
};

void AddCommon(CLI::App* c, CommonArgs& a) {
  c->add_option("-m,--model", a.model, "GGUF model file")->required();
  c->add_option("--ctx", a.ctx, "context size in tokens (default: the model's, at most 4096)");
  c->add_option("-t,--threads", a.threads, "threads (default: all cores)");
  c->add_option("--mem-budget", a.mem_budget, "memory budget, e.g. 6G (default: detected; config engine.mem_budget)");
}

// Fills the budget fields of `o` from the flag, then the config.
Status ApplyBudget(const CommonArgs& a, const CliContext& ctx, SessionOptions* o) {
  std::string text = a.mem_budget;
  std::string origin = "--mem-budget";
  if (text.empty()) {
    if (auto v = ctx.config.Get("engine.mem_budget")) {
      text = *v;
      origin = "config engine.mem_budget";
    }
  }
  if (!text.empty()) {
    auto bytes = engine::ParseSize(text);
    if (!bytes.ok()) return Status::InvalidArgument(origin + ": " + bytes.status().message());
    o->mem_budget = *bytes;
  }
  if (auto v = ctx.config.Get("engine.mem_reserve")) {
    auto bytes = engine::ParseSize(*v);
    if (!bytes.ok()) return Status::InvalidArgument("config engine.mem_reserve: " + bytes.status().message());
    o->mem_reserve = *bytes;
  }
  if (a.ctx < 0) return Status::InvalidArgument(fmt::format("--ctx {} must be positive", a.ctx));
  if (a.threads < 0) return Status::InvalidArgument(fmt::format("--threads {} must be positive", a.threads));
  o->n_ctx = a.ctx;
  o->n_threads = a.threads;
  return Status::Ok();
}

struct Loaded {
  std::unique_ptr<Model> model;
  std::unique_ptr<Session> session;
  double load_ms = 0;
};

Result<Loaded> LoadModel(const CommonArgs& a, const CliContext& ctx, SessionOptions o) {
  HEARTH_RETURN_IF_ERROR(ApplyBudget(a, ctx, &o));
  const auto start = std::chrono::steady_clock::now();
  Loaded l;
  HEARTH_ASSIGN_OR_RETURN(l.model, Model::Load(a.model));
  HEARTH_ASSIGN_OR_RETURN(l.session, Session::Open(*l.model, o));
  l.load_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return l;
}

// ---------------------------------------------------------------- run ----

struct RunArgs {
  CommonArgs common;
  std::string prompt;
  int64_t n_predict = 128;
  float temp = 0.8f;
  std::optional<uint64_t> seed;
  int32_t top_k = 40;
  float top_p = 0.95f;
  float min_p = 0.05f;
  float repeat_penalty = 1.0f;
  std::vector<std::string> stops;
  bool interactive = false;
};

// Tokenizes `text` with BOS as the model asks; a template that already wrote
// the BOS text does not get a second one.
std::vector<int32_t> TokenizePrompt(const engine::Tokenizer& tok, const std::string& text) {
  std::vector<int32_t> ids = tok.Tokenize(text, /*add_special=*/true, /*parse_special=*/true);
  const int32_t bos = tok.vocab().bos();
  if (ids.size() >= 2 && bos != engine::kNoToken && ids[0] == bos && ids[1] == bos) ids.erase(ids.begin());
  return ids;
}

// Generates up to n tokens after what the session holds, streaming text to
// stdout. Returns the generated text (stop string excluded).
Result<std::string> Generate(Session& s, engine::Sampler& sampler, const engine::Tokenizer& tok, int64_t n,
                             const std::vector<std::string>& stops, int64_t* n_generated) {
  engine::StreamDecoder decoder(tok);
  engine::StopMatcher matcher(stops);
  std::string text;
  auto emit = [&text](const std::string& piece) {
    if (piece.empty()) return;
    text += piece;
    std::fwrite(piece.data(), 1, piece.size(), stdout);
    std::fflush(stdout);
  };
  *n_generated = 0;
  for (int64_t i = 0; i < n && !matcher.stopped(); ++i) {
    const int32_t id = sampler.Sample(s.logits());
    sampler.Accept(id);
    ++*n_generated;
    if (tok.vocab().IsEndOfGeneration(id)) break;
    HEARTH_ASSIGN_OR_RETURN(std::string piece, decoder.Push(id));
    emit(matcher.Push(piece));
    if (matcher.stopped() || i + 1 == n) break;
    Status st = s.Evaluate({&id, 1});
    if (st.code() == StatusCode::kOutOfRange) {
      emit(matcher.Push(decoder.Finish()));
      emit(matcher.Flush());
      return st;
    }
    HEARTH_RETURN_IF_ERROR(st);
  }
  if (!matcher.stopped()) {
    emit(matcher.Push(decoder.Finish()));
    emit(matcher.Flush());
  }
  return text;
}

Status Chat(const RunArgs& args, Session& s, engine::Sampler& sampler, const engine::Tokenizer& tok) {
  const engine::GgufFile& file = s.model().gguf();
  auto source = file.GetString("tokenizer.chat_template");
  if (!source.ok()) {
    return Status::FailedPrecondition(args.common.model + ": -i needs a chat template (tokenizer.chat_template is absent)");
  }
  HEARTH_ASSIGN_OR_RETURN(engine::ChatTemplate tmpl, engine::ChatTemplate::Create(*source));
  engine::ChatTemplateInput input;
  input.add_generation_prompt = true;
  const auto& v = tok.vocab();
  if (v.bos() != engine::kNoToken) input.bos_token = std::string(tok.TokenToPiece(v.bos()));
  if (v.eos() != engine::kNoToken) input.eos_token = std::string(tok.TokenToPiece(v.eos()));
  if (!args.prompt.empty()) input.messages.push_back({{"role", "system"}, {"content", args.prompt}});
  std::string line;
  while (true) {
    std::fputs("\n> ", stderr);
    if (!std::getline(std::cin, line) || line.empty()) break;
    input.messages.push_back({{"role", "user"}, {"content", line}});
    HEARTH_ASSIGN_OR_RETURN(engine::RenderedPrompt rendered, tmpl.Render(input));
    if (!rendered.warning.empty()) log::Warn("run", "chat template fallback", {{"format", engine::ChatFormatName(rendered.format)}});
    const std::vector<int32_t> ids = TokenizePrompt(tok, rendered.text);
    HEARTH_ASSIGN_OR_RETURN(int64_t reused, s.EvaluatePrompt(ids));
    log::Debug("run", "prompt evaluated", {{"tokens", ids.size()}, {"reused", reused}});
    int64_t n_gen = 0;
    HEARTH_ASSIGN_OR_RETURN(std::string reply, Generate(s, sampler, tok, args.n_predict, args.stops, &n_gen));
    std::fputs("\n", stdout);
    input.messages.push_back({{"role", "assistant"}, {"content", reply}});
  }
  return Status::Ok();
}

int RunRun(const RunArgs& args, const CliContext& ctx) {
  if (args.prompt.empty() && !args.interactive) return Fail("run: -p/--prompt is required (or -i for a chat)");
  if (args.n_predict < 0) return Fail(fmt::format("run: -n {} must be >= 0", args.n_predict));
  auto loaded = LoadModel(args.common, ctx, SessionOptions{});
  if (!loaded.ok()) return Fail(loaded.status().message());
  Session& s = *loaded->session;
  auto tok = engine::Tokenizer::FromGguf(loaded->model->gguf());
  if (!tok.ok()) return Fail(tok.status().message());
  engine::SamplerParams sp;
  sp.temperature = args.temp;
  sp.top_k = args.top_k;
  sp.top_p = args.top_p;
  sp.min_p = args.min_p;
  sp.repeat_penalty = args.repeat_penalty;
  sp.seed = args.seed ? *args.seed : std::random_device{}();
  auto sampler = engine::Sampler::Create(sp, loaded->model->hparams().n_vocab);
  if (!sampler.ok()) return Fail(sampler.status().message());

  if (args.interactive) {
    Status st = Chat(args, s, *sampler, *tok);
    return st.ok() ? 0 : Fail(st.message());
  }
  const std::vector<int32_t> ids = TokenizePrompt(*tok, args.prompt);
  if (ids.empty()) return Fail("run: the prompt tokenizes to nothing");
  const auto t0 = std::chrono::steady_clock::now();
  auto reused = s.EvaluatePrompt(ids);
  if (!reused.ok()) return Fail(reused.status().message());
  const auto t1 = std::chrono::steady_clock::now();
  int64_t n_gen = 0;
  auto text = Generate(s, *sampler, *tok, args.n_predict, args.stops, &n_gen);
  const auto t2 = std::chrono::steady_clock::now();
  std::fputs("\n", stdout);
  std::fflush(stdout);  // before the log line on stderr
  if (!text.ok()) return Fail(text.status().message());
  const double pp_s = std::chrono::duration<double>(t1 - t0).count();
  const double tg_s = std::chrono::duration<double>(t2 - t1).count();
  log::Info("run", "done", {{"prompt_tokens", ids.size()}, {"generated", n_gen},
                            {"pp_tok_s", fmt::format("{:.1f}", static_cast<double>(ids.size()) / pp_s)},
                            {"tg_tok_s", fmt::format("{:.1f}", tg_s > 0 ? static_cast<double>(n_gen) / tg_s : 0.0)},
                            {"load_ms", fmt::format("{:.0f}", loaded->load_ms)}});
  return 0;
}

// --------------------------------------------------------------- eval ----

struct EvalArgs {
  CommonArgs common;
  std::string ids;
  std::string file;
  bool json = false;
};

Result<std::vector<int32_t>> ParseIds(const std::string& text) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    return Status::InvalidArgument(fmt::format("--ids: not JSON at byte {}: {}", e.byte, e.what()));
  }
  if (!j.is_array()) return Status::InvalidArgument("--ids: expected a JSON array of token ids");
  std::vector<int32_t> ids;
  for (size_t i = 0; i < j.size(); ++i) {
    if (!j[i].is_number_integer() || j[i].get<int64_t>() < 0 || j[i].get<int64_t>() > INT32_MAX) {
      return Status::InvalidArgument(fmt::format("--ids: element {} ({}) is not a non-negative integer token id", i, j[i].dump()));
    }
    ids.push_back(static_cast<int32_t>(j[i].get<int64_t>()));
  }
  if (ids.size() < 2) return Status::InvalidArgument("--ids: need at least 2 token ids to score");
  return ids;
}

// log softmax(logits)[id] and argmax, in double.
std::pair<double, int32_t> LogProb(std::span<const float> logits, int32_t id) {
  float max = logits[0];
  int32_t arg = 0;
  for (size_t i = 1; i < logits.size(); ++i) {
    if (logits[i] > max) { max = logits[i]; arg = static_cast<int32_t>(i); }
  }
  double sum = 0;
  for (float l : logits) sum += std::exp(static_cast<double>(l) - max);
  return {static_cast<double>(logits[static_cast<size_t>(id)]) - max - std::log(sum), arg};
}

struct Scored {
  int64_t pos;
  int32_t id;
  double logprob;
  int32_t argmax;
};

// Scores ids[1..] given everything before, from an empty cache.
Result<std::vector<Scored>> ScoreIds(Session& s, const std::vector<int32_t>& ids) {
  std::vector<Scored> out;
  out.reserve(ids.size());
  s.Reset();
  HEARTH_RETURN_IF_ERROR(s.Score(ids, [&](int64_t i, std::span<const float> logits) {
    if (i + 1 >= static_cast<int64_t>(ids.size())) return;
    const int32_t next = ids[static_cast<size_t>(i + 1)];
    auto [lp, arg] = LogProb(logits, next);
    out.push_back({i + 1, next, lp, arg});
  }));
  return out;
}

int RunEval(const EvalArgs& args, const CliContext& ctx) {
  if (args.ids.empty() == args.file.empty()) return Fail("eval: give exactly one of --ids or --file");
  std::vector<int32_t> ids;
  if (!args.ids.empty()) {
    auto parsed = ParseIds(args.ids);
    if (!parsed.ok()) return Fail(parsed.status().message());
    ids = std::move(parsed).value();
  }
  SessionOptions o;
  o.all_logits = true;
  CommonArgs common = args.common;
  if (common.ctx == 0) common.ctx = args.ids.empty() ? 512 : static_cast<int64_t>(ids.size());
  auto loaded = LoadModel(common, ctx, o);
  if (!loaded.ok()) return Fail(loaded.status().message());
  Session& s = *loaded->session;

  if (!args.ids.empty()) {
    auto scored = ScoreIds(s, ids);
    if (!scored.ok()) return Fail(scored.status().message());
    if (args.json) {
      nlohmann::json arr = nlohmann::json::array();
      for (const Scored& r : *scored) arr.push_back({{"pos", r.pos}, {"id", r.id}, {"logprob", r.logprob}, {"argmax", r.argmax}});
      std::printf("%s\n", arr.dump().c_str());
    } else {
      double nll = 0;
      for (const Scored& r : *scored) nll -= r.logprob;
      std::printf("perplexity %.4f over %zu scored tokens\n", std::exp(nll / static_cast<double>(scored->size())), scored->size());
    }
    return 0;
  }
  auto text = ReadFileToString(args.file);
  if (!text.ok()) return Fail(text.status().message());
  auto tok = engine::Tokenizer::FromGguf(loaded->model->gguf());
  if (!tok.ok()) return Fail(tok.status().message());
  const std::vector<int32_t> all = tok->Tokenize(*text, /*add_special=*/false);
  const int64_t chunk = s.n_ctx();
  if (static_cast<int64_t>(all.size()) < 2) return Fail(fmt::format("eval: {} has fewer than 2 tokens", args.file));
  double nll = 0;
  int64_t count = 0, chunks = 0;
  for (size_t start = 0; start + 1 < all.size(); start += static_cast<size_t>(chunk)) {
    std::vector<int32_t> piece(all.begin() + static_cast<ptrdiff_t>(start),
                               all.begin() + static_cast<ptrdiff_t>(std::min(all.size(), start + static_cast<size_t>(chunk))));
    if (piece.size() < 2) break;
    auto scored = ScoreIds(s, piece);
    if (!scored.ok()) return Fail(scored.status().message());
    for (const Scored& r : *scored) nll -= r.logprob;
    count += static_cast<int64_t>(scored->size());
    ++chunks;
  }
  const double ppl = std::exp(nll / static_cast<double>(count));
  if (args.json) {
    std::printf("%s\n", nlohmann::json({{"perplexity", ppl}, {"tokens", count}, {"chunks", chunks}, {"ctx", chunk}}).dump().c_str());
  } else {
    std::printf("perplexity %.4f over %lld scored tokens (%lld chunks of up to %lld)\n", ppl,
                static_cast<long long>(count), static_cast<long long>(chunks), static_cast<long long>(chunk));
  }
  return 0;
}

// -------------------------------------------------------------- bench ----

struct BenchArgs {
  CommonArgs common;
  int64_t n_prompt = 512;
  int64_t n_gen = 128;
  int reps = 5;
  bool json = false;
};

struct Stat {
  double mean = 0, sd = 0;
};

Stat MeanSd(const std::vector<double>& v) {
  Stat s;
  for (double x : v) s.mean += x;
  s.mean /= static_cast<double>(v.size());
  if (v.size() > 1) {
    for (double x : v) s.sd += (x - s.mean) * (x - s.mean);
    s.sd = std::sqrt(s.sd / static_cast<double>(v.size() - 1));
  }
  return s;
}

uint64_t PeakRssBytes() {
  struct rusage u {};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<uint64_t>(u.ru_maxrss) * 1024;
}

int RunBench(const BenchArgs& args, const CliContext& ctx) {
  if (args.n_prompt < 0 || args.n_gen < 0 || args.n_prompt + args.n_gen == 0) {
    return Fail("bench: -p and -n must be >= 0 and not both 0");
  }
  if (args.reps < 1) return Fail(fmt::format("bench: -r {} must be >= 1", args.reps));
  CommonArgs common = args.common;
  if (common.ctx == 0) common.ctx = std::max(args.n_prompt, args.n_gen);
  SessionOptions o;
  o.n_batch = std::max<int64_t>(1, std::min<int64_t>(args.n_prompt, 512));
  auto loaded = LoadModel(common, ctx, o);
  if (!loaded.ok()) return Fail(loaded.status().message());
  Session& s = *loaded->session;
  const Model& m = *loaded->model;
  const int32_t n_vocab = static_cast<int32_t>(m.hparams().n_vocab);
  std::mt19937 rng(1234);
  auto random_tokens = [&](int64_t n) {
    std::vector<int32_t> t(static_cast<size_t>(n));
    for (auto& id : t) id = static_cast<int32_t>(rng() % static_cast<uint32_t>(n_vocab));
    return t;
  };
  struct Test {
    std::string name;
    int64_t n;
    bool prompt;
  };
  std::vector<Test> tests;
  if (args.n_prompt > 0) tests.push_back({fmt::format("pp{}", args.n_prompt), args.n_prompt, true});
  if (args.n_gen > 0) tests.push_back({fmt::format("tg{}", args.n_gen), args.n_gen, false});

  nlohmann::json out = nlohmann::json::array();
  std::string table = fmt::format("| {:<24} | {:>10} | {:>8} | {:>7} | {:>8} | {:>18} |\n", "model", "size", "params",
                                   "threads", "test", "t/s");
  table += fmt::format("| {:-<24} | {:->10} | {:->8} | {:->7} | {:->8} | {:->18} |\n", "", "", "", "", "", "");
  const std::string model_name = fmt::format("{} {}", m.hparams().arch, m.dominant_type());
  for (const Test& t : tests) {
    std::vector<double> rates;
    for (int r = -1; r < args.reps; ++r) {  // r == -1: warm-up, not counted
      s.Reset();
      const std::vector<int32_t> tokens = random_tokens(t.n);
      const auto start = std::chrono::steady_clock::now();
      if (t.prompt) {
        Status st = s.Evaluate(tokens);
        if (!st.ok()) return Fail(st.message());
      } else {
        for (int32_t id : tokens) {
          Status st = s.Evaluate({&id, 1});
          if (!st.ok()) return Fail(st.message());
        }
      }
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (r >= 0) rates.push_back(static_cast<double>(t.n) / secs);
    }
    const Stat st = MeanSd(rates);
    out.push_back({{"test", t.name}, {"tokens_per_second", st.mean}, {"stddev", st.sd}, {"threads", s.n_threads()},
                   {"model_size", m.weight_bytes()}, {"model_params", m.n_params()}, {"model_type", m.dominant_type()},
                   {"load_ms", loaded->load_ms}, {"peak_rss_bytes", PeakRssBytes()}});
    table += fmt::format("| {:<24} | {:>6.2f} GiB | {:>6.2f} B | {:>7} | {:>8} | {:>9.2f} ± {:>6.2f} |\n", model_name,
                         static_cast<double>(m.weight_bytes()) / (1 << 30), static_cast<double>(m.n_params()) / 1e9,
                         s.n_threads(), t.name, st.mean, st.sd);
  }
  if (args.json) {
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    std::fputs(table.c_str(), stdout);
    std::printf("\nload %.0f ms, peak RSS %s, plan %s\n", loaded->load_ms, engine::FormatPlanBytes(PeakRssBytes()).c_str(),
                engine::FormatPlanBytes(s.plan().Total()).c_str());
  }
  return 0;
}

}  // namespace

void RegisterRunCommands(CLI::App& app, CliContext& ctx) {
  auto run = std::make_shared<RunArgs>();
  CLI::App* r = app.add_subcommand("run", "Generate text with a GGUF model");
  AddCommon(r, run->common);
  r->add_option("-p,--prompt", run->prompt, "prompt text (with -i: the system message)");
  r->add_option("-n,--n-predict", run->n_predict, "tokens to generate at most")->capture_default_str();
  r->add_option("--temp", run->temp, "temperature (0: greedy)")->capture_default_str();
  r->add_option("--seed", run->seed, "random seed (default: random)");
  r->add_option("--top-k", run->top_k, "top-k (0: off)")->capture_default_str();
  r->add_option("--top-p", run->top_p, "top-p (1: off)")->capture_default_str();
  r->add_option("--min-p", run->min_p, "min-p (0: off)")->capture_default_str();
  r->add_option("--repeat-penalty", run->repeat_penalty, "repetition penalty (1: off)")->capture_default_str();
  r->add_option("--stop", run->stops, "stop string (repeatable)");
  r->add_flag("-i,--interactive", run->interactive, "chat using the model's chat template");
  r->callback([run, &ctx]() { ctx.exit_code = RunRun(*run, ctx); });

  auto eval = std::make_shared<EvalArgs>();
  CLI::App* e = app.add_subcommand("eval", "Score token sequences (log-probabilities, perplexity)");
  AddCommon(e, eval->common);
  e->add_option("--ids", eval->ids, "JSON array of token ids to score");
  e->add_option("--file", eval->file, "text file: perplexity over its tokens");
  e->add_flag("--json", eval->json, "print JSON");
  e->callback([eval, &ctx]() { ctx.exit_code = RunEval(*eval, ctx); });

  auto bench = std::make_shared<BenchArgs>();
  CLI::App* b = app.add_subcommand("bench", "Measure prompt processing and generation speed");
  AddCommon(b, bench->common);
  b->add_option("-p,--n-prompt", bench->n_prompt, "prompt tokens (pp test; 0: skip)")->capture_default_str();
  b->add_option("-n,--n-gen", bench->n_gen, "generated tokens (tg test; 0: skip)")->capture_default_str();
  b->add_option("-r,--repetitions", bench->reps, "repetitions per test")->capture_default_str();
  b->add_flag("--json", bench->json, "print a JSON array");
  b->callback([bench, &ctx]() { ctx.exit_code = RunBench(*bench, ctx); });
}

}  // namespace hearth::cli
