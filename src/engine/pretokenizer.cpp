#include "engine/pretokenizer.h"

#include <algorithm>
#include <cstdint>

#include "engine/unicode.h"

namespace hearth::engine {
namespace {

using unicode::Category;
using Cpts = std::vector<uint32_t>;
using Lengths = std::vector<size_t>;

// A view of one piece [begin, end) of the code points. Queries past the end
// see "nothing": no category, not whitespace (the reference's out-of-range
// sentinel), so matchers never look across a piece boundary.
class Piece {
 public:
  Piece(const Cpts& cpts, size_t begin, size_t end) : cpts_(cpts), begin_(begin), end_(end) {}
  size_t begin() const { return begin_; }
  size_t end() const { return end_; }
  bool In(size_t p) const { return p < end_; }
  uint32_t At(size_t p) const { return p < end_ ? cpts_[p] : kNone; }
  bool Ws(size_t p) const { return In(p) && unicode::IsWhitespace(cpts_[p]); }
  bool Letter(size_t p) const { return In(p) && unicode::IsLetter(cpts_[p]); }
  bool Number(size_t p) const { return In(p) && unicode::IsNumber(cpts_[p]); }
  bool Punct(size_t p) const { return In(p) && unicode::IsPunctuation(cpts_[p]); }
  // [^\s\p{L}\p{N}]
  bool Other(size_t p) const {
    if (!In(p)) return false;
    const uint32_t c = cpts_[p];
    return !unicode::IsWhitespace(c) && !unicode::IsLetter(c) && !unicode::IsNumber(c);
  }
  bool Newline(size_t p) const { return In(p) && (cpts_[p] == '\r' || cpts_[p] == '\n'); }

  static constexpr uint32_t kNone = 0xFFFFFFFF;

 private:
  const Cpts& cpts_;
  size_t begin_;
  size_t end_;
};

// Collects the lengths of consecutive tokens of one piece.
class Emitter {
 public:
  Emitter(Lengths* out, size_t begin) : out_(out), prev_end_(begin) {}
  // Ends the current token at `end`; returns its length (0 emits nothing).
  size_t EmitTo(size_t end) {
    const size_t len = end - prev_end_;
    if (len > 0) out_->push_back(len);
    prev_end_ = end;
    return len;
  }

