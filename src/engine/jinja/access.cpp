// Attribute and item access, iteration and len(), as jinja2's sandboxed
// environment performs them.
#include <string>

#include "engine/jinja/builtins.h"
#include "engine/jinja/unicode.h"

namespace hearth::engine::jinja {

Status UndefinedError(const Value& v) {
  if (v.undefined_name().empty()) return Status::InvalidArgument("value is undefined");
  return Status::InvalidArgument(v.undefined_name());
}

namespace {

std::string TypeObject(const Value& v) { return "'" + std::string(v.TypeName()) + " object'"; }

Value Missing(const Value& obj, const std::string& attr) {
  return Value::Undefined(TypeObject(obj) + " has no attribute '" + attr + "'");
}

}  // namespace

Result<Value> GetAttribute(const Value& object, const std::string& name) {
  switch (object.kind()) {
    case Value::Kind::kUndefined: return UndefinedError(object);
    case Value::Kind::kDict: {
      Value method = GetMethod(object, name);
      if (!method.is_undefined()) return method;
      if (const Value* v = object.dict().Find(name)) return *v;
      return Missing(object, name);
    }
    case Value::Kind::kNamespace: {
      if (const Value* v = object.dict().Find(name)) return *v;
      return Missing(object, name);
    }
    case Value::Kind::kString:
    case Value::Kind::kList:
    case Value::Kind::kTuple: {
      Value method = GetMethod(object, name);
      if (!method.is_undefined()) return method;
      return Missing(object, name);
    }
    default: return Missing(object, name);
  }
}

Result<Value> GetItem(const Value& object, const Value& key) {
  if (object.is_undefined()) return UndefinedError(object);
  if (object.is_dict() || object.is_namespace()) {
    if (key.is_string()) {
      if (const Value* v = object.dict().Find(key.as_string())) return *v;
      if (object.is_dict()) {
        Value method = GetMethod(object, key.as_string());
        if (!method.is_undefined()) return method;
      }
      return Missing(object, key.as_string());
    }
    return Value::Undefined(TypeObject(object) + " has no element " + ToPythonRepr(key));
  }
  if ((object.is_sequence() || object.is_string()) && (key.is_int() || key.is_bool())) {
    int64_t i = key.as_int();
    if (object.is_string()) {
      const std::vector<char32_t> cps = DecodeUtf8(object.as_string());
      const auto n = static_cast<int64_t>(cps.size());
      if (i < 0) i += n;
      if (i < 0 || i >= n) return Value::Undefined(TypeObject(object) + " has no element " + std::to_string(key.as_int()));
      return Value::String(EncodeUtf8(cps, static_cast<size_t>(i), static_cast<size_t>(i) + 1));
    }
    const auto n = static_cast<int64_t>(object.items().size());
    if (i < 0) i += n;
    if (i < 0 || i >= n) return Value::Undefined(TypeObject(object) + " has no element " + std::to_string(key.as_int()));
    return object.items()[static_cast<size_t>(i)];
  }
  if (key.is_string()) return GetAttribute(object, key.as_string());
  return Value::Undefined(TypeObject(object) + " has no element " + ToPythonRepr(key));
}

Result<ValueList> Iterate(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kUndefined: return ValueList{};
    case Value::Kind::kList:
    case Value::Kind::kTuple: return v.items();
    case Value::Kind::kDict: {
      ValueList keys;
      keys.reserve(v.dict().entries.size());
      for (const auto& [k, unused] : v.dict().entries) keys.push_back(Value::String(k));
      return keys;
    }
    case Value::Kind::kString: {
      ValueList chars;
      std::string one;
      for (char32_t cp : DecodeUtf8(v.as_string())) {
        one.clear();
        AppendUtf8(cp, &one);
        chars.push_back(Value::String(one));
      }
      return chars;
    }
    default:
      return Status::InvalidArgument("'" + std::string(v.TypeName()) + "' object is not iterable");
  }
}

Result<int64_t> Length(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kUndefined: return int64_t{0};
    case Value::Kind::kString: return static_cast<int64_t>(CodePointCount(v.as_string()));
    case Value::Kind::kList:
    case Value::Kind::kTuple: return static_cast<int64_t>(v.items().size());
    case Value::Kind::kDict: return static_cast<int64_t>(v.dict().entries.size());
    default:
      return Status::InvalidArgument("object of type '" + std::string(v.TypeName()) + "' has no len()");
  }
}

}  // namespace hearth::engine::jinja
