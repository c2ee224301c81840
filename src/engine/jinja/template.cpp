#include "engine/jinja/template.h"

#include <cmath>
#include <ctime>

#include "engine/jinja/builtins.h"
#include "engine/jinja/lexer.h"
#include "engine/jinja/parser.h"
#include "engine/jinja/unicode.h"

namespace hearth::engine::jinja {
namespace {

// Variables of one scope. Lookups walk scopes from innermost to outermost.
using Frame = ValueDict;
using FramePtr = std::shared_ptr<Frame>;

enum class Flow { kNormal, kBreak, kContinue };

constexpr int64_t kMaxRange = 100000;  // jinja2's sandbox MAX_RANGE

// Whether `v` is or contains the namespace whose attributes are `target`
// (storing it would make a cycle).
bool Reaches(const Value& v, const ValueDict* target, uint32_t level) {
  if (level > kMaxValueDepth) return true;
  if (v.is_namespace() || v.is_dict()) {
    if (&v.dict() == target) return true;
    for (const auto& [k, item] : v.dict().entries) {
      if (Reaches(item, target, level + 1)) return true;
    }
  } else if (v.is_sequence()) {
    for (const Value& item : v.items()) {
      if (Reaches(item, target, level + 1)) return true;
    }
  }
  return false;
}

bool HasPosition(const Status& s) { return s.message().rfind("template line ", 0) == 0; }

class Renderer {
 public:
  Renderer(const RenderOptions& options, std::string* out) : opt_(options), out_(out) {}

  Status Run(const Body& body, const ValueDict& globals) {
    auto builtins = std::make_shared<Frame>();
    AddBuiltins(builtins.get());
    for (const auto& [k, v] : globals.entries) builtins->Set(k, v);
    frames_.push_back(builtins);
    frames_.push_back(std::make_shared<Frame>());  // template top level
    HEARTH_ASSIGN_OR_RETURN(Flow flow, ExecBody(body));
    (void)flow;
    return Status::Ok();
  }

 private:
  template <typename Node>
  Status At(const Node& n, const Status& s) const {
    if (s.ok() || HasPosition(s)) return s;
    return Status(s.code(), "template line " + std::to_string(n.line) + ", column " + std::to_string(n.column) +
                                ": " + s.message());
  }

  Status Step(int line, int column) {
    if (++steps_ > opt_.max_steps) {
      return Status::ResourceExhausted("template line " + std::to_string(line) + ", column " + std::to_string(column) +
                                       ": rendering exceeded " + std::to_string(opt_.max_steps) + " steps");
    }
    return Status::Ok();
  }

  Status CheckSize(size_t n) const {
    if (n > opt_.max_output_bytes) {
      return Status::ResourceExhausted("rendered text exceeds " + std::to_string(opt_.max_output_bytes) + " bytes");
    }
    return Status::Ok();
  }

  void AddBuiltins(Frame* f) {
    f->Set("range", Value::Function("range", [](const CallArgs& a) -> Result<Value> {
      if (a.positional.empty() || a.positional.size() > 3) return Status::InvalidArgument("range expects 1 to 3 arguments");
      int64_t start = 0, stop, step = 1;
      for (const Value& v : a.positional) {
        if (!v.is_int() && !v.is_bool()) return Status::InvalidArgument("range: '" + std::string(v.TypeName()) + "' object cannot be interpreted as an integer");
      }
      if (a.positional.size() == 1) {
        stop = a.positional[0].as_int();
      } else {
        start = a.positional[0].as_int();
        stop = a.positional[1].as_int();
        if (a.positional.size() == 3) step = a.positional[2].as_int();
      }
      if (step == 0) return Status::InvalidArgument("range() arg 3 must not be zero");
      const double count = std::max(0.0, std::ceil((static_cast<double>(stop) - static_cast<double>(start)) / static_cast<double>(step)));
      if (count > kMaxRange) return Status::ResourceExhausted("range too big: the sandbox allows at most 100000 items");
      ValueList out;
      for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) out.push_back(Value::Int(i));
      return Value::List(std::move(out));
    }));
    auto make_dict = [](const CallArgs& a, bool ns) -> Result<Value> {
      ValueDict d;
      if (a.positional.size() > 1) return Status::InvalidArgument("expected at most 1 positional argument");
      if (!a.positional.empty()) {
        if (!a.positional[0].is_dict()) return Status::InvalidArgument("positional argument must be a dict");
        d = a.positional[0].dict();
      }
      for (const auto& [k, v] : a.keyword) d.Set(k, v);
      return ns ? Value::Namespace(std::move(d)) : Value::Dict(std::move(d));
    };
    f->Set("namespace", Value::Function("namespace", [make_dict](const CallArgs& a) { return make_dict(a, true); }));
    f->Set("dict", Value::Function("dict", [make_dict](const CallArgs& a) { return make_dict(a, false); }));
    f->Set("raise_exception", Value::Function("raise_exception", [](const CallArgs& a) -> Result<Value> {
      const std::string msg = a.positional.empty() ? "" : ToPythonStr(a.positional[0]);
      return Status::FailedPrecondition("raise_exception: " + msg);
    }));
    std::tm now{};
    if (opt_.now) {
      now = *opt_.now;
    } else {
      const std::time_t t = std::time(nullptr);
      localtime_r(&t, &now);
    }
    f->Set("strftime_now", Value::Function("strftime_now", [now](const CallArgs& a) -> Result<Value> {
      if (a.positional.size() != 1 || !a.positional[0].is_string()) {
        return Status::InvalidArgument("strftime_now expects one format string");
      }
      char buf[512];
      const size_t n = std::strftime(buf, sizeof(buf), a.positional[0].as_string().c_str(), &now);
      return Value::String(std::string(buf, n));
    }));
  }

