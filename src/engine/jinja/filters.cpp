// Jinja filters, as jinja2 3.1 defines them, plus transformers' `tojson`.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>

#include "engine/jinja/builtins.h"
#include "engine/jinja/json.h"
#include "engine/jinja/unicode.h"

namespace hearth::engine::jinja {
namespace {

const char* const kFilters[] = {
    "abs", "attr", "batch", "capitalize", "count", "d", "default", "dictsort", "e", "escape", "first",
    "float", "forceescape", "indent", "int", "items", "join", "last", "length", "list", "lower", "map",
    "max", "min", "reject", "rejectattr", "replace", "reverse", "round", "safe", "select", "selectattr",
    "sort", "string", "sum", "title", "tojson", "trim", "unique", "upper"};

Status ArgError(std::string_view filter, const std::string& what) {
  return Status::InvalidArgument("filter '" + std::string(filter) + "': " + what);
}

bool BoolArg(const CallArgs& args, size_t i, const char* name, bool def) {
  const Value* v = args.Get(i, name);
  return v == nullptr ? def : v->Truthy();
}

// Sort/compare key: attribute path, then lowercased when case-insensitive.
Result<Value> SortKey(const Value& item, const Value* attribute, bool case_sensitive) {
  Value key = item;
  if (attribute != nullptr && !attribute->is_none()) {
    if (attribute->is_int()) {
      HEARTH_ASSIGN_OR_RETURN(key, GetItem(item, *attribute));
    } else {
      HEARTH_ASSIGN_OR_RETURN(key, GetAttributePath(item, ToPythonStr(*attribute)));
    }
  }
  if (!case_sensitive && key.is_string()) return Value::String(AsciiLower(key.as_string()));
  return key;
}

Result<Value> SortedList(const Value& input, bool reverse, bool case_sensitive, const Value* attribute) {
  HEARTH_ASSIGN_OR_RETURN(ValueList items, Iterate(input));
  std::vector<std::pair<Value, Value>> keyed;
  for (const Value& item : items) {
    HEARTH_ASSIGN_OR_RETURN(Value key, SortKey(item, attribute, case_sensitive));
    keyed.emplace_back(std::move(key), item);
  }
  Status error;
  std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
    auto lt = reverse ? LessThan(b.first, a.first) : LessThan(a.first, b.first);
    if (!lt.ok()) {
      if (error.ok()) error = lt.status();
      return false;
    }
    return *lt;
  });
  HEARTH_RETURN_IF_ERROR(error);
  ValueList out;
  for (auto& [k, v] : keyed) out.push_back(std::move(v));
  return Value::List(std::move(out));
}

Result<Value> MinMax(const Value& input, const CallArgs& args, bool want_max) {
  const bool case_sensitive = BoolArg(args, 0, "case_sensitive", false);
  const Value* attribute = args.Get(1, "attribute");
  HEARTH_ASSIGN_OR_RETURN(ValueList items, Iterate(input));
  if (items.empty()) return Value::Undefined(std::string("No aggregated item, sequence was empty."));
  size_t best = 0;
  HEARTH_ASSIGN_OR_RETURN(Value best_key, SortKey(items[0], attribute, case_sensitive));
  for (size_t i = 1; i < items.size(); ++i) {
    HEARTH_ASSIGN_OR_RETURN(Value key, SortKey(items[i], attribute, case_sensitive));
    HEARTH_ASSIGN_OR_RETURN(bool better, want_max ? LessThan(best_key, key) : LessThan(key, best_key));
    if (better) {
      best = i;
      best_key = std::move(key);
    }
  }
  return items[best];
}

std::string HtmlEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&#34;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

// Python str.splitlines() for the separators templates meet.
std::vector<std::string> SplitLines(const std::string& s) {
  std::vector<std::string> lines;
  std::string cur;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '\n' || c == '\r' || c == '\v' || c == '\f' || c == '\x1c' || c == '\x1d' || c == '\x1e') {
      lines.push_back(cur);
      cur.clear();
      if (c == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
    } else {
      cur.push_back(c);
    }
  }
  if (!cur.empty()) lines.push_back(cur);
  return lines;
}

