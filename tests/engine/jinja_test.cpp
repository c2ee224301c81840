// The Jinja interpreter, piece by piece: lexer whitespace control, parser
// errors, expressions, statements, filters, tests, methods, limits.
//
// Most cases are (template, context, expected output) rows. The rows are
// checked against this interpreter always, and against Python's jinja2
// (configured as transformers configures it, tests/engine/jinja_reference.py)
// when /usr/bin/python3 has jinja2, so every expectation here is jinja2's
// real behaviour, not a guess.
#include <sys/types.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "engine/jinja/json.h"
#include "engine/jinja/lexer.h"
#include "engine/jinja/template.h"
#include "engine/jinja/value.h"

namespace hearth::engine::jinja {
namespace {

namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;

struct Row {
  const char* tmpl;
  const char* context;   // JSON object
  const char* expected;  // nullptr: both must fail
};

// clang-format off
const Row kRows[] = {
  // ---- whitespace control (trim_blocks, lstrip_blocks, -, +) ----
  {"a\n{% if true %}\nb\n{% endif %}\nc", "{}", "a\nb\nc"},
  {"  {% if true %}x{% endif %}  \n", "{}", "x  "},
  {"a  {%- if true %} b {% endif -%}  c", "{}", "a b c"},
  {"{{ 'x' }}\n{{ 'y' }}", "{}", "x\ny"},
  {"a {{- ' b ' -}} c", "{}", "a b c"},
  {"line\n    {%+ if true %}x{% endif +%}\nend", "{}", "line\n    x\nend"},
  {"x {# comment #}\ny", "{}", "x y"},
  {"x\n  {# comment #}\ny", "{}", "x\ny"},
  {"{% raw %}{{ not_rendered }}{% endraw %}", "{}", "{{ not_rendered }}"},
  {"trailing newline dropped\n", "{}", "trailing newline dropped"},
  {"{% for i in [1, 2] %}\n  {{ i }}\n{% endfor %}\n", "{}", "  1\n  2\n"},
  // ---- literals and operators ----
  {"{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 2 ** 10 }}", "{}", "7 9 3 -4 1 2 1024"},
  {"{{ 10 / 4 }} {{ 10 / 2 }} {{ 1.5 + 1 }} {{ 0.1 + 0.2 }} {{ 1e16 }} {{ 1.5e-7 }} {{ 3.0 }}", "{}", "2.5 5.0 2.5 0.30000000000000004 1e+16 1.5e-07 3.0"},
  {"{{ 'a' ~ 1 ~ none ~ true }} {{ 'ab' + 'cd' }} {{ 'ab' * 3 }} {{ [1] + [2] }}", "{}", "a1NoneTrue abcd ababab [1, 2]"},
  {"{{ true and 'x' }} {{ false or 'y' }} {{ not none }} {{ 0 or '' or 'z' }}", "{}", "x y True z"},
  {"{{ 1 < 2 < 3 }} {{ 1 < 3 < 2 }} {{ 'a' < 'b' }} {{ [1, 2] < [1, 3] }} {{ 2 >= 2 }} {{ 1 != 1.0 }}", "{}", "True False True True True False"},
  {"{{ 'b' in 'abc' }} {{ 2 in [1, 2] }} {{ 'k' in {'k': 1} }} {{ 'z' not in 'abc' }}", "{}", "True True True True"},
  {"{{ 'yes' if 1 > 0 else 'no' }} {{ 'yes' if 0 else 'no' }}[{{ 'x' if false }}]", "{}", "yes no[]"},
  {"{{ [1, 'a', none, true, 1.5] }} {{ {'a': [1, {'b': \"it's\"}]} }} {{ (1,) }} {{ () }}", "{}", "[1, 'a', None, True, 1.5] {'a': [1, {'b': \"it's\"}]} (1,) ()"},
  {"{{ 'tab\\tnew\\nline \\u00e9 \\x41' }}", "{}", "tab\tnew\nline é A"},
  {"{{ True }} {{ False }} {{ None }}", "{}", "True False None"},
  // ---- attribute, item, slices ----
  {"{{ m.role }} {{ m['content'] }} {{ m.missing }}|{{ l[0] }} {{ l[-1] }} {{ l[5] }}|", "{\"m\": {\"role\": \"user\", \"content\": \"hi\"}, \"l\": [1, 2, 3]}", "user hi |1 3 |"},
  {"{{ l[1:] }} {{ l[:-1] }} {{ l[::-1] }} {{ l[::2] }} {{ 'héllo'[1:3] }} {{ 'abc'[::-1] }} {{ 'héllo'[1] }}", "{\"l\": [1, 2, 3, 4]}", "[2, 3, 4] [1, 2, 3] [4, 3, 2, 1] [1, 3] él cba é"},
  {"{{ l.0 }} {{ d.items()|list }} {{ d.keys()|list }} {{ d.values()|list }} {{ d.get('x') }} {{ d.get('y', 'dflt') }}", "{\"l\": [7], \"d\": {\"x\": 1}}", "7 [('x', 1)] ['x'] [1] 1 dflt"},
  {"{{ none.attr }}|{{ 'abc'.nope }}|{{ 3.x }}", "{}", "||"},
  // ---- string methods ----
  {"[{{ '  a b  '.strip() }}][{{ '  a'.lstrip() }}][{{ 'a\\n\\n'.rstrip('\\n') }}][{{ 'xxaxx'.strip('x') }}]", "{}", "[a b][a][a][a]"},
  {"{{ 'a,b,,c'.split(',') }} {{ ' a  b '.split() }} {{ 'a b c'.split(' ', 1) }} {{ 'a</think>b'.split('</think>')[-1] }}", "{}", "['a', 'b', '', 'c'] ['a', 'b'] ['a', 'b c'] b"},
  {"{{ 'Hello'.startswith('He') }} {{ 'Hello'.endswith(('x', 'lo')) }} {{ 'hello world'.title() }} {{ 'abc'.upper() }} {{ 'ABC'.lower() }}", "{}", "True True Hello World ABC abc"},
  {"{{ 'aaa'.replace('a', 'b') }} {{ 'aaa'.replace('a', 'b', 2) }} {{ 'hello'.capitalize() }} {{ 'abcabc'.find('c') }} {{ 'abcabc'.count('b') }} {{ '-'.join(['a', 'b']) }}", "{}", "bbb bba Hello 2 2 a-b"},
  // ---- statements ----
  {"{% if x == 1 %}one{% elif x == 2 %}two{% else %}other{% endif %}", "{\"x\": 2}", "two"},
  {"{% for m in l %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }};{% endfor %}", "{\"l\": [\"a\", \"b\"]}", "1021TrueFalse2;2110FalseTrue2;"},
  {"{% for x in l %}{{ loop.previtem }}>{{ x }}>{{ loop.nextitem }} {% endfor %}", "{\"l\": [1, 2, 3]}", ">1>2 1>2>3 2>3> "},
  {"{% for x in [] %}x{% else %}empty{% endfor %}", "{}", "empty"},
  {"{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}{% for k in d %}{{ k }}{% endfor %}", "{\"d\": {\"b\": 1, \"a\": 2}}", "b=1;a=2;ba"},
  {"{% for x in l if x is odd %}{{ x }}{{ loop.length }} {% endfor %}", "{\"l\": [1, 2, 3, 4, 5]}", "13 33 53 "},
  {"{% for x in l %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 4 %}{% break %}{% endif %}{{ x }}{% endfor %}", "{\"l\": [1, 2, 3, 4, 5]}", "13"},
  {"{% for x in 'ab' %}{{ x }}.{% endfor %}{% for x in l %}{{ loop.cycle('o', 'e') }}{% endfor %}", "{\"l\": [1, 2, 3]}", "a.b.oeo"},
  {"{% set x = 1 %}{% for i in [1, 2] %}{{ x }}{% set x = i * 10 %}{{ x }} {% endfor %}{{ x }}", "{}", "110 120 1"},
  {"{% if true %}{% set y = 5 %}{% endif %}{{ y }}", "{}", "5"},
  {"{% set ns = namespace(n=0, found=false) %}{% for i in [1, 2, 3] %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }} {{ ns.found }} {{ ns.nope }}|", "{}", "6 False |"},
  {"{% set a, b = [1, 2] %}{{ b }}{{ a }}{% set t = 1, 2 %}{{ t }}", "{}", "21(1, 2)"},
  {"{% set block %}  inner {{ 1 + 1 }}\n{% endset %}[{{ block }}]", "{}", "[  inner 2\n]"},
  {"{% macro greet(name, greeting='Hello') %}{{ greeting }}, {{ name }}!{% endmacro %}{{ greet('Ann') }} {{ greet('Bob', greeting='Hi') }} {{ greet('Cy', 'Yo') }}", "{}", "Hello, Ann! Hi, Bob! Yo, Cy!"},
  {"{% macro m() %}{{ y }}{% endmacro %}{% set y = 5 %}{{ m() }}{{ m()|length }}", "{}", "51"},
  {"{% with a = 1, b = 2 %}{{ a + b }}{% endwith %}{{ a }}", "{}", "3"},
  {"{% generation %}kept{% endgeneration %}", "{}", "kept"},
  // ---- tests ----
  {"{{ x is defined }} {{ y is defined }} {{ y is undefined }} {{ n is none }} {{ n is not none }}", "{\"x\": 1, \"n\": null}", "True False True True False"},
  {"{{ 's' is string }} {{ 1 is number }} {{ true is number }} {{ 1 is integer }} {{ true is integer }} {{ 1.0 is float }} {{ true is boolean }}", "{}", "True True True True False True True"},
  {"{{ {} is mapping }} {{ [] is mapping }} {{ 'a' is iterable }} {{ 1 is iterable }} {{ 'a' is sequence }} {{ {} is sequence }} {{ u is iterable }}", "{}", "True False True False True True True"},
  {"{{ true is true }} {{ 1 is true }} {{ false is false }} {{ 3 is odd }} {{ 4 is even }} {{ 9 is divisibleby 3 }} {{ 'a' is in 'abc' }}", "{}", "True False True True True True True"},
  {"{{ 1 is eq 1 }} {{ 1 is equalto 2 }} {{ 1 is ne 2 }} {{ 1 is lt 2 }} {{ 2 is gt 1 }} {{ 'ab' is lower }} {{ 'AB' is upper }} {{ range is callable }}", "{}", "True False True True True True True True"},
  // ---- filters ----
  {"[{{ '  x  '|trim }}][{{ 'xxyxx'|trim('x') }}][{{ u|trim }}][{{ none|trim }}]", "{}", "[x][y][][None]"},
  {"{{ l|length }} {{ 'héllo'|length }} {{ d|length }} {{ u|length }} {{ l|count }}", "{\"l\": [1, 2], \"d\": {\"a\": 1}}", "2 5 1 0 2"},
  {"{{ l|first }} {{ l|last }} {{ l|join(', ') }} {{ l|join }} {{ 'ab'|list }} {{ l|reverse|list }} {{ 'abc'|reverse }}", "{\"l\": [1, 2, 3]}", "1 3 1, 2, 3 123 ['a', 'b'] [3, 2, 1] cba"},
  {"{{ 'hello WORLD'|upper }} {{ 'HeLLo'|lower }} {{ 'hello wORLD'|capitalize }} {{ 'hello-world foo(bar'|title }}", "{}", "HELLO WORLD hello Hello world Hello-World Foo(Bar"},
  {"{{ 'aXbX'|replace('X', '-') }} {{ 'aaa'|replace('a', 'b', 1) }}", "{}", "a-b- baa"},
  {"{{ u|default('dflt') }} {{ ''|default('dflt') }} {{ ''|default('dflt', true) }} {{ none|d('x') }} {{ u|d }}|", "{}", "dflt  dflt None |"},
  {"{{ l|map(attribute='n')|list }} {{ l|map(attribute='m', default=0)|list }} {{ ['a', 'b']|map('upper')|join }}", "{\"l\": [{\"n\": 1}, {\"n\": 2, \"m\": 5}]}", "[1, 2] [0, 5] AB"},
  {"{{ l|selectattr('role', 'equalto', 'user')|map(attribute='c')|list }} {{ l|rejectattr('role', 'eq', 'user')|list|length }} {{ l|selectattr('x')|list|length }} {{ l|selectattr('x', 'defined')|list|length }}", "{\"l\": [{\"role\": \"user\", \"c\": 1}, {\"role\": \"bot\", \"c\": 2, \"x\": 0}, {\"role\": \"user\", \"c\": 3}]}", "[1, 3] 1 0 1"},
  {"{{ [1, 2, 3, 4]|select('odd')|list }} {{ [1, 0, 2]|reject|list }} {{ [1, 2]|select('gt', 1)|list }} {{ ['a', 'code']|reject('equalto', 'code')|join(', ') }}", "{}", "[1, 3] [0] [2] a"},
  {"{{ 12|string ~ 'x' }} {{ '42'|int + 1 }} {{ '4.7'|int }} {{ 'abc'|int }} {{ 'abc'|int(7) }} {{ 3.9|int }} {{ '2.5'|float }} {{ 'x'|float }} {{ 3|float }}", "{}", "12x 43 4 0 7 3 2.5 0.0 3.0"},
  {"{{ -3|abs }} {{ (-3)|abs }} {{ -2.5|abs }} {{ 2.5|round }} {{ 3.5|round }} {{ 3|round }} {{ 3.14159|round(2) }} {{ 3.2|round(0, 'ceil') }} {{ 3.8|round(method='floor') }}", "{}", "3 3 2.5 2.0 4.0 3 3.14 4.0 3.0"},
  {"{{ '<a href=\"x\">&\\'</a>'|e }} {{ '<b>'|escape }} {{ '<i>'|safe }}", "{}", "&lt;a href=&#34;x&#34;&gt;&amp;&#39;&lt;/a&gt; &lt;b&gt; <i>"},
  {"{{ 'a\\nb\\n\\nc'|indent }}|{{ 'a\\nb'|indent(2, true) }}|{{ 'a\\n\\nb'|indent(2, blank=true) }}|{{ 'a\\nb'|indent('> ') }}", "{}", "a\n    b\n\n    c|  a\n  b|a\n  \n  b|a\n> b"},
  {"{{ d|items|list }} {{ d|dictsort }} {{ d|dictsort(by='value', reverse=true) }} {{ u|items|list }}", "{\"d\": {\"b\": 1, \"a\": 2, \"C\": 3}}", "[('b', 1), ('a', 2), ('C', 3)] [('a', 2), ('b', 1), ('C', 3)] [('C', 3), ('a', 2), ('b', 1)] []"},
  {"{{ [3, 1, 2]|sort }} {{ ['b', 'A', 'c']|sort }} {{ ['b', 'A', 'c']|sort(case_sensitive=true) }} {{ [3, 1, 2]|sort(reverse=true) }} {{ l|sort(attribute='n')|map(attribute='n')|list }}", "{\"l\": [{\"n\": 2}, {\"n\": 1}]}", "[1, 2, 3] ['A', 'b', 'c'] ['A', 'b', 'c'] [3, 2, 1] [1, 2]"},
  {"{{ ['a', 'A', 'b', 'a']|unique|list }} {{ [3, 1, 2]|min }} {{ [3, 1, 2]|max }} {{ ['b', 'A']|min }} {{ [1, 2, 3]|sum }} {{ l|sum(attribute='n') }} {{ [1.5, 2]|sum }}", "{\"l\": [{\"n\": 2}, {\"n\": 1}]}", "['a', 'b'] 1 3 A 6 3 3.5"},
  {"{{ [1, 2, 3, 4, 5]|batch(2)|list }} {{ [1, 2, 3]|batch(2, 0)|list }}", "{}", "[[1, 2], [3, 4], [5]] [[1, 2], [3, 0]]"},
  // ---- tojson, as transformers defines it (ensure_ascii=False, no HTML escaping) ----
  {"{{ d|tojson }}", "{\"d\": {\"a\": [1, 2.5, null, true], \"s\": \"é <&> \\\"q\\\" \\n 😀\", \"e\": {}, \"l\": []}}", "{\"a\": [1, 2.5, null, true], \"s\": \"é <&> \\\"q\\\" \\n 😀\", \"e\": {}, \"l\": []}"},
  {"{{ d|tojson(indent=2) }}", "{\"d\": {\"a\": [1, {\"b\": null}], \"e\": []}}", "{\n  \"a\": [\n    1,\n    {\n      \"b\": null\n    }\n  ],\n  \"e\": []\n}"},
  {"{{ d|tojson(ensure_ascii=true) }} {{ d|tojson(separators=(',', ':')) }} {{ d2|tojson(sort_keys=true) }}", "{\"d\": {\"s\": \"é😀\"}, \"d2\": {\"b\": 1, \"a\": 2}}", "{\"s\": \"\\u00e9\\ud83d\\ude00\"} {\"s\":\"é😀\"} {\"a\": 2, \"b\": 1}"},
  {"{{ 'x'|tojson }} {{ 1.0|tojson }} {{ (1, 2)|tojson }} {{ none|tojson }}", "{}", "\"x\" 1.0 [1, 2] null"},
  // ---- globals ----
  {"{{ range(3)|list }} {{ range(1, 7, 2)|list }} {{ range(3, 0, -1)|list }} {{ dict(a=1) }} {{ namespace(a=1).a }}", "{}", "[0, 1, 2] [1, 3, 5] [3, 2, 1] {'a': 1} 1"},
  {"{{ strftime_now('%Y-%m-%d %H:%M %B %b %d %A') }}", "{}", "2026-11-21 10:30 November Nov 21 Saturday"},
  // ---- undefined semantics and errors both must raise ----
  {"{{ undefined_var }}|{{ undefined_var is defined }}|{% for x in undefined_var %}x{% endfor %}|{{ undefined_var|length }}", "{}", "|False||0"},
  {"{{ undefined_var.attr }}", "{}", nullptr},
  {"{{ undefined_var + 1 }}", "{}", nullptr},
  {"{{ 'a' + 1 }}", "{}", nullptr},
  {"{{ 1 / 0 }}", "{}", nullptr},
  {"{{ raise_exception('boom') }}", "{}", nullptr},
  {"{% for x in none %}{% endfor %}", "{}", nullptr},
  {"{{ [1, 2].append(3) }}", "{}", nullptr},
  {"{{ d.update({}) }}", "{\"d\": {}}", nullptr},
  {"{% set x = 1 %}{% set x.attr = 2 %}", "{}", nullptr},
  {"{% if true %}unclosed", "{}", nullptr},
  {"{{ 1 + }}", "{}", nullptr},
  {"{% endfor %}", "{}", nullptr},
  {"{{ 'abc' | nosuchfilter }}", "{}", nullptr},
  {"{{ range(200000)|length }}", "{}", nullptr},
  {"{{ messages[0]['role'] }}", "{\"messages\": []}", nullptr},
  {"{{ 'a' < 1 }}", "{}", nullptr},
  {"{{ {'a': 1}|tojson }}{{ u|tojson }}", "{}", nullptr},
};
// clang-format on

constexpr const char* kFixedNowIso = "2026-11-21T10:30:00";

RenderOptions FixedOptions() {
  RenderOptions opt;
  std::tm tm{};
  tm.tm_year = 126;
  tm.tm_mon = 10;
  tm.tm_mday = 21;
  tm.tm_hour = 10;
  tm.tm_min = 30;
  const time_t t = timegm(&tm);
  gmtime_r(&t, &tm);
  opt.now = tm;
  return opt;
}

Result<std::string> RenderRow(const Row& row) {
  HEARTH_ASSIGN_OR_RETURN(Template t, Template::Parse(row.tmpl));
  const Value ctx = FromJson(ojson::parse(row.context));
  return t.Render(ctx.dict(), FixedOptions());
}

TEST(JinjaRows, RenderAsExpected) {
  for (const Row& row : kRows) {
    auto out = RenderRow(row);
    if (row.expected == nullptr) {
      EXPECT_FALSE(out.ok()) << "template: " << row.tmpl << "\nrendered: " << (out.ok() ? *out : "");
      if (!out.ok()) {
        EXPECT_NE(out.status().message().find("line "), std::string::npos) << out.status().message();
      }
    } else {
      ASSERT_TRUE(out.ok()) << "template: " << row.tmpl << "\nerror: " << out.status().ToString();
      EXPECT_EQ(*out, row.expected) << "template: " << row.tmpl;
    }
  }
}

bool PythonJinjaAvailable() {
  if (!fs::exists("/usr/bin/python3")) return false;
  return std::system("/usr/bin/python3 -c 'import jinja2' >/dev/null 2>&1") == 0;
}

// The expectations above are jinja2's: checked against the real thing.
TEST(JinjaRows, ExpectationsAreWhatPythonJinja2Renders) {
  if (!PythonJinjaAvailable()) GTEST_SKIP() << "/usr/bin/python3 with jinja2 (python3-jinja2) is not available";
  ojson requests = ojson::array();
  for (const Row& row : kRows) {
    requests.push_back({{"template", row.tmpl}, {"context", ojson::parse(row.context)}, {"now", kFixedNowIso}});
  }
  const fs::path in = fs::temp_directory_path() / ("hearth_jinja_rows_" + std::to_string(::getpid()) + ".json");
  std::ofstream(in, std::ios::binary) << requests.dump();
  const std::string cmd = std::string("/usr/bin/python3 ") + HEARTH_SOURCE_DIR + "/tests/engine/jinja_reference.py < " + in.string();
  FILE* pipe = popen(cmd.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string text;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) text.append(buf, n);
  pclose(pipe);
  fs::remove(in);
  const ojson results = ojson::parse(text);
  ASSERT_EQ(results.size(), std::size(kRows));
  for (size_t i = 0; i < std::size(kRows); ++i) {
    const Row& row = kRows[i];
    if (row.expected == nullptr) {
      EXPECT_FALSE(results[i]["ok"].get<bool>()) << "jinja2 rendered " << row.tmpl << " as "
                                                 << results[i]["output"].get<std::string>();
    } else {
      ASSERT_TRUE(results[i]["ok"].get<bool>()) << row.tmpl << ": " << results[i]["error"].get<std::string>();
      EXPECT_EQ(results[i]["output"].get<std::string>(), row.expected) << "template: " << row.tmpl;
    }
  }
}

// ---- pieces ----

TEST(JinjaLexer, TokensCarryLineAndColumn) {
  auto tokens = Tokenize("ab\n  {{ x.y }}");
  ASSERT_TRUE(tokens.ok());
  ASSERT_GE(tokens->size(), 6u);
  EXPECT_EQ((*tokens)[0].type, TokenType::kData);
  EXPECT_EQ((*tokens)[0].text, "ab\n  ");
  EXPECT_EQ((*tokens)[1].type, TokenType::kVarBegin);
  EXPECT_EQ((*tokens)[2].type, TokenType::kName);
  EXPECT_EQ((*tokens)[2].line, 2);
  EXPECT_EQ((*tokens)[2].column, 6);
}

TEST(JinjaLexer, UnterminatedConstructsAreErrorsWithPosition) {
  for (const char* bad : {"x\n{{ a", "{% if", "{# never closed", "{{ 'open }}", "{% raw %}x", "{{ a ? b }}"}) {
    auto tokens = Tokenize(bad);
    ASSERT_FALSE(tokens.ok()) << bad;
    EXPECT_EQ(tokens.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(tokens.status().message().find("line "), std::string::npos) << tokens.status().message();
  }
}

TEST(JinjaParser, ErrorsNameLineColumnAndKind) {
  auto bad = Template::Parse("ok\n{% for x in y %}\n{{ x + }}\n{% endfor %}");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("line 3"), std::string::npos) << bad.status().message();

  auto unsupported = Template::Parse("{% include 'other.jinja' %}");
  ASSERT_FALSE(unsupported.ok());
  EXPECT_EQ(unsupported.status().code(), StatusCode::kUnimplemented);
  EXPECT_NE(unsupported.status().message().find("include"), std::string::npos);

  auto filter = Template::Parse("{{ x | frobnicate }}");
  ASSERT_FALSE(filter.ok());
  EXPECT_EQ(filter.status().code(), StatusCode::kUnimplemented);
  EXPECT_NE(filter.status().message().find("frobnicate"), std::string::npos);

  auto brk = Template::Parse("{% break %}");
  ASSERT_FALSE(brk.ok());
  EXPECT_NE(brk.status().message().find("outside of a loop"), std::string::npos);
}

TEST(JinjaParser, DeepNestingIsAnErrorNotACrash) {
  std::string deep(5000, '(');
  deep = "{{ " + deep + "1" + std::string(5000, ')') + " }}";
  auto t = Template::Parse(deep);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("nested too deeply"), std::string::npos) << t.status().message();

