#include "engine/unicode.h"

#include <algorithm>
#include <array>

namespace hearth::engine::unicode {
namespace {

// One byte per BMP code point: the category in the low bits, White_Space in
// bit 7. Built once from the range tables (64 KiB) so the hot path of every
// pre-tokenizer is a single load.
constexpr uint8_t kWhitespaceBit = 0x80;

struct BmpTable {
  std::array<uint8_t, 0x10000> cells{};
  BmpTable() {
    for (size_t i = 0; i < detail::kCategoryRangesSize; ++i) {
      const uint32_t first = detail::kCategoryRanges[i].first;
      if (first >= 0x10000) break;
      const uint32_t end = i + 1 < detail::kCategoryRangesSize
                               ? std::min<uint32_t>(detail::kCategoryRanges[i + 1].first, 0x10000)
                               : 0x10000;
      for (uint32_t c = first; c < end; ++c) cells[c] = static_cast<uint8_t>(detail::kCategoryRanges[i].category);
    }
    for (size_t i = 0; i < detail::kWhitespaceSize; ++i) {
      if (detail::kWhitespace[i] < 0x10000) cells[detail::kWhitespace[i]] |= kWhitespaceBit;
    }
  }
};

const BmpTable& Bmp() {
  static const BmpTable table;
  return table;
}

Category CategoryBySearch(uint32_t cpt) {
  const auto* begin = detail::kCategoryRanges;
  const auto* end = detail::kCategoryRanges + detail::kCategoryRangesSize;
  const auto* it = std::upper_bound(begin, end, cpt,
                                    [](uint32_t c, const detail::CategoryRange& r) { return c < r.first; });
  return it == begin ? Category::kUndefined : (it - 1)->category;
}

struct ByteMap {
  std::array<uint32_t, 256> to_cpt{};
  std::array<std::string, 256> to_utf8;
  std::array<int16_t, 0x144> from_cpt{};  // code points below 0x144 only
  ByteMap() {
    from_cpt.fill(-1);
    int next = 0;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      to_cpt[b] = printable ? static_cast<uint32_t>(b) : static_cast<uint32_t>(256 + next++);
    }
    for (int b = 0; b < 256; ++b) {
      to_utf8[b] = EncodeUtf8(to_cpt[b]);
      from_cpt[to_cpt[b]] = static_cast<int16_t>(b);
    }
  }
};

const ByteMap& Bytes() {
  static const ByteMap map;
  return map;
}

bool IsContinuation(uint8_t b) { return (b & 0xC0) == 0x80; }

}  // namespace

Category CategoryOf(uint32_t cpt) {
  if (cpt < 0x10000) return static_cast<Category>(Bmp().cells[cpt] & ~kWhitespaceBit);
  if (cpt > kMaxCodepoint) return Category::kUndefined;
  return CategoryBySearch(cpt);
}

bool IsWhitespace(uint32_t cpt) {
  // Every White_Space code point lies in the BMP.
  return cpt < 0x10000 && (Bmp().cells[cpt] & kWhitespaceBit) != 0;
}

uint32_t ToLower(uint32_t cpt) {
  if (cpt < 0x80) return (cpt >= 'A' && cpt <= 'Z') ? cpt + 32 : cpt;
  const auto* begin = detail::kLowercaseRuns;
  const auto* end = detail::kLowercaseRuns + detail::kLowercaseRunsSize;
  const auto* it = std::upper_bound(begin, end, cpt,
                                    [](uint32_t c, const detail::DeltaRun& r) { return c < r.first; });
  if (it == begin) return cpt;
  const detail::DeltaRun& run = *(it - 1);
  if (cpt > run.last || (cpt - run.first) % run.stride != 0) return cpt;
  return static_cast<uint32_t>(static_cast<int64_t>(cpt) + run.delta);
}

uint32_t NfdFirst(uint32_t cpt) {
  if (cpt < 0xC0) return cpt;
  const auto* begin = detail::kNfdFirstRuns;
  const auto* end = detail::kNfdFirstRuns + detail::kNfdFirstRunsSize;
  const auto* it = std::upper_bound(begin, end, cpt,
                                    [](uint32_t c, const detail::TargetRun& r) { return c < r.first; });
  if (it == begin) return cpt;
  const detail::TargetRun& run = *(it - 1);
  return cpt <= run.last ? run.target : cpt;
}

