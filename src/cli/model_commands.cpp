// `hearth model …`: owned by the engine.
#include "cli/commands.h"

namespace hearth::cli {

void RegisterModelCommands(CLI::App& app, CliContext& ctx) {
  (void)app;
  (void)ctx;
}

}  // namespace hearth::cli
