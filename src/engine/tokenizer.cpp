#include "engine/tokenizer.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "engine/gguf.h"
#include "engine/unicode.h"

namespace hearth::engine {
namespace {

constexpr std::string_view kSpaceMark = "\xe2\x96\x81";  // U+2581, SentencePiece's space

bool IsSpecialType(TokenType t) { return t == TokenType::kControl || t == TokenType::kUnknown; }

std::string ReplaceAll(std::string_view text, std::string_view from, std::string_view to) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (true) {
    const size_t hit = text.find(from, pos);
    if (hit == std::string_view::npos) break;
    out.append(text.substr(pos, hit - pos));
    out.append(to);
    pos = hit + from.size();
  }
  out.append(text.substr(pos));
  return out;
}

// The bytes a token stands for, special tokens rendered as their text.
std::string PieceOf(const Vocabulary& vocab, TokenId id) {
  const TokenData& t = vocab.token(id);
  switch (t.type) {
    case TokenType::kControl:
    case TokenType::kUnknown:
    case TokenType::kUserDefined:
      return t.text;
    case TokenType::kByte: {
      const int b = vocab.TokenByte(id);
      return b < 0 ? std::string() : std::string(1, static_cast<char>(b));
    }
    case TokenType::kNormal:
      break;
    case TokenType::kUndefined:
    case TokenType::kUnused:
      return std::string();
  }
  if (vocab.type() != VocabType::kBpe) return ReplaceAll(t.text, kSpaceMark, " ");
  // Byte-level: each character stands for one byte.
  std::string out;
  size_t offset = 0;
  while (offset < t.text.size()) {
    const size_t start = offset;
    const uint32_t cpt = unicode::DecodeOne(t.text, &offset);
    const int b = unicode::CodepointToByte(cpt);
    if (b >= 0) {
      out.push_back(static_cast<char>(b));
    } else {
      // The reference's marker for a character outside the byte mapping.
      out += "[UNK_BYTE_0x";
      for (size_t k = start; k < offset; ++k) out += fmt::format("{:02x}", static_cast<uint8_t>(t.text[k]));
      out += t.text;
      out += "]";
    }
  }
  return out;
}

// The reference's clean-up of tokenization spaces, done in place exactly as
// it does (the passes read what earlier steps of the same pass wrote).
void CleanUpSpaces(std::string* s) {
  std::string& text = *s;
  // " ?", " !", " .", " ,"
  size_t n = text.size();
  size_t total = n ? 1 : 0;
  for (size_t i = 1; i < n; ++i) {
    const char x = text[i];
    if (text[i - 1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ',')) --total;
    text[total++] = x;
  }
  // " ' " -> "'"
  n = total;
  total = n ? 1 : 0;
  for (size_t i = 1; i < n; ++i) {
    const char x = text[i];
    if (x == '\'' && i + 1 < n && text[i - 1] == ' ' && text[i + 1] == ' ') {
      --total;
      text[++i] = '\0';
    }
    text[total++] = x;
  }
  // " 's", " 'm", " 're", " 've"
  n = total;
  total = n ? 1 : 0;
  for (size_t i = 1; i < n; ++i) {
    const char x = text[i];
    if (text[i - 1] == ' ' && x == '\'' && i + 1 < n) {
      const char x1 = text[i + 1];
      if (x1 == 's' || x1 == 'm') {
        --total;
      } else if (i + 2 < n) {
        const char x2 = text[i + 2];
        if ((x1 == 'r' && x2 == 'e') || (x1 == 'v' && x2 == 'e')) --total;
      }
    }
    text[total++] = x;
  }
  text.resize(total);
}

}  // namespace

Tokenizer::Tokenizer(Vocabulary vocab) : vocab_(std::make_shared<const Vocabulary>(std::move(vocab))) {
  auto pieces = std::make_shared<std::vector<std::string>>(vocab_->size());
  for (size_t i = 0; i < vocab_->size(); ++i) (*pieces)[i] = PieceOf(*vocab_, static_cast<TokenId>(i));
  pieces_ = std::move(pieces);

  auto trie = std::make_shared<SpecialTrie>();
  trie->terminal.push_back(-1);  // the root
  const std::vector<TokenId>& specials = vocab_->special_tokens();
  for (size_t rank = 0; rank < specials.size(); ++rank) {
    const std::string& text = vocab_->token(specials[rank]).text;
    trie->first_byte[static_cast<uint8_t>(text[0])] = true;
    int32_t node = 0;
    for (const char c : text) {
      const uint64_t key = (static_cast<uint64_t>(node) << 8) | static_cast<uint8_t>(c);
      const auto it = trie->children.find(key);
      if (it != trie->children.end()) {
        node = it->second;
      } else {
        const auto child = static_cast<int32_t>(trie->terminal.size());
        trie->terminal.push_back(-1);
        trie->children.emplace(key, child);
        node = child;
      }
    }
    trie->terminal[static_cast<size_t>(node)] = static_cast<int32_t>(rank);  // texts are unique
  }
  trie_ = std::move(trie);
}

