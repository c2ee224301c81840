#include "ingest/xml_pull.h"

#include "common/utf8.h"

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace hearth::ingest {
namespace {

bool IsNameChar(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ':' || c == '_' ||
         c == '-' || c == '.' || c >= 0x80;
}
bool IsSpace(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }


}  // namespace

Result<XmlPull> XmlPull::Open(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return Status::IoError(fmt::format("cannot open {}: {}", path, std::strerror(errno)));
  return XmlPull(f);
}

XmlPull::XmlPull(XmlPull&& o) noexcept
    : file_(o.file_), buf_(std::move(o.buf_)), pos_(o.pos_), line_(o.line_), token_line_(o.token_line_),
      pending_end_(o.pending_end_), name_(std::move(o.name_)), text_(std::move(o.text_)),
      attrs_(std::move(o.attrs_)), stack_(std::move(o.stack_)) {
  o.file_ = nullptr;
}

XmlPull::~XmlPull() {
  if (file_ != nullptr) std::fclose(file_);
}

bool XmlPull::Fill() {
  if (pos_ < buf_.size()) return true;
  if (file_ == nullptr) return false;
  buf_.resize(65536);
  size_t n = std::fread(buf_.data(), 1, buf_.size(), file_);
  buf_.resize(n);
  pos_ = 0;
  return n > 0;
}

int XmlPull::Peek() { return Fill() ? static_cast<unsigned char>(buf_[pos_]) : -1; }

int XmlPull::Get() {
  if (!Fill()) return -1;
  int c = static_cast<unsigned char>(buf_[pos_++]);
  if (c == '\n') ++line_;
  return c;
}

Status XmlPull::Error(const std::string& what) const {
  return Status::InvalidArgument(fmt::format("line {}: {}", line_, what));
}

Status XmlPull::ReadUntil(const char* terminator, std::string* out) {
  const size_t tl = std::strlen(terminator);
  while (true) {
    int c = Get();
    if (c < 0) return Error(fmt::format("unexpected end of file (expected '{}')", terminator));
    out->push_back(static_cast<char>(c));
    if (out->size() >= tl && out->compare(out->size() - tl, tl, terminator) == 0) {
      out->resize(out->size() - tl);
      return Status::Ok();
    }
    if (out->size() > (64u << 20)) return Error("token longer than 64 MiB");
  }
}

Status XmlPull::DecodeEntities(std::string* s) const {
  if (s->find('&') == std::string::npos) return Status::Ok();
  std::string out;
  out.reserve(s->size());
  for (size_t i = 0; i < s->size(); ++i) {
    if ((*s)[i] != '&') {
      out.push_back((*s)[i]);
      continue;
    }
    size_t semi = s->find(';', i);
    if (semi == std::string::npos || semi - i > 12) return Error("'&' without a terminated entity");
    std::string_view ent(s->data() + i + 1, semi - i - 1);
    if (ent == "amp") out.push_back('&');
    else if (ent == "lt") out.push_back('<');
    else if (ent == "gt") out.push_back('>');
    else if (ent == "quot") out.push_back('"');
    else if (ent == "apos") out.push_back('\'');
    else if (!ent.empty() && ent[0] == '#') {
      uint32_t cp = 0;
      const bool hex = ent.size() > 1 && (ent[1] == 'x' || ent[1] == 'X');
      std::string_view digits = ent.substr(hex ? 2 : 1);
      if (digits.empty()) return Error(fmt::format("bad character reference '&{};'", ent));
      for (char c : digits) {
        int v = (c >= '0' && c <= '9') ? c - '0' : (hex && c >= 'a' && c <= 'f') ? c - 'a' + 10
                : (hex && c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
        if (v < 0 || cp > 0x10FFFF) return Error(fmt::format("bad character reference '&{};'", ent));
        cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(v);
      }
      if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return Error(fmt::format("bad character reference '&{};'", ent));
      }
      AppendUtf8(cp, &out);
    } else {
      return Error(fmt::format("unknown entity '&{};'", ent));
    }
    i = semi;
  }
  *s = std::move(out);
  return Status::Ok();
}

const std::string* XmlPull::Attribute(const std::string& key) const {
  for (const auto& [k, v] : attrs_) {
    if (k == key) return &v;
  }
  return nullptr;
}

Result<XmlPull::Token> XmlPull::Next() {
  if (pending_end_) {
    pending_end_ = false;
    name_ = stack_.back();
    stack_.pop_back();
    return Token::kEnd;
  }
  while (true) {
    token_line_ = line_;
    int c = Peek();
    if (c < 0) {
      if (!stack_.empty()) return Error(fmt::format("unexpected end of file inside <{}>", stack_.back()));
      return Token::kEof;
    }
    if (c != '<') {
      text_.clear();
      while ((c = Peek()) >= 0 && c != '<') text_.push_back(static_cast<char>(Get()));
      HEARTH_RETURN_IF_ERROR(DecodeEntities(&text_));
      if (stack_.empty()) {
        for (char ch : text_) {
          if (!IsSpace(static_cast<unsigned char>(ch))) return Error("text outside the root element");
        }
        continue;
      }
      return Token::kText;
    }
    Get();  // '<'
    c = Peek();
    std::string scratch;
    if (c == '?') {
      HEARTH_RETURN_IF_ERROR(ReadUntil("?>", &scratch));
      continue;
    }
    if (c == '!') {
      Get();
      if (Peek() == '-') {
        Get();
        if (Get() != '-') return Error("malformed comment");
        HEARTH_RETURN_IF_ERROR(ReadUntil("-->", &scratch));
        continue;
      }
      if (Peek() == '[') {
        HEARTH_RETURN_IF_ERROR(ReadUntil("[", &scratch));
        if (scratch != "[CDATA") return Error("malformed CDATA section");
        text_.clear();
        HEARTH_RETURN_IF_ERROR(ReadUntil("]]>", &text_));
        if (stack_.empty()) return Error("CDATA outside the root element");
        return Token::kText;
      }
      HEARTH_RETURN_IF_ERROR(ReadUntil(">", &scratch));
      if (scratch.find('[') != std::string::npos) return Error("DOCTYPE internal subsets are not supported");
      continue;
    }
    const bool end = c == '/';
    if (end) Get();
    name_.clear();
    while (IsNameChar(Peek())) name_.push_back(static_cast<char>(Get()));
    if (name_.empty()) return Error("expected an element name after '<'");
    if (end) {
      while (IsSpace(Peek())) Get();
      if (Get() != '>') return Error(fmt::format("malformed end tag </{}", name_));
      if (stack_.empty() || stack_.back() != name_) {
        return Error(fmt::format("end tag </{}> does not match <{}>", name_, stack_.empty() ? "" : stack_.back()));
      }
      stack_.pop_back();
      return Token::kEnd;
    }
    attrs_.clear();
    while (true) {
      bool spaced = false;
      while (IsSpace(Peek())) { Get(); spaced = true; }
      c = Peek();
      if (c == '>') { Get(); break; }
      if (c == '/') {
        Get();
        if (Get() != '>') return Error(fmt::format("malformed empty-element tag <{}", name_));
        pending_end_ = true;
        break;
      }
      if (!spaced || !IsNameChar(c)) return Error(fmt::format("malformed attribute in <{}>", name_));
      std::string key;
      while (IsNameChar(Peek())) key.push_back(static_cast<char>(Get()));
      while (IsSpace(Peek())) Get();
      if (Get() != '=') return Error(fmt::format("attribute '{}' in <{}> has no value", key, name_));
      while (IsSpace(Peek())) Get();
      int quote = Get();
      if (quote != '"' && quote != '\'') return Error(fmt::format("attribute '{}' in <{}> is not quoted", key, name_));
      std::string value;
      HEARTH_RETURN_IF_ERROR(ReadUntil(quote == '"' ? "\"" : "'", &value));
      if (value.find('<') != std::string::npos) return Error(fmt::format("'<' in attribute '{}'", key));
      HEARTH_RETURN_IF_ERROR(DecodeEntities(&value));
      attrs_.emplace_back(std::move(key), std::move(value));
    }
    stack_.push_back(name_);
    return Token::kStart;
  }
}

}  // namespace hearth::ingest
