#include "engine/jinja/parser.h"

#include <cerrno>
#include <cstdlib>
#include <initializer_list>

#include "engine/jinja/builtins.h"

namespace hearth::engine::jinja {
namespace {

// Deep enough for any real template, shallow enough for an ASan stack.
constexpr int kMaxDepth = 150;

class Parser {
 public:
  explicit Parser(const std::vector<Token>& tokens) : t_(tokens) {}

  Result<Body> ParseTemplate() {
    std::string found;
    HEARTH_ASSIGN_OR_RETURN(Body body, ParseBody({}, &found));
    return body;
  }

 private:
  const Token& Cur() const { return t_[pos_]; }
  const Token& Peek(size_t k = 1) const { return t_[std::min(pos_ + k, t_.size() - 1)]; }
  void Advance() {
    if (pos_ + 1 < t_.size()) ++pos_;
  }
  bool IsOp(const char* op) const { return Cur().type == TokenType::kOperator && Cur().text == op; }
  bool IsName(const char* name) const { return Cur().type == TokenType::kName && Cur().text == name; }

  Status ErrorAt(const Token& tok, const std::string& what, bool unsupported = false) const {
    std::string msg = "template line " + std::to_string(tok.line) + ", column " + std::to_string(tok.column) + ": " + what;
    return unsupported ? Status::Unimplemented(std::move(msg)) : Status::InvalidArgument(std::move(msg));
  }
  static std::string Describe(const Token& tok) {
    switch (tok.type) {
      case TokenType::kEof: return "end of template";
      case TokenType::kBlockEnd: return "'%}'";
      case TokenType::kVarEnd: return "'}}'";
      case TokenType::kData: return "template text";
      case TokenType::kString: return "string literal";
      default: return "'" + tok.text + "'";
    }
  }
  Status Expect(TokenType type, const char* text, const char* what) {
    if (Cur().type != type || (text != nullptr && Cur().text != text)) {
      return ErrorAt(Cur(), std::string("expected ") + what + ", found " + Describe(Cur()));
    }
    Advance();
    return Status::Ok();
  }
  Result<std::string> ExpectName(const char* what) {
    if (Cur().type != TokenType::kName) return ErrorAt(Cur(), std::string("expected ") + what + ", found " + Describe(Cur()));
    std::string name = Cur().text;
    Advance();
    return name;
  }

  template <typename T>
  std::unique_ptr<T> Node(typename T::Kind kind, const Token& at) {
    auto n = std::make_unique<T>();
    n->kind = kind;
    n->line = at.line;
    n->column = at.column;
    return n;
  }

  // ---- statements ----

  // Parses until a block tag whose name is in `end_tags`; leaves the cursor on
  // that name (after '{%') and stores it in *found.
  Result<Body> ParseBody(std::initializer_list<const char*> end_tags, std::string* found) {
    if (++depth_ > kMaxDepth) return ErrorAt(Cur(), "template nested too deeply", false);
    Body body;
    while (true) {
      const Token& tok = Cur();
      if (tok.type == TokenType::kEof) {
        if (end_tags.size() != 0) {
          std::string want;
          for (const char* e : end_tags) want += std::string(want.empty() ? "" : " or ") + "'" + e + "'";
          return ErrorAt(tok, "unexpected end of template, expected " + want);
        }
        break;
      }
      if (tok.type == TokenType::kData) {
        auto s = Node<Stmt>(Stmt::Kind::kData, tok);
        s->text = tok.text;
        body.push_back(std::move(s));
        Advance();
        continue;
      }
      if (tok.type == TokenType::kVarBegin) {
        auto s = Node<Stmt>(Stmt::Kind::kOutput, tok);
        Advance();
        HEARTH_ASSIGN_OR_RETURN(s->expr, ParseTuple(true));
        HEARTH_RETURN_IF_ERROR(Expect(TokenType::kVarEnd, nullptr, "'}}'"));
        body.push_back(std::move(s));
        continue;
      }
      if (tok.type == TokenType::kBlockBegin) {
        Advance();
        if (Cur().type != TokenType::kName) return ErrorAt(Cur(), "expected a tag name after '{%', found " + Describe(Cur()));
        for (const char* e : end_tags) {
          if (Cur().text == e) {
            *found = e;
            --depth_;
            return body;
          }
        }
        HEARTH_ASSIGN_OR_RETURN(StmtPtr stmt, ParseStatement(end_tags));
        body.push_back(std::move(stmt));
        continue;
      }
      return ErrorAt(tok, "unexpected " + Describe(tok));
    }
    --depth_;
    return body;
  }

