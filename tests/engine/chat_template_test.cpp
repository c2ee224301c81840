// Chat templates: the differential test against Python's jinja2 over the
// shared fixture templates, the built-in fallback formats, and the
// `hearth model template` command.
#include "engine/chat_template.h"

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace hearth::engine {
namespace {

namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;

constexpr const char* kPython = "/usr/bin/python3";

bool PythonJinjaAvailable() {
  static const bool available = [] {
    if (!fs::exists(kPython)) return false;
    const std::string cmd = std::string(kPython) + " -c 'import jinja2' >/dev/null 2>&1";
    return std::system(cmd.c_str()) == 0;
  }();
  return available;
}

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

fs::path TempPath(const std::string& name) {
  return fs::temp_directory_path() / ("hearth_" + std::to_string(::getpid()) + "_" + name);
}

// Runs jinja_reference.py over a list of requests; one result per request.
ojson RunReference(const ojson& requests) {
  const fs::path in = TempPath("jinja_requests.json");
  {
    std::ofstream f(in, std::ios::binary);
    f << requests.dump();
  }
  const std::string cmd = std::string(kPython) + " " + HEARTH_SOURCE_DIR + "/tests/engine/jinja_reference.py < " + in.string();
  FILE* pipe = popen(cmd.c_str(), "r");
  std::string out;
  if (pipe != nullptr) {
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) out.append(buf, n);
    pclose(pipe);
  }
  fs::remove(in);
  return ojson::parse(out);
}

std::tm FixedNow() {
  std::tm tm{};
  tm.tm_year = 2026 - 1900;
  tm.tm_mon = 10;
  tm.tm_mday = 21;
  tm.tm_hour = 10;
  tm.tm_min = 30;
  const time_t t = timegm(&tm);
  gmtime_r(&t, &tm);  // fills weekday and day of year
  return tm;
}
constexpr const char* kFixedNowIso = "2026-11-21T10:30:00";

struct Conversation {
  std::string name;
  ChatTemplateInput input;
};

ojson Tools() {
  return ojson::parse(R"([{"type": "function", "function": {"name": "get_weather",
      "description": "Get the current weather in a city",
      "parameters": {"type": "object", "properties": {
          "location": {"type": "string", "description": "City name, e.g. Zürich"},
          "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
        "required": ["location"]}}}])");
}

std::vector<Conversation> Conversations() {
  std::vector<Conversation> out;
  auto add = [&](std::string name, const char* messages, bool gen, ojson tools = nullptr,
                 ojson extra = ojson::object()) {
    Conversation c;
    c.name = std::move(name);
    c.input.messages = ojson::parse(messages);
    c.input.add_generation_prompt = gen;
    c.input.tools = std::move(tools);
    c.input.extra = std::move(extra);
    c.input.bos_token = "<s>";
    c.input.eos_token = "</s>";
    c.input.now = FixedNow();
    out.push_back(std::move(c));
  };
  const char* multi = R"([{"role": "system", "content": "You are a concise assistant."},
      {"role": "user", "content": "What is the capital of France?"},
      {"role": "assistant", "content": "Paris."},
      {"role": "user", "content": "And of Italy?"}])";
  add("user_only", R"([{"role": "user", "content": "Hello!"}])", true);
  add("system_user", R"([{"role": "system", "content": "You are a helpful assistant."},
      {"role": "user", "content": "Hi there"}])", true);
  add("multi_turn", multi, true);
  add("multi_turn_no_generation_prompt", multi, false);
  add("ends_with_assistant", R"([{"role": "user", "content": "Say hi"},
      {"role": "assistant", "content": "  hi  "}])", false);
  add("unicode_quotes_newlines", R"([{"role": "system", "content": "Réponds en français — s'il te plaît.\n"},
      {"role": "user", "content": "Grüße, 世界! \"quoted\" 'single' \\ backslash\n\nline two\ttab 😀"},
      {"role": "assistant", "content": "<think>\nLet me think.\n</think>\n\nAnswer with 'quotes' & <tags>"},
      {"role": "user", "content": "Et maintenant ?  "}])", true);
  add("tools", R"([{"role": "system", "content": "You can call tools."},
      {"role": "user", "content": "Weather in Zürich?"}])", true, Tools());
  add("tool_call_round_trip", R"([{"role": "user", "content": "Weather in Paris?"},
      {"role": "assistant", "content": "", "tool_calls": [{"id": "call12345", "type": "function",
        "function": {"name": "get_weather", "arguments": {"location": "Paris", "unit": "celsius"}}}]},
      {"role": "tool", "tool_call_id": "call12345", "content": "{\"temperature\": 21}"}])", true, Tools());
  add("roles_not_alternating", R"([{"role": "user", "content": "one"}, {"role": "user", "content": "two"}])", true);
  add("thinking_disabled", R"([{"role": "user", "content": "Quick answer: 2+2?"}])", true, nullptr,
      ojson::parse(R"({"enable_thinking": false})"));
  add("no_messages", "[]", true);
  return out;
}