  // ---- statements ----

  Result<Flow> ExecBody(const Body& body) {
    for (const StmtPtr& s : body) {
      HEARTH_ASSIGN_OR_RETURN(Flow flow, Exec(*s));
      if (flow != Flow::kNormal) return flow;
    }
    return Flow::kNormal;
  }

  Status Emit(std::string_view text) {
    out_->append(text);
    return CheckSize(out_->size());
  }

  Result<Flow> Exec(const Stmt& s) {
    HEARTH_RETURN_IF_ERROR(Step(s.line, s.column));
    switch (s.kind) {
      case Stmt::Kind::kData:
        HEARTH_RETURN_IF_ERROR(Emit(s.text));
        return Flow::kNormal;
      case Stmt::Kind::kOutput: {
        HEARTH_ASSIGN_OR_RETURN(Value v, Eval(*s.expr));
        HEARTH_RETURN_IF_ERROR(Emit(ToPythonStr(v)));
        return Flow::kNormal;
      }
      case Stmt::Kind::kIf: {
        for (const auto& [cond, body] : s.branches) {
          HEARTH_ASSIGN_OR_RETURN(Value c, Eval(*cond));
          if (c.Truthy()) return ExecBody(body);
        }
        return ExecBody(s.else_body);
      }
      case Stmt::Kind::kFor: return ExecFor(s);
      case Stmt::Kind::kSet: {
        HEARTH_ASSIGN_OR_RETURN(Value v, Eval(*s.expr));
        if (!s.attr.empty()) {
          const Value ns = Lookup(s.targets[0]);
          if (!ns.is_namespace()) {
            return At(s, Status::InvalidArgument("cannot assign attribute '" + s.attr + "' on non-namespace object '" + s.targets[0] + "'"));
          }
          if (v.depth() >= kMaxValueDepth || Reaches(v, &ns.dict(), 0)) {
            return At(s, Status::InvalidArgument("cannot store namespace '" + s.targets[0] + "' inside itself or nest it deeper"));
          }
          ns.mutable_dict().Set(s.attr, std::move(v));
          return Flow::kNormal;
        }
        HEARTH_RETURN_IF_ERROR(At(s, Assign(s.targets, v)));
        return Flow::kNormal;
      }
      case Stmt::Kind::kSetBlock: {
        HEARTH_ASSIGN_OR_RETURN(std::string text, Capture(s.body));
        frames_.back()->Set(s.targets[0], Value::String(std::move(text)));
        return Flow::kNormal;
      }
      case Stmt::Kind::kMacro: {
        const Stmt* macro = &s;
        frames_.back()->Set(s.text, Value::Function(s.text, [this, macro](const CallArgs& a) { return CallMacro(*macro, a); }));
        return Flow::kNormal;
      }
      case Stmt::Kind::kBreak: return Flow::kBreak;
      case Stmt::Kind::kContinue: return Flow::kContinue;
      case Stmt::Kind::kWith: {
        auto frame = std::make_shared<Frame>();
        for (const auto& [name, expr] : s.params) {
          HEARTH_ASSIGN_OR_RETURN(Value v, Eval(*expr));
          frame->Set(name, std::move(v));
        }
        frames_.push_back(frame);
        auto flow = ExecBody(s.body);
        frames_.pop_back();
        return flow;
      }
      case Stmt::Kind::kGeneration: return ExecBody(s.body);
    }
    return Flow::kNormal;
  }

