// Template: a parsed Jinja template and its interpreter.
//
// Renders like jinja2 3.1's ImmutableSandboxedEnvironment configured as
// transformers configures it for chat templates (trim_blocks, lstrip_blocks,
// loopcontrols, the `generation` tag, `tojson` without HTML escaping,
// globals raise_exception and strftime_now, default Undefined).
//
// Errors are Status values naming line and column in the template:
//   - InvalidArgument: malformed template, or a runtime error jinja2 would
//     also raise (undefined attribute of an undefined value, str + int, ...);
//   - Unimplemented: valid Jinja outside the supported subset;
//   - FailedPrecondition: the template called raise_exception(message);
//   - ResourceExhausted: a limit in RenderLimits was reached.
// No input crashes the interpreter or renders without bound.
//
// Thread-safety: a Template is immutable after Parse; Render may be called
// from several threads at once.
#pragma once

#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "engine/jinja/ast.h"
#include "engine/jinja/value.h"

namespace hearth::engine::jinja {

struct RenderOptions {
  size_t max_output_bytes = 8u << 20;  // rendered text and any intermediate string
  uint64_t max_steps = 20'000'000;     // statements + expressions evaluated
  int max_call_depth = 64;             // nested macro calls
  // What strftime_now() formats; the current local time when unset.
  std::optional<std::tm> now;
};

class Template {
 public:
  static Result<Template> Parse(std::string_view source);

  // `globals` are the template's variables (messages, add_generation_prompt,
  // bos_token, ...). Built-ins (range, namespace, dict, raise_exception,
  // strftime_now) are added unless `globals` defines the same name.
  Result<std::string> Render(const ValueDict& globals, const RenderOptions& options = {}) const;

 private:
  explicit Template(std::shared_ptr<const Body> body) : body_(std::move(body)) {}
  std::shared_ptr<const Body> body_;
};

}  // namespace hearth::engine::jinja