  Status ExpectBlockEnd() { return Expect(TokenType::kBlockEnd, nullptr, "'%}'"); }

  Result<StmtPtr> ParseStatement(std::initializer_list<const char*> enclosing) {
    const Token tag = Cur();
    const std::string& name = tag.text;
    if (name == "if") return ParseIf();
    if (name == "for") return ParseFor();
    if (name == "set") return ParseSet();
    if (name == "macro") return ParseMacro();
    if (name == "with") return ParseWith();
    if (name == "generation") {
      Advance();
      HEARTH_RETURN_IF_ERROR(ExpectBlockEnd());
      auto s = Node<Stmt>(Stmt::Kind::kGeneration, tag);
      std::string found;
      HEARTH_ASSIGN_OR_RETURN(s->body, ParseBody({"endgeneration"}, &found));
      Advance();
      HEARTH_RETURN_IF_ERROR(ExpectBlockEnd());
      return s;
    }
    if (name == "break" || name == "continue") {
      if (loop_depth_ == 0) return ErrorAt(tag, "'" + name + "' outside of a loop");
      Advance();
      HEARTH_RETURN_IF_ERROR(ExpectBlockEnd());
      return Node<Stmt>(name == "break" ? Stmt::Kind::kBreak : Stmt::Kind::kContinue, tag);
    }
    static const char* const kUnsupported[] = {"call", "filter", "include", "import", "from", "extends",
                                               "block", "do", "autoescape", "trans", "pluralize"};
    for (const char* u : kUnsupported) {
      if (name == u) return ErrorAt(tag, "unsupported tag '" + name + "'", true);
    }
    std::string hint;
    for (const char* e : enclosing) hint += std::string(hint.empty() ? " (expected " : " or ") + "'" + e + "'";
    if (!hint.empty()) hint += ")";
    if (name.rfind("end", 0) == 0 || name == "elif" || name == "else") {
      return ErrorAt(tag, "unexpected tag '" + name + "'" + hint);
    }
    return ErrorAt(tag, "unknown tag '" + name + "'", true);
  }

  Result<StmtPtr> ParseIf() {
    auto s = Node<Stmt>(Stmt::Kind::kIf, Cur());
    Advance();
    while (true) {
      HEARTH_ASSIGN_OR_RETURN(ExprPtr cond, ParseTuple(false));
      HEARTH_RETURN_IF_ERROR(ExpectBlockEnd());
      std::string found;
      HEARTH_ASSIGN_OR_RETURN(Body body, ParseBody({"elif", "else", "endif"}, &found));
      s->branches.emplace_back(std::move(cond), std::move(body));
      Advance();
      if (found == "elif") continue;
      if (found == "else") {
        HEARTH_RETURN_IF_ERROR(ExpectBlockEnd());
        HEARTH_ASSIGN_OR_RETURN(s->else_body, ParseBody({"endif"}, &found));
        Advance();
      }
      HEARTH_RETURN_IF_ERROR(ExpectBlockEnd());
      return s;
    }
  }

  Result<std::vector<std::string>> ParseTargets() {
    std::vector<std::string> targets;
    const bool paren = IsOp("(");
    if (paren) Advance();
    while (true) {
      HEARTH_ASSIGN_OR_RETURN(std::string n, ExpectName("a variable name"));
      targets.push_back(std::move(n));
      if (!IsOp(",")) break;
      Advance();
      if (paren && IsOp(")")) break;
    }
    if (paren) HEARTH_RETURN_IF_ERROR(Expect(TokenType::kOperator, ")", "')'"));
    return targets;
  }

