// SentencePiece, byte-level BPE and WordPiece on small in-memory
// vocabularies whose merge order is worked out by hand, plus special tokens,
// decoding, streaming, and metadata validation (in memory and from GGUF).
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "engine/gguf.h"
#include "engine/tokenizer.h"
#include "engine/unicode.h"

namespace hearth::engine {
namespace {

constexpr const char* kSp = "\xe2\x96\x81";  // U+2581

std::string Sp(std::string_view rest) { return std::string(kSp) + std::string(rest); }

// ---- SentencePiece ----

struct SpmVocab {
  VocabularySpec spec;
  TokenId Add(std::string text, float score, TokenType type = TokenType::kNormal) {
    spec.tokens.push_back(std::move(text));
    spec.scores.push_back(score);
    spec.token_types.push_back(static_cast<int64_t>(type));
    return static_cast<TokenId>(spec.tokens.size() - 1);
  }
};

class SpmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SpmVocab v;
    v.spec.model = "llama";
    v.Add("<unk>", 0, TokenType::kUnknown);
    v.Add("<s>", 0, TokenType::kControl);
    v.Add("</s>", 0, TokenType::kControl);
    for (int b = 0; b < 256; ++b) v.Add(fmt::format("<0x{:02X}>", b), 0, TokenType::kByte);
    space_ = v.Add(kSp, -10);
    for (const char* c : {"h", "e", "l", "o", "i"}) v.Add(c, -20);
    v.Add(Sp("h"), -5);
    v.Add("he", -1);
    ll_ = v.Add("ll", -2);
    v.Add("lo", -3);
    v.Add(Sp("he"), -4);
    v.Add("llo", -1.5f);
    hello_ = v.Add(Sp("hello"), -0.5f);
    im_start_ = v.Add("<|im_start|>", 0, TokenType::kControl);
    tool_ = v.Add("<tool>", 0, TokenType::kUserDefined);
    auto vocab = Vocabulary::Build(v.spec);
    ASSERT_TRUE(vocab.ok()) << vocab.status().ToString();
    tok_ = std::make_unique<Tokenizer>(std::move(vocab).value());
  }
  TokenId Byte(uint8_t b) const { return tok_->vocab().ByteToken(b); }

  std::unique_ptr<Tokenizer> tok_;
  TokenId space_ = 0, ll_ = 0, hello_ = 0, im_start_ = 0, tool_ = 0;
};

TEST_F(SpmTest, MergesByScoreIntoTheWholeWord) {
  // he(-1), ll(-2), llo(-1.5), ▁he(-4), ▁hello(-0.5): only the full order reaches ▁hello.
  EXPECT_EQ(tok_->Tokenize("hello", false), (std::vector<TokenId>{hello_}));
}

TEST_F(SpmTest, EqualScoresMergeLeftmostFirst) {
  const TokenId l = tok_->vocab().Find("l");
  EXPECT_EQ(tok_->Tokenize("lll", false), (std::vector<TokenId>{space_, ll_, l}));
}

TEST_F(SpmTest, UnknownCharactersFallBackToBytes) {
  EXPECT_EQ(tok_->Tokenize("\xC3\xA9", false), (std::vector<TokenId>{space_, Byte(0xC3), Byte(0xA9)}));
}

TEST_F(SpmTest, AddSpecialPrependsBos) {
  const std::vector<TokenId> ids = tok_->Tokenize("hello", true);
  EXPECT_EQ(ids, (std::vector<TokenId>{tok_->vocab().bos(), hello_}));
  EXPECT_TRUE(tok_->Tokenize("", false).empty());
  EXPECT_EQ(tok_->Tokenize("", true), (std::vector<TokenId>{tok_->vocab().bos()}));
}

TEST_F(SpmTest, ControlTokensAreParsedOnlyWhenAsked) {
  const std::vector<TokenId> parsed = tok_->Tokenize("<|im_start|>hello", false, true);
  EXPECT_EQ(parsed, (std::vector<TokenId>{im_start_, hello_}));  // the text after it gets a space prefix
  const std::vector<TokenId> literal = tok_->Tokenize("<|im_start|>hello", false, false);
  EXPECT_EQ(std::count(literal.begin(), literal.end(), im_start_), 0);
  EXPECT_EQ(literal.front(), space_);
  EXPECT_EQ(literal.at(1), Byte('<'));
}

