#include "engine/chat_template.h"

#include "common/log.h"
#include "engine/jinja/json.h"
#include "engine/jinja/template.h"

namespace hearth::engine {

std::string_view ChatFormatName(ChatFormat format) {
  switch (format) {
    case ChatFormat::kTemplate: return "template";
    case ChatFormat::kChatMl: return "chatml";
    case ChatFormat::kLlama3: return "llama3";
    case ChatFormat::kMistral: return "mistral";
    case ChatFormat::kGemma: return "gemma";
    case ChatFormat::kPhi3: return "phi3";
  }
  return "?";
}

std::optional<ChatFormat> DetectChatFormat(std::string_view source) {
  if (source.find("<|im_start|>") != std::string_view::npos) return ChatFormat::kChatMl;
  if (source.find("<|start_header_id|>") != std::string_view::npos) return ChatFormat::kLlama3;
  if (source.find("[INST]") != std::string_view::npos) return ChatFormat::kMistral;
  if (source.find("<start_of_turn>") != std::string_view::npos) return ChatFormat::kGemma;
  if (source.find("<|user|>") != std::string_view::npos) return ChatFormat::kPhi3;
  return std::nullopt;
}

Result<ChatTemplate> ChatTemplate::Create(std::string source) {
  ChatTemplate t;
  t.fallback_ = DetectChatFormat(source);
  if (source.empty()) {
    return Status::InvalidArgument("chat template is empty (the model has no tokenizer.chat_template)");
  }
  auto parsed = jinja::Template::Parse(source);
  if (parsed.ok()) {
    t.template_ = std::make_shared<const jinja::Template>(std::move(parsed).value());
    return t;
  }
  if (parsed.status().code() != StatusCode::kUnimplemented) return parsed.status().WithContext("chat template");
  if (!t.fallback_) {
    return parsed.status().WithContext("chat template uses an unsupported construct and matches no built-in format");
  }
  t.unsupported_ = parsed.status().message();
  return t;
}

nlohmann::ordered_json ChatTemplate::Context(const ChatTemplateInput& input) {
  nlohmann::ordered_json ctx = nlohmann::ordered_json::object();
  ctx["messages"] = input.messages;
  ctx["tools"] = input.tools;
  ctx["documents"] = nullptr;
  ctx["add_generation_prompt"] = input.add_generation_prompt;
  ctx["bos_token"] = input.bos_token;
  ctx["eos_token"] = input.eos_token;
  if (input.extra.is_object()) {
    for (auto it = input.extra.begin(); it != input.extra.end(); ++it) ctx[it.key()] = it.value();
  }
  return ctx;
}

Result<RenderedPrompt> ChatTemplate::Fallback(const ChatTemplateInput& input, const std::string& reason) const {
  RenderedPrompt out;
  out.format = *fallback_;
  out.warning = "chat template not supported (" + reason + "); using the built-in " +
                std::string(ChatFormatName(*fallback_)) + " format instead";
  log::Warn("engine", "chat template uses an unsupported construct; using a built-in format",
            {{"format", ChatFormatName(*fallback_)}, {"reason", reason}});
  HEARTH_ASSIGN_OR_RETURN(out.text, RenderBuiltinFormat(*fallback_, input));
  return out;
}

namespace {

// The interpreter bounds value nesting (jinja::kMaxValueDepth); the context
// adds two levels (the context itself and its key).
constexpr int kMaxJsonDepth = static_cast<int>(jinja::kMaxValueDepth) - 4;

bool WithinDepth(const nlohmann::ordered_json& j, int level) {
  if (level > kMaxJsonDepth) return false;
  if (j.is_array() || j.is_object()) {
    for (const auto& item : j) {
      if (!WithinDepth(item, level + 1)) return false;
    }
  }
  return true;
}

}  // namespace

Result<RenderedPrompt> ChatTemplate::Render(const ChatTemplateInput& input) const {
  if (!input.messages.is_array()) return Status::InvalidArgument("chat messages must be a JSON array");
  if (!template_) return Fallback(input, unsupported_);
  if (!WithinDepth(input.messages, 0) || !WithinDepth(input.tools, 0) || !WithinDepth(input.extra, 0)) {
    return Status::InvalidArgument("chat messages or tools nested deeper than " +
                                   std::to_string(kMaxJsonDepth) + " levels");
  }
  const jinja::Value context = jinja::FromJson(Context(input));
  jinja::RenderOptions options;
  options.now = input.now;
  auto text = template_->Render(context.dict(), options);
  if (!text.ok()) {
    if (text.status().code() == StatusCode::kUnimplemented && fallback_) return Fallback(input, text.status().message());
    return text.status().WithContext("chat template");
  }
  RenderedPrompt out;
  out.text = std::move(text).value();
  return out;
}

namespace {

std::string ContentText(const nlohmann::ordered_json& content) {
  if (content.is_string()) return content.get<std::string>();
  std::string out;
  if (content.is_array()) {
    for (const auto& part : content) {
      if (part.is_object() && part.contains("text") && part["text"].is_string()) out += part["text"].get<std::string>();
    }
  }
  return out;
}

std::string Trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\n\r\f\v");
  if (b == std::string::npos) return "";
  const size_t e = s.find_last_not_of(" \t\n\r\f\v");
  return s.substr(b, e - b + 1);
}

}  // namespace

