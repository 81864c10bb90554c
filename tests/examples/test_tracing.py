"""``examples/tracing.py``, run as a user would: its spans on the console, and sent over OTLP/HTTP to a
receiver on 127.0.0.1 (the way to a local Jaeger or Phoenix)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "otel"))

from otlp_receiver import otlp_receiver, plain

RunExample = Callable[..., subprocess.CompletedProcess[str]]
ANSWER = "answer: In Hangzhou: light rain, 18 °C; in Beijing: sunny, 11 °C; G807 Hangzhou -> Beijing"


def console_spans(out: str) -> list[dict[str, Any]]:
    """The JSON documents the console exporter printed between the first line and the answer."""
    text = out.split("\n", 1)[1].split("\nanswer: ", 1)[0]
    decoder, spans = json.JSONDecoder(), []
    while text.strip():
        span, end = decoder.raw_decode(text.lstrip())
        spans.append(span)
        text = text.lstrip()[end:]
    return spans


def shape(spans: list[dict[str, Any]]) -> dict[str, Any]:
    """Span names under their parent's name (one trace), from ``{name, id, parent}`` records."""
    names = {s["id"]: s["name"] for s in spans}
    tree: dict[str, list[str]] = {}
    for s in spans:
        tree.setdefault(names.get(s["parent"], "(root)"), []).append(s["name"])
    return {parent: sorted(children) for parent, children in tree.items()}


EXPECTED = {
    "(root)": ["plan trip"],
    "plan trip": ["invoke_agent trip-planner"],
    "invoke_agent trip-planner": [
        "chat deepseek-chat",
        "chat deepseek-chat",
        "execute_tool get_train",
        "execute_tool get_weather",
        "execute_tool get_weather",
    ],
}


def test_tracing_prints_one_trace_of_the_run(run_example: RunExample) -> None:
    out = run_example("tracing").stdout
    assert ANSWER in out
    spans = console_spans(out)
    records = [{"name": s["name"], "id": s["context"]["span_id"], "parent": s["parent_id"]} for s in spans]
    assert shape(records) == EXPECTED
    (trace_id,) = {s["context"]["trace_id"] for s in spans}
    assert f"trace {trace_id[2:]}: 2 model requests, 3 tool calls, cost $" in out
    assert not any("gen_ai.input.messages" in s["attributes"] for s in spans)  # content is opt-in

    with_content = console_spans(run_example("tracing", "--content").stdout)
    chats = [s for s in with_content if s["name"].startswith("chat")]
    assert all("Hangzhou" in s["attributes"]["gen_ai.input.messages"] for s in chats)


def test_tracing_sends_the_trace_over_otlp(run_example: RunExample) -> None:
    with otlp_receiver() as received:
        out = run_example("tracing", "--otlp", received.url.removesuffix("/v1/traces")).stdout
    assert ANSWER in out
    spans, services = [], set()
    for request in received.requests():
        for resource_spans in request.resource_spans:
            attributes = {a.key: plain(a.value) for a in resource_spans.resource.attributes}
            services.add(attributes["service.name"])
            for scope in resource_spans.scope_spans:
                spans += [
                    {"name": s.name, "id": s.span_id.hex(), "parent": s.parent_span_id.hex() or None}
                    for s in scope.spans
                ]
    assert services == {"trip-planner"}
    assert shape(spans) == EXPECTED
