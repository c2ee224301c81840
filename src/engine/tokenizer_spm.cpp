// SentencePiece-style BPE with scores (tokenizer.ggml.model = "llama").
//
// The text is split into UTF-8 characters; then, repeatedly, the adjacent
// pair whose concatenation is the vocabulary token with the highest score is
// merged (ties: the leftmost pair). Pieces that are not tokens are emitted as
// byte tokens <0xXX>. This is the reference's algorithm step for step, so the
// ids match it exactly, including its tie-breaking.
#include <algorithm>
#include <queue>

#include "engine/tokenizer.h"
#include "engine/unicode.h"

namespace hearth::engine::tokenizer_detail {
namespace {

struct Symbol {
  int32_t prev;
  int32_t next;
  size_t start;  // byte offset in the text
  size_t n;      // byte length; 0 once merged into its left neighbour
};

struct Bigram {
  int32_t left;
  int32_t right;
  float score;
  size_t size;  // bytes of left + right when queued; stale if they changed
};

// Highest score first, then leftmost.
struct BigramOrder {
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  }
};

constexpr std::string_view kSpaceMark = "\xe2\x96\x81";  // U+2581

// The reference's algorithm over one stretch of text.
void TokenizeSegment(const Vocabulary& vocab, std::string_view text, std::vector<TokenId>* out) {
  if (text.empty()) return;
  std::vector<Symbol> symbols;
  symbols.reserve(text.size());
  for (size_t offs = 0; offs < text.size();) {
    const size_t len = std::min(unicode::Utf8SequenceLength(static_cast<uint8_t>(text[offs])), text.size() - offs);
    const auto index = static_cast<int32_t>(symbols.size());
    symbols.push_back(Symbol{index - 1, offs + len == text.size() ? -1 : index + 1, offs, len});
    offs += len;
  }

  std::priority_queue<Bigram, std::vector<Bigram>, BigramOrder> queue;
  auto try_add = [&](int32_t left, int32_t right) {
    if (left < 0 || right < 0) return;
    const Symbol& l = symbols[static_cast<size_t>(left)];
    const Symbol& r = symbols[static_cast<size_t>(right)];
    const std::string_view joined = text.substr(l.start, l.n + r.n);
    const TokenId id = vocab.Find(joined);
    if (id == kNoToken) return;
    queue.push(Bigram{left, right, vocab.token(id).score, l.n + r.n});
  };
  for (size_t i = 1; i < symbols.size(); ++i) try_add(static_cast<int32_t>(i - 1), static_cast<int32_t>(i));

  while (!queue.empty()) {
    const Bigram bigram = queue.top();
    queue.pop();
    Symbol& left = symbols[static_cast<size_t>(bigram.left)];
    Symbol& right = symbols[static_cast<size_t>(bigram.right)];
    if (left.n == 0 || right.n == 0 || left.n + right.n != bigram.size) continue;  // stale
    left.n += right.n;
    right.n = 0;
    left.next = right.next;
    if (right.next >= 0) symbols[static_cast<size_t>(right.next)].prev = bigram.left;
    try_add(left.prev, bigram.left);
    try_add(bigram.left, left.next);
  }

  // Every merged symbol is a token (merges only form tokens); what is left
  // unmerged and unknown falls back to bytes.
  for (int32_t i = 0; i != -1; i = symbols[static_cast<size_t>(i)].next) {
    const Symbol& s = symbols[static_cast<size_t>(i)];
    const std::string_view piece = text.substr(s.start, s.n);
    const TokenId id = vocab.Find(piece);
    if (id != kNoToken) {
      out->push_back(id);
      continue;
    }
    for (const char c : piece) {
      const TokenId byte = vocab.ByteToken(static_cast<uint8_t>(c));
      if (byte != kNoToken) {
        out->push_back(byte);
      } else if (vocab.unk() != kNoToken) {
        out->push_back(vocab.unk());  // a vocabulary without byte fallback
      }
    }
  }
}

}  // namespace

void TokenizeSpm(const Vocabulary& vocab, std::string_view text, std::vector<TokenId>* out) {
  if (!vocab.spaces_lead_tokens()) {
    TokenizeSegment(vocab, text, out);
    return;
  }
  // No token has a U+2581 after anything but another U+2581, so no merge can
  // join a character to a following U+2581: the stretches between such
  // boundaries merge independently, with the same result as merging the whole
  // text at once (merges never interact across them), and far faster.
  // Boundaries are taken at the same symbol boundaries the merge would use.
  size_t segment = 0;
  bool prev_is_space = true;  // nothing before the first symbol
  for (size_t offs = 0; offs < text.size();) {
    const size_t len = std::min(unicode::Utf8SequenceLength(static_cast<uint8_t>(text[offs])), text.size() - offs);
    const bool is_space = text.substr(offs, len) == kSpaceMark;
    if (is_space && !prev_is_space) {
      TokenizeSegment(vocab, text.substr(segment, offs - segment), out);
      segment = offs;
    }
    prev_is_space = is_space;
    offs += len;
  }
  TokenizeSegment(vocab, text.substr(segment), out);
}

}  // namespace hearth::engine::tokenizer_detail