Result<Tokenizer> Tokenizer::FromGguf(const GgufFile& file) {
  HEARTH_ASSIGN_OR_RETURN(Vocabulary vocab, LoadVocabulary(file));
  return Tokenizer(std::move(vocab));
}

std::vector<Tokenizer::Fragment> Tokenizer::Partition(std::string_view text, bool parse_special) const {
  const Vocabulary& v = *vocab_;
  const std::vector<TokenId>& specials = v.special_tokens();

  // Every occurrence of every active special token, as (rank, position).
  std::vector<std::pair<int32_t, size_t>> hits;
  for (size_t p = 0; p < text.size(); ++p) {
    if (!trie_->first_byte[static_cast<uint8_t>(text[p])]) continue;
    int32_t node = 0;
    for (size_t q = p; q < text.size(); ++q) {
      const uint64_t key = (static_cast<uint64_t>(node) << 8) | static_cast<uint8_t>(text[q]);
      const auto it = trie_->children.find(key);
      if (it == trie_->children.end()) break;
      node = it->second;
      const int32_t rank = trie_->terminal[static_cast<size_t>(node)];
      if (rank < 0) continue;
      const TokenData& t = v.token(specials[static_cast<size_t>(rank)]);
      if (!parse_special && IsSpecialType(t.type)) continue;  // only user-defined tokens
      hits.emplace_back(rank, p);
    }
  }
  if (hits.empty()) {
    if (text.empty()) return {};
    return {Fragment{false, kNoToken, 0, text.size()}};
  }

  // The reference cuts tokens out one token at a time, longest first, each at
  // its leftmost non-overlapping occurrences in what is still raw text.
  std::sort(hits.begin(), hits.end());
  enum : uint8_t { kRaw = 0, kToken = 1, kStripped = 2 };
  std::vector<uint8_t> state(text.size(), kRaw);
  std::vector<std::pair<size_t, TokenId>> cut;  // (position, id)
  for (const auto& [rank, p] : hits) {
    const TokenId id = specials[static_cast<size_t>(rank)];
    const TokenData& t = v.token(id);
    const size_t len = t.text.size();
    if (!std::all_of(state.begin() + static_cast<ptrdiff_t>(p), state.begin() + static_cast<ptrdiff_t>(p + len),
                     [](uint8_t s) { return s == kRaw; })) {
      continue;
    }
    std::fill(state.begin() + static_cast<ptrdiff_t>(p), state.begin() + static_cast<ptrdiff_t>(p + len), kToken);
    cut.emplace_back(p, id);
    if (t.lstrip) {
      for (size_t k = p; k > 0 && state[k - 1] == kRaw && std::isspace(static_cast<unsigned char>(text[k - 1])); --k) {
        state[k - 1] = kStripped;
      }
    }
    if (t.rstrip) {
      for (size_t k = p + len; k < text.size() && state[k] == kRaw && std::isspace(static_cast<unsigned char>(text[k]));
           ++k) {
        state[k] = kStripped;
      }
    }
  }
  std::sort(cut.begin(), cut.end());

  std::vector<Fragment> fragments;
  size_t next_cut = 0;
  size_t p = 0;
  while (p < text.size()) {
    if (state[p] == kToken) {
      const TokenId id = cut[next_cut++].second;
      fragments.push_back(Fragment{true, id, 0, 0});
      p += v.token(id).text.size();
    } else if (state[p] == kStripped) {
      ++p;
    } else {
      const size_t start = p;
      while (p < text.size() && state[p] == kRaw) ++p;
      fragments.push_back(Fragment{false, kNoToken, start, p - start});
    }
  }
  return fragments;
}

