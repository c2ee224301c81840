// XmlPull: a small, strict, streaming pull parser for the XML subset that
// export formats use (GPX): elements, attributes, text, comments, CDATA,
// processing instructions, a DOCTYPE without an internal subset, and the five
// predefined entities plus numeric character references. Input is read in
// 64 KiB chunks; memory is bounded by the largest single token.
//
// Errors (mismatched end tag, bad attribute, unknown entity, truncated file)
// are final and name the line.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace hearth::ingest {

class XmlPull {
 public:
  enum class Token { kStart, kEnd, kText, kEof };

  static Result<XmlPull> Open(const std::string& path);
  XmlPull(XmlPull&& other) noexcept;
  XmlPull& operator=(XmlPull&&) = delete;
  ~XmlPull();

  // Advances to the next token. A self-closing element yields kStart then kEnd.
  Result<Token> Next();

  // For kStart/kEnd: the element name (namespace prefix kept). For kText:
  // the decoded text.
  const std::string& name() const { return name_; }
  const std::string& text() const { return text_; }
  const std::vector<std::pair<std::string, std::string>>& attributes() const { return attrs_; }
  const std::string* Attribute(const std::string& key) const;
  // Line (1-based) where the current token starts.
  int64_t line() const { return token_line_; }
  size_t depth() const { return stack_.size(); }

 private:
  explicit XmlPull(std::FILE* f) : file_(f) {}
  int Peek();      // -1 at end of input
  int Get();
  bool Fill();
  Status Error(const std::string& what) const;
  Status ReadUntil(const char* terminator, std::string* out);  // consumes the terminator
  Status DecodeEntities(std::string* s) const;

  std::FILE* file_;
  std::string buf_;
  size_t pos_ = 0;
  int64_t line_ = 1;
  int64_t token_line_ = 1;
  bool pending_end_ = false;
  std::string name_, text_;
  std::vector<std::pair<std::string, std::string>> attrs_;
  std::vector<std::string> stack_;
};

}  // namespace hearth::ingest
