"""Tracing: an agent's run as OpenTelemetry spans, printed on the console or sent to a tracing backend.

    python examples/tracing.py                                 # spans printed as JSON
    python examples/tracing.py --otlp http://127.0.0.1:4318    # sent to Jaeger, Phoenix... (OTLP/HTTP)
    python examples/tracing.py --content                       # with prompts, answers and tool results

Needs ``pip install -e '.[otel,sim]' opentelemetry-sdk`` (and ``opentelemetry-exporter-otlp-proto-http``
for ``--otlp``). Runs on DeepSeek when DEEPSEEK_API_KEY is set, otherwise on the bundled simulator (first
line says which).
"""

from __future__ import annotations

import argparse

from _backend import backend
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor

import agentkit
from agentkit import Agent, tool


@tool
def get_weather(city: str) -> str:
    """Get the current weather for a city.

    Args:
        city: City name, e.g. "Hangzhou".
    """
    return {"hangzhou": "light rain, 18 °C", "beijing": "sunny, 11 °C"}.get(city.lower(), "no forecast")


@tool
def get_train(origin: str, destination: str) -> str:
    """Find the next train between two cities.

    Args:
        origin: City of departure.
        destination: City of arrival.
    """
    return f"G{len(origin) * 100 + len(destination)} {origin} -> {destination}, 14:05, 4 h 30"


def tracer_provider(otlp: str | None) -> TracerProvider:
    """Spans of the service "trip-planner": to the console, or to an OTLP/HTTP endpoint in batches."""
    provider = TracerProvider(resource=Resource.create({"service.name": "trip-planner"}))
    if otlp is None:
        provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter(endpoint=otlp.rstrip("/") + "/v1/traces")
        provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--otlp", metavar="URL", help="send the spans to this OTLP/HTTP endpoint")
    parser.add_argument("--content", action="store_true", help="record prompts, answers and tool results")
    args = parser.parse_args()

    with backend():
        provider = tracer_provider(args.otlp)
        agentkit.instrument(tracer_provider=provider, capture_content=args.content)
        agent = Agent(
            model="deepseek-chat",
            name="trip-planner",
            tools=[get_weather, get_train],
            instructions="You plan trips. Use the tools, in parallel when you can.",
        )
        # The run becomes a child of the application's own span: one trace for the whole request.
        with provider.get_tracer("trip-planner").start_as_current_span("plan trip") as span:
            result = agent.run_sync(
                "I take the train from Hangzhou to Beijing: the next one, and the weather?"
            )
            trace_id = span.get_span_context().trace_id
        provider.shutdown()  # sends what is still batched
        print(f"answer: {result.output}")
        print(
            f"trace {trace_id:032x}: {result.usage.requests} model requests, "
            f"{result.usage.tool_calls} tool calls, cost ${result.usage.cost:.6f}"
        )


if __name__ == "__main__":
    main()
