// Vocabulary: a model's tokens and the rules for using them, read from the
// `tokenizer.ggml.*` metadata of a GGUF file.
//
// Building a Vocabulary validates the metadata up front (array lengths agree,
// no duplicate tokens, merges are "left right", special ids lie inside the
// vocabulary, add_bos/add_eos have a token to add) and resolves the defaults
// the reference (llama.cpp) applies per tokenizer model and pre-tokenizer, so
// that a Tokenizer over it never has to guess. Errors name the metadata key
// and, where one is at fault, the array index.
//
// Thread-safety: immutable after Build(); any number of threads may read it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "engine/pretokenizer.h"

namespace hearth::engine {

class GgufFile;

using TokenId = int32_t;
inline constexpr TokenId kNoToken = -1;

// tokenizer.ggml.model: "llama" (SentencePiece), "gpt2" (byte-level BPE),
// "bert" (WordPiece).
enum class VocabType { kSpm, kBpe, kWpm };
std::string_view VocabTypeName(VocabType type);

// tokenizer.ggml.token_type values.
enum class TokenType : uint8_t {
  kUndefined = 0,
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6,
};

struct TokenData {
  std::string text;
  float score = 0.0f;
  TokenType type = TokenType::kNormal;
  // For special tokens found in text: drop whitespace on that side of them.
  bool lstrip = false;
  bool rstrip = false;
};

// The metadata a Vocabulary is built from, as GGUF stores it. Optional
// fields take the reference's default for the model when absent.
struct VocabularySpec {
  std::string model;                 // tokenizer.ggml.model
  std::string pre;                   // tokenizer.ggml.pre ("" = default)
  std::string name;                  // general.name (a few models' quirks key on it)
  std::vector<std::string> tokens;   // tokenizer.ggml.tokens
  std::vector<float> scores;         // tokenizer.ggml.scores: empty or one per token
  std::vector<int64_t> token_types;  // tokenizer.ggml.token_type: empty or one per token
  std::vector<std::string> merges;   // tokenizer.ggml.merges ("left right"), BPE only
  std::optional<int64_t> bos, eos, unk, sep, pad, cls, mask, eot, eom;
  std::optional<bool> add_bos, add_eos, add_sep, add_space_prefix;
  std::optional<bool> lowercase, strip_accents;  // tokenizer.ggml.normalizer.* (WordPiece)
};

class Vocabulary {
 public:
  // Validates `spec` and resolves defaults. InvalidArgument names the
  // offending metadata key (and index); Unimplemented names a tokenizer
  // model or pre-tokenizer we do not support.
  static Result<Vocabulary> Build(VocabularySpec spec);

  VocabType type() const { return type_; }
  PreTokenizerKind pre() const { return pre_; }
  const std::string& model_name() const { return model_name_; }  // tokenizer.ggml.model
  const std::string& pre_name() const { return pre_name_; }      // tokenizer.ggml.pre

  size_t size() const { return tokens_.size(); }
  bool IsValid(TokenId id) const { return id >= 0 && static_cast<size_t>(id) < tokens_.size(); }
  // Precondition: IsValid(id).
  const TokenData& token(TokenId id) const { return tokens_[static_cast<size_t>(id)]; }
  // The id of the token whose text is exactly `text`, or kNoToken.
  TokenId Find(std::string_view text) const;
  // The merge rank of (left, right), lower merges first; -1 if they do not
  // merge. `scratch` is caller-owned working memory.
  int MergeRank(std::string_view left, std::string_view right, std::string* scratch) const;
  // The token for a raw byte: <0xXX> (SentencePiece) or the byte-level
  // character (BPE); kNoToken when the vocabulary has none.
  TokenId ByteToken(uint8_t byte) const { return byte_tokens_[byte]; }
  // The byte a kByte token stands for; -1 for other tokens.
  int TokenByte(TokenId id) const;
  size_t max_token_length() const { return max_token_length_; }

  // Special ids; kNoToken when the model has none.
  TokenId bos() const { return bos_; }
  TokenId eos() const { return eos_; }
  TokenId unk() const { return unk_; }
  TokenId sep() const { return sep_; }
  TokenId pad() const { return pad_; }
  TokenId cls() const { return cls_; }
  TokenId mask() const { return mask_; }
  TokenId eot() const { return eot_; }
  TokenId eom() const { return eom_; }
  // True for tokens that end generation (eos, eot, eom and their kin).
  bool IsEndOfGeneration(TokenId id) const;

  bool add_bos() const { return add_bos_; }
  bool add_eos() const { return add_eos_; }
  bool add_sep() const { return add_sep_; }
  bool add_space_prefix() const { return add_space_prefix_; }
  bool ignore_merges() const { return ignore_merges_; }  // whole-word tokens skip merging (Llama 3)
  bool clean_spaces() const { return clean_spaces_; }    // detokenizer removes " ," etc.
  bool lowercase() const { return lowercase_; }          // WordPiece normalizer
  bool strip_accents() const { return strip_accents_; }  // WordPiece normalizer
  // SentencePiece: every U+2581 in every token is part of a leading run of
  // them, so no token spans "x" followed by U+2581 (lets merging go word by word).
  bool spaces_lead_tokens() const { return spaces_lead_tokens_; }

  // Control, user-defined and unknown tokens, longest text first: the order
  // in which they are cut out of text before tokenizing.
  const std::vector<TokenId>& special_tokens() const { return special_tokens_; }

 private:
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using StringMap = std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>>;

  Vocabulary() = default;

  VocabType type_ = VocabType::kSpm;
  PreTokenizerKind pre_ = PreTokenizerKind::kDefault;
  std::string model_name_;
  std::string pre_name_;
  std::vector<TokenData> tokens_;
  StringMap token_to_id_;
  StringMap merge_ranks_;  // key: "left right"
  std::vector<TokenId> byte_tokens_ = std::vector<TokenId>(256, kNoToken);
  std::vector<TokenId> special_tokens_;
  std::vector<TokenId> end_of_generation_;
  size_t max_token_length_ = 0;
  TokenId bos_ = kNoToken, eos_ = kNoToken, unk_ = kNoToken, sep_ = kNoToken, pad_ = kNoToken;
  TokenId cls_ = kNoToken, mask_ = kNoToken, eot_ = kNoToken, eom_ = kNoToken;
  bool add_bos_ = false, add_eos_ = false, add_sep_ = false, add_space_prefix_ = false;
  bool ignore_merges_ = false, clean_spaces_ = false, lowercase_ = true, strip_accents_ = true;
  bool spaces_lead_tokens_ = false;
};

// Reads the VocabularySpec from `file`'s metadata and builds it. Errors are
// prefixed with the file's path.
Result<VocabularySpec> ReadVocabularySpec(const GgufFile& file);
Result<Vocabulary> LoadVocabulary(const GgufFile& file);

}  // namespace hearth::engine