std::vector<TokenId> Tokenizer::Tokenize(std::string_view text, bool add_special, bool parse_special) const {
  const Vocabulary& v = *vocab_;
  std::vector<TokenId> out;
  const std::vector<Fragment> fragments = Partition(text, parse_special);

  if (add_special && v.add_bos() && v.bos() != kNoToken) out.push_back(v.bos());
  switch (v.type()) {
    case VocabType::kSpm: {
      bool prev_special = true;  // the first fragment gets the space prefix too
      for (const Fragment& f : fragments) {
        if (f.is_token) {
          out.push_back(f.token);
          prev_special = true;
          continue;
        }
        std::string piece;
        if (v.add_space_prefix() && prev_special) piece = " ";
        piece.append(text.substr(f.offset, f.length));
        tokenizer_detail::TokenizeSpm(v, ReplaceAll(piece, " ", kSpaceMark), &out);
        prev_special = false;
      }
      break;
    }
    case VocabType::kBpe: {
      tokenizer_detail::BpeWordCache cache;
      for (const Fragment& f : fragments) {
        if (f.is_token) {
          out.push_back(f.token);
        } else {
          tokenizer_detail::TokenizeBpe(v, text.substr(f.offset, f.length), &cache, &out);
        }
      }
      break;
    }
    case VocabType::kWpm: {
      for (const Fragment& f : fragments) {
        if (f.is_token) {
          out.push_back(f.token);
        } else {
          tokenizer_detail::TokenizeWpm(v, text.substr(f.offset, f.length), &out);
        }
      }
      if (add_special && v.add_sep() && v.sep() != kNoToken) out.push_back(v.sep());
      break;
    }
  }
  if (add_special && v.add_eos() && v.eos() != kNoToken) out.push_back(v.eos());
  return out;
}

std::string_view Tokenizer::TokenToPiece(TokenId id, bool special) const {
  if (!vocab_->IsValid(id)) return {};
  if (!special && IsSpecialType(vocab_->token(id).type)) return {};
  return (*pieces_)[static_cast<size_t>(id)];
}

Result<std::string> Tokenizer::Detokenize(std::span<const TokenId> tokens, DetokenizeOptions options) const {
  const Vocabulary& v = *vocab_;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (!v.IsValid(tokens[i])) {
      return Status::InvalidArgument(
          fmt::format("token id {} at position {} is outside the vocabulary [0, {})", tokens[i], i, v.size()));
    }
  }
  bool remove_space = v.add_space_prefix();
  if (options.remove_special && v.add_bos() && !tokens.empty() && tokens.front() == v.bos()) {
    remove_space = false;
    tokens = tokens.subspan(1);
  }
  if (options.remove_special && v.add_eos() && !tokens.empty() && tokens.back() == v.eos()) {
    tokens = tokens.subspan(0, tokens.size() - 1);
  }
  std::string text;
  for (const TokenId id : tokens) {
    std::string_view piece = TokenToPiece(id, options.unparse_special);
    if (remove_space && !piece.empty() && piece.front() == ' ') piece.remove_prefix(1);
    remove_space = false;
    text.append(piece);
  }
  if (v.clean_spaces()) CleanUpSpaces(&text);
  return text;
}

// ---- StreamDecoder ----

namespace {

// Appends the complete part of `*pending` to `*out` (invalid bytes as
// U+FFFD) and keeps the incomplete tail in `*pending`.
void DrainComplete(std::string* pending, std::string* out) {
  const size_t complete = unicode::CompleteUtf8Prefix(*pending);
  const std::string_view done(pending->data(), complete);
  if (unicode::IsValidUtf8(done)) {
    out->append(done);
  } else {
    size_t i = 0;
    while (i < done.size()) {
      size_t len = 1;
      const auto lead = static_cast<uint8_t>(done[i]);
      const size_t want = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 0;
      if (want > 0 && i + want <= done.size() && unicode::IsValidUtf8(done.substr(i, want))) len = want;
      if (len == want) {
        out->append(done.substr(i, len));
      } else {
        unicode::AppendUtf8(unicode::kReplacementChar, out);
      }
      i += len;
    }
  }
  pending->erase(0, complete);
}

}  // namespace

Result<std::string> StreamDecoder::Push(TokenId id) {
  if (!tokenizer_.vocab().IsValid(id)) {
    return Status::InvalidArgument(
        fmt::format("token id {} is outside the vocabulary [0, {})", id, tokenizer_.vocab().size()));
  }
  pending_.append(tokenizer_.TokenToPiece(id, special_));
  std::string out;
  DrainComplete(&pending_, &out);
  return out;
}

std::string StreamDecoder::Finish() {
  std::string out;
  DrainComplete(&pending_, &out);
  if (!pending_.empty()) unicode::AppendUtf8(unicode::kReplacementChar, &out);
  pending_.clear();
  return out;
}

}  // namespace hearth::engine