  Status Assign(const std::vector<std::string>& targets, const Value& v) {
    if (targets.size() == 1) {
      frames_.back()->Set(targets[0], v);
      return Status::Ok();
    }
    HEARTH_ASSIGN_OR_RETURN(ValueList items, Iterate(v));
    if (items.size() != targets.size()) {
      return Status::InvalidArgument("cannot unpack " + std::to_string(items.size()) + " values into " +
                                     std::to_string(targets.size()) + " names");
    }
    for (size_t i = 0; i < targets.size(); ++i) frames_.back()->Set(targets[i], items[i]);
    return Status::Ok();
  }

  Result<std::string> Capture(const Body& body) {
    std::string buffer;
    std::string* saved = out_;
    out_ = &buffer;
    auto flow = ExecBody(body);
    out_ = saved;
    if (!flow.ok()) return flow.status();
    return buffer;
  }

  Result<Flow> ExecFor(const Stmt& s) {
    HEARTH_ASSIGN_OR_RETURN(Value iterable, Eval(*s.expr));
    auto listed = Iterate(iterable);
    if (!listed.ok()) return At(*s.expr, listed.status());
    ValueList items = std::move(listed).value();
    frames_.push_back(std::make_shared<Frame>());
    auto result = RunLoop(s, std::move(items));
    frames_.pop_back();
    return result;
  }

  Result<Flow> RunLoop(const Stmt& s, ValueList items) {
    if (s.filter) {
      ValueList kept;
      for (const Value& item : items) {
        HEARTH_RETURN_IF_ERROR(At(s, Assign(s.targets, item)));
        HEARTH_ASSIGN_OR_RETURN(Value keep, Eval(*s.filter));
        if (keep.Truthy()) kept.push_back(item);
      }
      items = std::move(kept);
    }
    const size_t n = items.size();
    // One loop.cycle for the whole loop; it reads the current index.
    auto index_cell = std::make_shared<int64_t>(0);
    const Value cycle = Value::Function("loop.cycle", [index_cell](const CallArgs& a) -> Result<Value> {
      if (a.positional.empty()) return Status::InvalidArgument("no items for cycling given");
      return a.positional[static_cast<size_t>(*index_cell) % a.positional.size()];
    });
    for (size_t i = 0; i < n; ++i) {
      HEARTH_RETURN_IF_ERROR(Step(s.line, s.column));
      // jinja2 gives every iteration fresh locals: a `set` in one iteration
      // is not visible in the next.
      frames_.back() = std::make_shared<Frame>();
      HEARTH_RETURN_IF_ERROR(At(s, Assign(s.targets, items[i])));
      ValueDict loop;
      const auto idx = static_cast<int64_t>(i);
      const auto len = static_cast<int64_t>(n);
      loop.entries.reserve(12);
      loop.Set("index", Value::Int(idx + 1));
      loop.Set("index0", Value::Int(idx));
      loop.Set("revindex", Value::Int(len - idx));
      loop.Set("revindex0", Value::Int(len - idx - 1));
      loop.Set("first", Value::Bool(i == 0));
      loop.Set("last", Value::Bool(i + 1 == n));
      loop.Set("length", Value::Int(len));
      loop.Set("depth", Value::Int(1));
      loop.Set("depth0", Value::Int(0));
      if (i > 0) loop.Set("previtem", items[i - 1]);
      if (i + 1 < n) loop.Set("nextitem", items[i + 1]);
      *index_cell = idx;
      loop.Set("cycle", cycle);
      frames_.back()->Set("loop", Value::Dict(std::move(loop)));
      HEARTH_ASSIGN_OR_RETURN(Flow flow, ExecBody(s.body));
      if (flow == Flow::kBreak) break;
    }
    if (n == 0) return ExecBody(s.else_body);
    return Flow::kNormal;
  }

