// Methods of str, dict and list that templates call (`s.strip()`,
// `d.items()`), with CPython semantics. The environment transformers uses is
// jinja2's ImmutableSandboxedEnvironment, so mutating methods exist but fail
// when called, as its SecurityError does.
#include <algorithm>
#include <string>

#include "engine/jinja/builtins.h"
#include "engine/jinja/unicode.h"

namespace hearth::engine::jinja {
namespace {

Status ArgError(const std::string& method, const std::string& what) {
  return Status::InvalidArgument(method + "(): " + what);
}

Result<const std::string*> OptionalStringArg(const CallArgs& args, size_t i, const char* name,
                                             const std::string& method) {
  const Value* v = args.Get(i, name);
  if (v == nullptr || v->is_none()) return static_cast<const std::string*>(nullptr);
  if (!v->is_string()) return ArgError(method, std::string("argument '") + name + "' must be str or None");
  return &v->as_string();
}

// Python str.split / rsplit.
ValueList Split(const std::string& s, const std::string* sep, int64_t maxsplit, bool from_right) {
  ValueList out;
  if (sep == nullptr) {
    const std::vector<char32_t> cps = DecodeUtf8(s);
    std::vector<std::pair<size_t, size_t>> words;
    size_t i = 0;
    while (i < cps.size()) {
      while (i < cps.size() && IsPythonSpace(cps[i])) ++i;
      if (i >= cps.size()) break;
      size_t j = i;
      while (j < cps.size() && !IsPythonSpace(cps[j])) ++j;
      words.emplace_back(i, j);
      i = j;
    }
    if (maxsplit >= 0 && static_cast<int64_t>(words.size()) > maxsplit + 1) {
      // The unsplit remainder keeps its inner whitespace (trailing stripped).
      if (!from_right) {
        const size_t k = static_cast<size_t>(maxsplit);
        std::vector<std::pair<size_t, size_t>> kept(words.begin(), words.begin() + static_cast<long>(k));
        size_t end = cps.size();
        while (end > words[k].first && IsPythonSpace(cps[end - 1])) --end;
        kept.emplace_back(words[k].first, end);
        words = kept;
      } else {
        const size_t k = words.size() - static_cast<size_t>(maxsplit);
        std::vector<std::pair<size_t, size_t>> kept;
        size_t begin = 0;
        while (begin < words[k - 1].second && IsPythonSpace(cps[begin])) ++begin;
        kept.emplace_back(begin, words[k - 1].second);
        kept.insert(kept.end(), words.begin() + static_cast<long>(k), words.end());
        words = kept;
      }
    }
    for (const auto& [b, e] : words) out.push_back(Value::String(EncodeUtf8(cps, b, e)));
    return out;
  }
  std::vector<std::string> parts;
  if (!from_right) {
    size_t start = 0;
    int64_t splits = 0;
    while (maxsplit < 0 || splits < maxsplit) {
      const size_t at = s.find(*sep, start);
      if (at == std::string::npos) break;
      parts.push_back(s.substr(start, at - start));
      start = at + sep->size();
      ++splits;
    }
    parts.push_back(s.substr(start));
  } else {
    size_t end = s.size();
    int64_t splits = 0;
    std::vector<std::string> rev;
    while (maxsplit < 0 || splits < maxsplit) {
      if (end < sep->size()) break;
      const size_t at = s.rfind(*sep, end - sep->size());
      if (at == std::string::npos) break;
      rev.push_back(s.substr(at + sep->size(), end - at - sep->size()));
      end = at;
      ++splits;
    }
    rev.push_back(s.substr(0, end));
    parts.assign(rev.rbegin(), rev.rend());
  }
  for (auto& p : parts) out.push_back(Value::String(std::move(p)));
  return out;
}

bool IsAsciiAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

std::string PythonTitle(const std::string& s) {
  std::string out = s;
  bool prev_cased = false;
  for (char& c : out) {
    if (IsAsciiAlpha(c)) {
      c = prev_cased ? static_cast<char>(AsciiLower(std::string(1, c))[0]) : static_cast<char>(AsciiUpper(std::string(1, c))[0]);
      prev_cased = true;
    } else {
      prev_cased = false;
    }
  }
  return out;
}

Result<Value> StringMethod(const std::string& s, const std::string& name, const CallArgs& args) {
  const std::string method = "str." + name;
  if (name == "strip" || name == "lstrip" || name == "rstrip") {
    HEARTH_ASSIGN_OR_RETURN(const std::string* chars, OptionalStringArg(args, 0, "chars", method));
    return Value::String(StripPython(s, chars, name != "rstrip", name != "lstrip"));
  }
  if (name == "split" || name == "rsplit") {
    HEARTH_ASSIGN_OR_RETURN(const std::string* sep, OptionalStringArg(args, 0, "sep", method));
    if (sep != nullptr && sep->empty()) return ArgError(method, "empty separator");
    int64_t maxsplit = -1;
    if (const Value* m = args.Get(1, "maxsplit")) {
      if (!m->is_int()) return ArgError(method, "maxsplit must be an int");
      maxsplit = m->as_int();
    }
    return Value::List(Split(s, sep, maxsplit, name == "rsplit"));
  }
  if (name == "startswith" || name == "endswith") {
    const Value* p = args.Get(0, "prefix");
    if (p == nullptr) return ArgError(method, "missing argument");
    ValueList options;
    if (p->is_tuple()) options = p->items();
    else options.push_back(*p);
    for (const Value& o : options) {
      if (!o.is_string()) return ArgError(method, "argument must be str or a tuple of str");
      const std::string& x = o.as_string();
      if (x.size() > s.size()) continue;
      if (name == "startswith" ? s.compare(0, x.size(), x) == 0 : s.compare(s.size() - x.size(), x.size(), x) == 0) {
        return Value::Bool(true);
      }
    }
    return Value::Bool(false);
  }
  if (name == "upper") return Value::String(AsciiUpper(s));
  if (name == "lower") return Value::String(AsciiLower(s));
  if (name == "title") return Value::String(PythonTitle(s));
  if (name == "capitalize") {
    std::string out = AsciiLower(s);
    if (!out.empty()) out[0] = AsciiUpper(out.substr(0, 1))[0];
    return Value::String(out);
  }
  if (name == "replace") {
    const Value* old_v = args.Get(0, "old");
    const Value* new_v = args.Get(1, "new");
    if (old_v == nullptr || new_v == nullptr || !old_v->is_string() || !new_v->is_string()) {
      return ArgError(method, "expects two str arguments");
    }
    int64_t count = -1;
    if (const Value* c = args.Get(2, "count")) count = c->as_int();
    const std::string& from = old_v->as_string();
    const std::string& to = new_v->as_string();
    std::string out;
    if (from.empty()) {
      // Python inserts `to` between code points and at both ends.
      const std::vector<char32_t> cps = DecodeUtf8(s);
      int64_t done = 0;
      for (size_t i = 0; i <= cps.size(); ++i) {
        if (count < 0 || done < count) {
          out += to;
          ++done;
        }
        if (i < cps.size()) AppendUtf8(cps[i], &out);
      }
      return Value::String(out);
    }
    size_t start = 0;
    int64_t done = 0;
    while (count < 0 || done < count) {
      const size_t at = s.find(from, start);
      if (at == std::string::npos) break;
      out.append(s, start, at - start);
      out += to;
      start = at + from.size();
      ++done;
    }
    out.append(s, start, std::string::npos);
    return Value::String(out);
  }
  if (name == "find" || name == "rfind" || name == "count" || name == "index" || name == "rindex") {
    const Value* sub = args.Get(0, "sub");
    if (sub == nullptr || !sub->is_string()) return ArgError(method, "expects a str argument");
    const std::string& x = sub->as_string();
    if (name == "count") {
      if (x.empty()) return Value::Int(static_cast<int64_t>(CodePointCount(s)) + 1);
      int64_t n = 0;
      for (size_t at = s.find(x); at != std::string::npos; at = s.find(x, at + x.size())) ++n;
      return Value::Int(n);
    }
    const size_t at = (name == "find" || name == "index") ? s.find(x) : s.rfind(x);
    if (at == std::string::npos) {
      if (name == "index" || name == "rindex") return ArgError(method, "substring not found");
      return Value::Int(-1);
    }
    return Value::Int(static_cast<int64_t>(CodePointCount(std::string_view(s).substr(0, at))));
  }
  if (name == "join") {
    const Value* it = args.Get(0, "iterable");
    if (it == nullptr) return ArgError(method, "missing argument");
    HEARTH_ASSIGN_OR_RETURN(ValueList items, Iterate(*it));
    std::string out;
    for (size_t i = 0; i < items.size(); ++i) {
      if (!items[i].is_string()) return ArgError(method, "sequence item " + std::to_string(i) + ": expected str instance");
      if (i > 0) out += s;
      out += items[i].as_string();
    }
    return Value::String(out);
  }
  if (name == "isdigit" || name == "isalpha" || name == "isalnum" || name == "isspace" || name == "islower" ||
      name == "isupper") {
    if (s.empty()) return Value::Bool(false);
    bool any_cased = false;
    for (char32_t cp : DecodeUtf8(s)) {
      const bool digit = cp >= '0' && cp <= '9';
      const bool lower = cp >= 'a' && cp <= 'z';
      const bool upper = cp >= 'A' && cp <= 'Z';
      if (name == "isdigit" && !digit) return Value::Bool(false);
      if (name == "isalpha" && !(lower || upper)) return Value::Bool(false);
      if (name == "isalnum" && !(lower || upper || digit)) return Value::Bool(false);
      if (name == "isspace" && !IsPythonSpace(cp)) return Value::Bool(false);
      if (name == "islower" && upper) return Value::Bool(false);
      if (name == "isupper" && lower) return Value::Bool(false);
      any_cased = any_cased || lower || upper;
    }
    if (name == "islower" || name == "isupper") return Value::Bool(any_cased);
    return Value::Bool(true);
  }
  return Status::Unimplemented("unsupported method '" + method + "'");
}

Result<Value> DictMethod(const Value& d, const std::string& name, const CallArgs& args) {
  if (name == "items") {
    ValueList out;
    for (const auto& [k, v] : d.dict().entries) out.push_back(Value::Tuple({Value::String(k), v}));
    return Value::List(std::move(out));
  }
  if (name == "keys") {
    ValueList out;
    for (const auto& [k, v] : d.dict().entries) out.push_back(Value::String(k));
    return Value::List(std::move(out));
  }
  if (name == "values") {
    ValueList out;
    for (const auto& [k, v] : d.dict().entries) out.push_back(v);
    return Value::List(std::move(out));
  }
  if (name == "get") {
    const Value* key = args.Get(0, "key");
    if (key == nullptr) return ArgError("dict.get", "missing argument");
    const Value* fallback = args.Get(1, "default");
    if (key->is_string()) {
      if (const Value* v = d.dict().Find(key->as_string())) return *v;
    }
    return fallback != nullptr ? *fallback : Value::None();
  }
  if (name == "copy") return Value::Dict(d.dict());
  return Status::InvalidArgument("access to attribute '" + name + "' of 'dict' object is unsafe (templates cannot modify data)");
}

Result<Value> ListMethod(const Value& l, const std::string& name, const CallArgs& args) {
  if (name == "count" || name == "index") {
    const Value* x = args.Get(0, "value");
    if (x == nullptr) return ArgError("list." + name, "missing argument");
    int64_t n = 0;
    for (size_t i = 0; i < l.items().size(); ++i) {
      if (Equals(l.items()[i], *x)) {
        if (name == "index") return Value::Int(static_cast<int64_t>(i));
        ++n;
      }
    }
    if (name == "index") return ArgError("list.index", "value is not in list");
    return Value::Int(n);
  }
  if (name == "copy") return Value::List(l.items());
  return Status::InvalidArgument("access to attribute '" + name + "' of '" + std::string(l.TypeName()) +
                                 "' object is unsafe (templates cannot modify data)");
}

bool IsStringMethod(const std::string& n) {
  static const char* const kNames[] = {"strip", "lstrip", "rstrip", "split", "rsplit", "startswith", "endswith",
                                       "upper", "lower", "title", "capitalize", "replace", "find", "rfind",
                                       "count", "index", "rindex", "join", "isdigit", "isalpha", "isalnum",
                                       "isspace", "islower", "isupper", "format", "splitlines", "zfill",
                                       "center", "ljust", "rjust", "encode", "partition", "rpartition",
                                       "casefold", "swapcase", "expandtabs"};
  return std::find(std::begin(kNames), std::end(kNames), n) != std::end(kNames);
}
bool IsDictMethod(const std::string& n) {
  static const char* const kNames[] = {"items", "keys", "values", "get", "copy", "pop", "popitem",
                                       "setdefault", "update", "clear", "fromkeys"};
  return std::find(std::begin(kNames), std::end(kNames), n) != std::end(kNames);
}
bool IsListMethod(const std::string& n, bool tuple) {
  static const char* const kNames[] = {"count", "index", "copy", "append", "extend", "insert",
                                       "pop", "remove", "reverse", "sort", "clear"};
  if (tuple) return n == "count" || n == "index";
  return std::find(std::begin(kNames), std::end(kNames), n) != std::end(kNames);
}

}  // namespace

Value GetMethod(const Value& object, const std::string& name) {
  if (object.is_string() && IsStringMethod(name)) {
    const std::string s = object.as_string();
    return Value::Function("str." + name, [s, name](const CallArgs& args) { return StringMethod(s, name, args); });
  }
  if (object.is_dict() && IsDictMethod(name)) {
    return Value::Function("dict." + name, [object, name](const CallArgs& args) { return DictMethod(object, name, args); });
  }
  if (object.is_sequence() && IsListMethod(name, object.is_tuple())) {
    return Value::Function(std::string(object.TypeName()) + "." + name,
                           [object, name](const CallArgs& args) { return ListMethod(object, name, args); });
  }
  return Value::Undefined();
}

}  // namespace hearth::engine::jinja
