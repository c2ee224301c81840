// Jinja tests (`x is defined`, `x is equalto y`), as jinja2 3.1 defines them.
#include <algorithm>
#include <cmath>
#include <string>

#include "engine/jinja/builtins.h"
#include "engine/jinja/unicode.h"

namespace hearth::engine::jinja {
namespace {

const char* const kTests[] = {
    "defined", "undefined", "none", "boolean", "false", "true", "integer", "float", "number",
    "string", "mapping", "iterable", "sequence", "callable", "sameas", "escaped", "lower", "upper",
    "odd", "even", "divisibleby", "in", "eq", "equalto", "==", "ne", "!=", "lt", "lessthan", "<",
    "le", "<=", "gt", "greaterthan", ">", "ge", ">="};

Result<const Value*> Arg(const CallArgs& args, std::string_view test) {
  const Value* v = args.Get(0, "other");
  if (v == nullptr) v = args.Get(0, "value");
  if (v == nullptr) v = args.Get(0, "num");
  if (v == nullptr) v = args.Get(0, "seq");
  if (v == nullptr) return Status::InvalidArgument("test '" + std::string(test) + "' needs an argument");
  return v;
}

Result<bool> Contains(const Value& container, const Value& item) {
  switch (container.kind()) {
    case Value::Kind::kUndefined: return false;
    case Value::Kind::kString:
      if (!item.is_string()) return Status::InvalidArgument("'in <string>' requires string as left operand, not " + std::string(item.TypeName()));
      return container.as_string().find(item.as_string()) != std::string::npos;
    case Value::Kind::kList:
    case Value::Kind::kTuple:
      for (const Value& v : container.items()) {
        if (Equals(v, item)) return true;
      }
      return false;
    case Value::Kind::kDict:
      return item.is_string() && container.dict().Find(item.as_string()) != nullptr;
    default:
      return Status::InvalidArgument("argument of type '" + std::string(container.TypeName()) + "' is not iterable");
  }
}

}  // namespace

bool IsKnownTest(std::string_view name) {
  return std::find(std::begin(kTests), std::end(kTests), name) != std::end(kTests);
}

Result<bool> ApplyTest(std::string_view name, const Value& v, const CallArgs& args) {
  if (name == "defined") return !v.is_undefined();
  if (name == "undefined") return v.is_undefined();
  if (name == "none") return v.is_none();
  if (name == "boolean") return v.is_bool();
  if (name == "false") return v.is_bool() && !v.as_bool();
  if (name == "true") return v.is_bool() && v.as_bool();
  if (name == "integer") return v.is_int();
  if (name == "float") return v.is_float();
  if (name == "number") return v.is_number();
  if (name == "string") return v.is_string();
  if (name == "mapping") return v.is_dict();
  if (name == "iterable") return v.is_undefined() || v.is_string() || v.is_sequence() || v.is_dict();
  if (name == "sequence") return v.is_undefined() || v.is_string() || v.is_sequence() || v.is_dict();
  if (name == "callable") return v.is_callable() || v.is_undefined();
  if (name == "escaped") return false;
  if (name == "lower" || name == "upper") {
    const std::string s = ToPythonStr(v);
    bool cased = false;
    for (char c : s) {
      if (c >= 'a' && c <= 'z') {
        if (name == "upper") return false;
        cased = true;
      } else if (c >= 'A' && c <= 'Z') {
        if (name == "lower") return false;
        cased = true;
      }
    }
    return cased;
  }
  if (name == "odd" || name == "even") {
    if (v.is_undefined()) return UndefinedError(v);
    if (!v.is_int() && !v.is_bool()) return Status::InvalidArgument("test '" + std::string(name) + "' needs an integer");
    const bool odd = (v.as_int() % 2) != 0;
    return name == "odd" ? odd : !odd;
  }
  HEARTH_ASSIGN_OR_RETURN(const Value* other, Arg(args, name));
  if (name == "sameas") {
    if (v.kind() != other->kind()) return false;
    if (v.is_none() || v.is_undefined()) return true;
    if (v.is_bool()) return v.as_bool() == other->as_bool();
    if (v.is_int()) return v.as_int() == other->as_int() && v.as_int() >= -5 && v.as_int() <= 256;
    if (v.is_sequence()) return &v.items() == &other->items();
    if (v.is_dict() || v.is_namespace()) return &v.dict() == &other->dict();
    return false;
  }
  if (name == "divisibleby") {
    if (!v.is_number() || !other->is_number()) return Status::InvalidArgument("test 'divisibleby' needs numbers");
    if (other->as_double() == 0) return Status::InvalidArgument("integer division or modulo by zero");
    if (v.is_float() || other->is_float()) return std::fmod(v.as_double(), other->as_double()) == 0;
    return v.as_int() % other->as_int() == 0;
  }
  if (name == "in") return Contains(*other, v);
  if (name == "eq" || name == "equalto" || name == "==") return Equals(v, *other);
  if (name == "ne" || name == "!=") return !Equals(v, *other);
  if (v.is_undefined()) return UndefinedError(v);
  if (other->is_undefined()) return UndefinedError(*other);
  if (name == "lt" || name == "lessthan" || name == "<") return LessThan(v, *other);
  if (name == "gt" || name == "greaterthan" || name == ">") return LessThan(*other, v);
  if (name == "le" || name == "<=") {
    if (Equals(v, *other)) return true;
    return LessThan(v, *other);
  }
  if (name == "ge" || name == ">=") {
    if (Equals(v, *other)) return true;
    return LessThan(*other, v);
  }
  return Status::Unimplemented("unsupported test '" + std::string(name) + "'");
}

// Exposed for the interpreter's `in` operator through a filter-free path.
Result<bool> ContainsValue(const Value& container, const Value& item) { return Contains(container, item); }

}  // namespace hearth::engine::jinja