  Result<StmtPtr> ParseFor() {
    auto s = Node<Stmt>(Stmt::Kind::kFor, Cur());
    Advance();
    HEARTH_ASSIGN_OR_RETURN(s->targets, ParseTargets());
    HEARTH_RETURN_IF_ERROR(Expect(TokenType::kName, "in", "'in'"));
    HEARTH_ASSIGN_OR_RETURN(s->expr, ParseTuple(false));
    if (IsName("if")) {
      Advance();
      HEARTH_ASSIGN_OR_RETURN(s->filter, ParseExpression(true));
    }
    if (IsName("recursive")) return ErrorAt(Cur(), "unsupported recursive for loop", true);
    HEARTH_RETURN_IF_ERROR(ExpectBlockEnd());
    ++loop_depth_;
    std::string found;
    auto body = ParseBody({"else", "endfor"}, &found);
    --loop_depth_;
    if (!body.ok()) return body.status();
    s->body = std::move(body).value();
    Advance();
    if (found == "else") {
      HEARTH_RETURN_IF_ERROR(ExpectBlockEnd());
      HEARTH_ASSIGN_OR_RETURN(s->else_body, ParseBody({"endfor"}, &found));
      Advance();
    }
    HEARTH_RETURN_IF_ERROR(ExpectBlockEnd());
    return s;
  }

  Result<StmtPtr> ParseSet() {
    const Token tag = Cur();
    Advance();
    auto s = Node<Stmt>(Stmt::Kind::kSet, tag);
    if (Cur().type == TokenType::kName && Peek().type == TokenType::kOperator && Peek().text == ".") {
      s->targets.push_back(Cur().text);
      Advance();
      Advance();
      HEARTH_ASSIGN_OR_RETURN(s->attr, ExpectName("an attribute name"));
    } else {
      HEARTH_ASSIGN_OR_RETURN(s->targets, ParseTargets());
    }
    if (IsOp("=")) {
      Advance();
      HEARTH_ASSIGN_OR_RETURN(s->expr, ParseTuple(true));
      HEARTH_RETURN_IF_ERROR(ExpectBlockEnd());
      return s;
    }
    if (!s->attr.empty() || s->targets.size() != 1) return ErrorAt(Cur(), "expected '=' in set statement");
    if (IsOp("|")) return ErrorAt(Cur(), "unsupported filtered block set", true);
    HEARTH_RETURN_IF_ERROR(ExpectBlockEnd());
    s->kind = Stmt::Kind::kSetBlock;
    std::string found;
    HEARTH_ASSIGN_OR_RETURN(s->body, ParseBody({"endset"}, &found));
    Advance();
    HEARTH_RETURN_IF_ERROR(ExpectBlockEnd());
    return s;
  }

  Result<StmtPtr> ParseMacro() {
    auto s = Node<Stmt>(Stmt::Kind::kMacro, Cur());
    Advance();
    HEARTH_ASSIGN_OR_RETURN(s->text, ExpectName("a macro name"));
    HEARTH_RETURN_IF_ERROR(Expect(TokenType::kOperator, "(", "'('"));
    while (!IsOp(")")) {
      if (!s->params.empty()) HEARTH_RETURN_IF_ERROR(Expect(TokenType::kOperator, ",", "','"));
      if (IsOp(")")) break;
      HEARTH_ASSIGN_OR_RETURN(std::string param, ExpectName("a parameter name"));
      ExprPtr def;
      if (IsOp("=")) {
        Advance();
        HEARTH_ASSIGN_OR_RETURN(def, ParseExpression(true));
      } else if (!s->params.empty() && s->params.back().second) {
        return ErrorAt(Cur(), "non-default argument follows default argument");
      }
      s->params.emplace_back(std::move(param), std::move(def));
    }
    Advance();
    HEARTH_RETURN_IF_ERROR(ExpectBlockEnd());
    const int saved_loops = loop_depth_;
    loop_depth_ = 0;
    std::string found;
    auto body = ParseBody({"endmacro"}, &found);
    loop_depth_ = saved_loops;
    if (!body.ok()) return body.status();
    s->body = std::move(body).value();
    Advance();
    if (Cur().type == TokenType::kName) Advance();  // {% endmacro name %}
    HEARTH_RETURN_IF_ERROR(ExpectBlockEnd());
    return s;
  }

