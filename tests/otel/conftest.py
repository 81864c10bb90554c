"""Tracing tests: the official OpenTelemetry SDK with its in-memory span exporter and metric reader, and
agents on the simulator in process, on asyncio and trio."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentkit
from agentkit import Agent
from agentkit.sim import SIM_API_KEY, Simulator

sys.path.insert(0, str(Path(__file__).resolve().parent))

MODEL = "deepseek-v4-flash"


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def tracer_provider(exporter: InMemorySpanExporter) -> TracerProvider:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


@pytest.fixture
def reader() -> InMemoryMetricReader:
    return InMemoryMetricReader()


@pytest.fixture
def meter_provider(reader: InMemoryMetricReader) -> MeterProvider:
    return MeterProvider(metric_readers=[reader])


@pytest.fixture
def instrumented(tracer_provider: TracerProvider, meter_provider: MeterProvider) -> Iterator[None]:
    """``agentkit.instrument()`` for the test's providers, undone afterwards."""
    agentkit.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    yield
    agentkit.uninstrument()


@pytest.fixture
def sim() -> Simulator:
    return Simulator(era="deepseek-v4")


AgentFactory = Callable[..., Agent[Any, Any]]


@pytest.fixture
def make_agent(sim: Simulator) -> AgentFactory:
    """``make_agent(**agent_kwargs)``: an Agent on the ``sim`` fixture, in process."""

    def make(**kwargs: Any) -> Agent[Any, Any]:
        kwargs.setdefault("model", MODEL)
        kwargs.setdefault("api_key", SIM_API_KEY)
        return Agent(http_client=sim.http_client(), base_url="http://sim", **kwargs)

    return make
