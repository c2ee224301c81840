// Turning what a person types into full-text match expressions.
//
// A search query is free text ("when did I last eat ramen with Mina?"), never
// an FTS5 expression: it is cut into terms here, every term is quoted, and
// the terms are OR-ed together so that ranking (BM25) rewards events matching
// more of them without requiring all. Supported syntax: "quoted phrases" and
// a trailing * for prefixes (ramen*). Every other character is a separator, so
// FTS5 operators (AND, NEAR, :, ^, -, parentheses) have no effect.
//
// CJK text has no spaces, and unicode61 keeps a run of CJK characters as one
// token, so it could only match whole runs. CJK runs are therefore also
// searched in a second index with the trigram tokenizer (substring matching):
// a run of 3+ characters becomes its overlapping trigrams (OR-ed, so a whole
// question in Chinese still ranks events sharing parts of it); a run of 1-2
// characters, which trigrams cannot index, becomes a LIKE pattern.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace hearth::data {

inline constexpr size_t kMaxSearchQueryBytes = 1000;
inline constexpr size_t kMaxSearchTerms = 64;

struct SearchTerms {
  std::string fts_match;                   // for the unicode61 index; "" when none
  std::string cjk_match;                   // for the trigram index; "" when none
  std::vector<std::string> short_cjk;      // 1-2 character CJK runs, matched by substring
};

// InvalidArgument when the query is too long, has no searchable words, or
// too many terms.
Result<SearchTerms> ParseSearchQuery(std::string_view query);

// True for code points of the scripts handled by the trigram index
// (Hiragana, Katakana, CJK ideographs, Hangul syllables).
bool IsCjkCodePoint(uint32_t cp);

// The position after the last hit of a page: hits are ordered by (rank, seq),
// rank ascending (SQLite's bm25 is lower for better matches).
struct SearchCursor {
  double rank = 0;
  int64_t seq = 0;
};

// Opaque text form for clients; Decode refuses anything Encode did not make.
std::string EncodeSearchCursor(const SearchCursor& cursor);
Result<SearchCursor> DecodeSearchCursor(std::string_view text);

}  // namespace hearth::data