  Result<StmtPtr> ParseWith() {
    auto s = Node<Stmt>(Stmt::Kind::kWith, Cur());
    Advance();
    while (Cur().type != TokenType::kBlockEnd) {
      if (!s->params.empty()) HEARTH_RETURN_IF_ERROR(Expect(TokenType::kOperator, ",", "','"));
      HEARTH_ASSIGN_OR_RETURN(std::string n, ExpectName("a variable name"));
      HEARTH_RETURN_IF_ERROR(Expect(TokenType::kOperator, "=", "'='"));
      HEARTH_ASSIGN_OR_RETURN(ExprPtr e, ParseExpression(true));
      s->params.emplace_back(std::move(n), std::move(e));
    }
    Advance();
    std::string found;
    HEARTH_ASSIGN_OR_RETURN(s->body, ParseBody({"endwith"}, &found));
    Advance();
    HEARTH_RETURN_IF_ERROR(ExpectBlockEnd());
    return s;
  }

  // ---- expressions ----

  struct DepthGuard {
    int* d;
    explicit DepthGuard(int* depth) : d(depth) { ++*d; }
    ~DepthGuard() { --*d; }
  };

  // `a, b` is a tuple where jinja2 allows one (output, set, for iterables).
  Result<ExprPtr> ParseTuple(bool with_condexpr) {
    const Token start = Cur();
    HEARTH_ASSIGN_OR_RETURN(ExprPtr first, ParseExpression(with_condexpr));
    if (!IsOp(",")) return first;
    auto tuple = Node<Expr>(Expr::Kind::kTuple, start);
    tuple->children.push_back(std::move(first));
    while (IsOp(",")) {
      Advance();
      if (Cur().type == TokenType::kBlockEnd || Cur().type == TokenType::kVarEnd || IsOp(")")) break;
      HEARTH_ASSIGN_OR_RETURN(ExprPtr next, ParseExpression(with_condexpr));
      tuple->children.push_back(std::move(next));
    }
    return tuple;
  }

  Result<ExprPtr> ParseExpression(bool with_condexpr) {
    DepthGuard guard(&depth_);
    if (depth_ > kMaxDepth) return ErrorAt(Cur(), "expression nested too deeply");
    if (!with_condexpr) return ParseOr();
    HEARTH_ASSIGN_OR_RETURN(ExprPtr expr, ParseOr());
    while (IsName("if")) {
      const Token at = Cur();
      Advance();
      auto cond = Node<Expr>(Expr::Kind::kCondExpr, at);
      HEARTH_ASSIGN_OR_RETURN(ExprPtr test, ParseOr());
      ExprPtr else_expr;
      if (IsName("else")) {
        Advance();
        HEARTH_ASSIGN_OR_RETURN(else_expr, ParseExpression(true));
      }
      cond->children.push_back(std::move(test));
      cond->children.push_back(std::move(expr));
      cond->children.push_back(std::move(else_expr));
      expr = std::move(cond);
    }
    return expr;
  }

  Result<ExprPtr> ParseOr() {
    HEARTH_ASSIGN_OR_RETURN(ExprPtr left, ParseAnd());
    while (IsName("or")) {
      auto n = Node<Expr>(Expr::Kind::kOr, Cur());
      Advance();
      HEARTH_ASSIGN_OR_RETURN(ExprPtr right, ParseAnd());
      n->children.push_back(std::move(left));
      n->children.push_back(std::move(right));
      left = std::move(n);
    }
    return left;
  }

