// Small JSON helpers shared by the parts that speak JSON over HTTP.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace hearth {

// Byte offset of the first byte that is not part of well-formed UTF-8
// (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF), or
// nullopt when `text` is valid.
std::optional<size_t> FindInvalidUtf8(std::string_view text);

// Serializes without throwing: invalid UTF-8 (which our inputs never carry,
// since they are validated first) is replaced with U+FFFD.
std::string DumpJson(const nlohmann::json& value);

// Name of a JSON value's type for error messages ("string", "number", ...).
std::string_view JsonTypeName(const nlohmann::json& value);

}  // namespace hearth
