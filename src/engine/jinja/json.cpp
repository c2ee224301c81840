#include "engine/jinja/json.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "engine/jinja/unicode.h"

namespace hearth::engine::jinja {

Value FromJson(const nlohmann::ordered_json& json) {
  switch (json.type()) {
    case nlohmann::ordered_json::value_t::null: return Value::None();
    case nlohmann::ordered_json::value_t::boolean: return Value::Bool(json.get<bool>());
    case nlohmann::ordered_json::value_t::number_integer: return Value::Int(json.get<int64_t>());
    case nlohmann::ordered_json::value_t::number_unsigned: {
      const auto u = json.get<uint64_t>();
      if (u > static_cast<uint64_t>(INT64_MAX)) return Value::Float(static_cast<double>(u));
      return Value::Int(static_cast<int64_t>(u));
    }
    case nlohmann::ordered_json::value_t::number_float: return Value::Float(json.get<double>());
    case nlohmann::ordered_json::value_t::string: return Value::String(json.get<std::string>());
    case nlohmann::ordered_json::value_t::array: {
      ValueList items;
      items.reserve(json.size());
      for (const auto& item : json) items.push_back(FromJson(item));
      return Value::List(std::move(items));
    }
    case nlohmann::ordered_json::value_t::object: {
      ValueDict dict;
      dict.entries.reserve(json.size());
      for (auto it = json.begin(); it != json.end(); ++it) dict.Set(it.key(), FromJson(it.value()));
      return Value::Dict(std::move(dict));
    }
    default: return Value::None();
  }
}

namespace {

void AppendEscapedString(const std::string& s, bool ensure_ascii, std::string* out) {
  out->push_back('"');
  auto hex4 = [out](unsigned u) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), "\\u%04x", u);
    *out += buf;
  };
  for (char32_t cp : DecodeUtf8(s)) {
    switch (cp) {
      case '"': *out += "\\\""; continue;
      case '\\': *out += "\\\\"; continue;
      case '\n': *out += "\\n"; continue;
      case '\r': *out += "\\r"; continue;
      case '\t': *out += "\\t"; continue;
      case '\b': *out += "\\b"; continue;
      case '\f': *out += "\\f"; continue;
      default: break;
    }
    if (cp < 0x20) {
      hex4(static_cast<unsigned>(cp));
    } else if (ensure_ascii && cp > 0x7E) {
      if (cp >= 0x10000) {
        const char32_t v = cp - 0x10000;
        hex4(static_cast<unsigned>(0xD800 + (v >> 10)));
        hex4(static_cast<unsigned>(0xDC00 + (v & 0x3FF)));
      } else {
        hex4(static_cast<unsigned>(cp));
      }
    } else {
      AppendUtf8(cp, out);
    }
  }
  out->push_back('"');
}

struct Dumper {
  const JsonDumpOptions& opt;
  std::string item_sep;
  std::string key_sep;
  std::string out;

  void Newline(int level) {
    out.push_back('\n');
    for (int i = 0; i < level; ++i) out += *opt.indent;
  }

  Status Dump(const Value& v, int level) {
    if (level > 512) return Status::ResourceExhausted("tojson: value nested too deeply");
    switch (v.kind()) {
      case Value::Kind::kNone: out += "null"; return Status::Ok();
      case Value::Kind::kBool: out += v.as_bool() ? "true" : "false"; return Status::Ok();
      case Value::Kind::kInt: out += std::to_string(v.as_int()); return Status::Ok();
      case Value::Kind::kFloat: {
        const double d = v.as_double();
        if (std::isnan(d)) out += "NaN";
        else if (std::isinf(d)) out += d > 0 ? "Infinity" : "-Infinity";
        else out += FormatPythonFloat(d);
        return Status::Ok();
      }
      case Value::Kind::kString: AppendEscapedString(v.as_string(), opt.ensure_ascii, &out); return Status::Ok();
      case Value::Kind::kList:
      case Value::Kind::kTuple: {
        if (v.items().empty()) {
          out += "[]";
          return Status::Ok();
        }
        out.push_back('[');
        bool first = true;
        for (const Value& item : v.items()) {
          if (!first) out += item_sep;
          first = false;
          if (opt.indent) Newline(level + 1);
          HEARTH_RETURN_IF_ERROR(Dump(item, level + 1));
        }
        if (opt.indent) Newline(level);
        out.push_back(']');
        return Status::Ok();
      }
      case Value::Kind::kDict: {
        if (v.dict().entries.empty()) {
          out += "{}";
          return Status::Ok();
        }
        std::vector<const std::pair<std::string, Value>*> entries;
        for (const auto& e : v.dict().entries) entries.push_back(&e);
        if (opt.sort_keys) {
          std::stable_sort(entries.begin(), entries.end(),
                           [](const auto* a, const auto* b) { return a->first < b->first; });
        }
        out.push_back('{');
        bool first = true;
        for (const auto* e : entries) {
          if (!first) out += item_sep;
          first = false;
          if (opt.indent) Newline(level + 1);
          AppendEscapedString(e->first, opt.ensure_ascii, &out);
          out += key_sep;
          HEARTH_RETURN_IF_ERROR(Dump(e->second, level + 1));
        }
        if (opt.indent) Newline(level);
        out.push_back('}');
        return Status::Ok();
      }
      default:
        return Status::InvalidArgument("tojson: Object of type " + std::string(v.TypeName()) +
                                       " is not JSON serializable");
    }
  }
};

}  // namespace

Result<std::string> ToJson(const Value& value, const JsonDumpOptions& options) {
  Dumper d{options, "", "", ""};
  d.item_sep = options.item_separator.value_or(options.indent ? "," : ", ");
  d.key_sep = options.key_separator.value_or(": ");
  HEARTH_RETURN_IF_ERROR(d.Dump(value, 0));
  return std::move(d.out);
}

}  // namespace hearth::engine::jinja