  Result<ExprPtr> ParseAnd() {
    HEARTH_ASSIGN_OR_RETURN(ExprPtr left, ParseNot());
    while (IsName("and")) {
      auto n = Node<Expr>(Expr::Kind::kAnd, Cur());
      Advance();
      HEARTH_ASSIGN_OR_RETURN(ExprPtr right, ParseNot());
      n->children.push_back(std::move(left));
      n->children.push_back(std::move(right));
      left = std::move(n);
    }
    return left;
  }

  Result<ExprPtr> ParseNot() {
    if (IsName("not")) {
      DepthGuard guard(&depth_);
      if (depth_ > kMaxDepth) return ErrorAt(Cur(), "expression nested too deeply");
      auto n = Node<Expr>(Expr::Kind::kNot, Cur());
      Advance();
      HEARTH_ASSIGN_OR_RETURN(ExprPtr operand, ParseNot());
      n->children.push_back(std::move(operand));
      return n;
    }
    return ParseCompare();
  }

  Result<ExprPtr> ParseCompare() {
    const Token start = Cur();
    HEARTH_ASSIGN_OR_RETURN(ExprPtr first, ParseMath1());
    ExprPtr cmp;
    while (true) {
      std::string op;
      if (Cur().type == TokenType::kOperator &&
          (Cur().text == "==" || Cur().text == "!=" || Cur().text == "<" || Cur().text == "<=" ||
           Cur().text == ">" || Cur().text == ">=")) {
        op = Cur().text;
        Advance();
      } else if (IsName("in")) {
        op = "in";
        Advance();
      } else if (IsName("not") && Peek().type == TokenType::kName && Peek().text == "in") {
        op = "not in";
        Advance();
        Advance();
      } else {
        break;
      }
      if (!cmp) {
        cmp = Node<Expr>(Expr::Kind::kCompare, start);
        cmp->children.push_back(std::move(first));
      }
      HEARTH_ASSIGN_OR_RETURN(ExprPtr rhs, ParseMath1());
      cmp->ops.push_back(op);
      cmp->children.push_back(std::move(rhs));
    }
    return cmp ? std::move(cmp) : std::move(first);
  }

  Result<ExprPtr> Binary(ExprPtr left, const Token& at, std::string op, ExprPtr right) {
    auto n = Node<Expr>(Expr::Kind::kBinary, at);
    n->name = std::move(op);
    n->children.push_back(std::move(left));
    n->children.push_back(std::move(right));
    return n;
  }

  Result<ExprPtr> ParseMath1() {
    HEARTH_ASSIGN_OR_RETURN(ExprPtr left, ParseConcat());
    while (IsOp("+") || IsOp("-")) {
      const Token at = Cur();
      Advance();
      HEARTH_ASSIGN_OR_RETURN(ExprPtr right, ParseConcat());
      HEARTH_ASSIGN_OR_RETURN(left, Binary(std::move(left), at, at.text, std::move(right)));
    }
    return left;
  }

  Result<ExprPtr> ParseConcat() {
    HEARTH_ASSIGN_OR_RETURN(ExprPtr left, ParseMath2());
    while (IsOp("~")) {
      const Token at = Cur();
      Advance();
      HEARTH_ASSIGN_OR_RETURN(ExprPtr right, ParseMath2());
      HEARTH_ASSIGN_OR_RETURN(left, Binary(std::move(left), at, "~", std::move(right)));
    }
    return left;
  }

  Result<ExprPtr> ParseMath2() {
    HEARTH_ASSIGN_OR_RETURN(ExprPtr left, ParsePow());
    while (IsOp("*") || IsOp("/") || IsOp("//") || IsOp("%")) {
      const Token at = Cur();
      Advance();
      HEARTH_ASSIGN_OR_RETURN(ExprPtr right, ParsePow());
      HEARTH_ASSIGN_OR_RETURN(left, Binary(std::move(left), at, at.text, std::move(right)));
    }
    return left;
  }

  Result<ExprPtr> ParsePow() {
    HEARTH_ASSIGN_OR_RETURN(ExprPtr left, ParseUnary(true));
    while (IsOp("**")) {
      const Token at = Cur();
      Advance();
      HEARTH_ASSIGN_OR_RETURN(ExprPtr right, ParseUnary(true));
      HEARTH_ASSIGN_OR_RETURN(left, Binary(std::move(left), at, "**", std::move(right)));
    }
    return left;
  }

