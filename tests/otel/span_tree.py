"""Finished spans as a tree of plain dicts, for inline snapshots: ids and timing left out, and the values
that change from run to run (response and tool-call ids, costs priced by the clock) replaced by markers."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import StatusCode

CALL_ID = re.compile(r"call_\d\d_[A-Za-z0-9]{24}")
MARKERS = {
    "gen_ai.response.id": "<response id>",
    "gen_ai.tool.call.id": "<call id>",
    "agentkit.usage.cost": "<cost>",
}
JSON_ATTRIBUTES = {
    "gen_ai.system_instructions",
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.tool.call.arguments",
}


def span_tree(spans: Sequence[ReadableSpan]) -> list[dict[str, Any]]:
    """The roots of ``spans``, each with its children (in start order; concurrent tool calls by name)."""
    ids = {span.context.span_id for span in spans if span.context is not None}
    children: dict[int | None, list[ReadableSpan]] = {}
    for span in spans:
        parent = span.parent.span_id if span.parent is not None and span.parent.span_id in ids else None
        children.setdefault(parent, []).append(span)

    def node(span: ReadableSpan) -> dict[str, Any]:
        out: dict[str, Any] = {"name": span.name, "kind": span.kind.name, "attributes": attributes(span)}
        if span.status.status_code is not StatusCode.UNSET:
            out["status"] = span.status.status_code.name
        if span.events:
            out["events"] = [
                {"name": e.name, "attributes": _plain(dict(e.attributes or {}))} for e in span.events
            ]
        assert span.context is not None
        kids = ordered(children.get(span.context.span_id, []))
        if kids:
            out["children"] = [node(kid) for kid in kids]
        return out

    return [node(root) for root in ordered(children.get(None, []))]


def ordered(spans: list[ReadableSpan]) -> list[ReadableSpan]:
    """By start time, except that a run of tool-call spans (started concurrently) goes by tool name, then
    call id (``call_00_...``, ``call_01_...``: the order of the calls in the response)."""
    out: list[ReadableSpan] = []
    tools: list[ReadableSpan] = []
    for span in [*sorted(spans, key=lambda s: s.start_time or 0), None]:
        if span is not None and span.name.startswith("execute_tool"):
            tools.append(span)
            continue
        out += sorted(tools, key=lambda s: (s.name, str((s.attributes or {}).get("gen_ai.tool.call.id"))))
        tools = []
        if span is not None:
            out.append(span)
    return out


def attributes(span: ReadableSpan) -> dict[str, Any]:
    return _plain(dict(span.attributes or {}))


def _plain(attributes: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in attributes.items():
        if key in MARKERS:
            value = MARKERS[key]
        elif key in JSON_ATTRIBUTES:
            value = json.loads(CALL_ID.sub("<call id>", value)) if value.startswith(("[", "{")) else value
        elif isinstance(value, tuple):
            value = list(value)
        out[key] = value
    return out
