"""Export through the real OTLP/HTTP exporter to a receiver on 127.0.0.1: every span arrives whole (the
decoded protobuf equals what the SDK recorded), and no exported byte holds the API key."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from conftest import MODEL
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from otlp_receiver import Received, otlp_receiver, plain

import agentkit
from agentkit import Agent, AuthenticationError, ToolResult, tool
from agentkit.sim import Reply, Simulator

pytestmark = pytest.mark.anyio

SECRET = "sk-otel-test-3f9a1c7e52d84b06"


@tool
def lookup(key: str) -> str:
    """Look a key up."""
    raise RuntimeError(f"no entry for {key}")


@pytest.fixture
def receiver() -> Iterator[Received]:
    with otlp_receiver() as received:
        yield received


async def test_spans_arrive_whole_and_never_hold_the_key(receiver: Received) -> None:
    recorded = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(recorded))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=receiver.url)))
    sim = Simulator(api_keys=[SECRET])
    sim.script(Reply(tool_calls=[("lookup", {"key": "a"})]), Reply(content="Nothing found."))

    def agent(key: str) -> Agent[Any, str]:
        http = sim.http_client(headers={"Authorization": f"Bearer {key}"})
        return Agent(MODEL, tools=[lookup], api_key=key, base_url="http://sim", http_client=http)

    agentkit.instrument(tracer_provider=provider, capture_content=True)  # everything there is to export
    try:
        events = [e async for e in agent(SECRET).run_stream("Look up a")]
        with pytest.raises(AuthenticationError):
            await agent(SECRET[:-1] + "x").run("Look up a")  # a wrong key: the 401 is recorded too
    finally:
        agentkit.uninstrument()
        provider.shutdown()  # flushes the batch to the receiver

    assert any(isinstance(e, ToolResult) and e.is_error for e in events)
    exported = [span for request in receiver.requests() for span in spans_of(request)]
    assert sorted(exported, key=str) == sorted(map(expected, recorded.get_finished_spans()), key=str)
    assert len(exported) == 6  # two runs: invoke_agent, chat, execute_tool, chat; invoke_agent, chat
    wire = b"".join(receiver.bodies)
    assert b"Look up a" in wire  # the search below would find the key if it were there
    assert SECRET.encode() not in wire and SECRET[:-1].encode() not in wire


def spans_of(request: Any) -> Iterator[dict[str, Any]]:
    for resource_spans in request.resource_spans:
        for scope_spans in resource_spans.scope_spans:
            assert (scope_spans.scope.name, scope_spans.schema_url) == (
                "agentkit",
                "https://opentelemetry.io/schemas/1.41.0",
            )
            for span in scope_spans.spans:
                yield {
                    "trace": span.trace_id.hex(),
                    "id": span.span_id.hex(),
                    "parent": span.parent_span_id.hex() or None,
                    "name": span.name,
                    "kind": span.kind - 1,  # OTLP numbers kinds from UNSPECIFIED = 0
                    "times": (span.start_time_unix_nano, span.end_time_unix_nano),
                    "attributes": {a.key: plain(a.value) for a in span.attributes},
                    "events": [(e.name, {a.key: plain(a.value) for a in e.attributes}) for e in span.events],
                    "status": span.status.code,
                }


def expected(span: ReadableSpan) -> dict[str, Any]:
    assert span.context is not None
    return {
        "trace": f"{span.context.trace_id:032x}",
        "id": f"{span.context.span_id:016x}",
        "parent": f"{span.parent.span_id:016x}" if span.parent else None,
        "name": span.name,
        "kind": span.kind.value,
        "times": (span.start_time, span.end_time),
        "attributes": dict(span.attributes or {}),
        "events": [(e.name, dict(e.attributes or {})) for e in span.events],
        "status": span.status.status_code.value,
    }
