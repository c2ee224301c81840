// Structured logging in logfmt: `ts=… level=info component=data msg="…" k=v`.
//
// Rule (enforced by review, documented in docs/ARCHITECTURE.md): personal
// content (event text, chat messages, file names of personal files, tokens,
// keys) is only ever passed to Debug(). Info and above carry counts, sizes,
// ids chosen by Hearth, durations and error codes.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace hearth::log {

enum class Level { kDebug = 0, kInfo, kWarn, kError, kOff };

// Parses "debug", "info", "warn", "error", "off"; returns false if unknown.
bool ParseLevel(std::string_view text, Level* out);

// Sets the process-wide threshold. Logs go to stderr. Thread-safe to call
// once at start-up; later calls replace the level.
void Init(Level level);
Level CurrentLevel();

struct Field {
  std::string_view key;
  std::string value;
  template <typename T>
  Field(std::string_view k, const T& v) : key(k), value(fmt::format("{}", v)) {}
};

void Write(Level level, std::string_view component, std::string_view message,
           std::initializer_list<Field> fields);

inline void Debug(std::string_view c, std::string_view m, std::initializer_list<Field> f = {}) { Write(Level::kDebug, c, m, f); }
inline void Info(std::string_view c, std::string_view m, std::initializer_list<Field> f = {}) { Write(Level::kInfo, c, m, f); }
inline void Warn(std::string_view c, std::string_view m, std::initializer_list<Field> f = {}) { Write(Level::kWarn, c, m, f); }
inline void Error(std::string_view c, std::string_view m, std::initializer_list<Field> f = {}) { Write(Level::kError, c, m, f); }

}  // namespace hearth::log
