// Conversions between JSON and interpreter values.
//
// FromJson builds the template context from the caller's JSON (key order kept,
// as Python's json.loads keeps it). ToJson is the `tojson` filter exactly as
// transformers defines it for chat templates:
//   json.dumps(x, ensure_ascii=False, indent=indent, separators=separators,
//              sort_keys=sort_keys)
// so its output is byte-identical to Python's.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "engine/jinja/value.h"

namespace hearth::engine::jinja {

Value FromJson(const nlohmann::ordered_json& json);

struct JsonDumpOptions {
  bool ensure_ascii = false;
  std::optional<std::string> indent;  // nullopt: single line
  // nullopt: Python's default, (", ", ": ") or ("," , ": ") with an indent.
  std::optional<std::string> item_separator;
  std::optional<std::string> key_separator;
  bool sort_keys = false;
};

// Fails (like json.dumps) for values JSON cannot hold: Undefined, callables,
// namespaces.
Result<std::string> ToJson(const Value& value, const JsonDumpOptions& options);

}  // namespace hearth::engine::jinja