TEST(ChatTemplateDifferential, FixtureTemplatesMatchPythonJinja2) {
  const fs::path dir = fs::path(HEARTH_SHARED_DIR) / "fixtures" / "templates";
  if (!fs::is_directory(dir)) GTEST_SKIP() << "no shared fixtures at " << dir << " (a user's clone has none)";
  if (!PythonJinjaAvailable()) GTEST_SKIP() << kPython << " with jinja2 (Debian python3-jinja2) is not available";

  std::vector<fs::path> templates;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".jinja") templates.push_back(e.path());
  }
  std::sort(templates.begin(), templates.end());
  ASSERT_FALSE(templates.empty());

  struct Case {
    std::string label;
    Result<RenderedPrompt> ours;
  };
  std::vector<Case> cases;
  ojson requests = ojson::array();
  const std::vector<Conversation> conversations = Conversations();
  for (const fs::path& path : templates) {
    const std::string source = ReadAll(path);
    auto chat = ChatTemplate::Create(source);
    ASSERT_TRUE(chat.ok()) << path.filename() << ": " << chat.status().ToString();
    for (const Conversation& c : conversations) {
      cases.push_back({path.stem().string() + " × " + c.name, chat->Render(c.input)});
      requests.push_back({{"template", source}, {"context", ChatTemplate::Context(c.input)}, {"now", kFixedNowIso}});
    }
  }
  const ojson expected = RunReference(requests);
  ASSERT_TRUE(expected.is_array());
  ASSERT_EQ(expected.size(), cases.size());

  int matched = 0, both_raised = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    const ojson& want = expected[i];
    if (want["ok"].get<bool>()) {
      ASSERT_TRUE(c.ours.ok()) << c.label << ": jinja2 rendered but we failed: " << c.ours.status().ToString();
      EXPECT_EQ(c.ours->format, ChatFormat::kTemplate) << c.label << ": fell back: " << c.ours->warning;
      EXPECT_EQ(c.ours->text, want["output"].get<std::string>()) << c.label;
      if (c.ours->text == want["output"].get<std::string>()) ++matched;
    } else {
      EXPECT_FALSE(c.ours.ok()) << c.label << ": jinja2 raised (" << want["error"].get<std::string>()
                                << ") but we rendered:\n" << (c.ours.ok() ? c.ours->text : "");
      if (!c.ours.ok()) {
        ++matched;
        ++both_raised;
      }
    }
  }
  std::printf("chat template differential: %d/%zu template x conversation cases match jinja2 "
              "(%zu templates x %zu conversations; %d where both raise)\n",
              matched, cases.size(), templates.size(), conversations.size(), both_raised);
  EXPECT_EQ(matched, static_cast<int>(cases.size()));
}

// ---- without the fixtures ----

ChatTemplateInput SimpleInput(bool gen) {
  ChatTemplateInput in;
  in.messages = ojson::parse(R"([{"role": "system", "content": "Be brief."},
      {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"},
      {"role": "user", "content": "Bye"}])");
  in.add_generation_prompt = gen;
  in.bos_token = "<s>";
  in.eos_token = "</s>";
  return in;
}

