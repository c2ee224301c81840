#include "engine/vocab.h"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "common/log.h"
#include "engine/gguf.h"
#include "engine/unicode.h"

namespace hearth::engine {
namespace {

constexpr std::string_view kTokensKey = "tokenizer.ggml.tokens";
constexpr std::string_view kScoresKey = "tokenizer.ggml.scores";
constexpr std::string_view kTypesKey = "tokenizer.ggml.token_type";
constexpr std::string_view kMergesKey = "tokenizer.ggml.merges";

// What a tokenizer.ggml.pre name means, following the reference's table.
struct PreInfo {
  std::string_view name;
  PreTokenizerKind kind;
  bool clean_spaces;
  bool ignore_merges = false;
  bool add_bos = false;
  bool add_sep = false;
};

constexpr PreInfo kPreTable[] = {
    {"default", PreTokenizerKind::kDefault, true},
    {"llama3", PreTokenizerKind::kLlama3, true, true, true},
    {"llama-v3", PreTokenizerKind::kLlama3, true, true, true},
    {"llama-bpe", PreTokenizerKind::kLlama3, true, true, true},
    {"falcon3", PreTokenizerKind::kLlama3, true, true, true},
    {"falcon-h1", PreTokenizerKind::kLlama3, true, true, true},
    {"pixtral", PreTokenizerKind::kLlama3, true, true, true},
    {"midm-2.0", PreTokenizerKind::kLlama3, true, true, true},
    {"lfm2", PreTokenizerKind::kLlama3, true, true, true},
    {"dbrx", PreTokenizerKind::kLlama3, true},
    {"smaug-bpe", PreTokenizerKind::kLlama3, true},
    {"deepseek-llm", PreTokenizerKind::kDeepseekLlm, false},
    {"deepseek-coder", PreTokenizerKind::kDeepseekCoder, false},
    {"falcon", PreTokenizerKind::kFalcon, true},
    {"mpt", PreTokenizerKind::kGpt2, true},
    {"olmo", PreTokenizerKind::kGpt2, true},
    {"jais", PreTokenizerKind::kGpt2, true},
    {"gpt-2", PreTokenizerKind::kGpt2, true},
    {"phi-2", PreTokenizerKind::kGpt2, true},
    {"jina-es", PreTokenizerKind::kGpt2, true},
    {"jina-de", PreTokenizerKind::kGpt2, true},
    {"gigachat", PreTokenizerKind::kGpt2, true},
    {"jina-v2-es", PreTokenizerKind::kGpt2, true},
    {"jina-v2-de", PreTokenizerKind::kGpt2, true},
    {"a.x-4.0", PreTokenizerKind::kGpt2, true},
    {"mellum", PreTokenizerKind::kGpt2, true},
    {"modern-bert", PreTokenizerKind::kGpt2, true},
    {"exaone4", PreTokenizerKind::kGpt2, true},
    {"trillion", PreTokenizerKind::kGpt2, false},
    {"granite-docling", PreTokenizerKind::kGpt2, false},
    {"jina-v1-en", PreTokenizerKind::kGpt2, true, false, false, true},
    {"jina-v2-code", PreTokenizerKind::kGpt2, true, false, false, true},
    {"roberta-bpe", PreTokenizerKind::kGpt2, true, false, false, true},
    {"starcoder", PreTokenizerKind::kStarcoder, true},
    {"refact", PreTokenizerKind::kStarcoder, true},
    {"command-r", PreTokenizerKind::kStarcoder, false},
    {"smollm", PreTokenizerKind::kStarcoder, false},
    {"codeshell", PreTokenizerKind::kStarcoder, true},
    {"exaone", PreTokenizerKind::kStarcoder, true},
    {"minerva-7b", PreTokenizerKind::kStarcoder, true},
    {"mellum2", PreTokenizerKind::kStarcoder, true},
    {"qwen2", PreTokenizerKind::kQwen2, false},
    {"deepseek-r1-qwen", PreTokenizerKind::kQwen2, false},
    {"kormo", PreTokenizerKind::kQwen2, false},
    {"f2llmv2", PreTokenizerKind::kQwen2, false},
    {"hunyuan", PreTokenizerKind::kQwen2, false},
    {"solar-open", PreTokenizerKind::kQwen2, false},
    {"stablelm2", PreTokenizerKind::kQwen2, true},
    {"megrez", PreTokenizerKind::kQwen2, true},
};

// Token texts the reference always treats as control tokens that end
// generation, whatever their stored type.
constexpr std::string_view kEndOfGenerationTexts[] = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|eom_id|>", "<EOT>", "_<EOT>",
    "<|end_of_text|>", "<end_of_utterance>", "<\xef\xbd\x9c" "end\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>",
};
// Of those, the ones the reference picks as the end-of-turn token.
constexpr std::string_view kEndOfTurnTexts[] = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>", "<EOT>", "_<EOT>",
    "<\xef\xbd\x9c" "end\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>", "<end_of_utterance>",
};

bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Resolves one special id: metadata wins and must be in range; a default
// outside the vocabulary is dropped (as the reference does).
Status ResolveSpecial(const std::optional<int64_t>& given, std::string_view key, TokenId fallback, size_t n_tokens,
                      TokenId* out) {
  if (given.has_value()) {
    if (*given < 0 || static_cast<uint64_t>(*given) >= n_tokens) {
      return Status::InvalidArgument(
          fmt::format("metadata '{}' = {} is outside the vocabulary [0, {})", key, *given, n_tokens));
    }
    *out = static_cast<TokenId>(*given);
    return Status::Ok();
  }
  *out = (fallback >= 0 && static_cast<size_t>(fallback) < n_tokens) ? fallback : kNoToken;
  return Status::Ok();
}

}  // namespace

std::string_view VocabTypeName(VocabType type) {
  switch (type) {
    case VocabType::kSpm: return "spm";
    case VocabType::kBpe: return "bpe";
    case VocabType::kWpm: return "wpm";
  }
  return "unknown";
}

Result<Vocabulary> Vocabulary::Build(VocabularySpec spec) {
  Vocabulary v;
  v.model_name_ = spec.model;
  v.pre_name_ = spec.pre;
  const size_t n = spec.tokens.size();
  if (n == 0) return Status::InvalidArgument(fmt::format("metadata '{}' is empty", kTokensKey));
  if (n > static_cast<size_t>(INT32_MAX)) {
    return Status::InvalidArgument(fmt::format("metadata '{}' has {} tokens, more than token ids can hold", kTokensKey, n));
  }
  if (!spec.scores.empty() && spec.scores.size() != n) {
    return Status::InvalidArgument(fmt::format("metadata '{}' has {} entries but '{}' has {}", kScoresKey,
                                               spec.scores.size(), kTokensKey, n));
  }
  if (!spec.token_types.empty() && spec.token_types.size() != n) {
    return Status::InvalidArgument(fmt::format("metadata '{}' has {} entries but '{}' has {}", kTypesKey,
                                               spec.token_types.size(), kTokensKey, n));
  }

  // Per-model defaults (the reference's), before metadata overrides them.
  TokenId def_bos = kNoToken, def_eos = kNoToken, def_unk = kNoToken, def_sep = kNoToken, def_pad = kNoToken;
  TokenId def_mask = kNoToken;
  if (spec.model == "llama") {
    v.type_ = VocabType::kSpm;
    def_bos = 1, def_eos = 2, def_unk = 0;
    v.add_space_prefix_ = true;
    v.add_bos_ = true;
    v.clean_spaces_ = false;
  } else if (spec.model == "bert") {
    v.type_ = VocabType::kWpm;
    def_bos = 101, def_unk = 100, def_sep = 102, def_pad = 0, def_mask = 103;
    v.add_bos_ = true;
    v.add_sep_ = true;
    v.clean_spaces_ = true;
  } else if (spec.model == "gpt2") {
    v.type_ = VocabType::kBpe;
    def_bos = 11, def_eos = 11;
    const PreInfo* info = nullptr;
    const std::string_view pre = spec.pre.empty() ? "default" : std::string_view(spec.pre);
    for (const PreInfo& p : kPreTable) {
      if (p.name == pre) info = &p;
    }
    if (info == nullptr) {
      return Status::Unimplemented(fmt::format("metadata 'tokenizer.ggml.pre' = '{}' names a pre-tokenizer Hearth does not support", spec.pre));
    }
    if (spec.pre.empty()) log::Warn("engine", "vocabulary has no tokenizer.ggml.pre; using the default pre-tokenizer");
    v.pre_ = info->kind;
    v.clean_spaces_ = info->clean_spaces;
    v.ignore_merges_ = info->ignore_merges;
    v.add_bos_ = info->add_bos;
    v.add_sep_ = info->add_sep;
  } else if (spec.model.empty()) {
    return Status::InvalidArgument("metadata 'tokenizer.ggml.model' is missing");
  } else {
    return Status::Unimplemented(fmt::format(
        "metadata 'tokenizer.ggml.model' = '{}' is not supported (supported: llama, gpt2, bert)", spec.model));
  }

  // Tokens.
  v.tokens_.resize(n);
  v.token_to_id_.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    TokenData& t = v.tokens_[i];
    t.text = std::move(spec.tokens[i]);
    if (t.text.empty()) t.text = fmt::format("[EMPTY_{}]", i);  // the reference's placeholder
    t.score = spec.scores.empty() ? 0.0f : spec.scores[i];
    if (!spec.token_types.empty()) {
      const int64_t type = spec.token_types[i];
      t.type = (type >= 1 && type <= 6) ? static_cast<TokenType>(type) : TokenType::kUndefined;
    }
    const auto [it, inserted] = v.token_to_id_.emplace(t.text, static_cast<int32_t>(i));
    if (!inserted) {
      return Status::InvalidArgument(
          fmt::format("metadata '{}': token {} duplicates token {} (the same text)", kTokensKey, i, it->second));
    }
    v.max_token_length_ = std::max(v.max_token_length_, t.text.size());
  }

  // Merges.
  if (v.type_ == VocabType::kBpe) {
    if (spec.merges.empty()) return Status::InvalidArgument(fmt::format("metadata '{}' is missing or empty", kMergesKey));
    v.merge_ranks_.reserve(spec.merges.size());
    for (size_t i = 0; i < spec.merges.size(); ++i) {
      const std::string& m = spec.merges[i];
      const size_t space = m.size() > 1 ? m.find(' ', 1) : std::string::npos;
      if (space == std::string::npos || space + 1 >= m.size()) {
        return Status::InvalidArgument(fmt::format("metadata '{}'[{}] is not of the form 'left right'", kMergesKey, i));
      }
      v.merge_ranks_.emplace(m, static_cast<int32_t>(i));  // the first rank of a repeated merge wins
    }
  }

  // Byte tokens.
  for (int b = 0; b < 256; ++b) {
    TokenId id = kNoToken;
    if (v.type_ == VocabType::kSpm) {
      id = v.Find(fmt::format("<0x{:02X}>", b));
      if (id == kNoToken) id = v.Find(std::string(1, static_cast<char>(b)));
    } else if (v.type_ == VocabType::kBpe) {
      id = v.Find(unicode::ByteToUtf8(static_cast<uint8_t>(b)));
    }
    v.byte_tokens_[static_cast<size_t>(b)] = id;
  }

  // Special ids and flags.
  HEARTH_RETURN_IF_ERROR(ResolveSpecial(spec.bos, "tokenizer.ggml.bos_token_id", def_bos, n, &v.bos_));
  HEARTH_RETURN_IF_ERROR(ResolveSpecial(spec.eos, "tokenizer.ggml.eos_token_id", def_eos, n, &v.eos_));
  HEARTH_RETURN_IF_ERROR(ResolveSpecial(spec.unk, "tokenizer.ggml.unknown_token_id", def_unk, n, &v.unk_));
  HEARTH_RETURN_IF_ERROR(ResolveSpecial(spec.sep, "tokenizer.ggml.seperator_token_id", def_sep, n, &v.sep_));
  HEARTH_RETURN_IF_ERROR(ResolveSpecial(spec.pad, "tokenizer.ggml.padding_token_id", def_pad, n, &v.pad_));
  HEARTH_RETURN_IF_ERROR(ResolveSpecial(spec.cls, "tokenizer.ggml.cls_token_id", kNoToken, n, &v.cls_));
  HEARTH_RETURN_IF_ERROR(ResolveSpecial(spec.mask, "tokenizer.ggml.mask_token_id", def_mask, n, &v.mask_));
  HEARTH_RETURN_IF_ERROR(ResolveSpecial(spec.eot, "tokenizer.ggml.eot_token_id", kNoToken, n, &v.eot_));
  HEARTH_RETURN_IF_ERROR(ResolveSpecial(spec.eom, "tokenizer.ggml.eom_token_id", kNoToken, n, &v.eom_));
  // WordPiece starts a sequence with [CLS].
  if (v.type_ == VocabType::kWpm && !spec.bos.has_value() && v.cls_ != kNoToken) v.bos_ = v.cls_;
  if (v.cls_ == kNoToken && v.type_ == VocabType::kWpm) v.cls_ = v.bos_;

  if (spec.add_bos.has_value()) v.add_bos_ = *spec.add_bos;
  if (spec.add_eos.has_value()) v.add_eos_ = *spec.add_eos;
  if (spec.add_sep.has_value()) v.add_sep_ = *spec.add_sep;
  if (spec.add_space_prefix.has_value()) v.add_space_prefix_ = *spec.add_space_prefix;
  if (v.type_ == VocabType::kBpe) v.add_space_prefix_ = false;  // byte-level BPE has no space prefix
  if (v.add_bos_ && v.bos_ == kNoToken) {
    return Status::InvalidArgument("metadata 'tokenizer.ggml.add_bos_token' is true, but the vocabulary has no BOS token");
  }
  if (v.add_eos_ && v.eos_ == kNoToken) {
    return Status::InvalidArgument("metadata 'tokenizer.ggml.add_eos_token' is true, but the vocabulary has no EOS token");
  }
  if (v.add_sep_ && v.sep_ == kNoToken && v.type_ == VocabType::kWpm) {
    return Status::InvalidArgument("metadata 'tokenizer.ggml.add_sep_token' is true, but the vocabulary has no SEP token");
  }
  if (spec.lowercase.has_value()) v.lowercase_ = *spec.lowercase;
  v.strip_accents_ = spec.strip_accents.value_or(v.lowercase_);

  // Tokens the reference recognizes by text as end-of-turn / end-of-generation
  // become control tokens, so text never produces them by accident.
  for (size_t i = 0; i < n; ++i) {
    TokenData& t = v.tokens_[i];
    const bool eog = std::find(std::begin(kEndOfGenerationTexts), std::end(kEndOfGenerationTexts), t.text) !=
                     std::end(kEndOfGenerationTexts);
    const bool eot = std::find(std::begin(kEndOfTurnTexts), std::end(kEndOfTurnTexts), t.text) != std::end(kEndOfTurnTexts);
    if (eot && v.eot_ == kNoToken && !spec.eot.has_value()) v.eot_ = static_cast<TokenId>(i);
    if (eog) {
      if (t.type != TokenType::kControl) {
        log::Debug("engine", "control-looking token was not control-type; treating it as control", {{"id", i}});
      }
      t.type = TokenType::kControl;
      v.end_of_generation_.push_back(static_cast<TokenId>(i));
    }
  }
  for (TokenId id : {v.eos_, v.eot_, v.eom_}) {
    if (id != kNoToken && !v.IsEndOfGeneration(id)) v.end_of_generation_.push_back(id);
  }

  // Special tokens, longest first (ties by id, so the order is deterministic).
  for (size_t i = 0; i < n; ++i) {
    const TokenType type = v.tokens_[i].type;
    if (type == TokenType::kControl || type == TokenType::kUserDefined || type == TokenType::kUnknown) {
      v.special_tokens_.push_back(static_cast<TokenId>(i));
    }
  }
  std::stable_sort(v.special_tokens_.begin(), v.special_tokens_.end(), [&v](TokenId a, TokenId b) {
    return v.token(a).text.size() > v.token(b).text.size();
  });

  if (v.type_ == VocabType::kSpm) {
    constexpr std::string_view kSpaceMark = "\xe2\x96\x81";
    v.spaces_lead_tokens_ = std::all_of(v.tokens_.begin(), v.tokens_.end(), [&](const TokenData& t) {
      size_t lead = 0;
      while (std::string_view(t.text).substr(lead, kSpaceMark.size()) == kSpaceMark) lead += kSpaceMark.size();
      return std::string_view(t.text).find(kSpaceMark, lead) == std::string_view::npos;
    });
  }

  // Phi-3 strips whitespace to the right of its special tokens (the
  // reference keys this on the model name).
  const std::string name = Lower(spec.name);
  if (Contains(name, "phi-3") || Contains(name, "phi3")) {
    for (TokenId id : v.special_tokens_) v.tokens_[static_cast<size_t>(id)].rstrip = true;
    for (std::string_view text : {"</s>"}) {
      if (TokenId id = v.Find(text); id != kNoToken) v.tokens_[static_cast<size_t>(id)].rstrip = true;
    }
    for (std::string_view text : {"<unk>", "<s>", "<|endoftext|>"}) {
      if (TokenId id = v.Find(text); id != kNoToken) v.tokens_[static_cast<size_t>(id)].rstrip = false;
    }
  }
  return v;
}