Result<std::string> RenderBuiltinFormat(ChatFormat format, const ChatTemplateInput& input) {
  if (!input.messages.is_array()) return Status::InvalidArgument("chat messages must be a JSON array");
  struct Turn {
    std::string role, content;
  };
  std::vector<Turn> turns;
  for (size_t i = 0; i < input.messages.size(); ++i) {
    const auto& m = input.messages[i];
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string()) {
      return Status::InvalidArgument("message " + std::to_string(i) + ": needs a string 'role'");
    }
    turns.push_back({m["role"].get<std::string>(), m.contains("content") ? ContentText(m["content"]) : ""});
  }
  std::string out;
  const bool gen = input.add_generation_prompt;
  switch (format) {
    case ChatFormat::kTemplate: return Status::InvalidArgument("no built-in format selected");
    case ChatFormat::kChatMl:
      for (const auto& t : turns) out += "<|im_start|>" + t.role + "\n" + t.content + "<|im_end|>\n";
      if (gen) out += "<|im_start|>assistant\n";
      return out;
    case ChatFormat::kLlama3:
      out += input.bos_token;
      for (const auto& t : turns) {
        out += "<|start_header_id|>" + t.role + "<|end_header_id|>\n\n" + Trim(t.content) + "<|eot_id|>";
      }
      if (gen) out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
      return out;
    case ChatFormat::kMistral: {
      out += input.bos_token;
      std::string system;
      for (const auto& t : turns) {
        if (t.role == "system") {
          system = t.content;
        } else if (t.role == "user") {
          out += "[INST]" + (system.empty() ? "" : system + "\n\n") + t.content + "[/INST]";
          system.clear();
        } else {
          out += t.content + input.eos_token;
        }
      }
      return out;
    }
    case ChatFormat::kGemma: {
      out += input.bos_token;
      std::string system;
      for (const auto& t : turns) {
        if (t.role == "system") {
          system = Trim(t.content) + "\n\n";
          continue;
        }
        const std::string role = t.role == "assistant" ? "model" : t.role;
        out += "<start_of_turn>" + role + "\n" + system + Trim(t.content) + "<end_of_turn>\n";
        system.clear();
      }
      if (gen) out += "<start_of_turn>model\n";
      return out;
    }
    case ChatFormat::kPhi3:
      for (const auto& t : turns) out += "<|" + t.role + "|>\n" + t.content + "<|end|>\n";
      if (gen) out += "<|assistant|>\n";
      return out;
  }
  return out;
}

Result<ChatTemplateInput> ParseChatRequest(std::string_view json_text, std::string_view source_name) {
  const std::string where(source_name);
  nlohmann::ordered_json doc;
  try {
    doc = nlohmann::ordered_json::parse(json_text);
  } catch (const nlohmann::json::parse_error& e) {
    return Status::InvalidArgument(where + ": invalid JSON at byte " + std::to_string(e.byte) + ": " + e.what());
  }
  ChatTemplateInput input;
  if (doc.is_array()) {
    input.messages = std::move(doc);
  } else if (doc.is_object()) {
    if (!doc.contains("messages")) return Status::InvalidArgument(where + ": missing field 'messages'");
    for (auto it = doc.begin(); it != doc.end(); ++it) {
      if (it.key() == "messages") {
        input.messages = it.value();
      } else if (it.key() == "tools") {
        input.tools = it.value();
      } else if (it.key() == "add_generation_prompt") {
        if (!it.value().is_boolean()) return Status::InvalidArgument(where + ": field 'add_generation_prompt' must be a boolean");
        input.add_generation_prompt = it.value().get<bool>();
      } else {
        input.extra[it.key()] = it.value();
      }
    }
  } else {
    return Status::InvalidArgument(where + ": expected a JSON array of messages or an object with 'messages'");
  }
  if (!input.messages.is_array()) return Status::InvalidArgument(where + ": field 'messages' must be an array");
  for (size_t i = 0; i < input.messages.size(); ++i) {
    const auto& m = input.messages[i];
    if (!m.is_object()) return Status::InvalidArgument(where + ": messages[" + std::to_string(i) + "] must be an object");
    if (!m.contains("role") || !m["role"].is_string()) {
      return Status::InvalidArgument(where + ": messages[" + std::to_string(i) + "] needs a string field 'role'");
    }
  }
  if (!input.tools.is_null() && !input.tools.is_array()) {
    return Status::InvalidArgument(where + ": field 'tools' must be an array");
  }
  return input;
}

}  // namespace hearth::engine