  std::string ifs;
  for (int i = 0; i < 2000; ++i) ifs += "{% if true %}";
  EXPECT_FALSE(Template::Parse(ifs).ok());
}

TEST(JinjaLimits, RecursionStepsAndOutputAreBounded) {
  auto recursive = Template::Parse("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}");
  ASSERT_TRUE(recursive.ok());
  auto r = recursive->Render({});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);

  auto loops = Template::Parse("{% for a in range(1000) %}{% for b in range(1000) %}{% endfor %}{% endfor %}");
  ASSERT_TRUE(loops.ok());
  RenderOptions opt;
  opt.max_steps = 20000;
  r = loops->Render({}, opt);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(r.status().message().find("steps"), std::string::npos);

  auto big = Template::Parse("{% for a in range(2000) %}{{ 'x' * 1000 }}{% endfor %}");
  ASSERT_TRUE(big.ok());
  opt = RenderOptions{};
  opt.max_output_bytes = 1 << 20;
  r = big->Render({}, opt);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);

  auto repeat = Template::Parse("{{ 'x' * 1000000000 }}");
  ASSERT_TRUE(repeat.ok());
  r = repeat->Render({});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
}

TEST(JinjaLimits, SelfNestingValuesAreRejectedNotACrash) {
  // Each of these would, unbounded, build a value whose printing or
  // destruction recurses past the stack or grows without limit. (A plain
  // `set` in a loop cannot accumulate: jinja2 resets it every iteration.)
  for (const char* src : {
           "{% set ns = namespace(x=[1]) %}{% for i in range(100) %}{% set ns.x = [ns.x, ns.x] %}{% endfor %}{{ ns.x|length }}",
           "{% set ns = namespace(v=[]) %}{% for i in range(100000) %}{% set ns.v = [ns.v] %}{% endfor %}{{ ns.v }}",
           "{% set ns = namespace() %}{% set ns.me = ns %}{{ ns }}",
           "{% set ns = namespace() %}{% set ns.l = [1, [ns]] %}{{ ns }}"}) {
    auto t = Template::Parse(src);
    ASSERT_TRUE(t.ok()) << src;
    auto r = t->Render({});
    EXPECT_FALSE(r.ok()) << src;
  }
}