TEST_F(SpmTest, UserDefinedTokensAreAlwaysSplitOut) {
  EXPECT_EQ(tok_->Tokenize("hello<tool>hello", false), (std::vector<TokenId>{hello_, tool_, hello_}));
}

TEST_F(SpmTest, DetokenizeRemovesTheAddedSpaceAndSpecials) {
  auto text = tok_->Detokenize(tok_->Tokenize("hello \xC3\xA9", false));
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ(*text, "hello \xC3\xA9");
  // Text after a special token gets a space prefix when encoded; decoding keeps it.
  auto after_special = tok_->Detokenize(tok_->Tokenize("<tool>hello", false));
  ASSERT_TRUE(after_special.ok());
  EXPECT_EQ(*after_special, "<tool> hello");
  // The reference keeps the space when it removes a BOS (remove_special).
  auto no_bos = tok_->Detokenize(tok_->Tokenize("hello", true), {.remove_special = true});
  ASSERT_TRUE(no_bos.ok());
  EXPECT_EQ(*no_bos, " hello");
  auto with_control = tok_->Detokenize(std::vector<TokenId>{im_start_, hello_}, {.unparse_special = true});
  ASSERT_TRUE(with_control.ok());
  EXPECT_EQ(*with_control, "<|im_start|> hello");
  auto hidden = tok_->Detokenize(std::vector<TokenId>{im_start_, hello_});
  ASSERT_TRUE(hidden.ok());
  EXPECT_EQ(*hidden, " hello");  // the leading-space removal applies to the first piece only
}

TEST_F(SpmTest, DetokenizeRejectsIdsOutsideTheVocabulary) {
  auto text = tok_->Detokenize(std::vector<TokenId>{hello_, 99999});
  ASSERT_FALSE(text.ok());
  EXPECT_NE(text.status().message().find("99999"), std::string::npos);
  EXPECT_NE(text.status().message().find("position 1"), std::string::npos);
  EXPECT_EQ(tok_->TokenToPiece(-1), "");
}

TEST_F(SpmTest, StreamingWaitsForCompleteCharacters) {
  StreamDecoder stream(*tok_);
  // 🚀 = F0 9F 9A 80, one byte token at a time.
  for (uint8_t b : {0xF0, 0x9F, 0x9A}) {
    auto part = stream.Push(Byte(b));
    ASSERT_TRUE(part.ok());
    EXPECT_EQ(*part, "");
  }
  EXPECT_EQ(stream.pending_bytes(), 3u);
  auto last = stream.Push(Byte(0x80));
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(*last, "\xF0\x9F\x9A\x80");
  auto word = stream.Push(hello_);
  ASSERT_TRUE(word.ok());
  EXPECT_EQ(*word, " hello");
  EXPECT_EQ(stream.Finish(), "");
}

TEST_F(SpmTest, StreamingReplacesBytesThatCanNeverBeValid) {
  StreamDecoder stream(*tok_);
  auto bad = stream.Push(Byte(0xFF));
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(*bad, "\xEF\xBF\xBD");
  ASSERT_TRUE(stream.Push(Byte(0xC3)).ok());
  EXPECT_EQ(stream.Finish(), "\xEF\xBF\xBD");  // cut off mid-character
  EXPECT_FALSE(stream.Push(123456).ok());
}

// ---- byte-level BPE ----

std::string Enc(std::string_view raw) {
  std::string out;
  for (const char c : raw) out.append(unicode::ByteToUtf8(static_cast<uint8_t>(c)));
  return out;
}

class BpeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    VocabularySpec spec;
    spec.model = "gpt2";
    spec.pre = "gpt-2";
    for (int b = 0; b < 256; ++b) spec.tokens.emplace_back(unicode::ByteToUtf8(static_cast<uint8_t>(b)));
    for (const char* t : {"he", "ll", "hell", "hello", " w", "or", " wor", "ld", " world"}) spec.tokens.push_back(Enc(t));
    spec.tokens.push_back("<|endoftext|>");
    spec.tokens.push_back("<tool>");
    spec.token_types.assign(spec.tokens.size(), 1);
    spec.token_types[spec.tokens.size() - 2] = 3;  // control
    spec.token_types[spec.tokens.size() - 1] = 4;  // user-defined
    for (const char* m : {"h e", "l l", "he ll", "hell o", "\xC4\xA0 w", "o r", "\xC4\xA0w or", "l d", "\xC4\xA0wor ld"}) {
      spec.merges.emplace_back(m);
    }
    spec.eos = static_cast<int64_t>(spec.tokens.size() - 2);
    auto vocab = Vocabulary::Build(spec);
    ASSERT_TRUE(vocab.ok()) << vocab.status().ToString();
    tok_ = std::make_unique<Tokenizer>(std::move(vocab).value());
  }
  TokenId Id(std::string_view raw) const { return tok_->vocab().Find(Enc(raw)); }
  std::unique_ptr<Tokenizer> tok_;
};

TEST_F(BpeTest, MergesByRank) {
  EXPECT_EQ(tok_->Tokenize("hello world", false), (std::vector<TokenId>{Id("hello"), Id(" world")}));
  // "hel" stops after "he": no rank for (he, l).
  EXPECT_EQ(tok_->Tokenize("hel", false), (std::vector<TokenId>{Id("he"), Id("l")}));
}

TEST_F(BpeTest, EveryByteHasAToken) {
  const std::string text = "\x01\xFF\n";
  const std::vector<TokenId> ids = tok_->Tokenize(text, false);
  ASSERT_EQ(ids.size(), 5u);  // 0x01 and U+FFFD form one word of four bytes
  auto back = tok_->Detokenize(ids);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, "\x01\xEF\xBF\xBD\n");  // the invalid byte became U+FFFD, as in the reference
}

TEST_F(BpeTest, SpecialTokens) {
  const TokenId eot = tok_->vocab().Find("<|endoftext|>");
  EXPECT_EQ(tok_->Tokenize("hello<|endoftext|>", false, true), (std::vector<TokenId>{Id("hello"), eot}));
  const std::vector<TokenId> literal = tok_->Tokenize("hello<|endoftext|>", false, false);
  EXPECT_EQ(std::count(literal.begin(), literal.end(), eot), 0);
  EXPECT_GT(literal.size(), 3u);
  const TokenId tool = tok_->vocab().Find("<tool>");
  EXPECT_EQ(tok_->Tokenize("<tool>hello", false), (std::vector<TokenId>{tool, Id("hello")}));
  // gpt-2 adds no BOS; this vocabulary asks for no EOS either.
  EXPECT_EQ(tok_->Tokenize("hello", true), (std::vector<TokenId>{Id("hello")}));
}

TEST_F(BpeTest, DetokenizeCleansSpacesBeforePunctuation) {
  auto text = tok_->Detokenize(tok_->Tokenize("hello , world ?", false));
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "hello, world?");
}

// ---- WordPiece ----

class WpmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    VocabularySpec spec;
    spec.model = "bert";
    spec.tokens = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", Sp("hello"), Sp("world"), Sp("!"), Sp("un"), "aff",
                   "able", Sp("\xE6\x88\x91"), Sp("\xE6\x83\xB3")};
    spec.token_types = {3, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1};
    spec.pad = 0, spec.unk = 1, spec.cls = 2, spec.sep = 3;
    auto vocab = Vocabulary::Build(spec);
    ASSERT_TRUE(vocab.ok()) << vocab.status().ToString();
    tok_ = std::make_unique<Tokenizer>(std::move(vocab).value());
  }
  std::unique_ptr<Tokenizer> tok_;
};

TEST_F(WpmTest, LowercasesStripsAccentsAndSplitsPunctuation) {
  EXPECT_EQ(tok_->Tokenize("H\xC3\xA9llo  WORLD!", false), (std::vector<TokenId>{4, 5, 6}));
}

