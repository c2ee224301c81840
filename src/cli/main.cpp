#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "common/log.h"

namespace hearth::cli {

int Fail(const std::string& message, int code) {
  std::fprintf(stderr, "hearth: %s\n", message.c_str());
  return code;
}

}  // namespace hearth::cli

int main(int argc, char** argv) {
  using namespace hearth;
  cli::CliContext ctx;
  CLI::App app{"Hearth: a private AI station for the home"};
  app.require_subcommand(1);
  app.option_defaults()->always_capture_default();
  app.add_option("--config", ctx.config_path, "TOML configuration file (default $XDG_CONFIG_HOME/hearth/hearth.toml)");
  app.add_option("--log-level", ctx.log_level, "debug, info, warn, error or off")->envname("HEARTH_LOG_LEVEL");
  app.set_version_flag("--version", std::string("hearth 0.1.0"));

  // Configuration is loaded after flags are parsed and before any command's
  // callback runs, so commands can read ctx.config.
  app.parse_complete_callback([&ctx]() {
    log::Level level;
    if (!log::ParseLevel(ctx.log_level, &level)) {
      throw CLI::ValidationError("--log-level", "unknown level '" + ctx.log_level + "'");
    }
    log::Init(level);
    auto loaded = Config::Load(ctx.config_path);
    if (!loaded.ok()) throw CLI::ValidationError("--config", loaded.status().message());
    ctx.config = std::move(loaded).value();
  });

  cli::RegisterDataCommands(app, ctx);
  cli::RegisterModelCommands(app, ctx);
  cli::RegisterTokenizeCommand(app, ctx);
  cli::RegisterTemplateCommand(app, ctx);
  cli::RegisterRunCommands(app, ctx);
  cli::RegisterTimelineCommands(app, ctx);
  cli::RegisterImportCommands(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return ctx.exit_code;
}