TEST(JinjaErrors, RaiseExceptionCarriesMessageAndPosition) {
  auto t = Template::Parse("line one\n  {{ raise_exception('Roles must alternate') }}");
  ASSERT_TRUE(t.ok());
  auto r = t->Render({});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("Roles must alternate"), std::string::npos);
  EXPECT_NE(r.status().message().find("line 2"), std::string::npos) << r.status().message();
}

TEST(JinjaErrors, UndefinedAttributeNamesTheVariable) {
  auto t = Template::Parse("{{ foo.bar }}");
  ASSERT_TRUE(t.ok());
  auto r = t->Render({});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("'foo' is undefined"), std::string::npos) << r.status().message();
}

TEST(JinjaValue, PythonFloatRepr) {
  EXPECT_EQ(FormatPythonFloat(1.0), "1.0");
  EXPECT_EQ(FormatPythonFloat(0.1), "0.1");
  EXPECT_EQ(FormatPythonFloat(-2.5), "-2.5");
  EXPECT_EQ(FormatPythonFloat(1e16), "1e+16");
  EXPECT_EQ(FormatPythonFloat(123456789012345.0), "123456789012345.0");
  EXPECT_EQ(FormatPythonFloat(0.0001), "0.0001");
  EXPECT_EQ(FormatPythonFloat(0.00001), "1e-05");
  EXPECT_EQ(FormatPythonFloat(1.0 / 3), "0.3333333333333333");
}

