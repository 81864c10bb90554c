"""The metrics, read with the SDK's in-memory reader: gen_ai.client.token.usage and
gen_ai.client.operation.duration histograms, and the cost counter."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import AgentFactory
from inline_snapshot import snapshot
from opentelemetry.sdk.metrics.export import HistogramDataPoint, InMemoryMetricReader, NumberDataPoint

from agentkit import InsufficientBalanceError, tool
from agentkit.sim import Reply, Simulator

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("instrumented")]


@tool
def lookup(key: str) -> str:
    """Look a key up."""
    return "found"


async def test_token_usage_duration_and_cost(
    make_agent: AgentFactory, sim: Simulator, reader: InMemoryMetricReader
) -> None:
    sim.script(Reply(tool_calls=[("lookup", {"key": "a"})]), Reply(content="Found it."))
    result = await make_agent(tools=[lookup], name="finder").run("Look up a")
    sim.inject("402")
    with pytest.raises(InsufficientBalanceError):
        await make_agent(name="finder").run("Again")

    metrics = read(reader)
    (cost,) = metrics["agentkit.client.cost"]["points"]
    spent = cost.pop("value")  # priced by the clock (DeepSeek's off-peak hours): checked below
    assert metrics == snapshot(
        {
            "gen_ai.client.token.usage": {
                "unit": "{token}",
                "points": [
                    {
                        "attributes": {
                            "gen_ai.operation.name": "chat",
                            "gen_ai.provider.name": "deepseek",
                            "gen_ai.request.model": "deepseek-v4-flash",
                            "gen_ai.response.model": "deepseek-v4-flash",
                            "gen_ai.token.type": "input",
                        },
                        "count": 2,
                        "bounds": [1.0, 67108864.0],
                        "sum": 194,
                    },
                    {
                        "attributes": {
                            "gen_ai.operation.name": "chat",
                            "gen_ai.provider.name": "deepseek",
                            "gen_ai.request.model": "deepseek-v4-flash",
                            "gen_ai.response.model": "deepseek-v4-flash",
                            "gen_ai.token.type": "output",
                        },
                        "count": 2,
                        "bounds": [1.0, 67108864.0],
                        "sum": 9,
                    },
                ],
            },
            "agentkit.client.cost": {
                "unit": "{USD}",
                "points": [
                    {
                        "attributes": {
                            "gen_ai.operation.name": "chat",
                            "gen_ai.provider.name": "deepseek",
                            "gen_ai.request.model": "deepseek-v4-flash",
                            "gen_ai.response.model": "deepseek-v4-flash",
                        },
                    }
                ],
            },
            "gen_ai.client.operation.duration": {
                "unit": "s",
                "points": [
                    {
                        "attributes": {
                            "gen_ai.operation.name": "invoke_agent",
                            "gen_ai.provider.name": "deepseek",
                            "gen_ai.request.model": "deepseek-v4-flash",
                            "gen_ai.agent.name": "finder",
                            "error.type": "InsufficientBalanceError",
                        },
                        "count": 1,
                        "bounds": [0.01, 81.92],
                    },
                    {
                        "attributes": {
                            "gen_ai.operation.name": "chat",
                            "gen_ai.provider.name": "deepseek",
                            "gen_ai.request.model": "deepseek-v4-flash",
                            "error.type": "InsufficientBalanceError",
                        },
                        "count": 1,
                        "bounds": [0.01, 81.92],
                    },
                    {
                        "attributes": {
                            "gen_ai.operation.name": "invoke_agent",
                            "gen_ai.provider.name": "deepseek",
                            "gen_ai.request.model": "deepseek-v4-flash",
                            "gen_ai.agent.name": "finder",
                        },
                        "count": 1,
                        "bounds": [0.01, 81.92],
                    },
                    {
                        "attributes": {
                            "gen_ai.operation.name": "chat",
                            "gen_ai.provider.name": "deepseek",
                            "gen_ai.request.model": "deepseek-v4-flash",
                            "gen_ai.response.model": "deepseek-v4-flash",
                        },
                        "count": 2,
                        "bounds": [0.01, 81.92],
                    },
                    {
                        "attributes": {
                            "gen_ai.operation.name": "execute_tool",
                            "gen_ai.provider.name": "deepseek",
                            "gen_ai.request.model": "deepseek-v4-flash",
                            "gen_ai.tool.name": "lookup",
                        },
                        "count": 1,
                        "bounds": [0.01, 81.92],
                    },
                ],
            },
        }
    )
    tokens = metrics["gen_ai.client.token.usage"]["points"]
    assert sum(p["sum"] for p in tokens if p["attributes"]["gen_ai.token.type"] == "input") == (
        result.usage.prompt_tokens
    )
    assert sum(p["sum"] for p in tokens if p["attributes"]["gen_ai.token.type"] == "output") == (
        result.usage.completion_tokens
    )
    assert spent == pytest.approx(result.usage.cost) and spent > 0


def read(reader: InMemoryMetricReader) -> dict[str, Any]:
    """``{name: {unit, points}}``; a histogram point's count, first and last bucket bounds and sum (of
    tokens only: durations vary), a counter's value."""
    data = reader.get_metrics_data()
    assert data is not None
    out: dict[str, Any] = {}
    for resource in data.resource_metrics:
        for scope in resource.scope_metrics:
            assert (scope.scope.name, scope.schema_url) == (
                "agentkit",
                "https://opentelemetry.io/schemas/1.41.0",
            )
            for metric in scope.metrics:
                points = []
                for point in metric.data.data_points:
                    item: dict[str, Any] = {"attributes": dict(point.attributes or {})}
                    if isinstance(point, HistogramDataPoint):
                        item["count"] = point.count
                        item["bounds"] = [point.explicit_bounds[0], point.explicit_bounds[-1]]
                        if metric.name == "gen_ai.client.token.usage":
                            item["sum"] = point.sum
                    elif isinstance(point, NumberDataPoint):
                        item["value"] = point.value
                    points.append(item)
                points.sort(key=lambda p: sorted((k, str(v)) for k, v in p["attributes"].items()))
                out[metric.name] = {"unit": metric.unit, "points": points}
    return out
