"""Prompts, answers, reasoning and tool arguments and results reach spans only with capture_content=True,
and then in the conventions' message form."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import AgentFactory
from inline_snapshot import snapshot
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from span_tree import span_tree

import agentkit
from agentkit import tool
from agentkit.sim import Reply, Simulator

pytestmark = pytest.mark.anyio

CONTENT = ["Be brief", "Parcel 7", "Checking the parcel", "PX-7", "in Lyon", "arrives Friday", "ParcelLost"]
"""Every piece of content the run below sends or receives (instructions, prompt, reasoning, tool
arguments, tool result, answer, a tool's error message)."""


@tool
def track(code: str) -> str:
    """Track a parcel."""
    if code != "PX-7":
        raise LookupError("ParcelLost")
    return "in Lyon"


def script(sim: Simulator) -> None:
    sim.script(
        Reply(
            reasoning="Checking the parcel.",
            tool_calls=[("track", {"code": "PX-7"}), ("track", {"code": "?"})],
        ),
        Reply(content="It is in Lyon and arrives Friday."),
    )


def values(tree: list[dict[str, Any]]) -> list[str]:
    """Every attribute and event value of every span, as text."""
    out = []
    for node in tree:
        out += [str(v) for v in node["attributes"].values()]
        out += [str(v) for e in node.get("events", []) for v in e["attributes"].values()]
        out += values(node.get("children", []))
    return out


async def test_no_content_without_capture(
    make_agent: AgentFactory, sim: Simulator, exporter: InMemorySpanExporter, tracer_provider: TracerProvider
) -> None:
    agentkit.instrument(tracer_provider=tracer_provider)
    script(sim)
    try:
        await make_agent(tools=[track], instructions="Be brief.").run("Parcel 7?")
    finally:
        agentkit.uninstrument()

    found = values(span_tree(exporter.get_finished_spans()))
    assert [piece for piece in CONTENT if any(piece in value for value in found)] == []


async def test_captured_content_in_the_conventions_form(
    make_agent: AgentFactory, sim: Simulator, exporter: InMemorySpanExporter, tracer_provider: TracerProvider
) -> None:
    agentkit.instrument(tracer_provider=tracer_provider, capture_content=True)
    script(sim)
    try:
        await make_agent(tools=[track], instructions="Be brief.").run("Parcel 7?")
    finally:
        agentkit.uninstrument()

    tree = span_tree(exporter.get_finished_spans())
    assert [piece for piece in CONTENT if not any(piece in value for value in values(tree))] == []
    assert content(tree) == snapshot(
        [
            {
                "name": "invoke_agent agent",
                "gen_ai.input.messages": [
                    {"role": "user", "parts": [{"type": "text", "content": "Parcel 7?"}]}
                ],
                "gen_ai.output.messages": [
                    {
                        "role": "assistant",
                        "parts": [{"type": "text", "content": "It is in Lyon and arrives Friday."}],
                        "finish_reason": "stop",
                    }
                ],
                "children": [
                    {
                        "name": "chat deepseek-v4-flash",
                        "gen_ai.system_instructions": [{"type": "text", "content": "Be brief."}],
                        "gen_ai.input.messages": [
                            {"role": "user", "parts": [{"type": "text", "content": "Parcel 7?"}]}
                        ],
                        "gen_ai.output.messages": [
                            {
                                "role": "assistant",
                                "parts": [
                                    {"type": "reasoning", "content": "Checking the parcel."},
                                    {
                                        "type": "tool_call",
                                        "id": "<call id>",
                                        "name": "track",
                                        "arguments": {"code": "PX-7"},
                                    },
                                    {
                                        "type": "tool_call",
                                        "id": "<call id>",
                                        "name": "track",
                                        "arguments": {"code": "?"},
                                    },
                                ],
                                "finish_reason": "tool_calls",
                            }
                        ],
                    },
                    {
                        "name": "execute_tool track",
                        "gen_ai.tool.call.arguments": {"code": "PX-7"},
                        "gen_ai.tool.call.result": "in Lyon",
                    },
                    {
                        "name": "execute_tool track",
                        "gen_ai.tool.call.arguments": {"code": "?"},
                        "gen_ai.tool.call.result": "Error: 'track' raised LookupError: ParcelLost",
                        "exceptions": [
                            {
                                "exception.type": "LookupError",
                                "exception.message": "ParcelLost",
                                "exception.escaped": "False",
                            }
                        ],
                    },
                    {
                        "name": "chat deepseek-v4-flash",
                        "gen_ai.system_instructions": [{"type": "text", "content": "Be brief."}],
                        "gen_ai.input.messages": [
                            {"role": "user", "parts": [{"type": "text", "content": "Parcel 7?"}]},
                            {
                                "role": "assistant",
                                "parts": [
                                    {"type": "reasoning", "content": "Checking the parcel."},
                                    {
                                        "type": "tool_call",
                                        "id": "<call id>",
                                        "name": "track",
                                        "arguments": {"code": "PX-7"},
                                    },
                                    {
                                        "type": "tool_call",
                                        "id": "<call id>",
                                        "name": "track",
                                        "arguments": {"code": "?"},
                                    },
                                ],
                            },
                            {
                                "role": "tool",
                                "parts": [
                                    {"type": "tool_call_response", "id": "<call id>", "response": "in Lyon"}
                                ],
                            },
                            {
                                "role": "tool",
                                "parts": [
                                    {
                                        "type": "tool_call_response",
                                        "id": "<call id>",
                                        "response": "Error: 'track' raised LookupError: ParcelLost",
                                    }
                                ],
                            },
                        ],
                        "gen_ai.output.messages": [
                            {
                                "role": "assistant",
                                "parts": [{"type": "text", "content": "It is in Lyon and arrives Friday."}],
                                "finish_reason": "stop",
                            }
                        ],
                    },
                ],
            }
        ]
    )


def content(tree: list[dict[str, Any]]) -> list[Any]:
    """The tree reduced to names and the content attributes and events."""
    keys = {
        "gen_ai.system_instructions",
        "gen_ai.input.messages",
        "gen_ai.output.messages",
        "gen_ai.tool.call.arguments",
        "gen_ai.tool.call.result",
    }
    out: list[Any] = []
    for node in tree:
        item: dict[str, Any] = {"name": node["name"]}
        item.update({k: v for k, v in node["attributes"].items() if k in keys})
        exceptions = [e["attributes"] for e in node.get("events", []) if e["name"] == "exception"]
        if exceptions:
            item["exceptions"] = [
                {k: v for k, v in e.items() if k != "exception.stacktrace"} for e in exceptions
            ]
        if node.get("children"):
            item["children"] = content(node["children"])
        out.append(item)
    return out
