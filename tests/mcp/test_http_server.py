"""A streamable-HTTP server started here with the SDK's MCPServer (FastMCP): errors, timeouts, list
changes in both protocol eras, results with binary content, headers, sampling, filters, strict mode, a
server that goes away, hooks."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import anyio
import pytest
from inline_snapshot import snapshot

from agentkit import (
    ChatCompletion,
    Hook,
    ModelRequestInfo,
    ResponseItem,
    RunContext,
    ToolCallInfo,
    ToolDefinitionError,
    ToolResult,
    ToolSource,
    TooManyToolsError,
    UserError,
    tool,
)
from agentkit.mcp import MCPServer, MCPServerError
from agentkit.sim import Reply, Simulator

from .conftest import AgentFactory, free_port, serve_asgi, tool_messages
from .servers.http_app import build, crowded

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with serve_asgi(build().streamable_http_app()) as base:
        yield f"{base}/mcp"


@pytest.fixture(scope="module")
def handshake_url() -> Iterator[str]:
    """The same server, speaking only the handshake-era protocol (requests come on their own)."""
    with serve_asgi(build(legacy=True).streamable_http_app()) as base:
        yield f"{base}/mcp"


@pytest.fixture(scope="module")
def crowded_url() -> Iterator[str]:
    with serve_asgi(crowded(129).streamable_http_app()) as base:
        yield f"{base}/mcp"


@pytest.fixture(params=["2026-07-28", "handshake"])
def growing_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh server (``grow`` changes it), of each protocol era."""
    with serve_asgi(build(legacy=request.param == "handshake").streamable_http_app()) as base:
        yield f"{base}/mcp"


async def test_error_results_and_timeouts_become_tool_messages(
    url: str, make_agent: AgentFactory, sim: Simulator
) -> None:
    sim.script(
        Reply(
            tool_calls=[
                ("explode", {"reason": "testing"}),
                ("slow", {"seconds": 30}),
                ("add", {"a": 2, "b": 3}),
            ]
        ),
        Reply(content="Two failed, one worked."),
        Reply(tool_calls=[("slow", {"seconds": 0})]),
        Reply(content="Fine now."),
    )
    server = MCPServer.http(url, timeout=1)
    agent = make_agent(tools=[server])
    async with agent:
        events = [e async for e in agent.run_stream("Try the tools.")]
        again = await agent.run("Once more.")
    results = [e for e in events if isinstance(e, ToolResult)]
    assert [(r.name, r.is_error) for r in results] == [("explode", True), ("slow", True), ("add", False)]
    assert [r.content for r in results] == [
        "Error: 'explode' raised MCPToolError: Error executing tool explode",
        "Error: 'slow' timed out after 1 s.",
        "5",
    ]
    assert events[-1].result.output == "Two failed, one worked."  # type: ignore[attr-defined]
    assert tool_messages(again.messages) == ["finally"]  # the timed-out call left the connection working


async def test_a_list_change_reaches_the_next_run(
    growing_url: str, make_agent: AgentFactory, sim: Simulator
) -> None:
    server = MCPServer.http(growing_url)
    sim.script(Reply(tool_calls=[("grow", {})]), Reply(content="Grown."), Reply(content="Hello."))
    agent = make_agent(tools=[server])
    async with agent:
        before = await server.list_tools()
        assert await server.list_tools() is before
        await agent.run("Grow, please.")
        for _ in range(1000):  # the notification travels on its own stream: give it up to 20 s
            after = await server.list_tools()
            if after is not before:
                break
            await _tick()
        await agent.run("Hi.")
    assert [t.name for t in after] == [*(t.name for t in before), "extra"]
    offered = [[t["function"]["name"] for t in r.json["tools"]] for r in sim.requests]  # type: ignore[index]
    assert "extra" not in offered[0] and offered[2][-1] == "extra"


def slow_to_listen(app: Any) -> Any:
    """``app`` answering ``subscriptions/listen`` half a second late (a busy server), the rest at once."""

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            return await app(scope, receive, send)
        messages, body = [], b""
        while True:
            message = await receive()
            messages.append(message)
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if b"subscriptions/listen" in body:
            await anyio.sleep(0.5)
        replay = iter(messages)

        async def again() -> Any:
            return next(replay, None) or await receive()

        await app(scope, again, send)

    return wrapped


@pytest.fixture
def slow_listen_url() -> Iterator[str]:
    with serve_asgi(slow_to_listen(build().streamable_http_app())) as base:
        yield f"{base}/mcp"


