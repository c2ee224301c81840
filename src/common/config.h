// Configuration: a TOML file, overridden by HEARTH_* environment variables,
// overridden by command-line flags.
//
// Keys are dotted `section.name` (e.g. `data.listen`). The environment
// variable for a key is HEARTH_ + the key upper-cased with dots turned into
// underscores (`data.listen` -> HEARTH_DATA_LISTEN). Flags are applied by the
// command that parses them, through Set().
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace hearth {

class Config {
 public:
  // Loads `path`, or the default path ($XDG_CONFIG_HOME/hearth/hearth.toml)
  // when `path` is empty. A missing default file is not an error (empty
  // config); a missing explicitly named file is. Syntax errors name the file,
  // line and column.
  static Result<Config> Load(const std::string& path);

  // Parses TOML text; `origin` names it in error messages.
  static Result<Config> Parse(std::string_view toml_text, std::string_view origin);

  // Value of `key`: environment first, then the file. Tables are flattened;
  // arrays are returned as comma-separated strings.
  std::optional<std::string> Get(std::string_view key) const;
  std::string GetOr(std::string_view key, std::string_view fallback) const;

  // Sets an explicit value that beats the environment and the file (flags).
  void Set(std::string_view key, std::string value);

  // Name of the environment variable that overrides `key`.
  static std::string EnvName(std::string_view key);

  const std::string& source_path() const { return source_path_; }

 private:
  std::map<std::string, std::string, std::less<>> file_values_;
  std::map<std::string, std::string, std::less<>> explicit_values_;
  std::string source_path_;
};

}  // namespace hearth
