"""Transient faults on the wire (429, 500, 503, timeouts, drops, keep-alives, empty bodies), end to end
over loopback: each run, streamed or not, completes with the right answer or raises a typed error, and
the messages and the session on disk stay consistent."""

from __future__ import annotations

import time
from email.utils import formatdate
from typing import Any

import pytest
from fault_rig import Canned, Rig

from agentkit._errors import (
    APIConnectionError,
    APITimeoutError,
    RateLimitError,
    ServerError,
    ServerOverloadedError,
)
from agentkit._tool import tool
from agentkit.sim import Reply

pytestmark = pytest.mark.anyio

ran: list[tuple[int, int]] = []


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    ran.append((a, b))
    return a + b


ANSWER = "1 + 2 is 3, as the tool computed."
RATE_LIMITED = b'{"error":{"message":"Rate Limit Reached","type":"rate_limit_error","param":null}}'


def model(request: dict[str, Any]) -> Reply:
    """Calls the tool for a question, answers once the tool did: the same reply for a retried request
    (a failed request may already have taken its reply from the simulator's script)."""
    if request["messages"][-1]["role"] == "user":
        return Reply(tool_calls=[("add", {"a": 1, "b": 2})])
    return Reply(content=ANSWER)


def script(rig: Rig) -> None:
    ran.clear()
    rig.sim.script(*[model] * 20)


async def completes(rig: Rig, stream: bool, *, requests: int | None = None, **client: Any) -> None:
    agent = rig.agent(tools=[add], client=rig.client(**client))
    outcome = await rig.run(agent, "What is 1 + 2?", stream=stream)
    assert outcome.error is None, repr(outcome.error)
    assert outcome.output == ANSWER
    assert [m["role"] for m in outcome.messages] == ["user", "assistant", "tool", "assistant"]
    assert ran == [(1, 2)], "the tool ran again (a retry repeated a finished step) or never"
    if requests is not None:
        assert rig.gate.count == requests
    await rig.check(outcome, tools=[add])


@pytest.mark.parametrize("spec", ["500", "503", "429;retry_after=0", "empty-body"])
@pytest.mark.parametrize("at", [0, 1], ids=["first-request", "after-a-tool-step"])
async def test_one_transient_error_is_retried(rig: Rig, stream: bool, spec: str, at: int) -> None:
    script(rig)
    rig.gate.fault_at[at] = spec
    await completes(rig, stream, requests=3)
    assert len(rig.delays) == 1


@pytest.mark.parametrize(
    ("spec", "error"), [("500", ServerError), ("503", ServerOverloadedError), ("429", RateLimitError)]
)
async def test_persistent_errors_raise_typed_after_the_retry_budget(
    rig: Rig, stream: bool, spec: str, error: type[Exception]
) -> None:
    script(rig)
    for n in range(1, 5):
        rig.gate.fault_at[n] = spec
    agent = rig.agent(tools=[add], client=rig.client(max_retries=3))
    outcome = await rig.run(agent, "What is 1 + 2?", stream=stream)
    assert isinstance(outcome.error, error)
    assert error.remedy in str(outcome.error)  # type: ignore[attr-defined]
    assert rig.gate.count == 5  # the tool step, then 1 + 3 retries
    assert [m["role"] for m in outcome.messages] == ["user", "assistant", "tool"]
    await rig.check(outcome, tools=[add])


async def test_retry_after_in_seconds_is_honoured(rig: Rig, stream: bool) -> None:
    script(rig)
    rig.gate.fault_at[1] = "429;retry_after=2.5"
    await completes(rig, stream)
    assert rig.delays == [2.5]


async def test_retry_after_as_an_http_date_is_honoured(rig: Rig, stream: bool) -> None:
    script(rig)
    date = formatdate(time.time() + 30, usegmt=True)
    rig.gate.canned_at[0] = Canned(429, RATE_LIMITED, {"Retry-After": date})
    await completes(rig, stream)
    (delay,) = rig.delays
    assert 27 <= delay <= 31, delay


