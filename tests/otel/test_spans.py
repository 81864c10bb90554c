"""The span tree of a run, exactly: names, kinds, attributes, status and events (ids, timing and costs
normalised by ``span_tree``), for parallel tool calls, retries, a stream abandoned half way, an output
retry, and failures."""

from __future__ import annotations

import dataclasses
from contextlib import aclosing
from typing import Any

import anyio
import pytest
from conftest import MODEL, AgentFactory
from inline_snapshot import snapshot
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic import BaseModel
from span_tree import attributes, span_tree

from agentkit import DeepSeekClient, InsufficientBalanceError, TextDelta, tool
from agentkit.sim import SIM_API_KEY, Reply, Simulator

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("instrumented")]


async def test_two_parallel_tool_calls(
    make_agent: AgentFactory, sim: Simulator, exporter: InMemorySpanExporter
) -> None:
    started = {"get_weather": anyio.Event(), "get_time": anyio.Event()}

    async def meet(me: str, other: str) -> None:
        """Each call waits for the other to start: they can only finish if they run at once."""
        started[me].set()
        with anyio.fail_after(10):
            await started[other].wait()

    @tool
    async def get_weather(city: str) -> str:
        """Get the weather in a city."""
        await meet("get_weather", "get_time")
        return "sunny"

    @tool
    async def get_time(city: str) -> str:
        """Get the local time in a city."""
        await meet("get_time", "get_weather")
        return "12:00"

    sim.script(
        Reply(
            reasoning="Two lookups, at once.",
            tool_calls=[("get_weather", {"city": "Paris"}), ("get_time", {"city": "Paris"})],
        ),
        Reply(content="Sunny, and it is noon."),
    )
    agent = make_agent(tools=[get_weather, get_time], name="concierge", settings={"temperature": 0.2})
    result = await agent.run("Weather and time in Paris?")

    spans = exporter.get_finished_spans()
    assert span_tree(spans) == snapshot(
        [
            {
                "name": "invoke_agent concierge",
                "kind": "INTERNAL",
                "attributes": {
                    "gen_ai.operation.name": "invoke_agent",
                    "gen_ai.provider.name": "deepseek",
                    "gen_ai.agent.name": "concierge",
                    "gen_ai.request.model": "deepseek-v4-flash",
                    "agentkit.profile": "deepseek-v4",
                    "gen_ai.usage.input_tokens": 399,
                    "gen_ai.usage.output_tokens": 31,
                    "gen_ai.usage.cache_read.input_tokens": 192,
                    "agentkit.usage.prompt_cache_miss_tokens": 207,
                    "gen_ai.usage.reasoning.output_tokens": 7,
                    "agentkit.usage.cost": "<cost>",
                    "gen_ai.response.finish_reasons": ["stop"],
                },
                "children": [
                    {
                        "name": "chat deepseek-v4-flash",
                        "kind": "CLIENT",
                        "attributes": {
                            "gen_ai.operation.name": "chat",
                            "gen_ai.provider.name": "deepseek",
                            "gen_ai.request.model": "deepseek-v4-flash",
                            "agentkit.profile": "deepseek-v4",
                            "gen_ai.request.temperature": 0.2,
                            "gen_ai.response.id": "<response id>",
                            "gen_ai.response.model": "deepseek-v4-flash",
                            "gen_ai.response.finish_reasons": ["tool_calls"],
                            "gen_ai.usage.input_tokens": 159,
                            "gen_ai.usage.output_tokens": 24,
                            "gen_ai.usage.cache_read.input_tokens": 0,
                            "agentkit.usage.prompt_cache_miss_tokens": 159,
                            "gen_ai.usage.reasoning.output_tokens": 7,
                            "agentkit.usage.cost": "<cost>",
                        },
                    },
                    {
                        "name": "execute_tool get_time",
                        "kind": "INTERNAL",
                        "attributes": {
                            "gen_ai.operation.name": "execute_tool",
                            "gen_ai.tool.name": "get_time",
                            "gen_ai.tool.call.id": "<call id>",
                            "gen_ai.tool.type": "function",
                            "gen_ai.tool.description": "Get the local time in a city.",
                        },
                    },
                    {
                        "name": "execute_tool get_weather",
                        "kind": "INTERNAL",
                        "attributes": {
                            "gen_ai.operation.name": "execute_tool",
                            "gen_ai.tool.name": "get_weather",
                            "gen_ai.tool.call.id": "<call id>",
                            "gen_ai.tool.type": "function",
                            "gen_ai.tool.description": "Get the weather in a city.",
                        },
                    },
                    {
                        "name": "chat deepseek-v4-flash",
                        "kind": "CLIENT",
                        "attributes": {
                            "gen_ai.operation.name": "chat",
                            "gen_ai.provider.name": "deepseek",
                            "gen_ai.request.model": "deepseek-v4-flash",
                            "agentkit.profile": "deepseek-v4",
                            "gen_ai.request.temperature": 0.2,
                            "gen_ai.response.id": "<response id>",
                            "gen_ai.response.model": "deepseek-v4-flash",
                            "gen_ai.response.finish_reasons": ["stop"],
                            "gen_ai.usage.input_tokens": 240,
                            "gen_ai.usage.output_tokens": 7,
                            "gen_ai.usage.cache_read.input_tokens": 192,
                            "agentkit.usage.prompt_cache_miss_tokens": 48,
                            "agentkit.usage.cost": "<cost>",
                        },
                    },
                ],
            }
        ]
    )
    tools = [s for s in spans if s.name.startswith("execute_tool")]
    first, second = tools
    assert first.start_time < second.end_time and second.start_time < first.end_time  # overlapping
    call_ids = [c["id"] for c in result.messages[1]["tool_calls"]]
    assert sorted(s.attributes["gen_ai.tool.call.id"] for s in tools) == sorted(call_ids)
    chats = [s for s in spans if s.name.startswith("chat")]
    assert sum(s.attributes["agentkit.usage.cost"] for s in chats) == pytest.approx(result.usage.cost)
    (run,) = [s for s in spans if s.name.startswith("invoke_agent")]
    assert run.attributes["agentkit.usage.cost"] == result.usage.cost > 0