TEST_F(WpmTest, GreedyLongestMatchWithContinuations) {
  EXPECT_EQ(tok_->Tokenize("unaffable", false), (std::vector<TokenId>{7, 8, 9}));
}

TEST_F(WpmTest, UncoverableWordsBecomeOneUnknown) {
  EXPECT_EQ(tok_->Tokenize("hello xyz unaffablex", false), (std::vector<TokenId>{4, 1, 1}));
}

TEST_F(WpmTest, CjkCharactersAreWordsOfTheirOwn) {
  EXPECT_EQ(tok_->Tokenize("\xE6\x88\x91\xE6\x83\xB3", false), (std::vector<TokenId>{10, 11}));
}

TEST_F(WpmTest, AddSpecialWrapsInClsAndSep) {
  EXPECT_EQ(tok_->Tokenize("hello", true), (std::vector<TokenId>{2, 4, 3}));
}

// ---- metadata validation ----

VocabularySpec SmallBpe() {
  VocabularySpec spec;
  spec.model = "gpt2";
  spec.pre = "qwen2";
  spec.tokens = {"a", "b", "ab"};
  spec.merges = {"a b"};
  return spec;
}

std::string BuildError(VocabularySpec spec) {
  auto v = Vocabulary::Build(std::move(spec));
  return v.ok() ? std::string("(no error)") : v.status().message();
}

TEST(VocabularyBuild, RejectsInconsistentMetadata) {
  VocabularySpec dup = SmallBpe();
  dup.tokens.push_back("a");
  EXPECT_NE(BuildError(dup).find("token 3 duplicates token 0"), std::string::npos) << BuildError(dup);

  VocabularySpec scores = SmallBpe();
  scores.scores = {0.0f};
  EXPECT_NE(BuildError(scores).find("tokenizer.ggml.scores"), std::string::npos);

  VocabularySpec types = SmallBpe();
  types.token_types = {1, 1};
  EXPECT_NE(BuildError(types).find("tokenizer.ggml.token_type"), std::string::npos);

  VocabularySpec merge = SmallBpe();
  merge.merges.push_back("ab");
  EXPECT_NE(BuildError(merge).find("tokenizer.ggml.merges'[1]"), std::string::npos) << BuildError(merge);

  VocabularySpec no_merges = SmallBpe();
  no_merges.merges.clear();
  EXPECT_NE(BuildError(no_merges).find("tokenizer.ggml.merges"), std::string::npos);

  VocabularySpec model = SmallBpe();
  model.model = "t5";
  EXPECT_NE(BuildError(model).find("'t5' is not supported"), std::string::npos);

  VocabularySpec pre = SmallBpe();
  pre.pre = "klingon";
  EXPECT_NE(BuildError(pre).find("'klingon'"), std::string::npos);

  VocabularySpec id = SmallBpe();
  id.eos = 7;
  EXPECT_NE(BuildError(id).find("tokenizer.ggml.eos_token_id' = 7"), std::string::npos) << BuildError(id);

  VocabularySpec add_bos = SmallBpe();
  add_bos.add_bos = true;  // the default BOS (11) lies outside this vocabulary
  EXPECT_NE(BuildError(add_bos).find("add_bos_token"), std::string::npos) << BuildError(add_bos);

  VocabularySpec empty = SmallBpe();
  empty.tokens.clear();
  EXPECT_NE(BuildError(empty).find("tokenizer.ggml.tokens"), std::string::npos);
}

TEST(VocabularyBuild, ResolvesPreTokenizerFlags) {
  auto qwen = Vocabulary::Build(SmallBpe());
  ASSERT_TRUE(qwen.ok());
  EXPECT_EQ(qwen->pre(), PreTokenizerKind::kQwen2);
  EXPECT_FALSE(qwen->clean_spaces());
  VocabularySpec llama3 = SmallBpe();
  llama3.pre = "llama-bpe";
  llama3.bos = 0;
  auto l3 = Vocabulary::Build(llama3);
  ASSERT_TRUE(l3.ok()) << l3.status().ToString();
  EXPECT_EQ(l3->pre(), PreTokenizerKind::kLlama3);
  EXPECT_TRUE(l3->add_bos());
  EXPECT_TRUE(l3->ignore_merges());
}

