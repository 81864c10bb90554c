"""``agentkit mcp serve``, driven by MCP clients nobody here wrote (the SDK's own ``Client``, Pydantic AI's
``MCPToolset``) and by agentkit's ``MCPServer``: the schemas the model sees, results, errors, approvals.

The served tools run in the ``agentkit mcp serve`` subprocess; the clients here run on asyncio (Pydantic AI
and the subprocess server do not run on trio; the SDK client on trio is covered by the other tests)."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, StdioServerParameters

from agentkit._cli import main
from agentkit.mcp import MCPServer
from agentkit.sim import Reply, Simulator
from agentkit.tools import files
from agentkit.tools.math import calculate

from .conftest import PYTHON, AgentFactory, tool_messages


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def serve(*options: str, cwd: Path | None = None) -> StdioServerParameters:
    return StdioServerParameters(command=PYTHON, args=["-m", "agentkit", "mcp", "serve", *options], cwd=cwd)


def texts(result: Any) -> str:
    return "\n".join(block.text for block in result.content)


@pytest.mark.anyio
async def test_the_sdk_client_lists_and_calls() -> None:
    async with Client(serve("--tools", "math"), cache=None) as client:
        (listed,) = (await client.list_tools()).tools
        ok = await client.call_tool("calculate", {"expression": "2**10 + 1"})
        failed = await client.call_tool("calculate", {"expression": "1/0"})
        invalid = await client.call_tool("calculate", {"expr": "1"})
        unknown = await client.call_tool("integrate", {})
    definition = calculate.schema["function"]
    assert (listed.name, listed.description, listed.input_schema) == (
        definition["name"],
        definition["description"],
        definition["parameters"],
    )
    assert (texts(ok), ok.is_error) == ("1025", False)
    assert (texts(failed), failed.is_error) == ("MathError: division by zero", True)
    assert invalid.is_error and "expression: required, but missing" in texts(invalid)
    assert (
        unknown.is_error
        and texts(unknown) == "There is no tool named 'integrate'. Available tools: calculate."
    )


@pytest.mark.anyio
async def test_pydantic_ai_uses_the_served_tools() -> None:
    from fastmcp.client.transports import StdioTransport
    from pydantic_ai import Agent
    from pydantic_ai.mcp import MCPToolset
    from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart, ToolReturnPart
    from pydantic_ai.models.function import AgentInfo, FunctionModel

    seen: dict[str, Any] = {}

    def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        seen.update({t.name: t.parameters_json_schema for t in info.function_tools})
        last = messages[-1].parts[-1]
        if isinstance(last, ToolReturnPart):
            return ModelResponse(parts=[TextPart(f"It is {last.content}.")])
        return ModelResponse(parts=[ToolCallPart("calculate", {"expression": "6 * 7"})])

    transport = StdioTransport(command=PYTHON, args=["-m", "agentkit", "mcp", "serve", "--tools", "math"])
    agent = Agent(FunctionModel(model), toolsets=[MCPToolset(transport)])
    async with agent:
        result = await agent.run("What is six times seven?")
    assert result.output == "It is 42."
    assert seen == {"calculate": calculate.schema["function"]["parameters"]}


@pytest.mark.anyio
async def test_agentkit_as_client_of_agentkit(make_agent: AgentFactory, sim: Simulator) -> None:
    served = MCPServer.stdio(PYTHON, ["-m", "agentkit", "mcp", "serve", "--tools", "math"], prefix="remote")
    sim.script(
        Reply(tool_calls=[("remote_calculate", {"expression": "sqrt(2) * 3"})]), Reply(content="About 4.24.")
    )
    result = await make_agent(tools=[served]).run("What is sqrt(2) * 3?")
    assert tool_messages(result.messages) == [calculate("sqrt(2) * 3")]


@pytest.mark.anyio
async def test_approval_tools_only_when_allowed(tmp_path: Path) -> None:
    async with Client(serve("--tools", "files", cwd=tmp_path), cache=None) as client:
        guarded = [t.name for t in (await client.list_tools()).tools]
    async with Client(
        serve("--tools", "files", "--allow-approval-tools", cwd=tmp_path), cache=None
    ) as client:
        allowed = {t.name: t.input_schema for t in (await client.list_tools()).tools}
        wrote = await client.call_tool("write_file", {"path": "note.txt", "content": "hello"})
    assert guarded == ["list_files", "read_file", "search_files"]
    assert list(allowed) == [t.name for t in files.toolset()]
    assert allowed == {t.name: t.schema["function"]["parameters"] for t in files.toolset()}
    assert not wrote.is_error and (tmp_path / "note.txt").read_text() == "hello"


@pytest.mark.anyio
async def test_a_module_of_your_tools(tmp_path: Path) -> None:
    module = tmp_path / "shop_tools.py"
    module.write_text(
        textwrap.dedent('''
        from typing import Literal
        from agentkit import RunContext, tool

        @tool
        def price(item: Literal["tea", "cake"], ctx: RunContext, quantity: int = 1) -> dict:
            """The price of an item.

            Args:
                item: What to price.
                quantity: How many.
            """
            return {"item": item, "total": {"tea": 3, "cake": 5}[item] * quantity, "tool": ctx.tool_name}
    ''')
    )
    sys.path.insert(0, str(tmp_path))
    try:
        from shop_tools import price  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(tmp_path))
    for spec in ("shop_tools", str(module)):  # by name (from the current folder) or by path
        async with Client(serve("--module", spec, cwd=tmp_path), cache=None) as client:
            (listed,) = (await client.list_tools()).tools
            result = await client.call_tool("price", {"item": "cake", "quantity": 2})
        assert listed.input_schema == price.schema["function"]["parameters"]
        assert texts(result) == '{"item":"cake","total":10,"tool":"price"}'


def test_nothing_to_serve_is_a_clear_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["mcp", "serve"]) == 1
    assert (
        capsys.readouterr().err
        == "error: nothing to serve: give --tools NAMES (e.g. files,math) or --module MODULE\n"
    )
    (tmp_path / "empty.py").write_text("X = 1\n")
    assert main(["mcp", "serve", "--module", str(tmp_path / "empty.py")]) == 1
    assert "it has no @tool functions" in capsys.readouterr().err
