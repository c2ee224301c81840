// The `hearth` command line: one binary, subcommands registered per part.
//
// Each part of Hearth adds its subcommands in its own file
// (src/cli/<part>_commands.cpp) through a Register* function, so that parts
// never edit each other's command code. Commands report failure by returning
// a non-zero exit code through CliContext::exit_code, with a one-line error on
// stderr that names the problem.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "common/config.h"

namespace hearth::cli {

struct CliContext {
  std::string config_path;   // --config; empty means the default location
  std::string log_level = "info";
  Config config;             // loaded after parsing, before callbacks run
  int exit_code = 0;
};

// Prints `hearth: <message>` to stderr and returns `code` (for exit codes).
int Fail(const std::string& message, int code = 1);

void RegisterDataCommands(CLI::App& app, CliContext& ctx);    // data_commands.cpp
void RegisterModelCommands(CLI::App& app, CliContext& ctx);   // model_commands.cpp

}  // namespace hearth::cli
