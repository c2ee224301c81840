#include "cli/commands.h"

namespace hearth::cli {

void RegisterRunCommands(CLI::App& app, CliContext& ctx) {
  (void)app;
  (void)ctx;
}

}  // namespace hearth::cli