async def test_a_change_made_by_the_first_call_is_not_missed(slow_listen_url: str) -> None:
    """The list-change stream is acknowledged before ``async with server`` returns: a server sends a
    change once, so one made by the very first call would otherwise be lost until a reconnection."""
    server = MCPServer.http(slow_listen_url, allow=["grow", "extra"])
    async with server:
        (grow,) = await server.list_tools()
        assert await grow.call({}, RunContext(deps=None)) == "added extra"
        with anyio.fail_after(10):
            while [t.name for t in await server.list_tools()] != ["grow", "extra"]:
                await anyio.sleep(0.02)


async def _tick() -> None:
    import anyio

    await anyio.sleep(0.02)


async def test_results_with_binary_content(url: str, make_agent: AgentFactory, sim: Simulator) -> None:
    sim.script(Reply(tool_calls=[("media", {})]), Reply(content="Seen."))
    result = await make_agent(tools=[MCPServer.http(url)]).run("Show me.")
    assert tool_messages(result.messages) == [
        snapshot("""\
Here is the chart.
[image not shown (image/png, 100 bytes): a tool message is text only]
[resource file:///notes.txt (text/plain)]
a note
[resource file:///data.bin not shown, 5 bytes of binary data]
[resource link https://example.com/r 'report' (text/html)]\
""")
    ]


async def test_headers_go_with_every_request(url: str, make_agent: AgentFactory, sim: Simulator) -> None:
    sim.script(Reply(tool_calls=[("whoami", {})]), Reply(content="Known."))
    server = MCPServer.http(url, headers={"Authorization": "Bearer t0ken"})
    result = await make_agent(tools=[server]).run("Who am I?")
    assert tool_messages(result.messages) == ["Bearer t0ken"]


@pytest.mark.parametrize("era", ["url", "handshake_url"])
async def test_sampling_uses_the_runs_model_and_counts_in_its_usage(
    era: str, request: pytest.FixtureRequest, make_agent: AgentFactory, sim: Simulator
) -> None:
    url = request.getfixturevalue(era)
    sim.script(
        Reply(tool_calls=[("haiku", {"topic": "autumn"})]),
        Reply(content="leaves fall softly"),
        Reply(content="Done."),
    )
    seen: list[tuple[int, bool, str]] = []

    class Requests(Hook):
        """Sees every model request of the run, the server's sampling request included."""

        async def wrap_request(
            self, request: ModelRequestInfo, proceed: Callable[[], AsyncIterator[ResponseItem]]
        ) -> AsyncIterator[ResponseItem]:
            async for item in proceed():
                if isinstance(item, ChatCompletion):
                    seen.append((request.number, request.sampling, item.choices[0].message.content or ""))
                yield item

    agent = make_agent(tools=[MCPServer.http(url, sampling=True)], hooks=[Requests()])
    result = await agent.run("A haiku about autumn, please.")
    assert tool_messages(result.messages) == ["deepseek-v4-flash wrote: leaves fall softly"]
    assert seen == [(1, False, ""), (2, True, "leaves fall softly"), (2, False, "Done.")]
    sampled = sim.requests[1].json
    assert sampled == snapshot(
        {
            "model": "deepseek-v4-flash",
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Write a haiku about autumn."},
            ],
            "max_tokens": 60,
        }
    )
    assert result.usage.requests == 3 and len(sim.requests) == 3
    assert result.usage.prompt_tokens > 0 and result.usage.cost > 0


@pytest.mark.parametrize("era", ["url", "handshake_url"])
async def test_a_sampling_request_is_traced_as_a_request_of_the_run(
    era: str, request: pytest.FixtureRequest, make_agent: AgentFactory, sim: Simulator
) -> None:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from agentkit.otel import Instrumentation

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    sim.script(
        Reply(tool_calls=[("haiku", {"topic": "rain"})]),
        Reply(content="rain on the roof"),
        Reply(content="Done."),
    )
    server = MCPServer.http(request.getfixturevalue(era), sampling=True)
    agent = make_agent(tools=[server], hooks=[Instrumentation(provider)])
    events = [event async for event in agent.run_stream("A haiku.")]  # streamed; the sampling request not
    assert events[-1].result.output == "Done."  # type: ignore[attr-defined]
    spans = exporter.get_finished_spans()
    by_id = {span.context.span_id: span.name for span in spans if span.context is not None}
    marks = ("agentkit.mcp.sampling", "gen_ai.request.stream")
    tree = [
        (
            span.name,
            by_id.get(span.parent.span_id) if span.parent else None,
            {k: v for k, v in (span.attributes or {}).items() if k in marks},
        )
        for span in sorted(spans, key=lambda span: span.start_time or 0)
    ]
    assert tree == snapshot(
        [
            ("invoke_agent agent", None, {}),
            ("chat deepseek-v4-flash", "invoke_agent agent", {"gen_ai.request.stream": True}),
            ("execute_tool haiku", "invoke_agent agent", {}),
            ("chat deepseek-v4-flash", "invoke_agent agent", {"agentkit.mcp.sampling": True}),
            ("chat deepseek-v4-flash", "invoke_agent agent", {"gen_ai.request.stream": True}),
        ]
    )


