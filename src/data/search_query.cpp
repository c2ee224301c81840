#include "data/search_query.h"

#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

namespace hearth::data {
namespace {

// Decodes one UTF-8 code point at `*i`; false on malformed input.
bool NextCodePoint(std::string_view s, size_t* i, uint32_t* cp) {
  const auto b0 = static_cast<unsigned char>(s[*i]);
  size_t len = b0 < 0x80 ? 1 : (b0 >> 5) == 0x6 ? 2 : (b0 >> 4) == 0xe ? 3 : (b0 >> 3) == 0x1e ? 4 : 0;
  if (len == 0 || *i + len > s.size()) return false;
  uint32_t v = len == 1 ? b0 : len == 2 ? (b0 & 0x1f) : len == 3 ? (b0 & 0x0f) : (b0 & 0x07);
  for (size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[*i + k]);
    if ((b & 0xc0) != 0x80) return false;
    v = (v << 6) | (b & 0x3f);
  }
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (v < kMin[len] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return false;
  *i += len;
  *cp = v;
  return true;
}

// Word characters: ASCII letters and digits, and every non-ASCII code point
// (unicode61 itself separates non-ASCII punctuation inside a quoted term).
bool IsWordCodePoint(uint32_t cp) {
  if (cp >= 0x80) return true;
  return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
}

std::string Quote(std::string_view term) {
  std::string out = "\"";
  for (char c : term) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

struct Builder {
  std::vector<std::string> fts;
  std::vector<std::string> cjk;
  std::vector<std::string> short_cjk;

  // Adds the CJK runs of `text` (whose code points are `cps`, byte offsets `at`).
  void AddCjkRuns(const std::vector<uint32_t>& cps, const std::vector<size_t>& at, std::string_view text) {
    size_t k = 0;
    while (k < cps.size()) {
      if (!IsCjkCodePoint(cps[k])) {
        ++k;
        continue;
      }
      size_t end = k;
      while (end < cps.size() && IsCjkCodePoint(cps[end])) ++end;
      auto bytes = [&](size_t a, size_t b) { return text.substr(at[a], at[b] - at[a]); };
      if (end - k < 3) {
        short_cjk.emplace_back(bytes(k, end));
      } else {
        for (size_t t = k; t + 3 <= end; ++t) cjk.push_back(Quote(bytes(t, t + 3)));
      }
      k = end;
    }
  }

  void AddTerm(std::string_view text, bool prefix) {
    std::vector<uint32_t> cps;
    std::vector<size_t> at;
    bool has_word = false;
    for (size_t i = 0; i < text.size();) {
      at.push_back(i);
      uint32_t cp = 0;
      NextCodePoint(text, &i, &cp);  // validated by the caller
      cps.push_back(cp);
      if (IsWordCodePoint(cp)) has_word = true;
    }
    at.push_back(text.size());
    if (!has_word) return;
    fts.push_back(Quote(text) + (prefix ? "*" : ""));
    AddCjkRuns(cps, at, text);
  }
};

std::string JoinOr(const std::vector<std::string>& terms) {
  std::string out;
  for (const auto& t : terms) {
    if (!out.empty()) out += " OR ";
    out += t;
  }
  return out;
}

}  // namespace

bool IsCjkCodePoint(uint32_t cp) {
  return (cp >= 0x3040 && cp <= 0x30ff) ||  // Hiragana, Katakana
         (cp >= 0x3400 && cp <= 0x4dbf) ||  // CJK Extension A
         (cp >= 0x4e00 && cp <= 0x9fff) ||  // CJK Unified Ideographs
         (cp >= 0xac00 && cp <= 0xd7af);    // Hangul syllables
}

Result<SearchTerms> ParseSearchQuery(std::string_view q) {
  if (q.size() > kMaxSearchQueryBytes) {
    return Status::InvalidArgument(
        fmt::format("query q is {} bytes; the limit is {} bytes", q.size(), kMaxSearchQueryBytes));
  }
  for (size_t i = 0; i < q.size();) {
    uint32_t cp = 0;
    const size_t at = i;
    if (!NextCodePoint(q, &i, &cp)) {
      return Status::InvalidArgument(fmt::format("query q is not valid UTF-8 (byte offset {})", at));
    }
  }
  Builder b;
  size_t i = 0;
  while (i < q.size()) {
    if (q[i] == '"') {
      // A phrase runs to the next quote, or to the end when unterminated.
      size_t close = q.find('"', i + 1);
      const size_t end = close == std::string_view::npos ? q.size() : close;
      std::string_view phrase = q.substr(i + 1, end - i - 1);
      i = close == std::string_view::npos ? q.size() : close + 1;
      const bool prefix = i < q.size() && q[i] == '*';
      if (prefix) ++i;
      b.AddTerm(phrase, prefix);
      continue;
    }
    size_t j = i;
    uint32_t cp = 0;
    NextCodePoint(q, &j, &cp);
    if (!IsWordCodePoint(cp)) {
      i = j;
      continue;
    }
    size_t end = i;
    while (end < q.size()) {
      size_t next = end;
      NextCodePoint(q, &next, &cp);
      if (!IsWordCodePoint(cp)) break;
      end = next;
    }
    std::string_view word = q.substr(i, end - i);
    i = end;
    const bool prefix = i < q.size() && q[i] == '*';
    if (prefix) ++i;
    b.AddTerm(word, prefix);
  }
  if (b.fts.empty()) {
    return Status::InvalidArgument("query q has no words to search for (letters, digits or CJK characters)");
  }
  if (b.fts.size() + b.cjk.size() + b.short_cjk.size() > kMaxSearchTerms) {
    return Status::InvalidArgument(fmt::format("query q has too many terms; the limit is {}", kMaxSearchTerms));
  }
  SearchTerms out;
  out.fts_match = JoinOr(b.fts);
  out.cjk_match = JoinOr(b.cjk);
  out.short_cjk = std::move(b.short_cjk);
  return out;
}

// The cursor is "c1.<rank as hex float>.<seq>" in hex, so it is opaque to
// clients yet round-trips the rank exactly (keyset pagination compares it).
std::string EncodeSearchCursor(const SearchCursor& cursor) {
  char plain[96];
  std::snprintf(plain, sizeof plain, "c1.%a.%" PRId64, cursor.rank, cursor.seq);
  std::string out;
  for (const char* p = plain; *p; ++p) out += fmt::format("{:02x}", static_cast<unsigned char>(*p));
  return out;
}

Result<SearchCursor> DecodeSearchCursor(std::string_view text) {
  const Status bad = Status::InvalidArgument("cursor is not one this node returned; pass `next` from a previous page");
  if (text.empty() || text.size() % 2 != 0 || text.size() > 160) return bad;
  std::string plain;
  for (size_t i = 0; i < text.size(); i += 2) {
    auto nibble = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      return -1;
    };
    const int hi = nibble(text[i]), lo = nibble(text[i + 1]);
    if (hi < 0 || lo < 0) return bad;
    const char c = static_cast<char>(hi * 16 + lo);
    if (c == '\0') return bad;
    plain += c;
  }
  if (plain.compare(0, 3, "c1.") != 0) return bad;
  const size_t dot = plain.find('.', 3);
  // The hex float itself contains a '.', so split at the last one.
  const size_t last = plain.rfind('.');
  if (dot == std::string::npos || last <= 3) return bad;
  const std::string rank_text = plain.substr(3, last - 3);
  const std::string seq_text = plain.substr(last + 1);
  char* end = nullptr;
  SearchCursor c;
  c.rank = std::strtod(rank_text.c_str(), &end);
  if (rank_text.empty() || *end != '\0' || !std::isfinite(c.rank)) return bad;
  if (seq_text.empty() || seq_text.size() > 18) return bad;
  for (char d : seq_text) {
    if (d < '0' || d > '9') return bad;
    c.seq = c.seq * 10 + (d - '0');
  }
  return c;
}

}  // namespace hearth::data
