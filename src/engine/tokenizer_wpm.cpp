// WordPiece (tokenizer.ggml.model = "bert").
//
// BERT's basic tokenizer splits the text into words (whitespace separates,
// punctuation, ASCII symbols and CJK ideographs stand alone, control
// characters vanish, text is lowercased and accents stripped as the metadata
// says); each word is then covered greedily by the longest vocabulary
// pieces. GGUF stores word-initial pieces with a U+2581 prefix instead of
// marking continuations with "##", so the word is matched with that prefix.
// A word that cannot be covered becomes one [UNK].
#include <algorithm>

#include "engine/tokenizer.h"
#include "engine/unicode.h"

namespace hearth::engine::tokenizer_detail {
namespace {

// The CJK ranges of BERT's _is_chinese_char (with the reference's 0x2B920
// lower bound, which follows the Hugging Face Rust code).
bool IsChineseChar(uint32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
         (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

constexpr std::string_view kWordPrefix = "\xe2\x96\x81";  // U+2581

}  // namespace

std::vector<std::string> WpmWords(const Vocabulary& vocab, std::string_view text) {
  std::vector<uint32_t> cpts = unicode::DecodeUtf8(text);
  if (vocab.strip_accents()) {
    for (uint32_t& c : cpts) c = unicode::NfdFirst(c);
  }
  std::vector<std::string> words(1);
  for (const uint32_t c : cpts) {
    if (unicode::IsWhitespace(c)) {
      if (!words.back().empty()) words.emplace_back();
      continue;
    }
    const unicode::Category cat = unicode::CategoryOf(c);
    if (c == 0 || c == unicode::kReplacementChar || cat == unicode::Category::kControl) continue;
    if (vocab.strip_accents() && cat == unicode::Category::kMark) continue;
    const uint32_t mapped = vocab.lowercase() ? unicode::ToLower(c) : c;
    if (cat == unicode::Category::kPunctuation || (c < 0x7F && cat == unicode::Category::kSymbol) ||
        IsChineseChar(c)) {
      if (!words.back().empty()) words.emplace_back();
      unicode::AppendUtf8(mapped, &words.back());
      words.emplace_back();
    } else {
      unicode::AppendUtf8(mapped, &words.back());
    }
  }
  if (words.back().empty()) words.pop_back();
  return words;
}

void TokenizeWpm(const Vocabulary& vocab, std::string_view text, std::vector<TokenId>* out) {
  std::string word;
  for (const std::string& w : WpmWords(vocab, text)) {
    word.assign(kWordPrefix);
    word.append(w);
    const size_t n = word.size();
    const size_t first = out->size();
    for (size_t i = 0; i < n;) {
      bool matched = false;
      for (size_t j = std::min(n, i + vocab.max_token_length()); j > i; --j) {
        const TokenId id = vocab.Find(std::string_view(word).substr(i, j - i));
        if (id != kNoToken) {
          out->push_back(id);
          matched = true;
          i = j;
          break;
        }
      }
      if (!matched) {
        out->resize(first);  // the whole word is unknown
        break;
      }
    }
    if (out->size() == first && vocab.unk() != kNoToken) out->push_back(vocab.unk());
  }
}

}  // namespace hearth::engine::tokenizer_detail
