// UTF-8 helpers for the Jinja interpreter.
//
// Python strings are sequences of code points, so length, indexing, slicing
// and reversal in templates count code points, not bytes. Template strings
// are UTF-8; invalid bytes are decoded as U+FFFD so that no input makes the
// interpreter read out of bounds.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/utf8.h"

namespace hearth::engine::jinja {

std::vector<char32_t> DecodeUtf8(std::string_view text);
using ::hearth::AppendUtf8;  // common/utf8.h
std::string EncodeUtf8(const std::vector<char32_t>& cps, size_t begin, size_t end);
// Number of code points (what Python's len() gives for a str).
size_t CodePointCount(std::string_view text);

// Python's str.isspace() for one code point.
bool IsPythonSpace(char32_t cp);

// Python's str.strip/lstrip/rstrip. With `chars` == nullptr whitespace is
// stripped, otherwise any code point in *chars.
std::string StripPython(std::string_view text, const std::string* chars, bool left, bool right);

// ASCII-only case mapping (non-ASCII code points are kept as they are).
std::string AsciiUpper(std::string_view text);
std::string AsciiLower(std::string_view text);

}  // namespace hearth::engine::jinja
