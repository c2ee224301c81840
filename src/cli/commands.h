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

// Each Register* function lives in the file named beside it. Registration
// order is fixed in main.cpp: `model` is created by RegisterModelCommands and
// later functions add to it through app.get_subcommand("model").
void RegisterDataCommands(CLI::App& app, CliContext& ctx);      // data_commands.cpp: data, device
void RegisterModelCommands(CLI::App& app, CliContext& ctx);     // model_commands.cpp: model synth, model info
void RegisterTokenizeCommand(CLI::App& app, CliContext& ctx);   // tokenize_command.cpp: model tokenize
void RegisterTemplateCommand(CLI::App& app, CliContext& ctx);   // template_command.cpp: model template
void RegisterRunCommands(CLI::App& app, CliContext& ctx);       // run_commands.cpp: run, eval, bench
void RegisterTimelineCommands(CLI::App& app, CliContext& ctx);  // timeline_commands.cpp: demo, search

void RegisterImportCommands(CLI::App& app, CliContext& ctx);    // import_commands.cpp: import, collect

}  // namespace hearth::cli