// ---- from GGUF bytes ----

// A minimal GGUF v3 writer for metadata-only files.
class GgufBytes {
 public:
  void String(std::string_view key, std::string_view value) {
    Key(key, 8);
    Str(value);
    ++n_kv_;
  }
  void StringArray(std::string_view key, const std::vector<std::string>& values) {
    Key(key, 9);
    U32(8);
    U64(values.size());
    for (const std::string& v : values) Str(v);
    ++n_kv_;
  }
  void Int32Array(std::string_view key, const std::vector<int32_t>& values) {
    Key(key, 9);
    U32(5);
    U64(values.size());
    for (int32_t v : values) Raw(&v, 4);
    ++n_kv_;
  }
  void Uint32(std::string_view key, uint32_t value) {
    Key(key, 4);
    U32(value);
    ++n_kv_;
  }
  std::string Finish() const {
    std::string out = "GGUF";
    auto put = [&out](const void* p, size_t n) { out.append(static_cast<const char*>(p), n); };
    const uint32_t version = 3;
    const uint64_t n_tensors = 0;
    put(&version, 4);
    put(&n_tensors, 8);
    put(&n_kv_, 8);
    out += body_;
    while (out.size() % 32 != 0) out.push_back('\0');
    return out;
  }

 private:
  void Raw(const void* p, size_t n) { body_.append(static_cast<const char*>(p), n); }
  void U32(uint32_t v) { Raw(&v, 4); }
  void U64(uint64_t v) { Raw(&v, 8); }
  void Str(std::string_view s) {
    U64(s.size());
    body_.append(s);
  }
  void Key(std::string_view key, uint32_t type) {
    Str(key);
    U32(type);
  }
  std::string body_;
  uint64_t n_kv_ = 0;
};

GgufBytes BaseGguf() {
  GgufBytes g;
  g.String("general.architecture", "llama");
  g.String("tokenizer.ggml.model", "gpt2");
  g.String("tokenizer.ggml.pre", "gpt-2");
  g.StringArray("tokenizer.ggml.tokens", {"h", "i", "hi", "\xC4\xA0"});
  g.StringArray("tokenizer.ggml.merges", {"h i"});
  return g;
}

TEST(LoadVocabulary, ReadsGgufMetadata) {
  GgufBytes g = BaseGguf();
  g.Int32Array("tokenizer.ggml.token_type", {1, 1, 1, 1});
  auto file = GgufFile::FromBytes(g.Finish(), "vocab.gguf");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  auto tok = Tokenizer::FromGguf(**file);
  ASSERT_TRUE(tok.ok()) << tok.status().ToString();
  EXPECT_EQ(tok->Tokenize("hi hi", false), (std::vector<TokenId>{2, 3, 2}));
}

