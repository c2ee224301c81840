// Value: the dynamic value of the Jinja interpreter, with Python semantics.
//
// Templates are written against Python objects (str, int, float, bool, None,
// list, tuple, dict, jinja2's Undefined and Namespace), so every operation
// here mirrors what CPython + jinja2 do: truthiness, equality across
// int/float/bool, str() and repr() formatting (floats as repr, dicts as
// {'k': 'v'}), ordered dicts.
//
// Values are cheap to copy: lists, dicts and callables are shared. Only a
// namespace is ever mutated after creation (the sandbox jinja2 environment
// that transformers uses forbids list.append and friends), so sharing is safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace hearth::engine::jinja {

class Value;
using ValueList = std::vector<Value>;

// An insertion-ordered dict with string keys (JSON objects, namespaces,
// dict literals). Small by nature, so lookups are linear.
struct ValueDict {
  std::vector<std::pair<std::string, Value>> entries;

  const Value* Find(std::string_view key) const;
  void Set(const std::string& key, Value value);
};

// Arguments of a call: f(a, b, key=c).
struct CallArgs {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keyword;

  // Looks up argument `index` or keyword `name`; nullptr when absent.
  const Value* Get(size_t index, std::string_view name) const;
};

using NativeFunction = std::function<Result<Value>(const CallArgs&)>;

struct Callable {
  std::string name;
  NativeFunction fn;
};

class Value {
 public:
  enum class Kind : uint8_t {
    kUndefined, kNone, kBool, kInt, kFloat, kString, kList, kTuple, kDict, kNamespace, kCallable,
  };

  Value() = default;  // Undefined
  static Value Undefined(std::string name = "");
  static Value None();
  static Value Bool(bool b);
  static Value Int(int64_t i);
  static Value Float(double f);
  static Value String(std::string s);
  static Value List(ValueList items);
  static Value Tuple(ValueList items);
  static Value Dict(std::shared_ptr<ValueDict> dict);
  static Value Dict(ValueDict dict);
  static Value Namespace(ValueDict attrs);
  static Value Function(std::string name, NativeFunction fn);

  Kind kind() const { return kind_; }
  bool is_undefined() const { return kind_ == Kind::kUndefined; }
  bool is_none() const { return kind_ == Kind::kNone; }
  bool is_bool() const { return kind_ == Kind::kBool; }
  bool is_int() const { return kind_ == Kind::kInt; }
  bool is_float() const { return kind_ == Kind::kFloat; }
  // Python numbers include bool.
  bool is_number() const { return kind_ == Kind::kBool || kind_ == Kind::kInt || kind_ == Kind::kFloat; }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_list() const { return kind_ == Kind::kList; }
  bool is_tuple() const { return kind_ == Kind::kTuple; }
  bool is_sequence() const { return kind_ == Kind::kList || kind_ == Kind::kTuple; }
  bool is_dict() const { return kind_ == Kind::kDict; }
  bool is_namespace() const { return kind_ == Kind::kNamespace; }
  bool is_callable() const { return kind_ == Kind::kCallable; }

  bool as_bool() const { return b_; }
  int64_t as_int() const { return kind_ == Kind::kBool ? (b_ ? 1 : 0) : i_; }
  double as_double() const;  // any number
  const std::string& as_string() const { return s_; }
  const ValueList& items() const { return *list_; }
  const ValueDict& dict() const { return *dict_; }
  ValueDict& mutable_dict() const { return *dict_; }  // namespaces only
  const Callable& callable() const { return *fn_; }
  // For Undefined: the name that was looked up (for error messages).
  const std::string& undefined_name() const { return s_; }

  // Container nesting: 0 for scalars, 1 + the deepest item for containers,
  // computed when the container is built. The interpreter bounds it so that
  // no template can build values whose recursive printing or destruction
  // would exhaust the stack.
  uint32_t depth() const { return depth_; }
  // Values reachable through this one, counting shared ones each time they
  // are reached (what printing it would visit). Saturates at UINT32_MAX.
  uint32_t nodes() const { return nodes_; }

  // Python truthiness.
  bool Truthy() const;
  // Python type name, for error messages: "str", "int", "dict", ...
  std::string_view TypeName() const;

 private:
  Kind kind_ = Kind::kUndefined;
  bool b_ = false;
  uint32_t depth_ = 0;
  uint32_t nodes_ = 1;
  int64_t i_ = 0;
  double f_ = 0;
  std::string s_;
  std::shared_ptr<ValueList> list_;
  std::shared_ptr<ValueDict> dict_;
  std::shared_ptr<Callable> fn_;
};

// The deepest nesting Value containers may have (see Value::depth()).
constexpr uint32_t kMaxValueDepth = 200;
// The most nodes (see Value::nodes()) a value built by a template may have.
constexpr uint32_t kMaxValueNodes = 1u << 22;

// Python ==: numbers compare by value across bool/int/float, containers
// deeply, dicts regardless of order, Undefined equals only Undefined.
bool Equals(const Value& a, const Value& b);

// Python <, for numbers, strings and sequences. Other pairs are an error.
Result<bool> LessThan(const Value& a, const Value& b);

// Python str(): what {{ value }} prints. Undefined prints as "".
std::string ToPythonStr(const Value& v);
// Python repr(): how items print inside lists and dicts.
std::string ToPythonRepr(const Value& v);
// Python's repr() of a float ("1.0", "1e+16", "inf").
std::string FormatPythonFloat(double d);

}  // namespace hearth::engine::jinja
