// Pre-tokenizers of byte-level BPE vocabularies: split text into words
// before merges run, exactly as the reference (llama.cpp, and the Hugging
// Face tokenizers its tests compare with) does for `tokenizer.ggml.pre`.
//
// Each kind is a fixed sequence of regular expressions; every expression
// splits each piece the previous one produced into its matches and the gaps
// between them. We do not run a regex engine: each expression is a
// hand-written matcher over Unicode categories that reproduces the
// expression's ECMAScript semantics (ordered alternation, greedy repetition
// with backtracking) on the inputs it can see. The expressions are quoted
// beside their matchers in pretokenizer.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hearth::engine {

enum class PreTokenizerKind {
  kDefault,        // "default" or no tokenizer.ggml.pre
  kGpt2,           // "gpt-2", "mpt", "olmo", ...
  kLlama3,         // "llama-bpe", "llama3", "dbrx", "smaug-bpe", ...
  kQwen2,          // "qwen2", "stablelm2", "deepseek-r1-qwen", ...
  kDeepseekLlm,    // "deepseek-llm"
  kDeepseekCoder,  // "deepseek-coder"
  kFalcon,         // "falcon"
  kStarcoder,      // "starcoder", "refact", "command-r", "smollm", ...
};

std::string_view PreTokenizerName(PreTokenizerKind kind);

// Splits `text` into words. Invalid UTF-8 bytes become U+FFFD first (as in
// the reference), so the words' concatenation equals `text` only when
// `text` is valid UTF-8. Words are never empty.
std::vector<std::string> PreTokenize(PreTokenizerKind kind, std::string_view text);

// The same split, as lengths in code points of `cpts` (for tests and
// callers that already decoded the text).
std::vector<size_t> PreTokenizeCodepoints(PreTokenizerKind kind, const std::vector<uint32_t>& cpts);

}  // namespace hearth::engine