  Result<ExprPtr> ParseUnary(bool with_filter) {
    DepthGuard guard(&depth_);
    if (depth_ > kMaxDepth) return ErrorAt(Cur(), "expression nested too deeply");
    ExprPtr node;
    if (IsOp("-") || IsOp("+")) {
      node = Node<Expr>(IsOp("-") ? Expr::Kind::kNeg : Expr::Kind::kPos, Cur());
      Advance();
      HEARTH_ASSIGN_OR_RETURN(ExprPtr operand, ParseUnary(false));
      node->children.push_back(std::move(operand));
    } else {
      HEARTH_ASSIGN_OR_RETURN(node, ParsePrimary());
    }
    HEARTH_ASSIGN_OR_RETURN(node, ParsePostfix(std::move(node)));
    if (with_filter) {
      HEARTH_ASSIGN_OR_RETURN(node, ParseFilterExpr(std::move(node)));
    }
    return node;
  }

  Result<ExprPtr> ParsePrimary() {
    const Token tok = Cur();
    switch (tok.type) {
      case TokenType::kName: {
        Advance();
        auto n = Node<Expr>(Expr::Kind::kLiteral, tok);
        if (tok.text == "true" || tok.text == "True") n->literal = Value::Bool(true);
        else if (tok.text == "false" || tok.text == "False") n->literal = Value::Bool(false);
        else if (tok.text == "none" || tok.text == "None") n->literal = Value::None();
        else {
          n->kind = Expr::Kind::kName;
          n->name = tok.text;
        }
        return n;
      }
      case TokenType::kString: {
        std::string s;
        while (Cur().type == TokenType::kString) {
          s += Cur().text;
          Advance();
        }
        auto n = Node<Expr>(Expr::Kind::kLiteral, tok);
        n->literal = Value::String(std::move(s));
        return n;
      }
      case TokenType::kInteger: {
        Advance();
        errno = 0;
        const long long v = std::strtoll(tok.text.c_str(), nullptr, 10);
        if (errno == ERANGE) return ErrorAt(tok, "integer literal too large");
        auto n = Node<Expr>(Expr::Kind::kLiteral, tok);
        n->literal = Value::Int(v);
        return n;
      }
      case TokenType::kFloat: {
        Advance();
        auto n = Node<Expr>(Expr::Kind::kLiteral, tok);
        n->literal = Value::Float(std::strtod(tok.text.c_str(), nullptr));
        return n;
      }
      case TokenType::kOperator: {
        if (tok.text == "(") {
          Advance();
          if (IsOp(")")) {
            Advance();
            auto n = Node<Expr>(Expr::Kind::kTuple, tok);
            return n;
          }
          HEARTH_ASSIGN_OR_RETURN(ExprPtr inner, ParseExpression(true));
          if (IsOp(",")) {
            auto n = Node<Expr>(Expr::Kind::kTuple, tok);
            n->children.push_back(std::move(inner));
            while (IsOp(",")) {
              Advance();
              if (IsOp(")")) break;
              HEARTH_ASSIGN_OR_RETURN(ExprPtr item, ParseExpression(true));
              n->children.push_back(std::move(item));
            }
            inner = std::move(n);
          }
          HEARTH_RETURN_IF_ERROR(Expect(TokenType::kOperator, ")", "')'"));
          return inner;
        }
        if (tok.text == "[") {
          Advance();
          auto n = Node<Expr>(Expr::Kind::kList, tok);
          while (!IsOp("]")) {
            if (!n->children.empty()) {
              HEARTH_RETURN_IF_ERROR(Expect(TokenType::kOperator, ",", "',' or ']'"));
              if (IsOp("]")) break;
            }
            HEARTH_ASSIGN_OR_RETURN(ExprPtr item, ParseExpression(true));
            n->children.push_back(std::move(item));
          }
          Advance();
          return n;
        }
        if (tok.text == "{") {
          Advance();
          auto n = Node<Expr>(Expr::Kind::kDict, tok);
          while (!IsOp("}")) {
            if (!n->children.empty()) {
              HEARTH_RETURN_IF_ERROR(Expect(TokenType::kOperator, ",", "',' or '}'"));
              if (IsOp("}")) break;
            }
            HEARTH_ASSIGN_OR_RETURN(ExprPtr key, ParseExpression(true));
            HEARTH_RETURN_IF_ERROR(Expect(TokenType::kOperator, ":", "':'"));
            HEARTH_ASSIGN_OR_RETURN(ExprPtr value, ParseExpression(true));
            n->children.push_back(std::move(key));
            n->children.push_back(std::move(value));
          }
          Advance();
          return n;
        }
        break;
      }
      default: break;
    }
    return ErrorAt(tok, "unexpected " + Describe(tok) + " in expression");
  }

