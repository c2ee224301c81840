#include "common/config.h"

#include <cctype>
#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "common/paths.h"

namespace hearth {
namespace {

void Flatten(const toml::table& table, const std::string& prefix,
             std::map<std::string, std::string, std::less<>>& out) {
  for (const auto& [k, node] : table) {
    std::string key = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    if (const auto* sub = node.as_table()) {
      Flatten(*sub, key, out);
    } else if (const auto* arr = node.as_array()) {
      std::string joined;
      for (const auto& item : *arr) {
        if (!joined.empty()) joined += ",";
        if (auto s = item.value<std::string>()) joined += *s;
        else if (auto i = item.value<int64_t>()) joined += std::to_string(*i);
      }
      out[key] = joined;
    } else if (auto s = node.value_exact<std::string>()) {
      out[key] = *s;
    } else if (auto b = node.value_exact<bool>()) {
      out[key] = *b ? "true" : "false";
    } else if (auto i = node.value_exact<int64_t>()) {
      out[key] = std::to_string(*i);
    } else if (auto d = node.value_exact<double>()) {
      out[key] = fmt::format("{}", *d);
    }
  }
}

}  // namespace

Result<Config> Config::Parse(std::string_view toml_text, std::string_view origin) {
  Config config;
  config.source_path_ = std::string(origin);
  toml::table table;
  try {
    // Debian's toml++ is built with exceptions; none leaves this function.
    table = toml::parse(toml_text, std::string(origin));
  } catch (const toml::parse_error& err) {
    return Status::InvalidArgument(fmt::format("{}:{}:{}: {}", origin, err.source().begin.line,
                                               err.source().begin.column, err.description()));
  }
  Flatten(table, "", config.file_values_);
  return config;
}

Result<Config> Config::Load(const std::string& path) {
  std::string resolved = path.empty() ? DefaultConfigPath() : path;
  std::error_code ec;
  if (!std::filesystem::exists(resolved, ec)) {
    if (!path.empty()) return Status::NotFound(fmt::format("config file {} does not exist", resolved));
    Config empty;
    return empty;
  }
  auto text = ReadFileToString(resolved);
  if (!text.ok()) return text.status();
  return Parse(*text, resolved);
}

std::string Config::EnvName(std::string_view key) {
  std::string name = "HEARTH_";
  for (char c : key) name.push_back(c == '.' || c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  return name;
}

std::optional<std::string> Config::Get(std::string_view key) const {
  if (auto it = explicit_values_.find(key); it != explicit_values_.end()) return it->second;
  if (const char* env = std::getenv(EnvName(key).c_str()); env != nullptr && *env != '\0') return std::string(env);
  if (auto it = file_values_.find(key); it != file_values_.end()) return it->second;
  return std::nullopt;
}

std::string Config::GetOr(std::string_view key, std::string_view fallback) const {
  auto v = Get(key);
  return v ? *v : std::string(fallback);
}

void Config::Set(std::string_view key, std::string value) { explicit_values_[std::string(key)] = std::move(value); }

}  // namespace hearth
