// Unicode tables and the pre-tokenizers' splitting rules.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/pretokenizer.h"
#include "engine/unicode.h"

namespace hearth::engine {
namespace {

using unicode::Category;

TEST(Unicode, CategoriesFollowTheDatabase) {
  EXPECT_EQ(unicode::CategoryOf('A'), Category::kLetter);
  EXPECT_EQ(unicode::CategoryOf('5'), Category::kNumber);
  EXPECT_EQ(unicode::CategoryOf(','), Category::kPunctuation);
  EXPECT_EQ(unicode::CategoryOf('$'), Category::kSymbol);
  EXPECT_EQ(unicode::CategoryOf('~'), Category::kSymbol);
  EXPECT_EQ(unicode::CategoryOf(' '), Category::kSeparator);
  EXPECT_EQ(unicode::CategoryOf('\n'), Category::kControl);
  EXPECT_EQ(unicode::CategoryOf(0x0301), Category::kMark);        // combining acute
  EXPECT_EQ(unicode::CategoryOf(0x00BD), Category::kNumber);      // ½ (No)
  EXPECT_EQ(unicode::CategoryOf(0x4E00), Category::kLetter);      // CJK (a First/Last range)
  EXPECT_EQ(unicode::CategoryOf(0x9FFF), Category::kLetter);
  EXPECT_EQ(unicode::CategoryOf(0xAC01), Category::kLetter);      // Hangul syllable range
  EXPECT_EQ(unicode::CategoryOf(0x1F680), Category::kSymbol);     // 🚀 (above the BMP)
  EXPECT_EQ(unicode::CategoryOf(0x20000), Category::kLetter);     // CJK extension B
  EXPECT_EQ(unicode::CategoryOf(0xE000), Category::kControl);     // private use (Co)
  EXPECT_EQ(unicode::CategoryOf(0x0378), Category::kUndefined);   // unassigned
  EXPECT_EQ(unicode::CategoryOf(0x10FFFF), Category::kUndefined);
  EXPECT_EQ(unicode::CategoryOf(0x110000), Category::kUndefined);  // out of range
}

TEST(Unicode, WhitespaceIsThePropListSet) {
  for (uint32_t c : {0x09u, 0x0Au, 0x0Bu, 0x0Cu, 0x0Du, 0x20u, 0x85u, 0xA0u, 0x1680u, 0x2000u, 0x200Au, 0x2028u,
                     0x2029u, 0x202Fu, 0x205Fu, 0x3000u}) {
    EXPECT_TRUE(unicode::IsWhitespace(c)) << std::hex << c;
  }
  for (uint32_t c : {0x08u, 0x1Cu, 0x41u, 0x200Bu, 0xFEFFu, 0x1F680u}) {
    EXPECT_FALSE(unicode::IsWhitespace(c)) << std::hex << c;
  }
}

TEST(Unicode, LowercaseRunsCoverStridedBlocks) {
  EXPECT_EQ(unicode::ToLower('A'), static_cast<uint32_t>('a'));
  EXPECT_EQ(unicode::ToLower('a'), static_cast<uint32_t>('a'));
  EXPECT_EQ(unicode::ToLower(0xC4), 0xE4u);      // Ä -> ä
  EXPECT_EQ(unicode::ToLower(0x0100), 0x0101u);  // Ā -> ā (stride-2 run)
  EXPECT_EQ(unicode::ToLower(0x0101), 0x0101u);  // already lower, inside the run's span
  EXPECT_EQ(unicode::ToLower(0x03A3), 0x03C3u);  // Σ -> σ
  EXPECT_EQ(unicode::ToLower(0x0411), 0x0431u);  // Б -> б
  EXPECT_EQ(unicode::ToLower(0x212A), static_cast<uint32_t>('k'));  // Kelvin sign
  EXPECT_EQ(unicode::ToLower(0x10400), 0x10428u);  // Deseret
  EXPECT_EQ(unicode::ToLower(0x4E00), 0x4E00u);
}

TEST(Unicode, NfdFirstStripsToTheBaseCharacter) {
  EXPECT_EQ(unicode::NfdFirst(0xE9), static_cast<uint32_t>('e'));   // é
  EXPECT_EQ(unicode::NfdFirst(0xC5), static_cast<uint32_t>('A'));   // Å
  EXPECT_EQ(unicode::NfdFirst(0x1EED), static_cast<uint32_t>('u'));  // ử (two marks)
  EXPECT_EQ(unicode::NfdFirst(0xAC00), 0x1100u);                     // 가 -> leading jamo
  EXPECT_EQ(unicode::NfdFirst('a'), static_cast<uint32_t>('a'));
  EXPECT_EQ(unicode::NfdFirst(0x4E00), 0x4E00u);
}

TEST(Unicode, DecodingReplacesMalformedBytesOneByOne) {
  EXPECT_EQ(unicode::DecodeUtf8("a\xC3\xA9"), (std::vector<uint32_t>{'a', 0xE9}));
  EXPECT_EQ(unicode::DecodeUtf8("\xF0\x9F\x9A\x80"), (std::vector<uint32_t>{0x1F680}));
  // A stray continuation byte, a truncated sequence, an impossible lead byte.
  EXPECT_EQ(unicode::DecodeUtf8("\x80"), (std::vector<uint32_t>{0xFFFD}));
  EXPECT_EQ(unicode::DecodeUtf8("\xE2\x96"), (std::vector<uint32_t>{0xFFFD, 0xFFFD}));
  EXPECT_EQ(unicode::DecodeUtf8("\xFFx"), (std::vector<uint32_t>{0xFFFD, 'x'}));
  EXPECT_EQ(unicode::EncodeUtf8(0x1F680), "\xF0\x9F\x9A\x80");
  EXPECT_EQ(unicode::EncodeUtf8(0x110000), "\xEF\xBF\xBD");
}

TEST(Unicode, CompletePrefixHoldsBackOnlyUnfinishedCharacters) {
  EXPECT_EQ(unicode::CompleteUtf8Prefix("ab"), 2u);
  EXPECT_EQ(unicode::CompleteUtf8Prefix("a\xC3"), 1u);
  EXPECT_EQ(unicode::CompleteUtf8Prefix("a\xF0\x9F\x9A"), 1u);
  EXPECT_EQ(unicode::CompleteUtf8Prefix("a\xF0\x9F\x9A\x80"), 5u);
  EXPECT_EQ(unicode::CompleteUtf8Prefix("\xFF"), 1u);      // never valid: not held back
  EXPECT_EQ(unicode::CompleteUtf8Prefix("\xE0\x80"), 2u);  // overlong start: invalid, not pending
  EXPECT_TRUE(unicode::IsValidUtf8("h\xC3\xA9llo"));
  EXPECT_FALSE(unicode::IsValidUtf8("\xED\xA0\x80"));  // surrogate
  EXPECT_FALSE(unicode::IsValidUtf8("\xC0\xAF"));      // overlong
}

TEST(Unicode, ByteMappingIsGpt2sAndInvertible) {
  EXPECT_EQ(unicode::ByteToCodepoint('a'), static_cast<uint32_t>('a'));
  EXPECT_EQ(unicode::ByteToCodepoint(' '), 0x120u);   // Ġ
  EXPECT_EQ(unicode::ByteToCodepoint('\n'), 0x10Au);  // Ċ
  EXPECT_EQ(unicode::ByteToCodepoint(0xAD), 0x143u);  // the last unprintable byte
  EXPECT_EQ(unicode::ByteToUtf8(' '), "\xC4\xA0");
  for (int b = 0; b < 256; ++b) {
    EXPECT_EQ(unicode::CodepointToByte(unicode::ByteToCodepoint(static_cast<uint8_t>(b))), b);
  }
  EXPECT_EQ(unicode::CodepointToByte(0x20), -1);  // a space is not a mapped character
  EXPECT_EQ(unicode::CodepointToByte(0x4E00), -1);
}

std::vector<std::string> Split(PreTokenizerKind kind, std::string_view text) { return PreTokenize(kind, text); }
using Words = std::vector<std::string>;

TEST(PreTokenizer, Gpt2) {
  EXPECT_EQ(Split(PreTokenizerKind::kGpt2, "Hello world's  end!!\n"),
            (Words{"Hello", " world", "'s", " ", " end", "!!", "\n"}));
  EXPECT_EQ(Split(PreTokenizerKind::kGpt2, "a   b"), (Words{"a", "  ", " b"}));
  EXPECT_EQ(Split(PreTokenizerKind::kGpt2, "x 123 ½"), (Words{"x", " 123", " ½"}));
  EXPECT_EQ(Split(PreTokenizerKind::kGpt2, "'RE"), (Words{"'", "RE"}));  // contractions are lowercase only
  EXPECT_TRUE(Split(PreTokenizerKind::kGpt2, "").empty());
}

TEST(PreTokenizer, Llama3GroupsDigitsByThreeAndKeepsNewlinesTogether) {
  EXPECT_EQ(Split(PreTokenizerKind::kLlama3, "1234567"), (Words{"123", "456", "7"}));
  EXPECT_EQ(Split(PreTokenizerKind::kLlama3, "I'M here\n\n  ok"), (Words{"I", "'M", " here", "\n\n", " ", " ok"}));
  EXPECT_EQ(Split(PreTokenizerKind::kLlama3, "(hi)..\n"), (Words{"(hi", ")..\n"}));
  EXPECT_EQ(Split(PreTokenizerKind::kQwen2, "1234"), (Words{"1", "2", "3", "4"}));
}

TEST(PreTokenizer, DeepseekCoderSplitsLettersPunctuationAndDigits) {
  EXPECT_EQ(Split(PreTokenizerKind::kDeepseekCoder, "foo(x1)\n bar"),
            (Words{"foo", "(", "x", "1", ")", "\n", " bar"}));
}

TEST(PreTokenizer, DeepseekLlmSeparatesTrailingWhitespaceAndCjk) {
  EXPECT_EQ(Split(PreTokenizerKind::kDeepseekLlm, "ab  "), (Words{"ab", "  "}));
  EXPECT_EQ(Split(PreTokenizerKind::kDeepseekLlm, "我想apple"), (Words{"我想", "apple"}));
  // Each expression splits every piece again: the punctuation class [!-/:-~]
  // covers ASCII letters, so the third expression cuts "mega" off "Ωmega".
  EXPECT_EQ(Split(PreTokenizerKind::kDeepseekLlm, "\u03A9mega"), (Words{"\u03A9", "mega"}));
}

TEST(PreTokenizer, FalconCutsPunctuationRunsAndDigitTriples) {
  EXPECT_EQ(Split(PreTokenizerKind::kFalcon, "a+=b 12345"), (Words{"a", "+=", "b", " ", "123", "45"}));
}

TEST(PreTokenizer, StarcoderSplitsEveryDigit) {
  EXPECT_EQ(Split(PreTokenizerKind::kStarcoder, "x 42"), (Words{"x", " ", "4", "2"}));
}

TEST(PreTokenizer, InvalidUtf8BecomesReplacementCharacters) {
  EXPECT_EQ(Split(PreTokenizerKind::kGpt2, "a\xFF"), (Words{"a", "\xEF\xBF\xBD"}));
}

}  // namespace
}  // namespace hearth::engine