  Result<ExprPtr> ParsePostfix(ExprPtr node) {
    while (true) {
      const Token at = Cur();
      if (IsOp(".")) {
        Advance();
        if (Cur().type == TokenType::kName) {
          auto n = Node<Expr>(Expr::Kind::kGetAttr, at);
          n->name = Cur().text;
          n->children.push_back(std::move(node));
          node = std::move(n);
          Advance();
        } else if (Cur().type == TokenType::kInteger) {
          auto n = Node<Expr>(Expr::Kind::kGetItem, at);
          auto idx = Node<Expr>(Expr::Kind::kLiteral, Cur());
          idx->literal = Value::Int(std::strtoll(Cur().text.c_str(), nullptr, 10));
          n->children.push_back(std::move(node));
          n->children.push_back(std::move(idx));
          node = std::move(n);
          Advance();
        } else {
          return ErrorAt(Cur(), "expected an attribute name after '.'");
        }
      } else if (IsOp("[")) {
        Advance();
        HEARTH_ASSIGN_OR_RETURN(node, ParseSubscript(std::move(node), at));
      } else if (IsOp("(")) {
        HEARTH_ASSIGN_OR_RETURN(node, ParseCall(std::move(node), Expr::Kind::kCall, at));
      } else {
        return node;
      }
    }
  }

  Result<ExprPtr> ParseSubscript(ExprPtr object, const Token& at) {
    ExprPtr parts[3];
    bool slice = false;
    if (!IsOp(":")) {
      HEARTH_ASSIGN_OR_RETURN(parts[0], ParseExpression(true));
    }
    if (IsOp(":")) {
      slice = true;
      Advance();
      if (!IsOp("]") && !IsOp(":")) {
        HEARTH_ASSIGN_OR_RETURN(parts[1], ParseExpression(true));
      }
      if (IsOp(":")) {
        Advance();
        if (!IsOp("]")) {
          HEARTH_ASSIGN_OR_RETURN(parts[2], ParseExpression(true));
        }
      }
    }
    HEARTH_RETURN_IF_ERROR(Expect(TokenType::kOperator, "]", "']'"));
    auto n = Node<Expr>(slice ? Expr::Kind::kSlice : Expr::Kind::kGetItem, at);
    n->children.push_back(std::move(object));
    if (slice) {
      for (auto& p : parts) n->children.push_back(std::move(p));
    } else {
      n->children.push_back(std::move(parts[0]));
    }
    return n;
  }

