// Lexer: template source -> tokens, with jinja2's whitespace control applied.
//
// Whitespace rules are those of the Environment transformers builds for chat
// templates (trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=
// False):
//   - `{%-`, `{{-`, `{#-` strip all whitespace before the tag; `-%}`, `-}}`,
//     `-#}` strip all whitespace after it;
//   - trim_blocks: the first newline after a block or comment tag is removed
//     (`+%}` keeps it);
//   - lstrip_blocks: spaces and tabs from the start of a line up to a block or
//     comment tag are removed (`{%+` keeps them);
//   - a single trailing newline of the template is dropped.
// Comments disappear here and `{% raw %}` bodies become plain data, so the
// parser only sees data, `{{ }}` and `{% %}`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace hearth::engine::jinja {

enum class TokenType : uint8_t {
  kData,        // literal template text (whitespace control already applied)
  kVarBegin,    // {{
  kVarEnd,      // }}
  kBlockBegin,  // {%
  kBlockEnd,    // %}
  kName,
  kString,      // text holds the unescaped value
  kInteger,
  kFloat,
  kOperator,    // + - * / // % ** ~ == != < <= > >= = ( ) [ ] { } , . : |
  kEof,
};

struct Token {
  TokenType type;
  std::string text;
  int line = 1;    // 1-based
  int column = 1;  // 1-based, in bytes
};

// Fails with InvalidArgument naming line and column for unterminated tags,
// strings and comments, and for characters that cannot start a token.
Result<std::vector<Token>> Tokenize(std::string_view source);

}  // namespace hearth::engine::jinja