async def test_sampling_is_off_unless_enabled(url: str, make_agent: AgentFactory, sim: Simulator) -> None:
    sim.script(Reply(tool_calls=[("haiku", {"topic": "spring"})]), Reply(content="No haiku."))
    result = await make_agent(tools=[MCPServer.http(url)]).run("A haiku?")
    assert "sampling" in tool_messages(result.messages)[0].lower()
    assert len(sim.requests) == 2  # no model request on the server's behalf


async def test_filters_and_prefix(url: str) -> None:
    only = MCPServer.http(url, allow=["add", "slow"], prefix="calc")
    without = MCPServer.http(url, deny=["explode", "configure"])
    assert isinstance(only, ToolSource)
    with pytest.raises(UserError, match=r"open the MCP server 'http://127\.0\.0\.1:\d+/mcp' first"):
        await only.list_tools()
    async with only, without:
        assert [t.name for t in await only.list_tools()] == ["calc_add", "calc_slow"]
        assert [t.name for t in await without.list_tools()] == [
            "add",
            "slow",
            "grow",
            "whoami",
            "media",
            "haiku",
            "notes_search",  # "notes.search" on the server: the API allows no dot in a name
        ]


async def test_two_servers_collide_without_a_prefix(
    url: str, make_agent: AgentFactory, sim: Simulator
) -> None:
    @tool
    def add(a: int, b: int) -> int:
        """A local add."""
        return a + b

    with pytest.raises(ToolDefinitionError) as local:
        await make_agent(tools=[add, MCPServer.http(url, allow=["add"])]).run("1+1")
    one, two = MCPServer.http(url, allow=["add"], name="one"), MCPServer.http(url, name="two")
    with pytest.raises(ToolDefinitionError) as servers:
        await make_agent(tools=[one, two]).run("1+1")
    fix = "Give the source a prefix (MCPServer(..., prefix=...)), or leave one out (deny=[...])"
    assert str(local.value) == (
        f"two tools are named 'add': one of the agent's own tools and one of <MCPServer '{url}'>. {fix}"
    )
    assert str(servers.value) == (
        f"two tools are named 'add': one of <MCPServer 'one'> and one of <MCPServer 'two'>. {fix}"
    )
    sim.script(Reply(tool_calls=[("remote_add", {"a": 1, "b": 1})]), Reply(content="2"))
    result = await make_agent(tools=[add, MCPServer.http(url, allow=["add"], prefix="remote")]).run("1+1")
    assert tool_messages(result.messages) == ["2"]


async def test_strict_converts_or_refuses_each_tool(url: str) -> None:
    server = MCPServer.http(url, allow=["add", "configure"], strict=True)
    async with server:
        tools = await server.list_tools()
    assert [t.name for t in tools] == ["add"]
    assert tools[0].schema == snapshot(
        {
            "type": "function",
            "function": {
                "name": "add",
                "description": "Add two integers.",
                "parameters": {
                    "type": "object",
                    "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
                    "required": ["a", "b"],
                    "additionalProperties": False,
                },
                "strict": True,
            },
        }
    )
    assert server.refused == snapshot(
        {
            "configure": "Tool 'configure' cannot use strict mode: parameter 'options': it is a free-form "
            "mapping (dict), and strict mode only allows objects with named fields. Use a pydantic model, "
            "dataclass or TypedDict, or use @tool(strict=False)."
        }
    )


async def test_the_tool_cap_counts_mcp_tools_before_any_request(
    crowded_url: str, make_agent: AgentFactory, sim: Simulator
) -> None:
    with pytest.raises(TooManyToolsError, match="129 tools, the API accepts at most 128"):
        await make_agent(tools=[MCPServer.http(crowded_url)]).run("Hello")
    assert sim.requests == []
    server = MCPServer.http(crowded_url, deny=["tool_0"])
    sim.script(Reply(content="Hi."))
    assert (await make_agent(tools=[server]).run("Hello")).output == "Hi."  # 128 fit


@pytest.fixture
def two_apps() -> tuple[Any, Any]:
    """Two lives of one server (an app serves one life: its session manager runs once)."""
    return build().streamable_http_app(), build().streamable_http_app()


