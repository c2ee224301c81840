#include "cli/commands.h"

namespace hearth::cli {

void RegisterTokenizeCommand(CLI::App& app, CliContext& ctx) {
  (void)app;
  (void)ctx;
}

}  // namespace hearth::cli
