// ChatTemplate: turns a conversation into the prompt text a model expects.
//
// A model's GGUF carries its Jinja chat template (`tokenizer.chat_template`);
// ChatTemplate renders it with Hearth's Jinja interpreter (engine/jinja/),
// which matches Python jinja2 as transformers' apply_chat_template uses it, so
// the prompt is byte-for-byte the one the model was trained on.
//
// When the template uses a construct the interpreter does not support, and
// only then, a built-in format chosen from the template's own markers
// (ChatML, Llama 3, Mistral, Gemma, Phi-3) is used instead; the result's
// `warning` names the construct and a log::Warn line is written. Without a
// recognisable marker this is an error: never a silently wrong prompt.
// Errors the template raises itself (raise_exception, e.g. "roles must
// alternate") are returned as FailedPrecondition, never papered over.
//
// Thread-safety: a ChatTemplate is immutable; Render may run concurrently.
#pragma once

#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace hearth::engine {

namespace jinja {
class Template;
}

struct ChatTemplateInput {
  // OpenAI-style messages: objects with "role", "content" and optionally
  // "tool_calls", "reasoning_content", "tool_call_id", ... Passed through as is.
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  // Tool definitions, or null for none (the template then sees tools=None).
  nlohmann::ordered_json tools;
  bool add_generation_prompt = false;
  std::string bos_token;
  std::string eos_token;
  // Further template variables (enable_thinking, date_string, ...); they
  // override the ones above.
  nlohmann::ordered_json extra = nlohmann::ordered_json::object();
  // What strftime_now() formats; the current local time when unset.
  std::optional<std::tm> now;
};

enum class ChatFormat { kTemplate, kChatMl, kLlama3, kMistral, kGemma, kPhi3 };
std::string_view ChatFormatName(ChatFormat format);

struct RenderedPrompt {
  std::string text;
  ChatFormat format = ChatFormat::kTemplate;  // kTemplate: the model's own template was rendered
  std::string warning;                        // why a built-in format was used; empty otherwise
};

class ChatTemplate {
 public:
  // Parses `source`. Fails for malformed templates (InvalidArgument naming
  // line and column), and for unsupported ones with no matching built-in
  // format (Unimplemented naming the construct).
  static Result<ChatTemplate> Create(std::string source);

  Result<RenderedPrompt> Render(const ChatTemplateInput& input) const;

  // The variables the template sees, as JSON: messages, tools, documents
  // (null), add_generation_prompt, bos_token, eos_token, then `extra`. This is
  // exactly the context tests hand to Python's jinja2.
  static nlohmann::ordered_json Context(const ChatTemplateInput& input);

  // The built-in format matching the template's markers, if any.
  std::optional<ChatFormat> fallback() const { return fallback_; }

 private:
  ChatTemplate() = default;
  Result<RenderedPrompt> Fallback(const ChatTemplateInput& input, const std::string& reason) const;

  std::shared_ptr<const jinja::Template> template_;  // null when the source is unsupported
  std::string unsupported_;                          // why template_ is null
  std::optional<ChatFormat> fallback_;
};

// Picks a built-in format from markers in a template ("<|im_start|>",
// "<|start_header_id|>", "[INST]", "<start_of_turn>", "<|user|>").
std::optional<ChatFormat> DetectChatFormat(std::string_view template_source);

// Renders a conversation in a built-in format. Message content may be a
// string or a list of {"type": "text", "text": ...} parts.
Result<std::string> RenderBuiltinFormat(ChatFormat format, const ChatTemplateInput& input);

// Parses a conversation file: either a JSON array of messages or an object
// {"messages": [...], "tools": [...], "add_generation_prompt": bool, ...}
// (other keys become `extra`). Errors name `source_name` and the problem.
Result<ChatTemplateInput> ParseChatRequest(std::string_view json_text, std::string_view source_name);

}  // namespace hearth::engine
