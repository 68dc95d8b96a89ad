#!/usr/bin/python3
"""Renders the chat templates in casa-text/src/test/resources/templates with Jinja2 configured the way
Hugging Face transformers renders chat templates, and records the outputs as the oracle for the
Java template engine.

Run from the repository root:  /usr/bin/python3 models/templates/make_fixtures.py
Needs Debian's python3-jinja2 (3.1.x). Writes casa-text/src/test/resources/templates/expected.json.
"""
import glob
import json
import os

import jinja2
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TEMPLATES = os.path.join(ROOT, "casa-text/src/test/resources/templates")


def hf_environment():
    # Mirrors transformers' _compile_jinja_template: sandboxed, trim_blocks, lstrip_blocks,
    # loop controls, raise_exception, and tojson without HTML escaping or ASCII escaping.
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    return env


TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "Weather for a city: \"now\" — ünïcode",
                                            "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                                                           "required": ["city"]}}}]

CONVERSATIONS = {
    "single_user": [{"role": "user", "content": "Hello there!"}],
    "system_first": [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "  What is 2+2?\n"},
        {"role": "assistant", "content": "4"},
        {"role": "user", "content": "And 3+3? 日本語 😀"},
    ],
    "alternating": [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hello\nthere"},
        {"role": "user", "content": "bye"},
    ],
    "not_alternating": [
        {"role": "user", "content": "a"},
        {"role": "user", "content": "b"},
    ],
    "tool_use": [
        {"role": "system", "content": "Use tools. /no_think"},
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": "", "tool_calls": [
            {"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
        {"role": "tool", "content": "{\"temp\": 21}"},
        {"role": "tool", "content": "{\"wind\": 3}"},
        {"role": "assistant", "content": "<think>x</think>  It is 21 degrees."},
    ],
    "multimodal": [
        {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "What colour is the circle?"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "Red."}]},
        {"role": "user", "content": [{"type": "text", "text": "And now? "}, {"type": "image"}]},
    ],
}


def main():
    env = hf_environment()
    cases = []
    for path in sorted(glob.glob(os.path.join(TEMPLATES, "*.jinja"))):
        name = os.path.basename(path)[:-len(".jinja")]
        with open(path, encoding="utf-8") as f:
            source = f.read()
        template = env.from_string(source)
        for conv_name, messages in CONVERSATIONS.items():
            multimodal = isinstance(messages[0]["content"], list)
            if multimodal != (name == "multimodal_list"):
                continue
            for add_generation_prompt in (False, True):
                for tools in ([None, TOOLS] if conv_name == "tool_use" else [None]):
                    variables = {"messages": messages, "bos_token": "<s>", "eos_token": "</s>",
                                 "add_generation_prompt": add_generation_prompt}
                    if tools is not None:
                        variables["tools"] = tools
                    case = {"template": name, "conversation": conv_name, "variables": variables}
                    try:
                        case["output"] = template.render(**variables)
                    except jinja2.exceptions.TemplateError as e:
                        case["error"] = str(e)
                    cases.append(case)
    out = os.path.join(TEMPLATES, "expected.json")
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"jinja2_version": jinja2.__version__, "cases": cases}, f, ensure_ascii=False, indent=1)
    print(f"wrote {len(cases)} cases to {out}")


if __name__ == "__main__":
    main()
