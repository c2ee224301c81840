#!/usr/bin/python3
"""Reference renderer for Hearth's Jinja differential tests.

Renders chat templates with Python's jinja2 configured exactly as
transformers' apply_chat_template configures it (ImmutableSandboxedEnvironment,
trim_blocks, lstrip_blocks, loopcontrols, the `generation` tag, tojson via
json.dumps without HTML escaping, raise_exception, strftime_now).

stdin: one JSON request {"template": str, "context": {...}, "now": "ISO time"}
       or a JSON list of such requests.
stdout: for each request {"ok": true, "output": str} or
        {"ok": false, "error": str}; a list when the input was a list.
Run it with /usr/bin/python3 (Debian's python3-jinja2).
"""
import json
import sys
from datetime import datetime

import jinja2
from jinja2.ext import Extension, loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment


class GenerationTracker(Extension):
    """transformers' AssistantTracker without the mask bookkeeping: renders the body as is."""

    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return jinja2.nodes.CallBlock(self.call_method("_render", []), [], [], body).set_lineno(lineno)

    def _render(self, caller):
        return caller()


def make_environment(now):
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def strftime_now(format):
        return now.strftime(format)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                       extensions=[GenerationTracker, loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


_compiled = {}


def compile_template(source, now_iso):
    key = (source, now_iso)
    if key not in _compiled:
        env = make_environment(datetime.fromisoformat(now_iso))
        _compiled[key] = env.from_string(source)
    return _compiled[key]


def render(request):
    try:
        template = compile_template(request["template"], request.get("now", "2026-11-21T10:30:00"))
        output = template.render(**request.get("context", {}))
        return {"ok": True, "output": output}
    except Exception as e:  # every failure is reported, never a crash
        return {"ok": False, "error": f"{type(e).__name__}: {e}"}


def main():
    request = json.load(sys.stdin)
    if isinstance(request, list):
        result = [render(r) for r in request]
    else:
        result = render(request)
    json.dump(result, sys.stdout, ensure_ascii=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
