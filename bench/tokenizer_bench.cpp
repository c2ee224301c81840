// Tokenizer throughput per vocabulary on 1 MiB texts.
//
//   build/release/bench/tokenizer_bench [--benchmark_filter=...]
//
// Two texts: "mixed" repeats the fixture texts of ../shared/fixtures/vocab
// (multilingual, emoji, whitespace runs, digits) and "prose" is generated
// English-like words with punctuation. Needs ../shared; vocabularies that are
// absent are reported as errors, not measured.
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "engine/gguf.h"
#include "engine/tokenizer.h"

namespace {

using hearth::engine::GgufFile;
using hearth::engine::Tokenizer;

constexpr size_t kTextBytes = 1 << 20;
const std::filesystem::path kVocabDir = std::filesystem::path(HEARTH_SHARED_DIR) / "fixtures" / "vocab";

std::string MixedText() {
  std::ifstream in(kVocabDir / "ggml-vocab-gpt-2.gguf.inp", std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string unit = ss.str();
  // The separator lines are not text; drop them.
  const std::string sep = "__ggml_vocab_test__\n";
  for (size_t p = unit.find(sep); p != std::string::npos; p = unit.find(sep, p)) unit.erase(p, sep.size());
  if (unit.empty()) unit = "Hello world. ";
  std::string text;
  while (text.size() < kTextBytes) text += unit;
  text.resize(kTextBytes);
  while (!text.empty() && (static_cast<unsigned char>(text.back()) & 0xC0) == 0x80) text.pop_back();  // whole chars
  if (!text.empty() && static_cast<unsigned char>(text.back()) >= 0xC0) text.pop_back();
  return text;
}

std::string ProseText() {
  static const char* kWords[] = {"the", "of", "and", "a", "to", "in", "is", "you", "that", "it", "he", "was",
                                 "for", "on", "are", "as", "with", "his", "they", "I", "at", "be", "this",
                                 "have", "from", "kitchen", "remember", "garden", "Tuesday", "photographs",
                                 "2024", "appointment", "doctor's", "Grandmother", "recipe", "bicycle"};
  std::mt19937 rng(42);
  std::uniform_int_distribution<size_t> pick(0, std::size(kWords) - 1);
  std::uniform_int_distribution<int> punct(0, 19);
  std::string text;
  while (text.size() < kTextBytes) {
    text += kWords[pick(rng)];
    const int p = punct(rng);
    text += p == 0 ? ". " : p == 1 ? ", " : p == 2 ? "\n\n" : " ";
  }
  text.resize(kTextBytes);
  return text;
}

const std::string& Text(int which) {
  static const std::string mixed = MixedText();
  static const std::string prose = ProseText();
  return which == 0 ? mixed : prose;
}

std::shared_ptr<Tokenizer> Load(const std::string& name) {
  auto file = GgufFile::Open((kVocabDir / ("ggml-vocab-" + name + ".gguf")).string());
  if (!file.ok()) return nullptr;
  auto tok = Tokenizer::FromGguf(**file);
  if (!tok.ok()) return nullptr;
  return std::make_shared<Tokenizer>(std::move(tok).value());
}

void BM_Tokenize(benchmark::State& state, const std::string& vocab, int which) {
  const std::shared_ptr<Tokenizer> tok = Load(vocab);
  if (tok == nullptr) {
    state.SkipWithError(("vocabulary not available: " + vocab).c_str());
    return;
  }
  const std::string& text = Text(which);
  size_t n_tokens = 0;
  for (auto _ : state) {
    const std::vector<hearth::engine::TokenId> ids = tok->Tokenize(text, false);
    n_tokens = ids.size();
    benchmark::DoNotOptimize(ids.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.counters["tokens"] = static_cast<double>(n_tokens);
}

void BM_Detokenize(benchmark::State& state, const std::string& vocab) {
  const std::shared_ptr<Tokenizer> tok = Load(vocab);
  if (tok == nullptr) {
    state.SkipWithError(("vocabulary not available: " + vocab).c_str());
    return;
  }
  const std::vector<hearth::engine::TokenId> ids = tok->Tokenize(Text(1), false);
  for (auto _ : state) {
    auto text = tok->Detokenize(ids);
    benchmark::DoNotOptimize(text.ok());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * Text(1).size()));
}

int Register() {
  for (const char* vocab : {"llama-spm", "phi-3", "gpt-2", "deepseek-llm", "deepseek-coder", "falcon", "starcoder",
                            "bert-bge"}) {
    for (int which : {0, 1}) {
      benchmark::RegisterBenchmark((std::string("Tokenize1MiB/") + vocab + (which == 0 ? "/mixed" : "/prose")).c_str(),
                                   BM_Tokenize, std::string(vocab), which)
          ->Unit(benchmark::kMillisecond)
          ->MinTime(0.5);
    }
    benchmark::RegisterBenchmark((std::string("Detokenize1MiB/") + vocab).c_str(), BM_Detokenize, std::string(vocab))
        ->Unit(benchmark::kMillisecond);
  }
  return 0;
}
const int kRegistered = Register();

}  // namespace

BENCHMARK_MAIN();