async def test_a_retried_429_is_an_event_of_its_request(
    make_agent: AgentFactory, sim: Simulator, exporter: InMemorySpanExporter
) -> None:
    sim.script(Reply(content="Hello."))
    sim.inject("429;retry_after=0")
    await make_agent().run("Hi")

    assert span_tree(exporter.get_finished_spans()) == snapshot(
        [
            {
                "name": "invoke_agent agent",
                "kind": "INTERNAL",
                "attributes": {
                    "gen_ai.operation.name": "invoke_agent",
                    "gen_ai.provider.name": "deepseek",
                    "gen_ai.agent.name": "agent",
                    "gen_ai.request.model": "deepseek-v4-flash",
                    "agentkit.profile": "deepseek-v4",
                    "gen_ai.usage.input_tokens": 6,
                    "gen_ai.usage.output_tokens": 2,
                    "gen_ai.usage.cache_read.input_tokens": 0,
                    "agentkit.usage.prompt_cache_miss_tokens": 6,
                    "agentkit.usage.cost": "<cost>",
                    "gen_ai.response.finish_reasons": ["stop"],
                },
                "children": [
                    {
                        "name": "chat deepseek-v4-flash",
                        "kind": "CLIENT",
                        "attributes": {
                            "gen_ai.operation.name": "chat",
                            "gen_ai.provider.name": "deepseek",
                            "gen_ai.request.model": "deepseek-v4-flash",
                            "agentkit.profile": "deepseek-v4",
                            "gen_ai.response.id": "<response id>",
                            "gen_ai.response.model": "deepseek-v4-flash",
                            "gen_ai.response.finish_reasons": ["stop"],
                            "gen_ai.usage.input_tokens": 6,
                            "gen_ai.usage.output_tokens": 2,
                            "gen_ai.usage.cache_read.input_tokens": 0,
                            "agentkit.usage.prompt_cache_miss_tokens": 6,
                            "agentkit.usage.cost": "<cost>",
                        },
                        "events": [
                            {
                                "name": "agentkit.retry",
                                "attributes": {"agentkit.retry.attempt": 1, "error.type": "RateLimitError"},
                            }
                        ],
                    }
                ],
            }
        ]
    )


