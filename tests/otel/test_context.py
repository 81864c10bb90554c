"""Where runs land in a trace (under the caller's span, tools' own spans under theirs, a run inside a tool
under that call), which instrumentation traces a run, turning it off, and what it costs not to use it."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import httpx
import pytest
from conftest import MODEL, AgentFactory
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Tracer

import agentkit
from agentkit import Agent, tool
from agentkit.otel import Instrumentation
from agentkit.sim import SIM_API_KEY, Reply, Simulator
from agentkit.sim.transport import StreamingASGITransport

Tree = list[tuple[str, Any]]


def names(spans: tuple[ReadableSpan, ...]) -> Tree:
    """``[(name, children)]`` from the parent links alone."""
    by_id = {s.context.span_id: s for s in spans if s.context is not None}

    def kids(parent: int | None) -> Tree:
        found = [
            s
            for s in sorted(spans, key=lambda s: s.start_time or 0)
            if (s.parent.span_id if s.parent and s.parent.span_id in by_id else None) == parent
        ]
        return [(s.name, kids(s.context.span_id)) for s in found if s.context is not None]

    return kids(None)


@pytest.mark.anyio
@pytest.mark.usefixtures("instrumented")
async def test_a_run_is_a_child_of_the_current_span_and_tool_code_of_its_call(
    make_agent: AgentFactory, sim: Simulator, exporter: InMemorySpanExporter, tracer_provider: TracerProvider
) -> None:
    tracer = tracer_provider.get_tracer("my-app")

    @tool
    async def lookup(key: str) -> str:
        """Look a key up."""
        with tracer.start_as_current_span("database query"):
            return "found"

    sim.script(Reply(tool_calls=[("lookup", {"key": "a"})]), Reply(content="Found it."))
    with tracer.start_as_current_span("handle request"):
        await make_agent(tools=[lookup]).run("Look up a")

    assert names(exporter.get_finished_spans()) == [
        (
            "handle request",
            [
                (
                    "invoke_agent agent",
                    [
                        (f"chat {MODEL}", []),
                        ("execute_tool lookup", [("database query", [])]),
                        (f"chat {MODEL}", []),
                    ],
                )
            ],
        )
    ]


@pytest.mark.anyio
@pytest.mark.usefixtures("instrumented")
async def test_the_runs_own_work_is_under_its_span(
    make_agent: AgentFactory, sim: Simulator, exporter: InMemorySpanExporter, tracer_provider: TracerProvider
) -> None:
    """What a run does besides its requests and calls (listing an MCP server's tools: the SDK traces each
    MCP request) belongs to the run's trace, not next to it."""
    tracer = tracer_provider.get_tracer("my-tool-source")

    class Listed:
        async def __aenter__(self) -> Listed:
            return self

        async def __aexit__(self, *exc_info: object) -> None:
            return None

        async def list_tools(self) -> list[Any]:
            with tracer.start_as_current_span("tools/list"):
                return []

    sim.script(Reply(content="Hi."))
    with tracer.start_as_current_span("handle request"):
        await make_agent(tools=[Listed()]).run("Hello")
    assert names(exporter.get_finished_spans()) == [
        ("handle request", [("invoke_agent agent", [("tools/list", []), (f"chat {MODEL}", [])])])
    ]


class TracedTransport(httpx.AsyncBaseTransport):
    """What HTTP client instrumentation (opentelemetry-instrumentation-httpx) does: a span per request."""

    def __init__(self, inner: httpx.AsyncBaseTransport, tracer: Tracer) -> None:
        self.inner, self.tracer = inner, tracer

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        with self.tracer.start_as_current_span(f"{request.method} {request.url.path}"):
            return await self.inner.handle_async_request(request)


@pytest.mark.anyio
@pytest.mark.usefixtures("instrumented")
async def test_http_requests_and_their_retries_are_children_of_the_chat_span(
    sim: Simulator, exporter: InMemorySpanExporter, tracer_provider: TracerProvider
) -> None:
    transport = TracedTransport(StreamingASGITransport(sim.app), tracer_provider.get_tracer("http"))
    http = httpx.AsyncClient(transport=transport, base_url="http://sim")
    sim.script(Reply(content="Hello."))
    sim.inject("429;retry_after=0")
    await Agent(MODEL, http_client=http, base_url="http://sim", api_key=SIM_API_KEY).run("Hi")

    post = "POST /chat/completions"
    assert names(exporter.get_finished_spans()) == [
        ("invoke_agent agent", [(f"chat {MODEL}", [(post, []), (post, [])])])
    ]


