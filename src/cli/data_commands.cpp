// `hearth data …` and `hearth device …`: owned by the data node.
#include "cli/commands.h"

namespace hearth::cli {

void RegisterDataCommands(CLI::App& app, CliContext& ctx) {
  (void)app;
  (void)ctx;
}

}  // namespace hearth::cli