uint32_t DecodeOne(std::string_view text, size_t* offset) {
  const size_t i = *offset;
  const size_t n = text.size();
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(text[k]); };
  const uint8_t b0 = byte(i);
  if ((b0 & 0x80) == 0) {
    *offset = i + 1;
    return b0;
  }
  uint32_t cpt = 0;
  size_t len = 0;
  if ((b0 & 0x40) == 0) {
    len = 0;  // a continuation byte cannot start a character
  } else if ((b0 & 0x20) == 0) {
    if (i + 1 < n && IsContinuation(byte(i + 1))) {
      cpt = ((b0 & 0x1Fu) << 6) | (byte(i + 1) & 0x3Fu);
      len = 2;
    }
  } else if ((b0 & 0x10) == 0) {
    if (i + 2 < n && IsContinuation(byte(i + 1)) && IsContinuation(byte(i + 2))) {
      cpt = ((b0 & 0x0Fu) << 12) | ((byte(i + 1) & 0x3Fu) << 6) | (byte(i + 2) & 0x3Fu);
      len = 3;
    }
  } else if ((b0 & 0x08) == 0) {
    if (i + 3 < n && IsContinuation(byte(i + 1)) && IsContinuation(byte(i + 2)) && IsContinuation(byte(i + 3))) {
      cpt = ((b0 & 0x07u) << 18) | ((byte(i + 1) & 0x3Fu) << 12) | ((byte(i + 2) & 0x3Fu) << 6) |
            (byte(i + 3) & 0x3Fu);
      len = 4;
    }
  }
  if (len == 0 || cpt > kMaxCodepoint) {
    *offset = i + 1;
    return kReplacementChar;
  }
  *offset = i + len;
  return cpt;
}

std::vector<uint32_t> DecodeUtf8(std::string_view text) {
  std::vector<uint32_t> out;
  out.reserve(text.size());
  size_t offset = 0;
  while (offset < text.size()) out.push_back(DecodeOne(text, &offset));
  return out;
}

std::string EncodeUtf8(uint32_t cpt) {
  std::string s;
  AppendUtf8(cpt, &s);
  return s;
}

namespace {

// The length of the well-formed sequence starting with `lead` (RFC 3629
// table), 0 for bytes that can never start one; `lo`/`hi` bound the second byte.
size_t StrictLength(uint8_t lead, uint8_t* lo, uint8_t* hi) {
  *lo = 0x80;
  *hi = 0xBF;
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) {
    if (lead == 0xE0) *lo = 0xA0;
    if (lead == 0xED) *hi = 0x9F;
    return 3;
  }
  if (lead >= 0xF0 && lead <= 0xF4) {
    if (lead == 0xF0) *lo = 0x90;
    if (lead == 0xF4) *hi = 0x8F;
    return 4;
  }
  return 0;
}

// Examines the sequence at `text[i]`: returns its length when complete and
// valid, 0 when it is invalid, and sets *incomplete when the available bytes
// are a valid prefix that runs into the end of `text`.
size_t ExamineSequence(std::string_view text, size_t i, bool* incomplete) {
  *incomplete = false;
  uint8_t lo = 0, hi = 0;
  const size_t len = StrictLength(static_cast<uint8_t>(text[i]), &lo, &hi);
  if (len == 0) return 0;
  for (size_t k = 1; k < len; ++k) {
    if (i + k >= text.size()) {
      *incomplete = true;
      return 0;
    }
    const auto b = static_cast<uint8_t>(text[i + k]);
    const uint8_t min = k == 1 ? lo : 0x80;
    const uint8_t max = k == 1 ? hi : 0xBF;
    if (b < min || b > max) return 0;
  }
  return len;
}

}  // namespace

bool IsValidUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    bool incomplete = false;
    const size_t len = ExamineSequence(text, i, &incomplete);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

size_t CompleteUtf8Prefix(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    bool incomplete = false;
    const size_t len = ExamineSequence(text, i, &incomplete);
    if (incomplete) return i;
    i += len == 0 ? 1 : len;  // an invalid byte is final: no later byte can fix it
  }
  return i;
}

uint32_t ByteToCodepoint(uint8_t byte) { return Bytes().to_cpt[byte]; }

std::string_view ByteToUtf8(uint8_t byte) { return Bytes().to_utf8[byte]; }

int CodepointToByte(uint32_t cpt) {
  if (cpt >= Bytes().from_cpt.size()) return -1;
  return Bytes().from_cpt[cpt];
}

}  // namespace hearth::engine::unicode