TEST(ChatTemplate, RendersTemplateWithGlobals) {
  auto chat = ChatTemplate::Create(
      "{{ bos_token }}{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}"
      "{% if add_generation_prompt %}<assistant>{% endif %}{{ tools is none }}");
  ASSERT_TRUE(chat.ok()) << chat.status().ToString();
  auto out = chat->Render(SimpleInput(true));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->text, "<s><system>Be brief.<user>Hi<assistant>Hello<user>Bye<assistant>True");
  EXPECT_EQ(out->format, ChatFormat::kTemplate);
  EXPECT_TRUE(out->warning.empty());
}

TEST(ChatTemplate, RaiseExceptionIsAnErrorNotAFallback) {
  auto chat = ChatTemplate::Create(
      "<|im_start|>{% if messages[0].role == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}");
  ASSERT_TRUE(chat.ok());
  auto out = chat->Render(SimpleInput(true));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(out.status().message().find("System role not supported"), std::string::npos) << out.status().message();
  EXPECT_NE(out.status().message().find("line 1"), std::string::npos) << out.status().message();
}

TEST(ChatTemplate, UnsupportedConstructFallsBackWithWarningNamingIt) {
  auto chat = ChatTemplate::Create(
      "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content | wordwrap(40) }}<|im_end|>\n{% endfor %}");
  ASSERT_TRUE(chat.ok()) << chat.status().ToString();
  ASSERT_TRUE(chat->fallback().has_value());
  auto out = chat->Render(SimpleInput(true));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->format, ChatFormat::kChatMl);
  EXPECT_NE(out->warning.find("wordwrap"), std::string::npos) << out->warning;
  EXPECT_EQ(out->text,
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
            "<|im_start|>assistant\nHello<|im_end|>\n<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n");
}

TEST(ChatTemplate, UnsupportedTagWithoutMarkersIsAnError) {
  auto chat = ChatTemplate::Create("{% call foo() %}x{% endcall %}");
  ASSERT_FALSE(chat.ok());
  EXPECT_EQ(chat.status().code(), StatusCode::kUnimplemented);
  EXPECT_NE(chat.status().message().find("'call'"), std::string::npos) << chat.status().message();
}