TokenId Vocabulary::Find(std::string_view text) const {
  const auto it = token_to_id_.find(text);
  return it == token_to_id_.end() ? kNoToken : it->second;
}

int Vocabulary::MergeRank(std::string_view left, std::string_view right, std::string* scratch) const {
  scratch->assign(left);
  scratch->push_back(' ');
  scratch->append(right);
  const auto it = merge_ranks_.find(std::string_view(*scratch));
  return it == merge_ranks_.end() ? -1 : it->second;
}

int Vocabulary::TokenByte(TokenId id) const {
  if (!IsValid(id) || token(id).type != TokenType::kByte) return -1;
  const std::string& text = token(id).text;
  // "<0xXX>"
  if (text.size() == 6 && text.compare(0, 3, "<0x") == 0 && text[5] == '>') {
    int value = 0;
    for (size_t k = 3; k < 5; ++k) {
      const char c = text[k];
      int digit = -1;
      if (c >= '0' && c <= '9') digit = c - '0';
      if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
      if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
      if (digit < 0) return -1;
      value = value * 16 + digit;
    }
    return value;
  }
  return -1;
}

bool Vocabulary::IsEndOfGeneration(TokenId id) const {
  return id != kNoToken && std::find(end_of_generation_.begin(), end_of_generation_.end(), id) != end_of_generation_.end();
}