async def test_a_streamed_response_restarted_after_a_break_is_a_retry(
    sim: Simulator, make_agent: AgentFactory, exporter: InMemorySpanExporter
) -> None:
    sim.script(Reply(content="This answer will be cut off."), Reply(content="The whole answer."))
    sim.inject("drop;after=3")
    client = DeepSeekClient(api_key=SIM_API_KEY, base_url="http://sim", http_client=sim.http_client())
    client.retry = dataclasses.replace(client.retry, base_delay=0.0)
    events = [e async for e in make_agent(client=client).run_stream("Go")]

    assert events[-1].result.output == "The whole answer."
    (chat,) = [s for s in exporter.get_finished_spans() if s.name.startswith("chat")]
    assert [(e.name, dict(e.attributes or {})) for e in chat.events] == snapshot(
        [("agentkit.retry", {"agentkit.retry.attempt": 1, "error.type": "APIConnectionError"})]
    )
    assert attributes(chat)["gen_ai.request.stream"] is True


async def test_a_stream_abandoned_half_way_ends_its_spans(
    make_agent: AgentFactory, sim: Simulator, exporter: InMemorySpanExporter
) -> None:
    sim.script(Reply(content="A long answer that the reader stops reading after its first words."))
    async with aclosing(make_agent().run_stream("Tell me a story")) as events:
        async for event in events:
            if isinstance(event, TextDelta):
                break
        assert exporter.get_finished_spans() == ()  # the run is still open

    assert span_tree(exporter.get_finished_spans()) == snapshot(
        [
            {
                "name": "invoke_agent agent",
                "kind": "INTERNAL",
                "attributes": {
                    "gen_ai.operation.name": "invoke_agent",
                    "gen_ai.provider.name": "deepseek",
                    "gen_ai.agent.name": "agent",
                    "gen_ai.request.model": "deepseek-v4-flash",
                    "agentkit.profile": "deepseek-v4",
                    "agentkit.stopped": "abandoned",
                    "gen_ai.usage.input_tokens": 0,
                    "gen_ai.usage.output_tokens": 0,
                    "gen_ai.usage.cache_read.input_tokens": 0,
                    "agentkit.usage.prompt_cache_miss_tokens": 0,
                    "agentkit.usage.cost": "<cost>",
                },
                "children": [
                    {
                        "name": "chat deepseek-v4-flash",
                        "kind": "CLIENT",
                        "attributes": {
                            "gen_ai.operation.name": "chat",
                            "gen_ai.provider.name": "deepseek",
                            "gen_ai.request.model": "deepseek-v4-flash",
                            "agentkit.profile": "deepseek-v4",
                            "gen_ai.request.stream": True,
                            "agentkit.stopped": "abandoned",
                        },
                    }
                ],
            }
        ]
    )


