"""Fallback models: the next model answers when one fails after its retries (429/5xx/timeouts), never
after a 400/401/402/422; each request follows the profile of the model that receives it."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from agentkit import (
    Agent,
    AuthenticationError,
    DeepSeekClient,
    Fallback,
    InsufficientBalanceError,
    ModelResponseDone,
    ResponseRestarted,
    RetryPolicy,
    RunDone,
    ServerOverloadedError,
    TextDelta,
    get_profile,
    tool,
)
from agentkit.sim import SIM_API_KEY, Reply, Simulator


def fast_client(sim: Simulator, api_key: str = SIM_API_KEY) -> DeepSeekClient:
    """A client of ``sim`` that retries at once (the backoff schedule has tests of its own)."""
    client = DeepSeekClient(api_key=api_key, base_url="http://sim", http_client=sim.http_client())
    client.retry = RetryPolicy(base_delay=0.0)
    return client


def models_asked(sim: Simulator) -> list[str]:
    return [r.json["model"] for r in sim.requests if r.json is not None]


@tool
def lookup(key: str) -> str:
    """Look a key up."""
    return f"value of {key}"


@pytest.mark.anyio
async def test_a_503_storm_moves_each_request_to_the_fallback(sim: Simulator) -> None:
    spare = Simulator()
    sim.inject("503", times=None)  # the agent's server fails whatever it is asked
    spare.script(Reply(tool_calls=[("lookup", {"key": "a"})]), Reply(content="a is known"))
    agent = Agent(
        model="deepseek-v4-flash",
        tools=[lookup],
        client=fast_client(sim),
        fallback_models=[Fallback("deepseek-v4-pro", client=fast_client(spare))],
    )
    events = [event async for event in agent.run_stream("go")]
    done = events[-1]
    assert isinstance(done, RunDone)
    result = done.result
    assert result.output == "a is known"
    assert result.models == ["deepseek-v4-pro", "deepseek-v4-pro"]
    assert models_asked(sim) == ["deepseek-v4-flash"] * 6  # each request: the first try and 2 retries
    assert models_asked(spare) == ["deepseek-v4-pro"] * 2
    # Priced at the model that answered.
    pro = get_profile("deepseek-v4-pro").pricing_for("deepseek-v4-pro")
    assert pro is not None
    now = datetime.now(timezone.utc)
    answers = [e.usage for e in events if isinstance(e, ModelResponseDone) and e.usage]
    assert result.usage.cost == pytest.approx(sum(pro.cost(u, now) for u in answers))
    assert not any(isinstance(e, ResponseRestarted) for e in events)  # nothing had streamed


@pytest.mark.anyio
async def test_no_fallback_when_the_model_works(sim: Simulator) -> None:
    spare = Simulator()
    sim.script(Reply(content="fine"))
    agent = Agent(model="deepseek-v4-flash", client=fast_client(sim), fallback_models=["deepseek-v4-pro"])
    result = await agent.run("hi")
    assert result.models == ["deepseek-v4-flash"] and spare.requests == []


@pytest.mark.anyio
async def test_a_fallback_by_name_uses_the_agents_connection(sim: Simulator) -> None:
    sim.inject("500", times=3)
    sim.script(Reply(content="from pro"))
    agent = Agent(model="deepseek-v4-flash", client=fast_client(sim), fallback_models=["deepseek-v4-pro"])
    result = await agent.run("hi")
    assert (result.output, result.models) == ("from pro", ["deepseek-v4-pro"])
    assert models_asked(sim) == ["deepseek-v4-flash"] * 3 + ["deepseek-v4-pro"]


@pytest.mark.anyio
@pytest.mark.parametrize("fault", ["401", "402"])
async def test_no_fallback_on_errors_another_model_would_repeat(sim: Simulator, fault: str) -> None:
    spare = Simulator()
    fallbacks = [Fallback("deepseek-v4-pro", client=fast_client(spare))]
    if fault == "401":
        client = fast_client(sim, api_key="sk-wrong")
        expected: type[Exception] = AuthenticationError
    else:
        sim.inject("402", times=None)
        client, expected = fast_client(sim), InsufficientBalanceError
    agent = Agent(model="deepseek-v4-flash", client=client, fallback_models=fallbacks)
    with pytest.raises(expected) as raised:
        await agent.run("hi")
    assert spare.requests == [] and len(sim.requests) == 1  # not retried, not passed on
    assert raised.value.usage is not None and raised.value.usage.requests == 0


@pytest.mark.anyio
async def test_when_every_model_fails_the_last_error_is_raised(sim: Simulator) -> None:
    spare = Simulator()
    sim.inject("503", times=None)
    spare.inject("503", times=None)
    agent = Agent(model="deepseek-v4-flash", client=fast_client(sim),
                  fallback_models=[Fallback("deepseek-v4-pro", client=fast_client(spare))])
    with pytest.raises(ServerOverloadedError):
        await agent.run("hi")
    assert len(sim.requests) == 3 and len(spare.requests) == 3


@pytest.mark.anyio
async def test_a_stream_broken_for_good_is_restarted_on_the_fallback(sim: Simulator) -> None:
    spare = Simulator()
    sim.inject("drop;after=2", times=None)  # every stream from the agent's server breaks mid-way
    sim.script(*[Reply(content="a long answer that never arrives whole")] * 3)
    spare.script(Reply(content="the fallback's answer"))
    agent = Agent(model="deepseek-v4-flash", client=fast_client(sim),
                  fallback_models=[Fallback("deepseek-v4-pro", client=fast_client(spare))])
    events = [event async for event in agent.run_stream("hi")]
    restarts = [i for i, e in enumerate(events) if isinstance(e, ResponseRestarted)]
    assert len(restarts) == 3  # two retries of the agent's model, then the move to the fallback
    after = [e.text for e in events[restarts[-1]:] if isinstance(e, TextDelta)]
    assert "".join(after) == "the fallback's answer"
    done = events[-1]
    assert isinstance(done, RunDone) and done.result.models == ["deepseek-v4-pro"]


@pytest.mark.anyio
async def test_reasoning_replay_follows_the_profile_of_the_model_asked(sim: Simulator) -> None:
    spare = Simulator()
    sim.inject("503", times=None)
    spare.script(Reply(content="ok"))
    history = [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hello", "reasoning_content": "old thoughts"},
    ]
    fallbacks = [Fallback("deepseek-v3.2", client=fast_client(spare))]
    agent = Agent(model="deepseek-v4-flash", tools=[lookup], settings={"thinking": True},
                  client=fast_client(sim), fallback_models=fallbacks)
    await agent.run("again", history=history)
    # V4 with tools sends every turn's reasoning back; V3.2 drops that of earlier turns.
    tried = sim.requests[0].json
    assert tried is not None and tried["messages"][1]["reasoning_content"] == "old thoughts"
    answered = spare.requests[0].json
    assert answered is not None and answered["messages"][1] == {"role": "assistant", "content": "hello"}
    assert answered["model"] == "deepseek-v3.2" and answered["thinking"] == {"type": "enabled"}