  // Parses `( args )` onto a node of `kind` whose children[0] is `target`.
  Result<ExprPtr> ParseCall(ExprPtr target, Expr::Kind kind, const Token& at, std::string name = "") {
    auto n = Node<Expr>(kind, at);
    n->name = std::move(name);
    n->children.push_back(std::move(target));
    HEARTH_RETURN_IF_ERROR(Expect(TokenType::kOperator, "(", "'('"));
    bool first = true;
    while (!IsOp(")")) {
      if (!first) {
        HEARTH_RETURN_IF_ERROR(Expect(TokenType::kOperator, ",", "',' or ')'"));
        if (IsOp(")")) break;
      }
      first = false;
      if (IsOp("*") || IsOp("**")) return ErrorAt(Cur(), "unsupported *args/**kwargs in call", true);
      if (Cur().type == TokenType::kName && Peek().type == TokenType::kOperator && Peek().text == "=") {
        std::string key = Cur().text;
        Advance();
        Advance();
        HEARTH_ASSIGN_OR_RETURN(ExprPtr v, ParseExpression(true));
        n->kwargs.emplace_back(std::move(key), std::move(v));
      } else {
        if (!n->kwargs.empty()) return ErrorAt(Cur(), "positional argument follows keyword argument");
        HEARTH_ASSIGN_OR_RETURN(ExprPtr v, ParseExpression(true));
        n->children.push_back(std::move(v));
      }
    }
    Advance();
    return n;
  }

  Result<std::string> ParseDottedName(const char* what) {
    HEARTH_ASSIGN_OR_RETURN(std::string name, ExpectName(what));
    while (IsOp(".")) {
      Advance();
      HEARTH_ASSIGN_OR_RETURN(std::string part, ExpectName(what));
      name += "." + part;
    }
    return name;
  }

  Result<ExprPtr> ParseFilterExpr(ExprPtr node) {
    while (true) {
      const Token at = Cur();
      if (IsOp("|")) {
        Advance();
        const Token name_tok = Cur();
        HEARTH_ASSIGN_OR_RETURN(std::string name, ParseDottedName("a filter name"));
        if (!IsKnownFilter(name)) return ErrorAt(name_tok, "unsupported filter '" + name + "'", true);
        if (IsOp("(")) {
          HEARTH_ASSIGN_OR_RETURN(node, ParseCall(std::move(node), Expr::Kind::kFilter, name_tok, name));
        } else {
          auto n = Node<Expr>(Expr::Kind::kFilter, name_tok);
          n->name = name;
          n->children.push_back(std::move(node));
          node = std::move(n);
        }
      } else if (IsName("is")) {
        Advance();
        bool negated = false;
        if (IsName("not")) {
          negated = true;
          Advance();
        }
        const Token name_tok = Cur();
        HEARTH_ASSIGN_OR_RETURN(std::string name, ParseDottedName("a test name"));
        if (!IsKnownTest(name)) return ErrorAt(name_tok, "unsupported test '" + name + "'", true);
        if (IsOp("(")) {
          HEARTH_ASSIGN_OR_RETURN(node, ParseCall(std::move(node), Expr::Kind::kTest, name_tok, name));
        } else {
          auto n = Node<Expr>(Expr::Kind::kTest, name_tok);
          n->name = name;
          n->children.push_back(std::move(node));
          const TokenType tt = Cur().type;
          const bool arg_follows =
              (tt == TokenType::kName || tt == TokenType::kString || tt == TokenType::kInteger ||
               tt == TokenType::kFloat || IsOp("(") || IsOp("[") || IsOp("{")) &&
              !IsName("else") && !IsName("or") && !IsName("and");
          if (arg_follows) {
            if (IsName("is")) return ErrorAt(Cur(), "cannot chain multiple tests with 'is'");
            HEARTH_ASSIGN_OR_RETURN(ExprPtr arg, ParsePrimary());
            HEARTH_ASSIGN_OR_RETURN(arg, ParsePostfix(std::move(arg)));
            n->children.push_back(std::move(arg));
          }
          node = std::move(n);
        }
        node->negated = negated;
      } else if (IsOp("(")) {
        HEARTH_ASSIGN_OR_RETURN(node, ParseCall(std::move(node), Expr::Kind::kCall, at));
      } else {
        return node;
      }
    }
  }

  const std::vector<Token>& t_;
  size_t pos_ = 0;
  int depth_ = 0;
  int loop_depth_ = 0;
};

}  // namespace

Result<Body> Parse(const std::vector<Token>& tokens) {
  if (tokens.empty()) return Body{};
  Parser parser(tokens);
  return parser.ParseTemplate();
}

}  // namespace hearth::engine::jinja