async def test_an_output_validation_retry(
    make_agent: AgentFactory, sim: Simulator, exporter: InMemorySpanExporter
) -> None:
    class City(BaseModel):
        name: str
        population: int

    sim.script(Reply(content='{"name": "Paris"}'), Reply(content='{"name": "Paris", "population": 2100000}'))
    result = await make_agent(output_type=City, name="geographer").run("The biggest city of France?")

    assert result.output == City(name="Paris", population=2100000)
    assert span_tree(exporter.get_finished_spans()) == snapshot(
        [
            {
                "name": "invoke_agent geographer",
                "kind": "INTERNAL",
                "attributes": {
                    "gen_ai.operation.name": "invoke_agent",
                    "gen_ai.provider.name": "deepseek",
                    "gen_ai.agent.name": "geographer",
                    "gen_ai.request.model": "deepseek-v4-flash",
                    "agentkit.profile": "deepseek-v4",
                    "gen_ai.output.type": "json",
                    "gen_ai.usage.input_tokens": 235,
                    "gen_ai.usage.output_tokens": 18,
                    "gen_ai.usage.cache_read.input_tokens": 64,
                    "agentkit.usage.prompt_cache_miss_tokens": 171,
                    "agentkit.usage.cost": "<cost>",
                    "gen_ai.response.finish_reasons": ["stop"],
                },
                "children": [
                    {
                        "name": "chat deepseek-v4-flash",
                        "kind": "CLIENT",
                        "attributes": {
                            "gen_ai.operation.name": "chat",
                            "gen_ai.provider.name": "deepseek",
                            "gen_ai.request.model": "deepseek-v4-flash",
                            "agentkit.profile": "deepseek-v4",
                            "gen_ai.output.type": "json",
                            "gen_ai.response.id": "<response id>",
                            "gen_ai.response.model": "deepseek-v4-flash",
                            "gen_ai.response.finish_reasons": ["stop"],
                            "gen_ai.usage.input_tokens": 93,
                            "gen_ai.usage.output_tokens": 6,
                            "gen_ai.usage.cache_read.input_tokens": 0,
                            "agentkit.usage.prompt_cache_miss_tokens": 93,
                            "agentkit.usage.cost": "<cost>",
                        },
                    },
                    {
                        "name": "chat deepseek-v4-flash",
                        "kind": "CLIENT",
                        "attributes": {
                            "gen_ai.operation.name": "chat",
                            "gen_ai.provider.name": "deepseek",
                            "gen_ai.request.model": "deepseek-v4-flash",
                            "agentkit.profile": "deepseek-v4",
                            "gen_ai.output.type": "json",
                            "gen_ai.response.id": "<response id>",
                            "gen_ai.response.model": "deepseek-v4-flash",
                            "gen_ai.response.finish_reasons": ["stop"],
                            "gen_ai.usage.input_tokens": 142,
                            "gen_ai.usage.output_tokens": 12,
                            "gen_ai.usage.cache_read.input_tokens": 64,
                            "agentkit.usage.prompt_cache_miss_tokens": 78,
                            "agentkit.usage.cost": "<cost>",
                        },
                    },
                ],
            }
        ]
    )