async def test_429_without_retry_after_backs_off(rig: Rig, stream: bool) -> None:
    script(rig)
    rig.gate.canned_at[0] = Canned(429, RATE_LIMITED)
    rig.gate.canned_at[1] = Canned(429, RATE_LIMITED)
    await completes(rig, stream)
    first, second = rig.delays
    assert 0.01 <= first <= 0.0125 and 0.02 <= second <= 0.025  # base 0.01, doubling, jitter 25%


async def test_a_slow_response_times_out_and_is_retried(rig: Rig, stream: bool) -> None:
    script(rig)
    rig.gate.fault_at[1] = "latency;seconds=0.8"
    await completes(rig, stream, requests=3, timeout=0.25, stream_idle_timeout=0.25)


async def test_a_server_that_stays_slow_raises_a_timeout(rig: Rig, stream: bool) -> None:
    script(rig)
    for n in range(1, 4):
        rig.gate.fault_at[n] = "latency;seconds=0.6"
    client = rig.client(max_retries=2, timeout=0.2, stream_idle_timeout=0.2)
    outcome = await rig.run(rig.agent(tools=[add], client=client), "What is 1 + 2?", stream=stream)
    assert isinstance(outcome.error, APITimeoutError)
    assert [m["role"] for m in outcome.messages] == ["user", "assistant", "tool"]
    await rig.check(outcome, tools=[add])


async def test_a_stream_that_stalls_before_its_first_chunk_is_retried(rig: Rig) -> None:
    script(rig)
    rig.gate.fault_at[1] = "stall;after=0;seconds=0.6"
    await completes(rig, True, stream_idle_timeout=0.2)


async def test_a_stream_that_stalls_midway_is_asked_again(rig: Rig) -> None:
    """After chunks reached the caller the agent restarts the response (a ResponseRestarted event)."""
    script(rig)
    rig.gate.fault_at[1] = "stall;after=3;seconds=0.6"
    await completes(rig, True, requests=3, stream_idle_timeout=0.2)
    assert len(rig.delays) == 1


async def test_long_keepalive_phases_are_not_idle(rig: Rig, stream: bool) -> None:
    """Keep-alives for longer than the idle/read timeout: each one proves the server is alive."""
    script(rig)
    rig.gate.fault_at[0] = "keepalive;seconds=0.9;interval=0.1"
    rig.gate.fault_at[1] = "keepalive;seconds=0.9;interval=0.1"
    await completes(rig, stream, timeout=0.4, stream_idle_timeout=0.4)
    assert rig.delays == []


async def test_a_plain_body_after_blank_keepalive_lines(rig: Rig) -> None:
    script(rig)
    rig.gate.fault_at[1] = "keepalive;seconds=0.2;interval=0.02"
    await completes(rig, False)
    assert rig.delays == []


async def test_a_connection_dropped_before_the_stream_is_retried(rig: Rig, stream: bool) -> None:
    script(rig)
    rig.gate.fault_at[1] = "drop;after=0"
    await completes(rig, stream, requests=3)


async def test_a_body_dropped_midway_is_retried(rig: Rig) -> None:
    script(rig)
    rig.gate.fault_at[1] = "drop;after=3"
    await completes(rig, False, requests=3)


@pytest.mark.parametrize("at", [0, 1], ids=["in-the-tool-call-response", "in-the-answer"])
async def test_a_stream_dropped_midway_is_asked_again(rig: Rig, at: int) -> None:
    """Nothing of the broken response is stored and no tool runs twice: the response is restarted."""
    script(rig)
    rig.gate.fault_at[at] = "drop;after=4"
    await completes(rig, True, requests=3)


async def test_an_unreachable_server_raises_a_connection_error(rig: Rig, stream: bool) -> None:
    client = rig.client(max_retries=1)
    client.base_url = "http://127.0.0.1:9"  # discard port: nothing listens
    outcome = await rig.run(rig.agent(tools=[add], client=client), "What is 1 + 2?", stream=stream)
    assert isinstance(outcome.error, APIConnectionError)
    assert "check the network and DEEPSEEK_BASE_URL" in str(outcome.error)
    assert len(rig.delays) == 1
    await rig.check(outcome, tools=[add])