TEST(LoadVocabulary, NamesTheFileAndKeyOfBadMetadata) {
  GgufBytes g = BaseGguf();
  g.Int32Array("tokenizer.ggml.token_type", {1, 1});
  auto file = GgufFile::FromBytes(g.Finish(), "bad.gguf");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  auto vocab = LoadVocabulary(**file);
  ASSERT_FALSE(vocab.ok());
  EXPECT_NE(vocab.status().message().find("bad.gguf"), std::string::npos) << vocab.status().message();
  EXPECT_NE(vocab.status().message().find("tokenizer.ggml.token_type"), std::string::npos);

  GgufBytes wrong = BaseGguf();
  wrong.StringArray("tokenizer.ggml.scores", {"x"});
  auto file2 = GgufFile::FromBytes(wrong.Finish(), "bad2.gguf");
  ASSERT_TRUE(file2.ok());
  auto vocab2 = LoadVocabulary(**file2);
  ASSERT_FALSE(vocab2.ok());
  EXPECT_NE(vocab2.status().message().find("tokenizer.ggml.scores"), std::string::npos) << vocab2.status().message();

  GgufBytes none;
  none.String("general.architecture", "llama");
  auto file3 = GgufFile::FromBytes(none.Finish(), "none.gguf");
  ASSERT_TRUE(file3.ok());
  auto vocab3 = LoadVocabulary(**file3);
  ASSERT_FALSE(vocab3.ok());
  EXPECT_NE(vocab3.status().message().find("tokenizer.ggml.model"), std::string::npos);

  GgufBytes id = BaseGguf();
  id.Uint32("tokenizer.ggml.bos_token_id", 4);
  auto file4 = GgufFile::FromBytes(id.Finish(), "id.gguf");
  ASSERT_TRUE(file4.ok());
  auto vocab4 = LoadVocabulary(**file4);
  ASSERT_FALSE(vocab4.ok());
  EXPECT_NE(vocab4.status().message().find("bos_token_id' = 4 is outside the vocabulary [0, 4)"), std::string::npos)
      << vocab4.status().message();
}

// ---- the CLI ----

struct CommandResult {
  int exit_code;
  std::string output;  // stdout and stderr
};

CommandResult RunHearth(const std::string& args) {
  const std::string cmd = std::string(HEARTH_BINARY) + " " + args + " 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  CommandResult run{-1, ""};
  if (pipe == nullptr) return run;
  char buf[4096];
  size_t n = 0;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) run.output.append(buf, n);
  const int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

TEST(TokenizeCommand, PrintsIdsAsJson) {
  const std::filesystem::path vocab =
      std::filesystem::path(HEARTH_SHARED_DIR) / "fixtures" / "vocab" / "ggml-vocab-llama-spm.gguf";
  if (!std::filesystem::exists(vocab)) GTEST_SKIP() << "shared fixtures not found at " << vocab;
  const CommandResult plain = RunHearth("model tokenize -m '" + vocab.string() + "' 'Hello world'");
  EXPECT_EQ(plain.exit_code, 0) << plain.output;
  EXPECT_EQ(plain.output, "[15043,3186]\n");
  const CommandResult special = RunHearth("model tokenize --special -m '" + vocab.string() + "' 'Hello world'");
  EXPECT_EQ(special.output, "[1,15043,3186]\n");
  const CommandResult parsed = RunHearth("model tokenize --parse-special -m '" + vocab.string() + "' '<s>'");
  EXPECT_EQ(parsed.output, "[1]\n");
}

TEST(TokenizeCommand, FailsWithOneLineForAMissingModel) {
  const CommandResult run = RunHearth("model tokenize -m /nonexistent/model.gguf hello");
  EXPECT_NE(run.exit_code, 0);
  EXPECT_EQ(run.output.rfind("hearth: ", 0), 0u) << run.output;
  EXPECT_NE(run.output.find("/nonexistent/model.gguf"), std::string::npos) << run.output;
  EXPECT_EQ(std::count(run.output.begin(), run.output.end(), '\n'), 1) << run.output;
}

}  // namespace
}  // namespace hearth::engine

namespace hearth::engine {
namespace {

TEST(SpmMidWordSpace, MergesAcrossSpacesWhenTokensContainThem) {
  VocabularySpec spec;
  spec.model = "llama";
  spec.tokens = {"<unk>", "<s>", "</s>", kSp, "a", "b", Sp("a"), Sp("a") + kSp, Sp("a") + kSp + "b"};
  spec.scores = {0, 0, 0, -5, -5, -5, -1, -0.5f, 0};
  spec.token_types = {2, 3, 3, 1, 1, 1, 1, 1, 1};
  auto vocab = Vocabulary::Build(spec);
  ASSERT_TRUE(vocab.ok()) << vocab.status().ToString();
  EXPECT_FALSE(vocab->spaces_lead_tokens());
  Tokenizer tok(std::move(vocab).value());
  EXPECT_EQ(tok.Tokenize("a b", false), (std::vector<TokenId>{8}));
}

}  // namespace
}  // namespace hearth::engine