  Result<Value> CallMacro(const Stmt& m, const CallArgs& args) {
    if (call_depth_ >= opt_.max_call_depth) {
      return At(m, Status::ResourceExhausted("macro calls nested deeper than " + std::to_string(opt_.max_call_depth)));
    }
    if (args.positional.size() > m.params.size()) {
      return Status::InvalidArgument("macro '" + m.text + "' takes not more than " + std::to_string(m.params.size()) +
                                     " argument(s)");
    }
    for (const auto& [k, v] : args.keyword) {
      bool known = false;
      for (const auto& p : m.params) known = known || p.first == k;
      if (!known) return Status::InvalidArgument("macro '" + m.text + "' takes no keyword argument '" + k + "'");
    }
    std::vector<FramePtr> saved = frames_;
    frames_ = {saved[0], saved[1], std::make_shared<Frame>()};
    ++call_depth_;
    Status bind;
    for (size_t i = 0; i < m.params.size() && bind.ok(); ++i) {
      const auto& [pname, def] = m.params[i];
      const Value* given = args.Get(i, pname);
      if (given != nullptr) {
        frames_.back()->Set(pname, *given);
      } else if (def) {
        auto v = Eval(*def);
        if (!v.ok()) bind = v.status();
        else frames_.back()->Set(pname, std::move(v).value());
      } else {
        frames_.back()->Set(pname, Value::Undefined("'" + pname + "' is undefined"));
      }
    }
    Result<std::string> text = bind.ok() ? Capture(m.body) : Result<std::string>(bind);
    --call_depth_;
    frames_ = std::move(saved);
    if (!text.ok()) return text.status();
    return Value::String(std::move(text).value());
  }

  Value Lookup(const std::string& name) const {
    for (auto it = frames_.rbegin(); it != frames_.rend(); ++it) {
      if (const Value* v = (*it)->Find(name)) return *v;
    }
    return Value::Undefined("'" + name + "' is undefined");
  }

  // ---- expressions ----

  Result<CallArgs> EvalArgs(const Expr& e, size_t first) {
    CallArgs args;
    for (size_t i = first; i < e.children.size(); ++i) {
      HEARTH_ASSIGN_OR_RETURN(Value v, Eval(*e.children[i]));
      args.positional.push_back(std::move(v));
    }
    for (const auto& [k, x] : e.kwargs) {
      HEARTH_ASSIGN_OR_RETURN(Value v, Eval(*x));
      args.keyword.emplace_back(k, std::move(v));
    }
    return args;
  }

  Result<Value> Eval(const Expr& e) {
    HEARTH_RETURN_IF_ERROR(Step(e.line, e.column));
    auto r = EvalInner(e);
    if (!r.ok()) return At(e, r.status());
    if (r->is_string()) HEARTH_RETURN_IF_ERROR(At(e, CheckSize(r->as_string().size())));
    if (r->depth() > kMaxValueDepth) {
      return At(e, Status::ResourceExhausted("value nested deeper than " + std::to_string(kMaxValueDepth) + " levels"));
    }
    if (r->nodes() > kMaxValueNodes) {
      return At(e, Status::ResourceExhausted("value has more than " + std::to_string(kMaxValueNodes) + " elements"));
    }
    return r;
  }

