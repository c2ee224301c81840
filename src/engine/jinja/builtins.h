// Built-in filters, tests and methods, with jinja2 3.1 / CPython semantics.
//
// Filters and tests are looked up by name at parse time (IsKnownFilter,
// IsKnownTest) so a template that needs one this interpreter lacks is
// rejected before rendering, naming the construct. Methods are the
// non-mutating str/dict methods the sandboxed environment allows; mutating
// ones (list.append, dict.update, ...) fail like jinja2's SecurityError.
//
// Errors returned here carry no template position; the interpreter adds it.
#pragma once

#include <string_view>

#include "common/status.h"
#include "engine/jinja/value.h"

namespace hearth::engine::jinja {

bool IsKnownFilter(std::string_view name);
bool IsKnownTest(std::string_view name);

// `input | name(args)`.
Result<Value> ApplyFilter(std::string_view name, const Value& input, const CallArgs& args);
// `input is name(args)`.
Result<bool> ApplyTest(std::string_view name, const Value& input, const CallArgs& args);

// `object.name` for str, list and dict methods: a bound callable, or an
// Undefined when the object has no such method.
Value GetMethod(const Value& object, const std::string& name);

// jinja2's environment.getattr / getitem: attribute first for `a.b`, item
// first for `a[b]`; missing keys and out-of-range indexes give Undefined.
// Fails only where jinja2 fails (e.g. any access on Undefined).
Result<Value> GetAttribute(const Value& object, const std::string& name);
Result<Value> GetItem(const Value& object, const Value& key);

// Iterates like Python's iter(): list/tuple items, dict keys, str code points,
// nothing for Undefined. Fails for other values.
Result<ValueList> Iterate(const Value& v);

// Python len().
Result<int64_t> Length(const Value& v);

// Python `item in container`.
Result<bool> ContainsValue(const Value& container, const Value& item);

// The error for using an Undefined where a value is needed ("'x' is undefined").
Status UndefinedError(const Value& v);

// jinja2's attribute getter for filters (map, sort, selectattr, ...): a
// dotted path whose parts are looked up with GetItem, digits as indexes.
Result<Value> GetAttributePath(const Value& object, std::string_view path);

}  // namespace hearth::engine::jinja
