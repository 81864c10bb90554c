"""``Tool.from_schema``: a tool from a JSON Schema and an async function of the arguments (what an MCP
server's tools are), on the same path as any tool."""

from __future__ import annotations

from typing import Any

import pytest
from inline_snapshot import snapshot

from agentkit import Agent, RunContext, Tool, ToolArgumentError, ToolDefinitionError, ToolResult
from agentkit.sim import SIM_API_KEY, Reply, Simulator

SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "lookupArguments",
    "properties": {
        "query": {"type": "string", "description": "What to look for.", "title": "Query"},
        "limit": {"type": "integer", "default": 10, "minimum": 1},
    },
    "required": ["query"],
}


async def echo(ctx: RunContext[Any], arguments: dict[str, Any]) -> dict[str, Any]:
    return {"tool": ctx.tool_name, "arguments": arguments}


def test_the_schema_goes_to_the_model_as_given() -> None:
    schema = {**SCHEMA, "properties": dict(SCHEMA["properties"])}
    lookup = Tool.from_schema("lookup", schema, echo, description="Look something up.")
    schema["properties"]["extra"] = {"type": "string"}  # the tool keeps its own copy
    assert lookup.schema == {
        "type": "function",
        "function": {"name": "lookup", "description": "Look something up.", "parameters": SCHEMA},
    }
    assert (lookup.name, lookup.description, lookup.strict, lookup.takes_context) == (
        "lookup",
        "Look something up.",
        False,
        True,
    )


@pytest.mark.anyio
async def test_arguments_pass_through_as_the_model_wrote_them() -> None:
    tool = Tool.from_schema("lookup", SCHEMA, echo)
    # Names that are no Python identifier, or that clash with the function's own parameters, are fine.
    arguments = tool.parse_arguments('{"query": "tea", "a-b": 1, "ctx": 2, "arguments": 3}')
    assert arguments == {"query": "tea", "a-b": 1, "ctx": 2, "arguments": 3}
    result = await tool.call(arguments, RunContext(deps=None, tool_name="lookup"))
    assert result == {"tool": "lookup", "arguments": arguments}
    assert (
        tool.serialize(result)
        == '{"tool":"lookup","arguments":{"query":"tea","a-b":1,"ctx":2,"arguments":3}}'
    )
    assert tool.parse_arguments("") == {}
    with pytest.raises(ToolArgumentError, match="must be a JSON object"):
        tool.parse_arguments("[1, 2]")


def test_strict_converts_the_schema_or_says_why_not() -> None:
    strict = Tool.from_schema("lookup", SCHEMA, echo, strict=True)
    assert strict.schema["function"] == snapshot(
        {
            "name": "lookup",
            "parameters": {
                "type": "object",
                "properties": {
                    "query": {"type": "string", "description": "What to look for."},
                    "limit": {"type": "integer", "minimum": 1, "description": "default: 10"},
                },
                "required": ["query", "limit"],
                "additionalProperties": False,
            },
            "strict": True,
        }
    )
    free_form = {
        "type": "object",
        "properties": {"options": {"type": "object", "additionalProperties": True}},
    }
    with pytest.raises(ToolDefinitionError) as refused:
        Tool.from_schema("configure", free_form, echo, strict=True)
    assert str(refused.value).startswith(
        "Tool 'configure' cannot use strict mode: parameter 'options': it is a free-form mapping"
    )


def test_bad_definitions_are_refused() -> None:
    def blocking(ctx: RunContext[Any], arguments: dict[str, Any]) -> str:
        return ""

    with pytest.raises(ToolDefinitionError, match="needs an async function"):
        Tool.from_schema("x", SCHEMA, blocking)  # type: ignore[arg-type]
    with pytest.raises(ToolDefinitionError, match="must be a JSON Schema of type 'object'"):
        Tool.from_schema("x", {"type": "string"}, echo)
    with pytest.raises(ToolDefinitionError, match="is not allowed"):
        Tool.from_schema("a.b", SCHEMA, echo)


@pytest.mark.anyio
async def test_in_an_agent_like_any_tool() -> None:
    sim = Simulator()
    sim.script(Reply(tool_calls=[("lookup", {"query": "tea"})]), Reply(content="Found."))
    approvals: list[tuple[str, dict[str, Any]]] = []

    def approve(name: str, arguments: dict[str, Any]) -> bool:
        approvals.append((name, arguments))
        return True

    lookup = Tool.from_schema("lookup", SCHEMA, echo, requires_approval=True)
    agent = Agent(
        tools=[lookup],
        http_client=sim.http_client(),
        base_url="http://sim",
        api_key=SIM_API_KEY,
        approve=approve,
    )
    events = [event async for event in agent.run_stream("Look up tea.")]
    (answer,) = [e for e in events if isinstance(e, ToolResult)]
    assert answer.content == '{"tool":"lookup","arguments":{"query":"tea"}}' and not answer.is_error
    assert approvals == [("lookup", {"query": "tea"})]
    assert events[-1].result.usage.tool_calls == 1  # type: ignore[attr-defined]
