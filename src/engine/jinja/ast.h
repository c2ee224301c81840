// The syntax tree of a parsed template.
//
// Invariant: every node carries the 1-based line and column of the token that
// starts it, so any runtime error can name where in the template it happened.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/jinja/value.h"

namespace hearth::engine::jinja {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  enum class Kind {
    kLiteral,   // literal
    kName,      // name
    kList,      // children: items
    kTuple,     // children: items
    kDict,      // children: key0, value0, key1, value1, ...
    kGetAttr,   // children[0] . name
    kGetItem,   // children[0] [ children[1] ]
    kSlice,     // children[0] [ children[1] : children[2] : children[3] ] (null parts omitted)
    kCall,      // children[0] ( children[1..], kwargs )
    kFilter,    // children[0] | name ( children[1..], kwargs )
    kTest,      // children[0] is [not] name ( children[1..], kwargs ); negated
    kNeg,       // - children[0]
    kPos,       // + children[0]
    kNot,       // not children[0]
    kBinary,    // children[0] op children[1]; op in name: + - * / // % ** ~
    kAnd,
    kOr,
    kCompare,   // children[0] ops[0] children[1] ops[1] children[2] ...
    kCondExpr,  // children[1] if children[0] else children[2] (children[2] may be null)
  };
  Kind kind;
  int line = 0;
  int column = 0;
  Value literal;
  std::string name;
  std::vector<ExprPtr> children;
  std::vector<std::pair<std::string, ExprPtr>> kwargs;
  std::vector<std::string> ops;
  bool negated = false;
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

struct Stmt {
  enum class Kind {
    kData,        // text
    kOutput,      // {{ expr }}
    kIf,          // branches (cond, body)..., else_body
    kFor,         // targets in expr [if filter] body [else else_body]
    kSet,         // targets = expr, or attr_owner.attr = expr
    kSetBlock,    // {% set targets[0] %} body {% endset %}
    kMacro,       // name(params) body
    kBreak,
    kContinue,
    kWith,        // assignments body
    kGeneration,  // {% generation %} body: rendered as is (transformers' extension)
  };
  Kind kind;
  int line = 0;
  int column = 0;
  std::string text;
  ExprPtr expr;
  ExprPtr filter;  // kFor: loop condition
  std::vector<std::string> targets;
  std::string attr;  // kSet on namespace: targets[0] is the namespace, attr the attribute
  std::vector<std::pair<ExprPtr, Body>> branches;
  Body body;
  Body else_body;
  std::vector<std::pair<std::string, ExprPtr>> params;  // kMacro params with defaults (null: none); kWith
};

}  // namespace hearth::engine::jinja