async def test_a_server_that_goes_away_and_comes_back(
    two_apps: tuple[Any, Any], make_agent: AgentFactory, sim: Simulator
) -> None:
    port = free_port()
    server = MCPServer.http(f"http://127.0.0.1:{port}/mcp", name="flaky", allow=["add"])
    agent = make_agent(tools=[server])
    for _ in range(3):
        sim.script(Reply(tool_calls=[("add", {"a": 1, "b": 2})]), Reply(content="Done."))
    with contextlib.ExitStack() as lives:
        lives.enter_context(serve_asgi(two_apps[0], port=port))
        async with agent:
            first = await agent.run("Add.")
            lives.close()  # the server goes away while the agent holds its connection
            second = await agent.run("Add again.")
            with serve_asgi(two_apps[1], port=port):
                third = await agent.run("And again.")
    assert tool_messages(first.messages) == tool_messages(third.messages) == ["3"]
    (failed,) = tool_messages(second.messages)
    assert failed.startswith("Error: 'add' raised MCPServerError: ") and "'flaky'" in failed
    assert second.output == "Done."


@pytest.fixture
def two_legacy_apps() -> tuple[Any, Any]:
    """Two lives of a handshake-era server (built outside the test's event loop, as uvicorn runs them)."""
    return build(legacy=True).streamable_http_app(), build(legacy=True).streamable_http_app()


async def test_a_server_restarted_between_runs_is_reconnected(
    two_legacy_apps: tuple[Any, Any], make_agent: AgentFactory, sim: Simulator
) -> None:
    """A handshake-era server that restarts forgets its sessions and answers 404 to ours (the spec's
    way of saying: start a new session). Like a dropped connection, the call fails and the next one
    reconnects; the session must not stay dead until the agent is closed."""
    port = free_port()
    server = MCPServer.http(f"http://127.0.0.1:{port}/mcp", name="restarted", allow=["add"])
    agent = make_agent(tools=[server])
    for _ in range(3):
        sim.script(Reply(tool_calls=[("add", {"a": 1, "b": 2})]), Reply(content="Done."))
    answers: list[str] = []
    with contextlib.ExitStack() as lives:
        lives.enter_context(serve_asgi(two_legacy_apps[0], port=port))
        async with agent:
            answers += tool_messages((await agent.run("Add.")).messages)
            lives.close()
            with serve_asgi(two_legacy_apps[1], port=port):  # the same server, restarted
                answers += tool_messages((await agent.run("Add again.")).messages)
                answers += tool_messages((await agent.run("And again.")).messages)
    assert answers == [
        "3",
        "Error: 'add' raised MCPServerError: the MCP server 'restarted' closed the connection during the "
        "call (it crashed, exited or went away); it will be started again for the next call",
        "3",
    ]


async def test_a_server_that_is_not_there(make_agent: AgentFactory, sim: Simulator) -> None:
    server = MCPServer.http(f"http://127.0.0.1:{free_port()}/mcp", name="absent")
    with pytest.raises(MCPServerError, match="could not connect to the MCP server 'absent': ConnectError"):
        await make_agent(tools=[server]).run("Hello")
    assert sim.requests == []


async def test_a_token_in_the_url_stays_out_of_messages(make_agent: AgentFactory, sim: Simulator) -> None:
    server = MCPServer.http(f"http://user:s3cret@127.0.0.1:{free_port()}/mcp?token=t0ken")
    with pytest.raises(MCPServerError) as caught:
        await make_agent(tools=[server]).run("Hello")
    assert str(caught.value).startswith(f"could not connect to the MCP server '{server.name}': ConnectError")
    assert server.name.startswith("http://127.0.0.1:") and server.name.endswith("/mcp")


async def test_hooks_see_mcp_calls(url: str, make_agent: AgentFactory, sim: Simulator) -> None:
    seen: list[tuple[str, str]] = []

    class Recorder(Hook):
        async def wrap_tool_call(
            self, call: ToolCallInfo, proceed: Callable[[], Awaitable[ToolResult]]
        ) -> ToolResult:
            result = await proceed()
            seen.append((call.call["function"]["name"], result.content))
            return result

    sim.script(Reply(tool_calls=[("add", {"a": 4, "b": 5})]), Reply(content="9"))
    await make_agent(tools=[MCPServer.http(url, allow=["add"])], hooks=[Recorder()]).run("4+5?")
    assert seen == [("add", "9")]


async def test_a_tool_called_directly_needs_a_run_context(url: str) -> None:
    server = MCPServer.http(url, allow=["add"])
    async with server:
        (add,) = await server.list_tools()
        assert await add.call(add.parse_arguments('{"a": 20, "b": 22}'), RunContext(deps=None)) == "42"