// ---- GGUF ----

namespace {

template <typename T>
Status ReadOptional(const GgufFile& f, std::string_view key, Result<T> (GgufFile::*getter)(std::string_view) const,
                    std::optional<T>* out) {
  if (!f.Has(key)) return Status::Ok();
  Result<T> r = (f.*getter)(key);
  if (!r.ok()) return r.status();
  *out = std::move(r).value();
  return Status::Ok();
}

Status ReadOptionalId(const GgufFile& f, std::string_view key, std::optional<int64_t>* out) {
  return ReadOptional<int64_t>(f, key, &GgufFile::GetInt, out);
}

}  // namespace

Result<VocabularySpec> ReadVocabularySpec(const GgufFile& f) {
  VocabularySpec spec;
  if (!f.Has("tokenizer.ggml.model")) {
    return Status::InvalidArgument(fmt::format("{}: metadata 'tokenizer.ggml.model' is missing (no tokenizer)", f.path()));
  }
  HEARTH_ASSIGN_OR_RETURN(spec.model, f.GetString("tokenizer.ggml.model"));
  if (f.Has("tokenizer.ggml.pre")) {
    HEARTH_ASSIGN_OR_RETURN(spec.pre, f.GetString("tokenizer.ggml.pre"));
  }
  if (f.Has("general.name")) {
    Result<std::string> name = f.GetString("general.name");
    if (name.ok()) spec.name = std::move(name).value();
  }
  if (!f.Has(kTokensKey)) return Status::InvalidArgument(fmt::format("{}: metadata '{}' is missing", f.path(), kTokensKey));
  HEARTH_ASSIGN_OR_RETURN(spec.tokens, f.GetStringArray(kTokensKey));
  if (f.Has(kScoresKey)) {
    HEARTH_ASSIGN_OR_RETURN(spec.scores, f.GetFloatArray(kScoresKey));
  }
  if (f.Has(kTypesKey)) {
    HEARTH_ASSIGN_OR_RETURN(spec.token_types, f.GetIntArray(kTypesKey));
  }
  if (f.Has(kMergesKey)) {
    HEARTH_ASSIGN_OR_RETURN(spec.merges, f.GetStringArray(kMergesKey));
  }
  HEARTH_RETURN_IF_ERROR(ReadOptionalId(f, "tokenizer.ggml.bos_token_id", &spec.bos));
  HEARTH_RETURN_IF_ERROR(ReadOptionalId(f, "tokenizer.ggml.eos_token_id", &spec.eos));
  HEARTH_RETURN_IF_ERROR(ReadOptionalId(f, "tokenizer.ggml.unknown_token_id", &spec.unk));
  HEARTH_RETURN_IF_ERROR(ReadOptionalId(f, "tokenizer.ggml.seperator_token_id", &spec.sep));
  HEARTH_RETURN_IF_ERROR(ReadOptionalId(f, "tokenizer.ggml.padding_token_id", &spec.pad));
  HEARTH_RETURN_IF_ERROR(ReadOptionalId(f, "tokenizer.ggml.cls_token_id", &spec.cls));
  HEARTH_RETURN_IF_ERROR(ReadOptionalId(f, "tokenizer.ggml.mask_token_id", &spec.mask));
  HEARTH_RETURN_IF_ERROR(ReadOptionalId(f, "tokenizer.ggml.eot_token_id", &spec.eot));
  HEARTH_RETURN_IF_ERROR(ReadOptionalId(f, "tokenizer.ggml.eom_token_id", &spec.eom));
  HEARTH_RETURN_IF_ERROR(ReadOptional<bool>(f, "tokenizer.ggml.add_bos_token", &GgufFile::GetBool, &spec.add_bos));
  HEARTH_RETURN_IF_ERROR(ReadOptional<bool>(f, "tokenizer.ggml.add_eos_token", &GgufFile::GetBool, &spec.add_eos));
  HEARTH_RETURN_IF_ERROR(ReadOptional<bool>(f, "tokenizer.ggml.add_sep_token", &GgufFile::GetBool, &spec.add_sep));
  HEARTH_RETURN_IF_ERROR(
      ReadOptional<bool>(f, "tokenizer.ggml.add_space_prefix", &GgufFile::GetBool, &spec.add_space_prefix));
  HEARTH_RETURN_IF_ERROR(
      ReadOptional<bool>(f, "tokenizer.ggml.normalizer.lowercase", &GgufFile::GetBool, &spec.lowercase));
  HEARTH_RETURN_IF_ERROR(
      ReadOptional<bool>(f, "tokenizer.ggml.normalizer.strip_accents", &GgufFile::GetBool, &spec.strip_accents));
  return spec;
}

Result<Vocabulary> LoadVocabulary(const GgufFile& file) {
  HEARTH_ASSIGN_OR_RETURN(VocabularySpec spec, ReadVocabularySpec(file));
  Result<Vocabulary> v = Vocabulary::Build(std::move(spec));
  if (!v.ok()) return v.status().WithContext(file.path());
  return v;
}

}  // namespace hearth::engine