@pytest.mark.usefixtures("instrumented")
def test_run_sync_is_a_child_of_the_callers_span(
    sim: Simulator, exporter: InMemorySpanExporter, tracer_provider: TracerProvider
) -> None:
    # run_sync runs on agentkit's background event loop, in another thread: the span must cross over.
    from agentkit.sim import serve

    sim.script(Reply(content="Hello."))
    with serve(sim, host="127.0.0.1", port=0) as base_url:
        agent = Agent(MODEL, base_url=base_url, api_key=SIM_API_KEY)
        with tracer_provider.get_tracer("my-app").start_as_current_span("nightly job"):
            agent.run_sync("Hi")

    assert names(exporter.get_finished_spans()) == [
        ("nightly job", [("invoke_agent agent", [(f"chat {MODEL}", [])])])
    ]


@pytest.mark.anyio
@pytest.mark.usefixtures("instrumented")
async def test_an_agent_run_by_a_tool_is_a_child_of_that_call(
    make_agent: AgentFactory, sim: Simulator, exporter: InMemorySpanExporter
) -> None:
    researcher = make_agent(name="researcher")

    @tool
    async def research(topic: str) -> str:
        """Ask the researcher."""
        return (await researcher.run(topic)).output

    sim.script(Reply(tool_calls=[("research", {"topic": "otters"})]), Reply(content="Otters hold hands."))
    sim.script(Reply(content="They hold hands while sleeping."))
    await make_agent(name="lead", tools=[research]).run("Tell me about otters")

    assert names(exporter.get_finished_spans()) == [
        (
            "invoke_agent lead",
            [
                (f"chat {MODEL}", []),
                ("execute_tool research", [("invoke_agent researcher", [(f"chat {MODEL}", [])])]),
                (f"chat {MODEL}", []),
            ],
        )
    ]


@pytest.mark.anyio
@pytest.mark.usefixtures("instrumented")
async def test_an_agents_own_instrumentation_traces_its_runs_instead(
    make_agent: AgentFactory, sim: Simulator, exporter: InMemorySpanExporter
) -> None:
    own = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(own))
    sim.script(Reply(content="One."), Reply(content="Two."))

    await make_agent(hooks=[Instrumentation(tracer_provider=provider)]).run("First")
    await make_agent().run("Second")

    assert names(own.get_finished_spans()) == [("invoke_agent agent", [(f"chat {MODEL}", [])])]
    assert names(exporter.get_finished_spans()) == [("invoke_agent agent", [(f"chat {MODEL}", [])])]


@pytest.mark.anyio
async def test_instrument_replaces_and_uninstrument_stops(
    make_agent: AgentFactory, sim: Simulator, exporter: InMemorySpanExporter, tracer_provider: TracerProvider
) -> None:
    sim.script(Reply(content="One."), Reply(content="Two."))
    agentkit.instrument(tracer_provider=tracer_provider)
    agentkit.instrument(tracer_provider=tracer_provider)  # again: still one set of spans
    try:
        await make_agent().run("First")
    finally:
        agentkit.uninstrument()
    await make_agent().run("Second")

    assert names(exporter.get_finished_spans()) == [("invoke_agent agent", [(f"chat {MODEL}", [])])]


RUN_WITHOUT_TRACING = """
import json, sys
import anyio
from agentkit import Agent
from agentkit.sim import SIM_API_KEY, Reply, Simulator

async def main():
    sim = Simulator()
    sim.script(Reply(content="Hi."))
    http = sim.http_client()
    await Agent("deepseek-v4-flash", http_client=http, base_url="http://sim", api_key=SIM_API_KEY).run("Hi")

before = sorted(m for m in sys.modules if m.startswith("opentelemetry"))
anyio.run(main)
print(json.dumps([before, sorted(m for m in sys.modules if m.startswith("opentelemetry"))]))
"""


def test_import_and_runs_without_instrument_never_import_opentelemetry() -> None:
    result = subprocess.run(
        [sys.executable, "-c", RUN_WITHOUT_TRACING], capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(result.stdout) == [[], []]


def test_without_the_extra_instrument_says_what_to_install() -> None:
    # A star import still works; instrument() says what to install.
    code = (
        "import sys; sys.modules['opentelemetry'] = None\n"
        "from agentkit import *\nimport agentkit\nagentkit.instrument()"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "ImportError: agentkit's tracing needs OpenTelemetry: pip install 'agentkit[otel]'"
    )
