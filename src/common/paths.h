// File-system helpers: XDG default locations and durable, private writes.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace hearth {

// $XDG_CONFIG_HOME/hearth (default ~/.config/hearth).
std::string DefaultConfigDir();
// DefaultConfigDir()/hearth.toml
std::string DefaultConfigPath();
// $XDG_DATA_HOME/hearth (default ~/.local/share/hearth).
std::string DefaultDataDir();

// Creates `path` and missing parents; new directories get mode 0700.
Status EnsureDirectory(const std::string& path);

Result<std::string> ReadFileToString(const std::string& path);

// Writes `contents` to `path` atomically and durably: a temporary file in the
// same directory with `mode` (0600 by default), fsync, rename, fsync of the
// directory. A crash leaves either the old file or the new one.
Status WriteFileAtomic(const std::string& path, std::string_view contents, unsigned mode = 0600);

// fsync of a directory, so that a rename or create inside it is durable.
Status SyncDirectory(const std::string& path);

}  // namespace hearth