async def test_failures_set_status_and_error_type_only(
    make_agent: AgentFactory, sim: Simulator, exporter: InMemorySpanExporter
) -> None:
    @tool
    def fragile(path: str) -> str:
        """Read a file."""
        raise ValueError(f"cannot read {path}")

    sim.script(
        Reply(tool_calls=[("fragile", {"path": "/home/ann/diary.txt"}), ("missing", {})]),
        Reply(content="Both failed."),
    )
    await make_agent(tools=[fragile]).run("Read my diary")
    sim.inject("402")
    with pytest.raises(InsufficientBalanceError):
        await make_agent().run("Once more")

    assert span_tree(exporter.get_finished_spans()) == snapshot(
        [
            {
                "name": "invoke_agent agent",
                "kind": "INTERNAL",
                "attributes": {
                    "gen_ai.operation.name": "invoke_agent",
                    "gen_ai.provider.name": "deepseek",
                    "gen_ai.agent.name": "agent",
                    "gen_ai.request.model": "deepseek-v4-flash",
                    "agentkit.profile": "deepseek-v4",
                    "gen_ai.usage.input_tokens": 268,
                    "gen_ai.usage.output_tokens": 19,
                    "gen_ai.usage.cache_read.input_tokens": 64,
                    "agentkit.usage.prompt_cache_miss_tokens": 204,
                    "agentkit.usage.cost": "<cost>",
                    "gen_ai.response.finish_reasons": ["stop"],
                },
                "children": [
                    {
                        "name": "chat deepseek-v4-flash",
                        "kind": "CLIENT",
                        "attributes": {
                            "gen_ai.operation.name": "chat",
                            "gen_ai.provider.name": "deepseek",
                            "gen_ai.request.model": "deepseek-v4-flash",
                            "agentkit.profile": "deepseek-v4",
                            "gen_ai.response.id": "<response id>",
                            "gen_ai.response.model": "deepseek-v4-flash",
                            "gen_ai.response.finish_reasons": ["tool_calls"],
                            "gen_ai.usage.input_tokens": 79,
                            "gen_ai.usage.output_tokens": 15,
                            "gen_ai.usage.cache_read.input_tokens": 0,
                            "agentkit.usage.prompt_cache_miss_tokens": 79,
                            "agentkit.usage.cost": "<cost>",
                        },
                    },
                    {
                        "name": "execute_tool fragile",
                        "kind": "INTERNAL",
                        "attributes": {
                            "gen_ai.operation.name": "execute_tool",
                            "gen_ai.tool.name": "fragile",
                            "gen_ai.tool.call.id": "<call id>",
                            "gen_ai.tool.type": "function",
                            "gen_ai.tool.description": "Read a file.",
                            "error.type": "ValueError",
                        },
                        "status": "ERROR",
                    },
                    {
                        "name": "execute_tool missing",
                        "kind": "INTERNAL",
                        "attributes": {
                            "gen_ai.operation.name": "execute_tool",
                            "gen_ai.tool.name": "missing",
                            "gen_ai.tool.call.id": "<call id>",
                            "gen_ai.tool.type": "function",
                            "error.type": "_OTHER",
                        },
                        "status": "ERROR",
                    },
                    {
                        "name": "chat deepseek-v4-flash",
                        "kind": "CLIENT",
                        "attributes": {
                            "gen_ai.operation.name": "chat",
                            "gen_ai.provider.name": "deepseek",
                            "gen_ai.request.model": "deepseek-v4-flash",
                            "agentkit.profile": "deepseek-v4",
                            "gen_ai.response.id": "<response id>",
                            "gen_ai.response.model": "deepseek-v4-flash",
                            "gen_ai.response.finish_reasons": ["stop"],
                            "gen_ai.usage.input_tokens": 189,
                            "gen_ai.usage.output_tokens": 4,
                            "gen_ai.usage.cache_read.input_tokens": 64,
                            "agentkit.usage.prompt_cache_miss_tokens": 125,
                            "agentkit.usage.cost": "<cost>",
                        },
                    },
                ],
            },
            {
                "name": "invoke_agent agent",
                "kind": "INTERNAL",
                "attributes": {
                    "gen_ai.operation.name": "invoke_agent",
                    "gen_ai.provider.name": "deepseek",
                    "gen_ai.agent.name": "agent",
                    "gen_ai.request.model": "deepseek-v4-flash",
                    "agentkit.profile": "deepseek-v4",
                    "error.type": "InsufficientBalanceError",
                    "gen_ai.usage.input_tokens": 0,
                    "gen_ai.usage.output_tokens": 0,
                    "gen_ai.usage.cache_read.input_tokens": 0,
                    "agentkit.usage.prompt_cache_miss_tokens": 0,
                    "agentkit.usage.cost": "<cost>",
                },
                "status": "ERROR",
                "children": [
                    {
                        "name": "chat deepseek-v4-flash",
                        "kind": "CLIENT",
                        "attributes": {
                            "gen_ai.operation.name": "chat",
                            "gen_ai.provider.name": "deepseek",
                            "gen_ai.request.model": "deepseek-v4-flash",
                            "agentkit.profile": "deepseek-v4",
                            "error.type": "InsufficientBalanceError",
                        },
                        "status": "ERROR",
                    }
                ],
            },
        ]
    )
    assert not any("diary" in str(value) for s in exporter.get_finished_spans() for value in _values(s))


async def test_a_cancelled_run_ends_its_spans(
    make_agent: AgentFactory, sim: Simulator, exporter: InMemorySpanExporter
) -> None:
    with anyio.CancelScope() as scope:

        @tool
        async def wait_forever() -> str:
            """Never answers: the run is cancelled while it waits."""
            scope.cancel()
            await anyio.sleep_forever()
            return "unreachable"

        sim.script(Reply(tool_calls=[("wait_forever", {})]))
        await make_agent(tools=[wait_forever]).run("Wait")

    tree = span_tree(exporter.get_finished_spans())
    assert [(tree[0]["name"], tree[0]["attributes"].get("agentkit.stopped"))] == [
        ("invoke_agent agent", "cancelled")
    ]
    assert [(c["name"], c["attributes"].get("agentkit.stopped")) for c in tree[0]["children"]] == [
        (f"chat {MODEL}", None),
        ("execute_tool wait_forever", "cancelled"),
    ]


def _values(span: Any) -> list[Any]:
    return [
        *dict(span.attributes or {}).values(),
        *(v for e in span.events for v in (e.attributes or {}).values()),
    ]