 private:
  Lengths* out_;
  size_t prev_end_;
};

bool IsContraction1(uint32_t c) { return c == 's' || c == 't' || c == 'm' || c == 'd'; }
bool IsContraction2(uint32_t a, uint32_t b) {
  return (a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l');
}

// GPT-2: 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
void SplitGpt2(const Piece& s, Lengths* out) {
  Emitter emit(out, s.begin());
  size_t pos = s.begin();
  while (pos < s.end()) {
    const uint32_t c = s.At(pos);
    if (c == '\'' && pos + 1 < s.end()) {
      const uint32_t n1 = s.At(pos + 1);
      if (IsContraction1(n1)) {
        pos += emit.EmitTo(pos + 2);
        continue;
      }
      if (pos + 2 < s.end() && IsContraction2(n1, s.At(pos + 2))) {
        pos += emit.EmitTo(pos + 3);
        continue;
      }
    }
    // The optional leading space belongs to a following letter, number or
    // other-symbol run.
    const size_t q = c == ' ' ? pos + 1 : pos;
    if (s.Letter(q)) {
      pos = q;
      while (s.Letter(pos)) ++pos;
      emit.EmitTo(pos);
      continue;
    }
    if (s.Number(q)) {
      pos = q;
      while (s.Number(pos)) ++pos;
      emit.EmitTo(pos);
      continue;
    }
    if (s.Other(q)) {
      pos = q;
      while (s.Other(pos)) ++pos;
      emit.EmitTo(pos);
      continue;
    }
    size_t n_ws = 0;
    while (s.Ws(pos + n_ws)) ++n_ws;
    if (n_ws > 1 && s.In(pos + n_ws)) {
      // \s+(?!\S): leave the last space to prefix the next word.
      pos += n_ws - 1;
      emit.EmitTo(pos);
      continue;
    }
    if (n_ws > 0) {
      pos += n_ws;
      emit.EmitTo(pos);
      continue;
    }
    emit.EmitTo(++pos);  // unreachable for in-range code points; kept for safety
  }
}

// Llama 3 (max_digits 3) and Qwen2 (max_digits 1):
// (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,max}|
//  ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
void SplitLlama3(const Piece& s, size_t max_digits, Lengths* out) {
  Emitter emit(out, s.begin());
  size_t pos = s.begin();
  while (pos < s.end()) {
    const uint32_t c = s.At(pos);
    if (c == '\'' && pos + 1 < s.end()) {
      const uint32_t n1 = unicode::ToLower(s.At(pos + 1));
      if (IsContraction1(n1)) {
        pos += emit.EmitTo(pos + 2);
        continue;
      }
      if (pos + 2 < s.end() && IsContraction2(n1, unicode::ToLower(s.At(pos + 2)))) {
        pos += emit.EmitTo(pos + 3);
        continue;
      }
    }
    if (!(c == '\r' || c == '\n' || s.Number(pos)) && (s.Letter(pos) || s.Letter(pos + 1))) {
      ++pos;  // a letter, or one leading non-letter/non-number/non-newline
      while (s.Letter(pos)) ++pos;
      emit.EmitTo(pos);
      continue;
    }
    if (s.Number(pos)) {
      size_t start = pos;
      while (s.Number(pos)) {
        if (++pos - start >= max_digits) {
          emit.EmitTo(pos);
          start = pos;
        }
      }
      emit.EmitTo(pos);
      continue;
    }
    const size_t q = c == ' ' ? pos + 1 : pos;
    if (s.Other(q)) {
      pos = q;
      while (s.Other(pos)) ++pos;
      while (s.Newline(pos)) ++pos;
      emit.EmitTo(pos);
      continue;
    }
    size_t n_ws = 0;
    size_t end_of_last_newline = 0;
    while (s.Ws(pos + n_ws)) {
      if (s.Newline(pos + n_ws)) end_of_last_newline = pos + n_ws + 1;
      ++n_ws;
    }
    if (end_of_last_newline > 0) {  // \s*[\r\n]+
      pos = end_of_last_newline;
      emit.EmitTo(pos);
      continue;
    }
    if (n_ws > 1 && s.In(pos + n_ws)) {  // \s+(?!\S)
      pos += n_ws - 1;
      emit.EmitTo(pos);
      continue;
    }
    if (n_ws > 0) {
      pos += n_ws;
      emit.EmitTo(pos);
      continue;
    }
    emit.EmitTo(++pos);
  }
}

// ---- matchers for the expressions the reference runs through std::regex ----
//
// The reference runs them over a "collapsed" text in which every non-ASCII
// code point is replaced by one byte standing for its category (and non-ASCII
// whitespace by \v), or, when the expression names no category, over the
// code points with non-ASCII whitespace replaced by \v. For the expressions
// below both views agree with testing categories of the code points directly,
// except that explicit character ranges must not match non-ASCII whitespace,
// which RangeView handles.

// The code point an explicit character class sees.
uint32_t RangeView(uint32_t c) { return c > 0x7F && unicode::IsWhitespace(c) ? 0x0B : c; }

struct Range {
  uint32_t first;
  uint32_t last;
};

template <size_t N>
bool InRanges(const Range (&ranges)[N], uint32_t c) {
  c = RangeView(c);
  for (const Range& r : ranges) {
    if (c >= r.first && c <= r.last) return true;
  }
  return false;
}

// DeepSeek LLM's letter class: A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-Ֆ...
// (cased letters of an older Unicode, as published with the model), sorted.
constexpr Range kDeepseekLetters[] = {
    {0x41, 0x5A},       {0x61, 0x7A},       {0xB5, 0xB5},       {0xC0, 0xD6},       {0xD8, 0xF6},
    {0xF8, 0x1BA},      {0x1BC, 0x1BF},     {0x1C4, 0x293},     {0x295, 0x2AF},     {0x370, 0x373},
    {0x376, 0x377},     {0x37B, 0x37D},     {0x37F, 0x37F},     {0x386, 0x386},     {0x388, 0x38A},
    {0x38C, 0x38C},     {0x38E, 0x3A1},     {0x3A3, 0x3F5},     {0x3F7, 0x481},     {0x48A, 0x52F},
    {0x531, 0x556},     {0x10A0, 0x10C5},   {0x13A0, 0x13F5},   {0x13F8, 0x13FD},   {0x1C90, 0x1CBA},
    {0x1CBD, 0x1CBF},   {0x1D00, 0x1D2B},   {0x1D6B, 0x1D77},   {0x1D79, 0x1D9A},   {0x1E00, 0x1F15},
    {0x1F18, 0x1F1D},   {0x1F20, 0x1F45},   {0x1F48, 0x1F4D},   {0x1F50, 0x1F57},   {0x1F59, 0x1F59},
    {0x1F5B, 0x1F5B},   {0x1F5D, 0x1F5D},   {0x1F5F, 0x1F7D},   {0x1F80, 0x1FB4},   {0x1FB6, 0x1FBC},
    {0x1FBE, 0x1FBE},   {0x1FC2, 0x1FC4},   {0x1FC6, 0x1FCC},   {0x1FD0, 0x1FD3},   {0x1FD6, 0x1FDB},
    {0x1FE0, 0x1FEC},   {0x1FF2, 0x1FF4},   {0x1FF6, 0x1FFC},   {0x2102, 0x2102},   {0x2107, 0x2107},
    {0x210A, 0x2113},   {0x2115, 0x2115},   {0x2119, 0x211D},   {0x2124, 0x2124},   {0x2126, 0x2126},
    {0x2128, 0x2128},   {0x212A, 0x212D},   {0x212F, 0x2134},   {0x2139, 0x2139},   {0x213C, 0x213F},
    {0x2145, 0x2149},   {0x214E, 0x214E},   {0x2183, 0x2184},   {0x2C00, 0x2C7B},   {0x2C7E, 0x2CE4},
    {0x2CEB, 0x2CEE},   {0x2CF2, 0x2CF3},   {0xA640, 0xA66D},   {0xA680, 0xA69B},   {0xA722, 0xA76F},
    {0xA771, 0xA787},   {0xA78B, 0xA78E},   {0xAB70, 0xABBF},   {0xFB00, 0xFB06},   {0xFB13, 0xFB17},
    {0xFF21, 0xFF3A},   {0xFF41, 0xFF5A},   {0x10400, 0x1044F}, {0x104B0, 0x104D3}, {0x104D8, 0x104FB},
    {0x10C80, 0x10CB2}, {0x10CC0, 0x10CF2}, {0x118A0, 0x118DF}, {0x1E900, 0x1E943},
};
// [!-/:-~！-／：-～‘-‟　-。]
constexpr Range kDeepseekPunct[] = {
    {0x21, 0x2F}, {0x3A, 0x7E}, {0xFF01, 0xFF0F}, {0xFF1A, 0xFF5E}, {0x2018, 0x201F}, {0x3000, 0x3002},
};
// [一-龥ࠀ-一가-퟿]
constexpr Range kDeepseekCjk[] = {{0x4E00, 0x9FA5}, {0x0800, 0x4E00}, {0xAC00, 0xD7FF}};

// A matcher returns the length of the match that starts at `pos`, 0 if none
// (none of these expressions can match the empty string).
using Matcher = size_t (*)(const Piece& s, size_t pos);

template <typename Pred>
size_t RunOf(const Piece& s, size_t pos, Pred pred) {
  size_t p = pos;
  while (s.In(p) && pred(s.At(p))) ++p;
  return p - pos;
}

// \s?X+ : an optional whitespace is taken only when X+ follows it.
template <typename Pred>
size_t OptionalSpaceThenRun(const Piece& s, size_t pos, Pred pred) {
  if (s.Ws(pos) && s.In(pos + 1) && pred(s.At(pos + 1))) return 1 + RunOf(s, pos + 1, pred);
  return RunOf(s, pos, pred);
}

// [\p{P}\$\+<=>\^~\|]+
size_t MatchDefaultPunct(const Piece& s, size_t pos) {
  return RunOf(s, pos, [](uint32_t c) {
    return unicode::IsPunctuation(c) || c == '$' || c == '+' || c == '<' || c == '=' || c == '>' || c == '^' ||
           c == '~' || c == '|';
  });
}
// [\p{P}\$\+<=>\^~\|`]+
size_t MatchFalconPunct(const Piece& s, size_t pos) {
  return RunOf(s, pos, [](uint32_t c) {
    return unicode::IsPunctuation(c) || c == '$' || c == '+' || c == '<' || c == '=' || c == '>' || c == '^' ||
           c == '~' || c == '|' || c == '`';
  });
}
// \p{N}+
size_t MatchNumbers(const Piece& s, size_t pos) { return RunOf(s, pos, unicode::IsNumber); }
// \p{N}
size_t MatchNumber(const Piece& s, size_t pos) { return s.Number(pos) ? 1 : 0; }
// [0-9][0-9][0-9]
size_t MatchThreeDigits(const Piece& s, size_t pos) {
  for (size_t k = 0; k < 3; ++k) {
    const uint32_t c = s.At(pos + k);
    if (c < '0' || c > '9') return 0;
  }
  return 3;
}
// [\r\n]
size_t MatchNewline(const Piece& s, size_t pos) { return s.Newline(pos) ? 1 : 0; }
// \s?\p{L}+
size_t MatchSpaceLetters(const Piece& s, size_t pos) { return OptionalSpaceThenRun(s, pos, unicode::IsLetter); }
// \s?\p{P}+
size_t MatchSpacePunct(const Piece& s, size_t pos) { return OptionalSpaceThenRun(s, pos, unicode::IsPunctuation); }
// \s?[A-Za-zµÀ-Ö...]+
size_t MatchDeepseekLetters(const Piece& s, size_t pos) {
  return OptionalSpaceThenRun(s, pos, [](uint32_t c) { return InRanges(kDeepseekLetters, c); });
}
// \s?[!-/:-~！-／：-～‘-‟　-。]+
size_t MatchDeepseekPunct(const Piece& s, size_t pos) {
  return OptionalSpaceThenRun(s, pos, [](uint32_t c) { return InRanges(kDeepseekPunct, c); });
}
// [一-龥ࠀ-一가-퟿]+
size_t MatchDeepseekCjk(const Piece& s, size_t pos) {
  return RunOf(s, pos, [](uint32_t c) { return InRanges(kDeepseekCjk, c); });
}

// Splits a piece into leftmost matches and the gaps between them, as
// std::regex_iterator walks it.
void SplitByMatcher(const Piece& s, Matcher match, Lengths* out) {
  size_t last = s.begin();
  size_t pos = s.begin();
  while (pos < s.end()) {
    const size_t len = match(s, pos);
    if (len == 0) {
      ++pos;
      continue;
    }
    if (pos > last) out->push_back(pos - last);
    out->push_back(len);
    pos += len;
    last = pos;
  }
  if (last < s.end()) out->push_back(s.end() - last);
}

// \s+$ : the whitespace run that ends the piece.
void SplitTrailingWhitespace(const Piece& s, Lengths* out) {
  size_t start = s.end();
  while (start > s.begin() && s.Ws(start - 1)) --start;
  if (start > s.begin()) out->push_back(start - s.begin());
  if (start < s.end()) out->push_back(s.end() - start);
}

enum class StepType { kGpt2, kLlama3, kQwen2, kTrailingWhitespace, kMatcher };
struct Step {
  StepType type;
  Matcher matcher = nullptr;
};

std::vector<Step> StepsFor(PreTokenizerKind kind) {
  const Step gpt2{StepType::kGpt2};
  auto m = [](Matcher f) { return Step{StepType::kMatcher, f}; };
  switch (kind) {
    case PreTokenizerKind::kGpt2:
      return {gpt2};
    case PreTokenizerKind::kLlama3:
      return {Step{StepType::kLlama3}};
    case PreTokenizerKind::kQwen2:
      return {Step{StepType::kQwen2}};
    case PreTokenizerKind::kDeepseekLlm:
      return {m(MatchNewline), m(MatchDeepseekLetters), m(MatchDeepseekPunct), Step{StepType::kTrailingWhitespace},
              m(MatchDeepseekCjk), m(MatchNumbers)};
    case PreTokenizerKind::kDeepseekCoder:
      return {m(MatchNewline), m(MatchSpaceLetters), m(MatchSpacePunct), m(MatchDeepseekCjk), m(MatchNumber)};
    case PreTokenizerKind::kFalcon:
      return {m(MatchFalconPunct), gpt2, m(MatchThreeDigits)};
    case PreTokenizerKind::kStarcoder:
      return {m(MatchNumber), gpt2};
    case PreTokenizerKind::kDefault:
      break;
  }
  return {m(MatchDefaultPunct), gpt2, m(MatchNumbers), m(MatchThreeDigits)};
}

}  // namespace

std::string_view PreTokenizerName(PreTokenizerKind kind) {
  switch (kind) {
    case PreTokenizerKind::kDefault: return "default";
    case PreTokenizerKind::kGpt2: return "gpt2";
    case PreTokenizerKind::kLlama3: return "llama3";
    case PreTokenizerKind::kQwen2: return "qwen2";
    case PreTokenizerKind::kDeepseekLlm: return "deepseek-llm";
    case PreTokenizerKind::kDeepseekCoder: return "deepseek-coder";
    case PreTokenizerKind::kFalcon: return "falcon";
    case PreTokenizerKind::kStarcoder: return "starcoder";
  }
  return "unknown";
}

std::vector<size_t> PreTokenizeCodepoints(PreTokenizerKind kind, const std::vector<uint32_t>& cpts) {
  Lengths pieces;
  if (cpts.empty()) return pieces;
  pieces.push_back(cpts.size());
  for (const Step& step : StepsFor(kind)) {
    Lengths next;
    next.reserve(pieces.size() * 2);
    size_t begin = 0;
    for (const size_t len : pieces) {
      const Piece piece(cpts, begin, begin + len);
      switch (step.type) {
        case StepType::kGpt2: SplitGpt2(piece, &next); break;
        case StepType::kLlama3: SplitLlama3(piece, 3, &next); break;
        case StepType::kQwen2: SplitLlama3(piece, 1, &next); break;
        case StepType::kTrailingWhitespace: SplitTrailingWhitespace(piece, &next); break;
        case StepType::kMatcher: SplitByMatcher(piece, step.matcher, &next); break;
      }
      begin += len;
    }
    pieces.swap(next);
  }
  return pieces;
}

std::vector<std::string> PreTokenize(PreTokenizerKind kind, std::string_view text) {
  const std::vector<uint32_t> cpts = unicode::DecodeUtf8(text);
  const Lengths lengths = PreTokenizeCodepoints(kind, cpts);
  std::vector<std::string> words;
  words.reserve(lengths.size());
  size_t begin = 0;
  for (const size_t len : lengths) {
    std::string word;
    for (size_t i = begin; i < begin + len; ++i) unicode::AppendUtf8(cpts[i], &word);
    words.push_back(std::move(word));
    begin += len;
  }
  return words;
}

}  // namespace hearth::engine