TEST(JinjaValue, ReprAndEquality) {
  EXPECT_EQ(ToPythonRepr(Value::String("it's")), "\"it's\"");
  EXPECT_EQ(ToPythonRepr(Value::String("a\n'\"")), "'a\\n\\'\"'");
  EXPECT_TRUE(Equals(Value::Int(1), Value::Float(1.0)));
  EXPECT_TRUE(Equals(Value::Bool(true), Value::Int(1)));
  EXPECT_FALSE(Equals(Value::List({Value::Int(1)}), Value::Tuple({Value::Int(1)})));
  EXPECT_FALSE(Equals(Value::String("1"), Value::Int(1)));
  EXPECT_TRUE(Equals(Value::Undefined(), Value::Undefined()));
}

TEST(JinjaJson, DumpsLikePython) {
  const Value v = FromJson(ojson::parse(R"({"b": [1, 2.0, "é\u0001"], "a": null})"));
  JsonDumpOptions opt;
  auto s = ToJson(v, opt);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, "{\"b\": [1, 2.0, \"é\\u0001\"], \"a\": null}");
  opt.ensure_ascii = true;
  opt.sort_keys = true;
  s = ToJson(v, opt);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, "{\"a\": null, \"b\": [1, 2.0, \"\\u00e9\\u0001\"]}");
  EXPECT_FALSE(ToJson(Value::Undefined(), JsonDumpOptions{}).ok());
}

}  // namespace
}  // namespace hearth::engine::jinja
