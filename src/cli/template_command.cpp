// `hearth model template (-m MODEL.gguf | --template-file FILE) --messages FILE.json
//     [--add-generation-prompt] [--bos TEXT] [--eos TEXT]`
// prints the prompt the model's chat template renders for a conversation.
// Messages are a JSON array of {"role", "content", ...} or an object
// {"messages": [...], "tools": [...], ...}. When a built-in format replaces
// an unsupported template, the warning goes to stderr and the exit code stays 0.
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "cli/commands.h"
#include "common/paths.h"
#include "engine/chat_template.h"
#include "engine/gguf.h"

namespace hearth::cli {
namespace {

struct TemplateArgs {
  std::string model;
  std::string template_file;
  std::string messages;
  bool add_generation_prompt = false;
  std::optional<std::string> bos;
  std::optional<std::string> eos;
};

// The text of token `key` (an id) from the model's vocabulary, or "".
std::string SpecialToken(const engine::GgufFile& file, const std::vector<std::string>& vocab, const char* key) {
  auto id = file.GetUint(key);
  if (!id.ok() || *id >= vocab.size()) return "";
  return vocab[*id];
}

int RunTemplate(const TemplateArgs& args) {
  if (args.model.empty() == args.template_file.empty()) {
    return Fail("model template: give exactly one of -m/--model or --template-file");
  }
  std::string source, bos, eos;
  if (!args.model.empty()) {
    auto file = engine::GgufFile::Open(args.model);
    if (!file.ok()) return Fail(file.status().message());
    auto tmpl = (*file)->GetString("tokenizer.chat_template");
    if (!tmpl.ok()) return Fail(args.model + ": no chat template (tokenizer.chat_template): " + tmpl.status().message());
    source = std::move(tmpl).value();
    auto vocab = (*file)->GetStringArray("tokenizer.ggml.tokens");
    if (vocab.ok()) {
      bos = SpecialToken(**file, *vocab, "tokenizer.ggml.bos_token_id");
      eos = SpecialToken(**file, *vocab, "tokenizer.ggml.eos_token_id");
    }
  } else {
    auto text = ReadFileToString(args.template_file);
    if (!text.ok()) return Fail(args.template_file + ": " + text.status().message());
    source = std::move(text).value();
  }
  if (args.bos) bos = *args.bos;
  if (args.eos) eos = *args.eos;

  auto json = ReadFileToString(args.messages);
  if (!json.ok()) return Fail(args.messages + ": " + json.status().message());
  auto input = engine::ParseChatRequest(*json, args.messages);
  if (!input.ok()) return Fail(input.status().message());
  if (args.add_generation_prompt) input->add_generation_prompt = true;
  input->bos_token = bos;
  input->eos_token = eos;

  auto chat = engine::ChatTemplate::Create(std::move(source));
  if (!chat.ok()) return Fail(chat.status().message());
  auto prompt = chat->Render(*input);
  if (!prompt.ok()) return Fail(prompt.status().message());
  if (!prompt->warning.empty()) std::fprintf(stderr, "hearth: warning: %s\n", prompt->warning.c_str());
  std::fwrite(prompt->text.data(), 1, prompt->text.size(), stdout);
  return 0;
}

}  // namespace

void RegisterTemplateCommand(CLI::App& app, CliContext& ctx) {
  CLI::App* model = app.get_subcommand("model");
  auto args = std::make_shared<TemplateArgs>();
  CLI::App* cmd = model->add_subcommand("template", "Render a conversation with the model's chat template");
  cmd->add_option("-m,--model", args->model, "GGUF model whose tokenizer.chat_template to use");
  cmd->add_option("--template-file", args->template_file, "Jinja chat template file to use instead of a model");
  cmd->add_option("--messages", args->messages, "JSON file: array of messages, or {\"messages\": [...], \"tools\": [...]}")
      ->required();
  cmd->add_flag("--add-generation-prompt", args->add_generation_prompt, "End with the assistant turn's opening");
  cmd->add_option("--bos", args->bos, "BOS token text (default: from the model)");
  cmd->add_option("--eos", args->eos, "EOS token text (default: from the model)");
  cmd->callback([args, &ctx]() { ctx.exit_code = RunTemplate(*args); });
}

}  // namespace hearth::cli