// Python int(str, base 10): surrounding whitespace, sign, digits, underscores.
bool ParsePythonInt(const std::string& text, int64_t* out) {
  const std::string s = StripPython(text, nullptr, true, true);
  size_t i = 0;
  bool neg = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
  if (i >= s.size()) return false;
  int64_t v = 0;
  bool prev_digit = false;
  for (; i < s.size(); ++i) {
    if (s[i] == '_' && prev_digit && i + 1 < s.size()) {
      prev_digit = false;
      continue;
    }
    if (s[i] < '0' || s[i] > '9') return false;
    if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, s[i] - '0', &v)) return false;
    prev_digit = true;
  }
  if (!prev_digit) return false;
  *out = neg ? -v : v;
  return true;
}

bool ParsePythonFloat(const std::string& text, double* out) {
  const std::string s = StripPython(text, nullptr, true, true);
  if (s.empty()) return false;
  const std::string lower = AsciiLower(s);
  if (lower.find("0x") != std::string::npos) return false;
  char* end = nullptr;
  *out = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size();
}

// Python round(x, n) for floats: round half to even at n decimal places.
double RoundHalfEven(double v, int64_t precision) {
  const double scale = std::pow(10.0, static_cast<double>(precision));
  const double scaled = v * scale;
  double r = std::nearbyint(scaled);
  return r / scale;
}

Result<Value> SelectOrReject(const Value& input, const CallArgs& args, bool select, bool by_attribute,
                             std::string_view filter) {
  HEARTH_ASSIGN_OR_RETURN(ValueList items, Iterate(input));
  size_t next = 0;
  std::string attr;
  if (by_attribute) {
    if (args.positional.empty()) return ArgError(filter, "missing attribute name");
    attr = ToPythonStr(args.positional[next++]);
  }
  std::string test;
  if (next < args.positional.size()) {
    if (!args.positional[next].is_string()) return ArgError(filter, "test name must be a string");
    test = args.positional[next++].as_string();
    if (!IsKnownTest(test)) return Status::Unimplemented("unsupported test '" + test + "'");
  }
  CallArgs test_args;
  test_args.positional.assign(args.positional.begin() + static_cast<long>(next), args.positional.end());
  test_args.keyword = args.keyword;
  ValueList out;
  for (const Value& item : items) {
    Value subject = item;
    if (by_attribute) {
      HEARTH_ASSIGN_OR_RETURN(subject, GetAttributePath(item, attr));
    }
    bool ok;
    if (test.empty()) {
      ok = subject.Truthy();
    } else {
      HEARTH_ASSIGN_OR_RETURN(ok, ApplyTest(test, subject, test_args));
    }
    if (ok == select) out.push_back(item);
  }
  return Value::List(std::move(out));
}

}  // namespace

