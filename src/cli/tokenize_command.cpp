// `hearth model tokenize -m MODEL [--special] [--parse-special] TEXT`:
// prints the token ids of TEXT as a JSON array on one line, e.g. [1,15043].
// Other tools parse this output; keep it stable.
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "engine/gguf.h"
#include "engine/tokenizer.h"

namespace hearth::cli {
namespace {

struct TokenizeArgs {
  std::string model;
  std::string text;
  bool special = false;
  bool parse_special = false;
};

int RunTokenize(const TokenizeArgs& args) {
  auto file = engine::GgufFile::Open(args.model);
  if (!file.ok()) return Fail(file.status().message());
  auto tokenizer = engine::Tokenizer::FromGguf(**file);
  if (!tokenizer.ok()) return Fail(tokenizer.status().message());
  const std::vector<engine::TokenId> ids = tokenizer->Tokenize(args.text, args.special, args.parse_special);
  std::string out = "[";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) out += ',';
    out += std::to_string(ids[i]);
  }
  out += "]\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace

void RegisterTokenizeCommand(CLI::App& app, CliContext& ctx) {
  CLI::App* model = app.get_subcommand("model");
  auto args = std::make_shared<TokenizeArgs>();
  CLI::App* cmd = model->add_subcommand("tokenize", "Print the token ids of TEXT as a JSON array");
  cmd->add_option("-m,--model", args->model, "GGUF file with the tokenizer (a vocabulary-only GGUF is enough)")
      ->required();
  cmd->add_flag("--special", args->special, "Add BOS/EOS as the model's metadata says");
  cmd->add_flag("--parse-special", args->parse_special, "Recognize control tokens (e.g. <|im_start|>) in TEXT");
  cmd->add_option("text", args->text, "The text to tokenize")->required();
  cmd->callback([args, &ctx]() { ctx.exit_code = RunTokenize(*args); });
}

}  // namespace hearth::cli