  Result<Value> EvalInner(const Expr& e) {
    switch (e.kind) {
      case Expr::Kind::kLiteral: return e.literal;
      case Expr::Kind::kName: return Lookup(e.name);
      case Expr::Kind::kList:
      case Expr::Kind::kTuple: {
        ValueList items;
        for (const auto& c : e.children) {
          HEARTH_ASSIGN_OR_RETURN(Value v, Eval(*c));
          items.push_back(std::move(v));
        }
        return e.kind == Expr::Kind::kList ? Value::List(std::move(items)) : Value::Tuple(std::move(items));
      }
      case Expr::Kind::kDict: {
        ValueDict d;
        for (size_t i = 0; i + 1 < e.children.size(); i += 2) {
          HEARTH_ASSIGN_OR_RETURN(Value k, Eval(*e.children[i]));
          if (!k.is_string()) return At(*e.children[i], Status::Unimplemented("unsupported dict key of type '" + std::string(k.TypeName()) + "' (only string keys)"));
          HEARTH_ASSIGN_OR_RETURN(Value v, Eval(*e.children[i + 1]));
          d.Set(k.as_string(), std::move(v));
        }
        return Value::Dict(std::move(d));
      }
      case Expr::Kind::kGetAttr: {
        HEARTH_ASSIGN_OR_RETURN(Value obj, Eval(*e.children[0]));
        return GetAttribute(obj, e.name);
      }
      case Expr::Kind::kGetItem: {
        HEARTH_ASSIGN_OR_RETURN(Value obj, Eval(*e.children[0]));
        HEARTH_ASSIGN_OR_RETURN(Value key, Eval(*e.children[1]));
        return GetItem(obj, key);
      }
      case Expr::Kind::kSlice: return EvalSlice(e);
      case Expr::Kind::kCall: {
        HEARTH_ASSIGN_OR_RETURN(Value callee, Eval(*e.children[0]));
        HEARTH_ASSIGN_OR_RETURN(CallArgs args, EvalArgs(e, 1));
        if (callee.is_undefined()) return UndefinedError(callee);
        if (!callee.is_callable()) return Status::InvalidArgument("'" + std::string(callee.TypeName()) + "' object is not callable");
        return callee.callable().fn(args);
      }
      case Expr::Kind::kFilter: {
        HEARTH_ASSIGN_OR_RETURN(Value input, Eval(*e.children[0]));
        HEARTH_ASSIGN_OR_RETURN(CallArgs args, EvalArgs(e, 1));
        return ApplyFilter(e.name, input, args);
      }
      case Expr::Kind::kTest: {
        HEARTH_ASSIGN_OR_RETURN(Value input, Eval(*e.children[0]));
        HEARTH_ASSIGN_OR_RETURN(CallArgs args, EvalArgs(e, 1));
        HEARTH_ASSIGN_OR_RETURN(bool r, ApplyTest(e.name, input, args));
        return Value::Bool(r != e.negated);
      }
      case Expr::Kind::kNeg:
      case Expr::Kind::kPos: {
        HEARTH_ASSIGN_OR_RETURN(Value v, Eval(*e.children[0]));
        if (v.is_undefined()) return UndefinedError(v);
        if (!v.is_number()) return Status::InvalidArgument("bad operand type for unary " + std::string(e.kind == Expr::Kind::kNeg ? "-" : "+") + ": '" + std::string(v.TypeName()) + "'");
        if (e.kind == Expr::Kind::kPos) return v.is_bool() ? Value::Int(v.as_int()) : v;
        if (v.is_float()) return Value::Float(-v.as_double());
        if (v.as_int() == INT64_MIN) return Status::InvalidArgument("integer overflow");
        return Value::Int(-v.as_int());
      }
      case Expr::Kind::kNot: {
        HEARTH_ASSIGN_OR_RETURN(Value v, Eval(*e.children[0]));
        return Value::Bool(!v.Truthy());
      }
      case Expr::Kind::kAnd:
      case Expr::Kind::kOr: {
        HEARTH_ASSIGN_OR_RETURN(Value left, Eval(*e.children[0]));
        const bool short_circuit = e.kind == Expr::Kind::kAnd ? !left.Truthy() : left.Truthy();
        if (short_circuit) return left;
        return Eval(*e.children[1]);
      }
      case Expr::Kind::kBinary: {
        HEARTH_ASSIGN_OR_RETURN(Value a, Eval(*e.children[0]));
        HEARTH_ASSIGN_OR_RETURN(Value b, Eval(*e.children[1]));
        return Binary(e.name, a, b);
      }
      case Expr::Kind::kCompare: {
        HEARTH_ASSIGN_OR_RETURN(Value left, Eval(*e.children[0]));
        for (size_t i = 0; i < e.ops.size(); ++i) {
          HEARTH_ASSIGN_OR_RETURN(Value right, Eval(*e.children[i + 1]));
          HEARTH_ASSIGN_OR_RETURN(bool r, Compare(e.ops[i], left, right));
          if (!r) return Value::Bool(false);
          left = std::move(right);
        }
        return Value::Bool(true);
      }
      case Expr::Kind::kCondExpr: {
        HEARTH_ASSIGN_OR_RETURN(Value c, Eval(*e.children[0]));
        if (c.Truthy()) return Eval(*e.children[1]);
        if (e.children[2]) return Eval(*e.children[2]);
        return Value::Undefined("the inline if-expression evaluated to false and no else section was defined");
      }
    }
    return Status::Internal("unknown expression kind");
  }