TEST(ChatTemplate, SyntaxErrorNamesLineAndColumn) {
  auto chat = ChatTemplate::Create("<|im_start|>\n{% for m in messages %}\n{{ m.content }");
  ASSERT_FALSE(chat.ok());
  EXPECT_EQ(chat.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(chat.status().message().find("line 3"), std::string::npos) << chat.status().message();
}

TEST(ChatTemplate, EmptyTemplateIsAnError) {
  auto chat = ChatTemplate::Create("");
  ASSERT_FALSE(chat.ok());
  EXPECT_NE(chat.status().message().find("empty"), std::string::npos);
}

TEST(ChatTemplate, DetectsBuiltinFormatsByMarkers) {
  EXPECT_EQ(DetectChatFormat("x<|im_start|>y"), ChatFormat::kChatMl);
  EXPECT_EQ(DetectChatFormat("<|start_header_id|>"), ChatFormat::kLlama3);
  EXPECT_EQ(DetectChatFormat("[INST] hi [/INST]"), ChatFormat::kMistral);
  EXPECT_EQ(DetectChatFormat("<start_of_turn>user"), ChatFormat::kGemma);
  EXPECT_EQ(DetectChatFormat("<|user|>\n"), ChatFormat::kPhi3);
  EXPECT_FALSE(DetectChatFormat("{{ messages }}").has_value());
}

TEST(ChatTemplate, BuiltinFormats) {
  const ChatTemplateInput in = SimpleInput(true);
  auto llama = RenderBuiltinFormat(ChatFormat::kLlama3, in);
  ASSERT_TRUE(llama.ok());
  EXPECT_EQ(*llama,
            "<s><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\nHello<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nBye<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
  auto mistral = RenderBuiltinFormat(ChatFormat::kMistral, in);
  ASSERT_TRUE(mistral.ok());
  EXPECT_EQ(*mistral, "<s>[INST]Be brief.\n\nHi[/INST]Hello</s>[INST]Bye[/INST]");
  auto gemma = RenderBuiltinFormat(ChatFormat::kGemma, in);
  ASSERT_TRUE(gemma.ok());
  EXPECT_EQ(*gemma,
            "<s><start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n<start_of_turn>model\nHello<end_of_turn>\n"
            "<start_of_turn>user\nBye<end_of_turn>\n<start_of_turn>model\n");
  auto phi = RenderBuiltinFormat(ChatFormat::kPhi3, in);
  ASSERT_TRUE(phi.ok());
  EXPECT_EQ(*phi,
            "<|system|>\nBe brief.<|end|>\n<|user|>\nHi<|end|>\n<|assistant|>\nHello<|end|>\n"
            "<|user|>\nBye<|end|>\n<|assistant|>\n");
}

TEST(ChatTemplate, ParseChatRequestValidates) {
  auto ok = ParseChatRequest(R"({"messages": [{"role": "user", "content": "x"}], "add_generation_prompt": true,
                                 "enable_thinking": false})", "req.json");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_TRUE(ok->add_generation_prompt);
  EXPECT_EQ(ok->extra["enable_thinking"], false);

  auto bad_json = ParseChatRequest("[{\"role\": ", "req.json");
  ASSERT_FALSE(bad_json.ok());
  EXPECT_NE(bad_json.status().message().find("req.json"), std::string::npos);
  EXPECT_NE(bad_json.status().message().find("byte"), std::string::npos);

  auto no_role = ParseChatRequest(R"([{"content": "x"}])", "req.json");
  ASSERT_FALSE(no_role.ok());
  EXPECT_NE(no_role.status().message().find("messages[0]"), std::string::npos) << no_role.status().message();
}

// ---- the command ----

struct CommandResult {
  int exit_code;
  std::string out;
  std::string err;
};

CommandResult RunHearth(const std::string& args) {
  const fs::path out = TempPath("cli_out"), err = TempPath("cli_err");
  const std::string cmd = std::string(HEARTH_BINARY) + " " + args + " >" + out.string() + " 2>" + err.string();
  const int status = std::system(cmd.c_str());
  CommandResult r{WIFEXITED(status) ? WEXITSTATUS(status) : -1, ReadAll(out), ReadAll(err)};
  fs::remove(out);
  fs::remove(err);
  return r;
}

TEST(TemplateCommand, RendersTemplateFile) {
  const fs::path tmpl = TempPath("t.jinja"), msgs = TempPath("m.json");
  std::ofstream(tmpl) << "{{ bos_token }}{% for m in messages %}[{{ m.role }}] {{ m.content }}\n{% endfor %}"
                         "{% if add_generation_prompt %}[assistant]{% endif %}";
  std::ofstream(msgs) << R"([{"role": "user", "content": "Grüße"}])";
  CommandResult r = RunHearth("model template --template-file " + tmpl.string() + " --messages " + msgs.string() +
                              " --add-generation-prompt --bos '<s>'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "<s>[user] Grüße\n[assistant]");

  std::ofstream(msgs) << "[{\"role\": 1}]";
  r = RunHearth("model template --template-file " + tmpl.string() + " --messages " + msgs.string());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("messages[0]"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());
  fs::remove(tmpl);
  fs::remove(msgs);
}

TEST(TemplateCommand, TemplateErrorIsOneLineOnStderr) {
  const fs::path tmpl = TempPath("t2.jinja"), msgs = TempPath("m2.json");
  std::ofstream(tmpl) << "{{ raise_exception('Conversation roles must alternate') }}";
  std::ofstream(msgs) << R"([{"role": "user", "content": "x"}])";
  CommandResult r = RunHearth("model template --template-file " + tmpl.string() + " --messages " + msgs.string());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("Conversation roles must alternate"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  fs::remove(tmpl);
  fs::remove(msgs);
}

}  // namespace
}  // namespace hearth::engine
