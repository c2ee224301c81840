#include "engine/jinja/lexer.h"

#include <cstring>

#include "engine/jinja/unicode.h"

namespace hearth::engine::jinja {
namespace {

bool IsWs(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsNameChar(char c) { return IsNameStart(c) || IsDigit(c); }

class Lexer {
 public:
  explicit Lexer(std::string src) : src_(std::move(src)) {
    line_starts_.push_back(0);
    for (size_t i = 0; i < src_.size(); ++i) {
      if (src_[i] == '\n') line_starts_.push_back(i + 1);
    }
  }

  Result<std::vector<Token>> Run() {
    size_t pos = 0;
    const size_t n = src_.size();
    while (pos < n) {
      size_t tag = src_.find('{', pos);
      while (tag != std::string::npos && tag + 1 < n &&
             src_[tag + 1] != '{' && src_[tag + 1] != '%' && src_[tag + 1] != '#') {
        tag = src_.find('{', tag + 1);
      }
      if (tag == std::string::npos || tag + 1 >= n) {
        EmitData(src_.substr(pos), pos);
        break;
      }
      const char kind = src_[tag + 1];
      const char modifier = tag + 2 < n ? src_[tag + 2] : '\0';
      std::string data = src_.substr(pos, tag - pos);
      if (modifier == '-') {
        size_t e = data.size();
        while (e > 0 && IsWs(data[e - 1])) --e;
        data.resize(e);
      } else if (kind != '{' && modifier != '+') {
        // lstrip_blocks: only if the tag is preceded by blanks alone on its line.
        const size_t nl = data.rfind('\n');
        const size_t l_pos = nl == std::string::npos ? 0 : nl + 1;
        const bool line_starting = pos == 0 || src_[pos - 1] == '\n';
        if (l_pos > 0 || line_starting) {
          bool blank = true;
          for (size_t i = l_pos; i < data.size(); ++i) {
            if (data[i] != ' ' && data[i] != '\t') blank = false;
          }
          if (blank) data.resize(l_pos);
        }
      }
      EmitData(std::move(data), pos);
      const size_t body = tag + 2 + ((modifier == '-' || modifier == '+') ? 1 : 0);
      if (kind == '#') {
        const size_t end = src_.find("#}", body);
        if (end == std::string::npos) return Error(tag, "unterminated comment (missing '#}')");
        pos = end + 2;
        if (end > body && src_[end - 1] == '-') {
          SkipWs(&pos);
        } else if (pos < n && src_[pos] == '\n') {
          ++pos;
        }
        continue;
      }
      if (kind == '%') {
        size_t raw_end = 0;
        auto raw = TryRaw(tag, body, &raw_end);
        if (!raw.ok()) return raw.status();
        if (*raw) {
          pos = raw_end;
          continue;
        }
      }
      auto next = LexTag(tag, body, kind);
      if (!next.ok()) return next.status();
      pos = *next;
    }
    Token eof{TokenType::kEof, "", 0, 0};
    LineCol(src_.size(), &eof.line, &eof.column);
    tokens_.push_back(eof);
    return std::move(tokens_);
  }

 private:
  void LineCol(size_t pos, int* line, int* col) const {
    size_t lo = 0, hi = line_starts_.size();
    while (hi - lo > 1) {
      const size_t mid = (lo + hi) / 2;
      if (line_starts_[mid] <= pos) lo = mid;
      else hi = mid;
    }
    *line = static_cast<int>(lo + 1);
    *col = static_cast<int>(pos - line_starts_[lo] + 1);
  }

  Status Error(size_t pos, const std::string& what) const {
    int line, col;
    LineCol(pos, &line, &col);
    return Status::InvalidArgument("template line " + std::to_string(line) + ", column " +
                                   std::to_string(col) + ": " + what);
  }

  void Push(TokenType type, std::string text, size_t pos) {
    Token t{type, std::move(text), 1, 1};
    LineCol(pos, &t.line, &t.column);
    tokens_.push_back(std::move(t));
  }

  void EmitData(std::string data, size_t pos) {
    if (!data.empty()) Push(TokenType::kData, std::move(data), pos);
  }

  void SkipWs(size_t* pos) const {
    while (*pos < src_.size() && IsWs(src_[*pos])) ++*pos;
  }

  // Matches `{%[-+]? raw [-]?%}` at `tag`; on success emits the raw body as data.
  Result<bool> TryRaw(size_t tag, size_t body, size_t* end_pos) {
    size_t p = body;
    SkipWs(&p);
    if (src_.compare(p, 3, "raw") != 0 || (p + 3 < src_.size() && IsNameChar(src_[p + 3]))) return false;
    p += 3;
    SkipWs(&p);
    bool strip_after = false;
    if (p < src_.size() && src_[p] == '-') {
      strip_after = true;
      ++p;
    }
    if (src_.compare(p, 2, "%}") != 0) return false;
    p += 2;
    if (strip_after) SkipWs(&p);
    // Find {%[-+]? endraw [-+]?%}
    size_t search = p;
    while (true) {
      const size_t open = src_.find("{%", search);
      if (open == std::string::npos) return Error(tag, "unterminated {% raw %} block (missing endraw)");
      size_t q = open + 2;
      bool strip_before = false;
      if (q < src_.size() && (src_[q] == '-' || src_[q] == '+')) {
        strip_before = src_[q] == '-';
        ++q;
      }
      SkipWs(&q);
      if (src_.compare(q, 6, "endraw") != 0) {
        search = open + 2;
        continue;
      }
      q += 6;
      SkipWs(&q);
      char end_mod = '\0';
      if (q < src_.size() && (src_[q] == '-' || src_[q] == '+')) end_mod = src_[q++];
      if (src_.compare(q, 2, "%}") != 0) return Error(open, "malformed endraw tag");
      q += 2;
      std::string content = src_.substr(p, open - p);
      if (strip_before) {
        size_t e = content.size();
        while (e > 0 && IsWs(content[e - 1])) --e;
        content.resize(e);
      }
      EmitData(std::move(content), p);
      if (end_mod == '-') {
        SkipWs(&q);
      } else if (end_mod != '+' && q < src_.size() && src_[q] == '\n') {
        ++q;
      }
      *end_pos = q;
      return true;
    }
  }

  // Lexes the inside of a {{ }} or {% %} tag; returns the position after it.
  Result<size_t> LexTag(size_t tag, size_t p, char kind) {
    const bool block = kind == '%';
    Push(block ? TokenType::kBlockBegin : TokenType::kVarBegin, block ? "{%" : "{{", tag);
    int depth = 0;
    const size_t n = src_.size();
    while (true) {
      SkipWs(&p);
      if (p >= n) return Error(tag, block ? "unterminated block tag (missing '%}')" : "unterminated expression (missing '}}')");
      // End of tag?
      if (block) {
        char mod = '\0';
        size_t q = p;
        if (src_[q] == '-' || src_[q] == '+') mod = src_[q++];
        if (src_.compare(q, 2, "%}") == 0) {
          Push(TokenType::kBlockEnd, "%}", p);
          q += 2;
          if (mod == '-') SkipWs(&q);
          else if (mod != '+' && q < n && src_[q] == '\n') ++q;
          return q;
        }
      } else if (depth == 0) {
        size_t q = p;
        const bool strip = src_[q] == '-';
        if (strip) ++q;
        if (src_.compare(q, 2, "}}") == 0) {
          Push(TokenType::kVarEnd, "}}", p);
          q += 2;
          if (strip) SkipWs(&q);
          return q;
        }
      }
      const char c = src_[p];
      if (IsNameStart(c)) {
        size_t e = p;
        while (e < n && IsNameChar(src_[e])) ++e;
        Push(TokenType::kName, src_.substr(p, e - p), p);
        p = e;
        continue;
      }
      if (IsDigit(c)) {
        const bool after_dot = !tokens_.empty() && tokens_.back().type == TokenType::kOperator &&
                               tokens_.back().text == ".";
        size_t e = p;
        while (e < n && (IsDigit(src_[e]) || src_[e] == '_')) ++e;
        bool is_float = false;
        if (!after_dot && e + 1 < n && src_[e] == '.' && IsDigit(src_[e + 1])) {
          is_float = true;
          ++e;
          while (e < n && (IsDigit(src_[e]) || src_[e] == '_')) ++e;
        }
        if (!after_dot && e < n && (src_[e] == 'e' || src_[e] == 'E')) {
          size_t q = e + 1;
          if (q < n && (src_[q] == '+' || src_[q] == '-')) ++q;
          if (q < n && IsDigit(src_[q])) {
            is_float = true;
            e = q;
            while (e < n && IsDigit(src_[e])) ++e;
          }
        }
        std::string text;
        for (size_t i = p; i < e; ++i) {
          if (src_[i] != '_') text.push_back(src_[i]);
        }
        Push(is_float ? TokenType::kFloat : TokenType::kInteger, text, p);
        p = e;
        continue;
      }
      if (c == '\'' || c == '"') {
        auto str = LexString(&p);
        if (!str.ok()) return str.status();
        continue;
      }
      static const char* const kOps[] = {"**", "//", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~",
                                         "<", ">", "=", "(", ")", "[", "]", "{", "}", ",", ".", ":", "|"};
      bool matched = false;
      for (const char* op : kOps) {
        const size_t len = std::strlen(op);
        if (src_.compare(p, len, op) == 0) {
          if (op[0] == '(' || op[0] == '[' || op[0] == '{') ++depth;
          if (op[0] == ')' || op[0] == ']' || op[0] == '}') --depth;
          Push(TokenType::kOperator, op, p);
          p += len;
          matched = true;
          break;
        }
      }
      if (!matched) {
        return Error(p, std::string("unexpected character '") + c + "'");
      }
    }
  }

  // Python string literal with escapes, as jinja2 decodes it ("unicode-escape").
  Result<bool> LexString(size_t* pos) {
    const size_t start = *pos;
    const char quote = src_[start];
    size_t p = start + 1;
    std::string out;
    while (true) {
      if (p >= src_.size()) return Error(start, "unterminated string literal");
      const char c = src_[p];
      if (c == quote) {
        ++p;
        break;
      }
      if (c != '\\') {
        out.push_back(c);
        ++p;
        continue;
      }
      if (p + 1 >= src_.size()) return Error(start, "unterminated string literal");
      const char e = src_[p + 1];
      p += 2;
      auto hex = [&](int digits) -> bool {
        if (p + static_cast<size_t>(digits) > src_.size()) return false;
        uint32_t v = 0;
        for (int i = 0; i < digits; ++i) {
          const char h = src_[p + static_cast<size_t>(i)];
          v <<= 4;
          if (h >= '0' && h <= '9') v |= static_cast<uint32_t>(h - '0');
          else if (h >= 'a' && h <= 'f') v |= static_cast<uint32_t>(h - 'a' + 10);
          else if (h >= 'A' && h <= 'F') v |= static_cast<uint32_t>(h - 'A' + 10);
          else return false;
        }
        if (v > 0x10FFFF) return false;
        AppendUtf8(v, &out);
        p += static_cast<size_t>(digits);
        return true;
      };
      switch (e) {
        case 'n': out.push_back('\n'); break;
        case 't': out.push_back('\t'); break;
        case 'r': out.push_back('\r'); break;
        case '\\': out.push_back('\\'); break;
        case '\'': out.push_back('\''); break;
        case '"': out.push_back('"'); break;
        case 'a': out.push_back('\a'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'v': out.push_back('\v'); break;
        case '\n': break;  // line continuation
        case 'x':
          if (!hex(2)) return Error(p - 2, "invalid \\x escape in string literal");
          break;
        case 'u':
          if (!hex(4)) return Error(p - 2, "invalid \\u escape in string literal");
          break;
        case 'U':
          if (!hex(8)) return Error(p - 2, "invalid \\U escape in string literal");
          break;
        default:
          if (e >= '0' && e <= '7') {
            uint32_t v = static_cast<uint32_t>(e - '0');
            for (int i = 0; i < 2 && p < src_.size() && src_[p] >= '0' && src_[p] <= '7'; ++i) {
              v = v * 8 + static_cast<uint32_t>(src_[p++] - '0');
            }
            AppendUtf8(v, &out);
          } else {
            out.push_back('\\');
            out.push_back(e);
          }
      }
    }
    Push(TokenType::kString, std::move(out), start);
    *pos = p;
    return true;
  }

  std::string src_;
  std::vector<size_t> line_starts_;
  std::vector<Token> tokens_;
};

}  // namespace

Result<std::vector<Token>> Tokenize(std::string_view source) {
  // jinja2 normalizes newlines first and drops one trailing newline.
  std::string src;
  src.reserve(source.size());
  for (size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '\r') {
      src.push_back('\n');
      if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
    } else {
      src.push_back(source[i]);
    }
  }
  if (!src.empty() && src.back() == '\n') src.pop_back();
  Lexer lexer(std::move(src));
  return lexer.Run();
}

}  // namespace hearth::engine::jinja