  Result<Value> EvalSlice(const Expr& e) {
    HEARTH_ASSIGN_OR_RETURN(Value obj, Eval(*e.children[0]));
    std::optional<int64_t> parts[3];
    for (int i = 0; i < 3; ++i) {
      const ExprPtr& p = e.children[static_cast<size_t>(i) + 1];
      if (!p) continue;
      HEARTH_ASSIGN_OR_RETURN(Value v, Eval(*p));
      if (v.is_none()) continue;
      if (!v.is_int() && !v.is_bool()) return Status::InvalidArgument("slice indices must be integers or None");
      parts[i] = v.as_int();
    }
    if (obj.is_undefined()) return UndefinedError(obj);
    const int64_t step = parts[2].value_or(1);
    if (step == 0) return Status::InvalidArgument("slice step cannot be zero");
    std::vector<char32_t> cps;
    int64_t n;
    if (obj.is_string()) {
      cps = DecodeUtf8(obj.as_string());
      n = static_cast<int64_t>(cps.size());
    } else if (obj.is_sequence()) {
      n = static_cast<int64_t>(obj.items().size());
    } else {
      return Value::Undefined("'" + std::string(obj.TypeName()) + " object' is not subscriptable");
    }
    // CPython's PySlice_AdjustIndices.
    auto adjust = [&](std::optional<int64_t> v, int64_t def_pos, int64_t def_neg) {
      if (!v) return step > 0 ? def_pos : def_neg;
      int64_t x = *v;
      if (x < 0) {
        x += n;
        if (x < 0) x = step < 0 ? -1 : 0;
      } else if (x >= n) {
        x = step < 0 ? n - 1 : n;
      }
      return x;
    };
    const int64_t start = adjust(parts[0], 0, n - 1);
    const int64_t stop = adjust(parts[1], n, -1);
    std::vector<int64_t> idx;
    for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) idx.push_back(i);
    if (obj.is_string()) {
      std::string out;
      for (int64_t i : idx) AppendUtf8(cps[static_cast<size_t>(i)], &out);
      return Value::String(out);
    }
    ValueList out;
    for (int64_t i : idx) out.push_back(obj.items()[static_cast<size_t>(i)]);
    return obj.is_tuple() ? Value::Tuple(std::move(out)) : Value::List(std::move(out));
  }

  Result<bool> Compare(const std::string& op, const Value& a, const Value& b) {
    if (op == "==") return Equals(a, b);
    if (op == "!=") return !Equals(a, b);
    if (op == "in") return ContainsValue(b, a);
    if (op == "not in") {
      HEARTH_ASSIGN_OR_RETURN(bool r, ContainsValue(b, a));
      return !r;
    }
    if (a.is_undefined()) return UndefinedError(a);
    if (b.is_undefined()) return UndefinedError(b);
    if (op == "<") return LessThan(a, b);
    if (op == ">") return LessThan(b, a);
    if (op == "<=") {
      if (Equals(a, b)) return true;
      return LessThan(a, b);
    }
    if (op == ">=") {
      if (Equals(a, b)) return true;
      return LessThan(b, a);
    }
    return Status::Internal("unknown comparison " + op);
  }

  Result<Value> Repeat(const Value& seq, int64_t times) {
    if (times <= 0) return seq.is_string() ? Value::String("") : (seq.is_tuple() ? Value::Tuple({}) : Value::List({}));
    if (seq.is_string()) {
      if (static_cast<double>(seq.as_string().size()) * static_cast<double>(times) > static_cast<double>(opt_.max_output_bytes)) {
        return Status::ResourceExhausted("string repetition exceeds " + std::to_string(opt_.max_output_bytes) + " bytes");
      }
      std::string out;
      for (int64_t i = 0; i < times; ++i) out += seq.as_string();
      return Value::String(out);
    }
    if (static_cast<double>(seq.items().size()) * static_cast<double>(times) > static_cast<double>(kMaxRange)) {
      return Status::ResourceExhausted("list repetition too large");
    }
    ValueList out;
    for (int64_t i = 0; i < times; ++i) out.insert(out.end(), seq.items().begin(), seq.items().end());
    return seq.is_tuple() ? Value::Tuple(std::move(out)) : Value::List(std::move(out));
  }

