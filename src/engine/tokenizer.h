// Tokenizer: text <-> token ids for a Vocabulary, exactly as the model was
// trained (bit-compatible with llama.cpp, which is checked against the
// original Hugging Face tokenizers).
//
//   SentencePiece ("llama"): spaces become U+2581, an optional leading space,
//     bigram merges by score, unknown pieces fall back to <0xXX> byte tokens.
//   Byte-level BPE ("gpt2"): a pre-tokenizer chosen by tokenizer.ggml.pre
//     splits words, bytes map to printable characters, merges by rank.
//   WordPiece ("bert"): BERT's basic tokenizer (lowercase, strip accents,
//     split punctuation and CJK), greedy longest match, [UNK] per word.
//
// Special tokens (control, user-defined, unknown) are cut out of the text
// first: user-defined ones always, control and unknown ones only with
// parse_special, so user text cannot inject control tokens by default.
//
// Thread-safety: a Tokenizer is immutable; any number of threads may call
// its const methods. A StreamDecoder is for one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "engine/vocab.h"

namespace hearth::engine {

class GgufFile;

struct DetokenizeOptions {
  // Drop a leading BOS / trailing EOS that add_bos/add_eos would have added.
  bool remove_special = false;
  // Render control and unknown tokens as their text (otherwise they vanish).
  bool unparse_special = false;
};

class Tokenizer {
 public:
  explicit Tokenizer(Vocabulary vocab);
  // LoadVocabulary(file), then a Tokenizer over it.
  static Result<Tokenizer> FromGguf(const GgufFile& file);

  const Vocabulary& vocab() const { return *vocab_; }

  // Encodes `text` (any bytes; invalid UTF-8 is handled like the reference:
  // byte tokens for SentencePiece, U+FFFD for BPE and WordPiece).
  // add_special: add BOS/EOS (and WordPiece's [CLS]/[SEP]) as the metadata
  // says. parse_special: recognize control tokens written in the text.
  std::vector<TokenId> Tokenize(std::string_view text, bool add_special, bool parse_special = false) const;

  // The bytes token `id` stands for. Control and unknown tokens give their
  // text when `special`, otherwise nothing; an invalid id gives nothing.
  std::string_view TokenToPiece(TokenId id, bool special = true) const;

  // The text of `tokens`: the pieces joined, the SentencePiece leading space
  // removed, and, for vocabularies whose reference does so, spaces before
  // punctuation cleaned up (" ," -> ","). InvalidArgument names the first
  // id outside the vocabulary and its position.
  Result<std::string> Detokenize(std::span<const TokenId> tokens, DetokenizeOptions options = {}) const;

 private:
  struct Fragment {
    bool is_token;
    TokenId token;
    size_t offset;  // raw text [offset, offset + length) when !is_token
    size_t length;
  };
  // Splits text around special tokens (the reference's partition order:
  // longest token first, leftmost non-overlapping occurrences).
  std::vector<Fragment> Partition(std::string_view text, bool parse_special) const;

  std::shared_ptr<const Vocabulary> vocab_;  // shared so Tokenizer stays cheap to copy
  std::shared_ptr<const std::vector<std::string>> pieces_;
  // Trie over special-token texts: child of (node, byte) -> node.
  struct SpecialTrie {
    std::unordered_map<uint64_t, int32_t> children;
    std::vector<int32_t> terminal;  // per node: index into special_tokens(), or -1
    bool first_byte[256] = {};
  };
  std::shared_ptr<const SpecialTrie> trie_;
};

// Turns generated tokens into text as they arrive, emitting text only once
// its UTF-8 is complete (a character may span several byte tokens). Bytes
// that can never form valid UTF-8 are emitted as U+FFFD.
class StreamDecoder {
 public:
  explicit StreamDecoder(const Tokenizer& tokenizer, bool special = false)
      : tokenizer_(tokenizer), special_(special) {}

  // Returns the text that became complete with `id` (possibly empty).
  // InvalidArgument for an id outside the vocabulary (nothing is consumed).
  Result<std::string> Push(TokenId id);
  // Returns what is left (an incomplete sequence becomes U+FFFD) and resets.
  std::string Finish();
  size_t pending_bytes() const { return pending_.size(); }

 private:
  const Tokenizer& tokenizer_;
  bool special_;
  std::string pending_;
};

// ---- algorithm entry points (tokenizer_{spm,bpe,wpm}.cpp), for tests ----
namespace tokenizer_detail {
// SentencePiece merges over `text`, whose spaces are already U+2581.
void TokenizeSpm(const Vocabulary& vocab, std::string_view text, std::vector<TokenId>* out);

// Byte-level BPE over raw text: pre-tokenize, byte-encode, merge. `cache`
// memoizes words within one call.
using BpeWordCache = std::unordered_map<std::string, std::vector<TokenId>>;
void TokenizeBpe(const Vocabulary& vocab, std::string_view text, BpeWordCache* cache, std::vector<TokenId>* out);

// WordPiece over raw text.
void TokenizeWpm(const Vocabulary& vocab, std::string_view text, std::vector<TokenId>* out);
// BERT's basic tokenizer: the words WordPiece then splits.
std::vector<std::string> WpmWords(const Vocabulary& vocab, std::string_view text);
}  // namespace tokenizer_detail

}  // namespace hearth::engine
