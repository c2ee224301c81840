// Byte-level BPE (tokenizer.ggml.model = "gpt2").
//
// The pre-tokenizer splits the text into words; each word's bytes are mapped
// to GPT-2's printable characters; then, within the word, the adjacent pair
// with the lowest merge rank is merged until no ranked pair is left (ties:
// the leftmost pair). This is the reference's algorithm step for step.
#include <algorithm>
#include <queue>

#include "engine/pretokenizer.h"
#include "engine/tokenizer.h"
#include "engine/unicode.h"

namespace hearth::engine::tokenizer_detail {
namespace {

struct Symbol {
  int32_t prev;
  int32_t next;
  size_t start;
  size_t n;  // 0 once merged into its left neighbour
};

struct Bigram {
  int32_t left;
  int32_t right;
  int rank;
  size_t size;  // bytes of left + right when queued; stale if they changed
};

// Lowest rank first, then leftmost.
struct BigramOrder {
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
  }
};

void MergeWord(const Vocabulary& vocab, std::string_view word, std::string* scratch, std::vector<TokenId>* out) {
  if (vocab.ignore_merges()) {
    if (const TokenId id = vocab.Find(word); id != kNoToken) {
      out->push_back(id);
      return;
    }
  }
  std::vector<Symbol> symbols;
  symbols.reserve(word.size());
  for (size_t offs = 0; offs < word.size();) {
    const size_t len = std::min(unicode::Utf8SequenceLength(static_cast<uint8_t>(word[offs])), word.size() - offs);
    const auto index = static_cast<int32_t>(symbols.size());
    symbols.push_back(Symbol{index - 1, offs + len == word.size() ? -1 : index + 1, offs, len});
    offs += len;
  }

  std::priority_queue<Bigram, std::vector<Bigram>, BigramOrder> queue;
  auto try_add = [&](int32_t left, int32_t right) {
    if (left < 0 || right < 0) return;
    const Symbol& l = symbols[static_cast<size_t>(left)];
    const Symbol& r = symbols[static_cast<size_t>(right)];
    const int rank = vocab.MergeRank(word.substr(l.start, l.n), word.substr(r.start, r.n), scratch);
    if (rank < 0) return;
    queue.push(Bigram{left, right, rank, l.n + r.n});
  };
  for (size_t i = 1; i < symbols.size(); ++i) try_add(static_cast<int32_t>(i - 1), static_cast<int32_t>(i));

  while (!queue.empty()) {
    const Bigram bigram = queue.top();
    queue.pop();
    Symbol& left = symbols[static_cast<size_t>(bigram.left)];
    Symbol& right = symbols[static_cast<size_t>(bigram.right)];
    // Symbols only grow, so an unchanged total size means an unchanged pair.
    if (left.n == 0 || right.n == 0 || left.n + right.n != bigram.size) continue;
    left.n += right.n;
    right.n = 0;
    left.next = right.next;
    if (right.next >= 0) symbols[static_cast<size_t>(right.next)].prev = bigram.left;
    try_add(left.prev, bigram.left);
    try_add(bigram.left, left.next);
  }

  for (const Symbol& s : symbols) {
    if (s.n == 0) continue;
    const std::string_view piece = word.substr(s.start, s.n);
    const TokenId id = vocab.Find(piece);
    if (id != kNoToken) {
      out->push_back(id);
      continue;
    }
    // The reference falls back to single-byte tokens of the encoded text and
    // drops what has none.
    for (const char c : piece) {
      if (const TokenId b = vocab.Find(std::string_view(&c, 1)); b != kNoToken) out->push_back(b);
    }
  }
}

}  // namespace

void TokenizeBpe(const Vocabulary& vocab, std::string_view text, BpeWordCache* cache, std::vector<TokenId>* out) {
  const std::vector<uint32_t> cpts = unicode::DecodeUtf8(text);
  const std::vector<size_t> lengths = PreTokenizeCodepoints(vocab.pre(), cpts);
  std::string word;
  std::string scratch;
  size_t begin = 0;
  for (const size_t len : lengths) {
    word.clear();
    // Byte-encode straight from the code points (invalid input became U+FFFD).
    std::string utf8;
    for (size_t i = begin; i < begin + len; ++i) unicode::AppendUtf8(cpts[i], &utf8);
    for (const char c : utf8) word.append(unicode::ByteToUtf8(static_cast<uint8_t>(c)));
    begin += len;

    const auto hit = cache->find(word);
    if (hit != cache->end()) {
      out->insert(out->end(), hit->second.begin(), hit->second.end());
      continue;
    }
    std::vector<TokenId> ids;
    MergeWord(vocab, word, &scratch, &ids);
    out->insert(out->end(), ids.begin(), ids.end());
    cache->emplace(word, std::move(ids));
  }
}

}  // namespace hearth::engine::tokenizer_detail
