// `hearth model …`: owned by the engine (GGUF, synth, info).
#include "cli/commands.h"

namespace hearth::cli {

void RegisterModelCommands(CLI::App& app, CliContext& ctx) {
  (void)ctx;
  app.add_subcommand("model", "Inspect, synthesize and tokenize GGUF models")->require_subcommand(1);
}

}  // namespace hearth::cli