Result<Value> GetAttributePath(const Value& object, std::string_view path) {
  Value cur = object;
  size_t start = 0;
  while (true) {
    const size_t dot = path.find('.', start);
    const std::string part(path.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    bool digits = !part.empty();
    for (char c : part) digits = digits && c >= '0' && c <= '9';
    if (digits) {
      HEARTH_ASSIGN_OR_RETURN(cur, GetItem(cur, Value::Int(std::atoll(part.c_str()))));
    } else {
      HEARTH_ASSIGN_OR_RETURN(cur, GetItem(cur, Value::String(part)));
    }
    if (dot == std::string_view::npos) return cur;
    start = dot + 1;
  }
}

bool IsKnownFilter(std::string_view name) {
  return std::find(std::begin(kFilters), std::end(kFilters), name) != std::end(kFilters);
}

Result<Value> ApplyFilter(std::string_view name, const Value& v, const CallArgs& args) {
  if (name == "safe") return v;
  if (name == "default" || name == "d") {
    const Value* def = args.Get(0, "default_value");
    const bool boolean = BoolArg(args, 1, "boolean", false);
    if (v.is_undefined() || (boolean && !v.Truthy())) return def != nullptr ? *def : Value::String("");
    return v;
  }
  if (name == "tojson") {
    JsonDumpOptions opt;
    if (const Value* a = args.Get(0, "ensure_ascii")) opt.ensure_ascii = a->Truthy();
    if (const Value* a = args.Get(1, "indent"); a != nullptr && !a->is_none()) {
      if (a->is_int()) opt.indent = std::string(static_cast<size_t>(std::clamp<int64_t>(a->as_int(), 0, 64)), ' ');
      else if (a->is_string()) opt.indent = a->as_string();
      else return ArgError(name, "indent must be an int or a string");
    }
    if (const Value* a = args.Get(2, "separators"); a != nullptr && !a->is_none()) {
      if (!a->is_sequence() || a->items().size() != 2 || !a->items()[0].is_string() || !a->items()[1].is_string()) {
        return ArgError(name, "separators must be a pair of strings");
      }
      opt.item_separator = a->items()[0].as_string();
      opt.key_separator = a->items()[1].as_string();
    }
    if (const Value* a = args.Get(3, "sort_keys")) opt.sort_keys = a->Truthy();
    HEARTH_ASSIGN_OR_RETURN(std::string json, ToJson(v, opt));
    return Value::String(std::move(json));
  }
  if (name == "length" || name == "count") {
    HEARTH_ASSIGN_OR_RETURN(int64_t n, Length(v));
    return Value::Int(n);
  }
  if (name == "string") return Value::String(ToPythonStr(v));
  if (name == "e" || name == "escape" || name == "forceescape") return Value::String(HtmlEscape(ToPythonStr(v)));
  if (name == "trim") {
    const Value* chars = args.Get(0, "chars");
    std::string set;
    if (chars != nullptr && !chars->is_none()) set = ToPythonStr(*chars);
    return Value::String(StripPython(ToPythonStr(v), (chars != nullptr && !chars->is_none()) ? &set : nullptr, true, true));
  }
  if (name == "upper") return Value::String(AsciiUpper(ToPythonStr(v)));
  if (name == "lower") return Value::String(AsciiLower(ToPythonStr(v)));
  if (name == "capitalize") {
    std::string s = AsciiLower(ToPythonStr(v));
    if (!s.empty()) s[0] = AsciiUpper(s.substr(0, 1))[0];
    return Value::String(s);
  }
  if (name == "title") {
    // jinja2: split on runs of [-\s({\[<], upper-case the first char of each piece.
    const std::string s = ToPythonStr(v);
    std::string out;
    bool at_start = true;
    for (char c : s) {
      const bool sep = c == '-' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' ||
                       c == '(' || c == '{' || c == '[' || c == '<';
      if (sep) {
        out.push_back(c);
        at_start = true;
      } else {
        out += at_start ? AsciiUpper(std::string(1, c)) : AsciiLower(std::string(1, c));
        at_start = false;
      }
    }
    return Value::String(out);
  }
  if (name == "replace") {
    const Value* old_v = args.Get(0, "old");
    const Value* new_v = args.Get(1, "new");
    if (old_v == nullptr || new_v == nullptr) return ArgError(name, "needs old and new");
    CallArgs a;
    a.positional = {Value::String(ToPythonStr(*old_v)), Value::String(ToPythonStr(*new_v))};
    if (const Value* c = args.Get(2, "count"); c != nullptr && !c->is_none()) a.positional.push_back(*c);
    Value method = GetMethod(Value::String(ToPythonStr(v)), "replace");
    return method.callable().fn(a);
  }
  if (name == "first" || name == "last") {
    HEARTH_ASSIGN_OR_RETURN(ValueList items, Iterate(v));
    if (items.empty()) return Value::Undefined(std::string("No ") + std::string(name) + " item, sequence was empty.");
    return name == "first" ? items.front() : items.back();
  }
  if (name == "list") {
    HEARTH_ASSIGN_OR_RETURN(ValueList items, Iterate(v));
    return Value::List(std::move(items));
  }
  if (name == "reverse") {
    if (v.is_string()) {
      std::vector<char32_t> cps = DecodeUtf8(v.as_string());
      std::reverse(cps.begin(), cps.end());
      return Value::String(EncodeUtf8(cps, 0, cps.size()));
    }
    HEARTH_ASSIGN_OR_RETURN(ValueList items, Iterate(v));
    std::reverse(items.begin(), items.end());
    return Value::List(std::move(items));
  }
  if (name == "join") {
    const Value* sep = args.Get(0, "d");
    const Value* attribute = args.Get(1, "attribute");
    HEARTH_ASSIGN_OR_RETURN(ValueList items, Iterate(v));
    std::string out;
    const std::string s = sep != nullptr ? ToPythonStr(*sep) : "";
    for (size_t i = 0; i < items.size(); ++i) {
      if (i > 0) out += s;
      if (attribute != nullptr && !attribute->is_none()) {
        HEARTH_ASSIGN_OR_RETURN(Value a, GetAttributePath(items[i], ToPythonStr(*attribute)));
        out += ToPythonStr(a);
      } else {
        out += ToPythonStr(items[i]);
      }
    }
    return Value::String(out);
  }
  if (name == "map") {
    HEARTH_ASSIGN_OR_RETURN(ValueList items, Iterate(v));
    ValueList out;
    const Value* attribute = nullptr;
    for (const auto& [k, val] : args.keyword) {
      if (k == "attribute") attribute = &val;
    }
    if (attribute != nullptr) {
      const Value* def = nullptr;
      for (const auto& [k, val] : args.keyword) {
        if (k == "default") def = &val;
      }
      for (const Value& item : items) {
        HEARTH_ASSIGN_OR_RETURN(Value a, GetAttributePath(item, ToPythonStr(*attribute)));
        out.push_back(a.is_undefined() && def != nullptr ? *def : a);
      }
      return Value::List(std::move(out));
    }
    if (args.positional.empty() || !args.positional[0].is_string()) return ArgError(name, "needs a filter name or attribute=");
    const std::string filter = args.positional[0].as_string();
    if (!IsKnownFilter(filter)) return Status::Unimplemented("unsupported filter '" + filter + "'");
    CallArgs inner;
    inner.positional.assign(args.positional.begin() + 1, args.positional.end());
    inner.keyword = args.keyword;
    for (const Value& item : items) {
      HEARTH_ASSIGN_OR_RETURN(Value r, ApplyFilter(filter, item, inner));
      out.push_back(std::move(r));
    }
    return Value::List(std::move(out));
  }
  if (name == "select") return SelectOrReject(v, args, true, false, name);
  if (name == "reject") return SelectOrReject(v, args, false, false, name);
  if (name == "selectattr") return SelectOrReject(v, args, true, true, name);
  if (name == "rejectattr") return SelectOrReject(v, args, false, true, name);
  if (name == "items") {
    if (v.is_undefined()) return Value::List({});
    if (!v.is_dict()) return ArgError(name, "can only get item pairs from a mapping");
    return GetMethod(v, "items").callable().fn(CallArgs{});
  }
  if (name == "dictsort") {
    if (!v.is_dict()) return ArgError(name, "needs a mapping");
    const bool case_sensitive = BoolArg(args, 0, "case_sensitive", false);
    const Value* by = args.Get(1, "by");
    const bool by_value = by != nullptr && ToPythonStr(*by) == "value";
    const bool reverse = BoolArg(args, 2, "reverse", false);
    ValueList pairs;
    for (const auto& [k, val] : v.dict().entries) pairs.push_back(Value::Tuple({Value::String(k), val}));
    const Value index = Value::Int(by_value ? 1 : 0);
    return SortedList(Value::List(std::move(pairs)), reverse, case_sensitive, &index);
  }
  if (name == "sort") {
    return SortedList(v, BoolArg(args, 0, "reverse", false), BoolArg(args, 1, "case_sensitive", false),
                      args.Get(2, "attribute"));
  }
  if (name == "unique") {
    const bool case_sensitive = BoolArg(args, 0, "case_sensitive", false);
    const Value* attribute = args.Get(1, "attribute");
    HEARTH_ASSIGN_OR_RETURN(ValueList items, Iterate(v));
    ValueList out, seen;
    for (const Value& item : items) {
      HEARTH_ASSIGN_OR_RETURN(Value key, SortKey(item, attribute, case_sensitive));
      bool dup = false;
      for (const Value& s : seen) dup = dup || Equals(s, key);
      if (!dup) {
        seen.push_back(key);
        out.push_back(item);
      }
    }
    return Value::List(std::move(out));
  }
  if (name == "min") return MinMax(v, args, false);
  if (name == "max") return MinMax(v, args, true);
  if (name == "sum") {
    const Value* attribute = args.Get(0, "attribute");
    const Value* start = args.Get(1, "start");
    HEARTH_ASSIGN_OR_RETURN(ValueList items, Iterate(v));
    Value total = start != nullptr ? *start : Value::Int(0);
    for (const Value& item : items) {
      Value x = item;
      if (attribute != nullptr && !attribute->is_none()) {
        HEARTH_ASSIGN_OR_RETURN(x, GetAttributePath(item, ToPythonStr(*attribute)));
      }
      if (!x.is_number() || !total.is_number()) return ArgError(name, "can only sum numbers");
      if (x.is_float() || total.is_float()) {
        total = Value::Float(total.as_double() + x.as_double());
      } else {
        int64_t r;
        if (__builtin_add_overflow(total.as_int(), x.as_int(), &r)) return ArgError(name, "integer overflow");
        total = Value::Int(r);
      }
    }
    return total;
  }
  if (name == "abs") {
    if (v.is_float()) return Value::Float(std::fabs(v.as_double()));
    if (v.is_int() || v.is_bool()) {
      if (v.as_int() == INT64_MIN) return ArgError(name, "integer overflow");
      return Value::Int(v.as_int() < 0 ? -v.as_int() : v.as_int());
    }
    return ArgError(name, "bad operand type for abs(): '" + std::string(v.TypeName()) + "'");
  }
  if (name == "round") {
    int64_t precision = 0;
    if (const Value* p = args.Get(0, "precision")) precision = p->as_int();
    std::string method = "common";
    if (const Value* m = args.Get(1, "method")) method = ToPythonStr(*m);
    if (!v.is_number()) return ArgError(name, "needs a number");
    if (method == "common") {
      if (!v.is_float()) return Value::Int(v.as_int());
      return Value::Float(RoundHalfEven(v.as_double(), precision));
    }
    if (method != "ceil" && method != "floor") return ArgError(name, "method must be common, ceil or floor");
    const double scale = std::pow(10.0, static_cast<double>(precision));
    const double x = v.as_double() * scale;
    return Value::Float((method == "ceil" ? std::ceil(x) : std::floor(x)) / scale);
  }
  if (name == "int") {
    const Value* def = args.Get(0, "default");
    const Value fallback = def != nullptr ? *def : Value::Int(0);
    if (v.is_int() || v.is_bool()) return Value::Int(v.as_int());
    if (v.is_float()) {
      if (!std::isfinite(v.as_double())) return ArgError(name, "cannot convert float infinity or NaN to integer");
      return Value::Int(static_cast<int64_t>(v.as_double()));
    }
    if (v.is_string()) {
      int64_t i;
      if (ParsePythonInt(v.as_string(), &i)) return Value::Int(i);
      double d;
      if (ParsePythonFloat(v.as_string(), &d) && std::isfinite(d)) return Value::Int(static_cast<int64_t>(d));
    }
    return fallback;
  }
  if (name == "float") {
    const Value* def = args.Get(0, "default");
    const Value fallback = def != nullptr ? *def : Value::Float(0.0);
    if (v.is_number()) return Value::Float(v.as_double());
    double d;
    if (v.is_string() && ParsePythonFloat(v.as_string(), &d)) return Value::Float(d);
    return fallback;
  }
  if (name == "indent") {
    std::string indention = "    ";
    if (const Value* w = args.Get(0, "width")) {
      if (w->is_string()) indention = w->as_string();
      else indention = std::string(static_cast<size_t>(std::clamp<int64_t>(w->as_int(), 0, 256)), ' ');
    }
    const bool first = BoolArg(args, 1, "first", false);
    const bool blank = BoolArg(args, 2, "blank", false);
    std::vector<std::string> lines = SplitLines(ToPythonStr(v) + "\n");
    std::string rv;
    if (blank) {
      for (size_t i = 0; i < lines.size(); ++i) {
        if (i > 0) rv += "\n" + indention;
        rv += lines[i];
      }
    } else {
      rv = lines.empty() ? "" : lines[0];
      for (size_t i = 1; i < lines.size(); ++i) rv += "\n" + (lines[i].empty() ? "" : indention) + lines[i];
    }
    if (first) rv = indention + rv;
    return Value::String(rv);
  }
  if (name == "batch") {
    const Value* count = args.Get(0, "linecount");
    if (count == nullptr || !count->is_int() || count->as_int() <= 0) return ArgError(name, "needs a positive count");
    const Value* fill = args.Get(1, "fill_with");
    HEARTH_ASSIGN_OR_RETURN(ValueList items, Iterate(v));
    ValueList out, cur;
    for (const Value& item : items) {
      cur.push_back(item);
      if (static_cast<int64_t>(cur.size()) == count->as_int()) {
        out.push_back(Value::List(std::move(cur)));
        cur.clear();
      }
    }
    if (!cur.empty()) {
      if (fill != nullptr && !fill->is_none()) {
        while (static_cast<int64_t>(cur.size()) < count->as_int()) cur.push_back(*fill);
      }
      out.push_back(Value::List(std::move(cur)));
    }
    return Value::List(std::move(out));
  }
  if (name == "attr") {
    const Value* a = args.Get(0, "name");
    if (a == nullptr) return ArgError(name, "needs an attribute name");
    if (v.is_undefined()) return UndefinedError(v);
    if (v.is_namespace()) return GetAttribute(v, ToPythonStr(*a));
    return GetMethod(v, ToPythonStr(*a));
  }
  return Status::Unimplemented("unsupported filter '" + std::string(name) + "'");
}

}  // namespace hearth::engine::jinja
