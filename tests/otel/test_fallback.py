"""A request answered by a fallback model is traced as that model's: its provider, profile and price."""

from __future__ import annotations

import pytest
from conftest import MODEL
from inline_snapshot import snapshot
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from span_tree import attributes, span_tree

from agentkit import Agent, DeepSeekClient, Fallback, RetryPolicy
from agentkit.sim import SIM_API_KEY, Reply, Simulator

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("instrumented")]


def fast_client(sim: Simulator) -> DeepSeekClient:
    client = DeepSeekClient(api_key=SIM_API_KEY, base_url="http://sim", http_client=sim.http_client())
    client.retry = RetryPolicy(base_delay=0.0, max_retries=0)
    return client


async def test_a_fallback_with_its_own_profile_is_traced_with_it(exporter: InMemorySpanExporter) -> None:
    failing, spare = Simulator(), Simulator()
    failing.inject("503", times=None)
    spare.script(Reply(content="Hello."))
    fallback = Fallback("deepseek-v4-pro", profile="openai-compatible", client=fast_client(spare))
    agent = Agent(model=MODEL, client=fast_client(failing), fallback_models=[fallback])
    result = await agent.run("Hi")
    assert result.models == ["deepseek-v4-pro"]
    (run,) = span_tree(exporter.get_finished_spans())
    assert [child["attributes"] for child in run["children"]] == snapshot(
        [
            {
                "gen_ai.operation.name": "chat",
                "gen_ai.provider.name": "deepseek",
                "gen_ai.request.model": "deepseek-v4-flash",
                "agentkit.profile": "deepseek-v4",
                "error.type": "ServerOverloadedError",
            },
            {
                "gen_ai.operation.name": "chat",
                "gen_ai.provider.name": "openai",
                "gen_ai.request.model": "deepseek-v4-pro",
                "agentkit.profile": "openai-compatible",
                "gen_ai.response.id": "<response id>",
                "gen_ai.response.model": "deepseek-v4-pro",
                "gen_ai.response.finish_reasons": ["stop"],
                "gen_ai.usage.input_tokens": 6,
                "gen_ai.usage.output_tokens": 2,
                "gen_ai.usage.cache_read.input_tokens": 0,
                "agentkit.usage.prompt_cache_miss_tokens": 6,
            },
        ]
    )
    chats = [s for s in exporter.get_finished_spans() if s.name.startswith("chat")]
    costs = [attributes(s).get("agentkit.usage.cost", 0.0) for s in chats]
    assert sum(costs) == pytest.approx(result.usage.cost)  # the spans' costs are the run's (none here)