  Result<Value> Binary(const std::string& op, const Value& a, const Value& b) {
    if (op == "~") return Value::String(ToPythonStr(a) + ToPythonStr(b));
    if (a.is_undefined()) return UndefinedError(a);
    if (b.is_undefined()) return UndefinedError(b);
    const auto type_error = [&]() {
      return Status::InvalidArgument("unsupported operand type(s) for " + op + ": '" + std::string(a.TypeName()) +
                                     "' and '" + std::string(b.TypeName()) + "'");
    };
    if (a.is_number() && b.is_number()) {
      const bool fl = a.is_float() || b.is_float();
      const int64_t x = a.as_int(), y = b.as_int();
      const double dx = a.as_double(), dy = b.as_double();
      int64_t r = 0;
      if (op == "+") {
        if (fl) return Value::Float(dx + dy);
        if (__builtin_add_overflow(x, y, &r)) return Status::InvalidArgument("integer overflow");
        return Value::Int(r);
      }
      if (op == "-") {
        if (fl) return Value::Float(dx - dy);
        if (__builtin_sub_overflow(x, y, &r)) return Status::InvalidArgument("integer overflow");
        return Value::Int(r);
      }
      if (op == "*") {
        if (fl) return Value::Float(dx * dy);
        if (__builtin_mul_overflow(x, y, &r)) return Status::InvalidArgument("integer overflow");
        return Value::Int(r);
      }
      if (op == "/") {
        if (dy == 0) return Status::InvalidArgument("division by zero");
        return Value::Float(dx / dy);
      }
      if (op == "//" || op == "%") {
        if (dy == 0) return Status::InvalidArgument("integer division or modulo by zero");
        if (fl) {
          double m = std::fmod(dx, dy);
          if (m != 0 && ((m < 0) != (dy < 0))) m += dy;
          if (op == "%") return Value::Float(m);
          return Value::Float(std::floor(dx / dy));
        }
        if (x == INT64_MIN && y == -1) return Status::InvalidArgument("integer overflow");
        int64_t q = x / y, m = x % y;
        if (m != 0 && ((m < 0) != (y < 0))) {
          m += y;
          --q;
        }
        return Value::Int(op == "%" ? m : q);
      }
      if (op == "**") {
        if (!fl && y >= 0) {
          int64_t result = 1;
          for (int64_t i = 0; i < y; ++i) {
            if (__builtin_mul_overflow(result, x, &result)) return Status::InvalidArgument("integer overflow");
            if (result == 0 || result == 1) break;
          }
          return Value::Int(result);
        }
        return Value::Float(std::pow(dx, dy));
      }
      return type_error();
    }
    if (op == "+") {
      if (a.is_string() && b.is_string()) return Value::String(a.as_string() + b.as_string());
      if (a.is_sequence() && a.kind() == b.kind()) {
        ValueList out = a.items();
        out.insert(out.end(), b.items().begin(), b.items().end());
        return a.is_tuple() ? Value::Tuple(std::move(out)) : Value::List(std::move(out));
      }
      return type_error();
    }
    if (op == "*") {
      if ((a.is_string() || a.is_sequence()) && (b.is_int() || b.is_bool())) return Repeat(a, b.as_int());
      if ((b.is_string() || b.is_sequence()) && (a.is_int() || a.is_bool())) return Repeat(b, a.as_int());
      return type_error();
    }
    if (op == "%" && a.is_string()) {
      return Status::Unimplemented("unsupported printf-style string formatting ('%' on a string)");
    }
    return type_error();
  }

  const RenderOptions& opt_;
  std::string* out_;
  std::vector<FramePtr> frames_;
  uint64_t steps_ = 0;
  int call_depth_ = 0;
};

}  // namespace

Result<Template> Template::Parse(std::string_view source) {
  HEARTH_ASSIGN_OR_RETURN(std::vector<Token> tokens, Tokenize(source));
  HEARTH_ASSIGN_OR_RETURN(Body body, jinja::Parse(tokens));
  return Template(std::make_shared<const Body>(std::move(body)));
}

Result<std::string> Template::Render(const ValueDict& globals, const RenderOptions& options) const {
  std::string out;
  Renderer renderer(options, &out);
  HEARTH_RETURN_IF_ERROR(renderer.Run(*body_, globals));
  return out;
}

}  // namespace hearth::engine::jinja
