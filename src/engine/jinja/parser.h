// Parser: tokens -> syntax tree, for the subset of Jinja chat templates use.
//
// Grammar and operator precedence follow jinja2 3.1's parser (ternary, or,
// and, not, comparisons, + -, ~, * / // %, **, unary, postfix, filters and
// tests). Supported statements: if/elif/else, for (with `if` filter and
// else), set (plain, tuple, namespace attribute, block), macro, with,
// break/continue (transformers enables loopcontrols), generation.
//
// Errors are InvalidArgument for malformed templates and Unimplemented for
// valid Jinja this interpreter does not support (call blocks, include,
// extends, unknown filters or tests, ...); both name line and column. Nesting
// depth is bounded so no input can exhaust the stack.
#pragma once

#include <string_view>
#include <vector>

#include "common/status.h"
#include "engine/jinja/ast.h"
#include "engine/jinja/lexer.h"

namespace hearth::engine::jinja {

Result<Body> Parse(const std::vector<Token>& tokens);

}  // namespace hearth::engine::jinja
