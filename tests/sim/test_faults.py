"""Fault injection, per server and per request, in process and through uvicorn."""

from __future__ import annotations

import json

import httpx
import pytest
from sim_helpers import WEATHER, sse_payloads, user

from agentkit.sim import SIM_API_KEY, Fault, Reply, Simulator

pytestmark = pytest.mark.anyio

BODY = {"model": "deepseek-v4-flash", "messages": [user("Hi")]}
STREAM = {**BODY, "stream": True}


@pytest.mark.parametrize(
    ("spec", "status", "message"),
    [
        ("429", 429, "Rate Limit Reached"),
        ("500", 500, "Server Error"),
        ("503", 503, "Server Overloaded"),
        ("402", 402, "Insufficient Balance"),
    ],
)
async def test_status_faults_per_request(
    http: httpx.AsyncClient, spec: str, status: int, message: str
) -> None:
    response = await http.post("/chat/completions", json=BODY, headers={"X-Sim-Fault": spec})
    assert response.status_code == status
    assert response.json()["error"]["message"] == message
    assert (await http.post("/chat/completions", json=BODY)).status_code == 200


async def test_429_carries_retry_after(http: httpx.AsyncClient) -> None:
    response = await http.post("/chat/completions", json=BODY, headers={"X-Sim-Fault": "429;retry_after=2.5"})
    assert response.headers["retry-after"] == "2.5"
    assert response.json()["error"]["type"] == "rate_limit_error"


async def test_server_faults_apply_to_the_next_requests(sim: Simulator, http: httpx.AsyncClient) -> None:
    sim.inject("503", times=2)
    sim.inject(Fault("429"), times=None)
    statuses = [(await http.post("/chat/completions", json=BODY)).status_code for _ in range(3)]
    assert statuses == [503, 503, 429]
    sim.clear_faults()
    assert (await http.post("/chat/completions", json=BODY)).status_code == 200
    assert len(sim.requests) == 4


async def test_faults_injected_one_after_another_queue(sim: Simulator, http: httpx.AsyncClient) -> None:
    """Two injections fail two requests in a row (the second used to be used up unseen with the first);
    the faults of one spec still act together on one request."""
    sim.inject("503")
    sim.inject("429")
    sim.inject("latency;seconds=0.01, 500")
    statuses = [(await http.post("/chat/completions", json=BODY)).status_code for _ in range(4)]
    assert statuses == [503, 429, 500, 200]


async def test_admin_endpoint_arms_and_clears_faults(http: httpx.AsyncClient) -> None:
    assert (await http.post("/_sim/faults", json={"fault": "500", "times": 1})).status_code == 200
    assert (await http.post("/chat/completions", json=BODY)).status_code == 500
    await http.post("/_sim/faults", json={"fault": "503", "times": None})
    await http.delete("/_sim/faults")
    assert (await http.post("/chat/completions", json=BODY)).status_code == 200
    bad = await http.post("/_sim/faults", json={"fault": "meteor"})
    assert bad.status_code == 400 and "Unknown fault 'meteor'" in bad.json()["error"]["message"]


async def test_keepalive_comments_before_the_stream(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/chat/completions", json=STREAM, headers={"X-Sim-Fault": "keepalive;seconds=0.05;interval=0.01"}
    )
    lines = response.text.split("\n\n")
    keepalives = [line for line in lines if line == ": keep-alive"]
    assert len(keepalives) >= 2
    assert lines[: len(keepalives)] == keepalives
    assert sse_payloads(response.text)[-1] == "[DONE]"


async def test_keepalive_blank_lines_before_a_plain_body(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/chat/completions", json=BODY, headers={"X-Sim-Fault": "keepalive;seconds=0.02"}
    )
    assert response.text.startswith("\n") and response.text.lstrip("\n").startswith("{")
    assert response.json()["object"] == "chat.completion"


async def test_drop_mid_stream(http: httpx.AsyncClient) -> None:
    received: list[str] = []
    with pytest.raises(httpx.RemoteProtocolError, match="incomplete chunked read"):
        async with http.stream(
            "POST", "/chat/completions", json=STREAM, headers={"X-Sim-Fault": "drop;after=2"}
        ) as r:
            async for line in r.aiter_lines():
                received.append(line)
    assert len([line for line in received if line.startswith("data: ")]) == 2


async def test_drop_mid_body(http: httpx.AsyncClient) -> None:
    with pytest.raises(httpx.RemoteProtocolError):
        await http.post("/chat/completions", json=BODY, headers={"X-Sim-Fault": "drop"})


async def test_stall_ends_without_done(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/chat/completions", json=STREAM, headers={"X-Sim-Fault": "stall;after=3;seconds=0.01"}
    )
    payloads = sse_payloads(response.text)
    assert len(payloads) == 3 and "[DONE]" not in payloads
    assert all(p["choices"][0]["finish_reason"] is None for p in payloads)


async def test_empty_body(http: httpx.AsyncClient) -> None:
    response = await http.post("/chat/completions", json=BODY, headers={"X-Sim-Fault": "empty-body"})
    assert response.status_code == 200 and response.content == b""


async def test_latency_then_normal_answer(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/chat/completions", json=BODY, headers={"X-Sim-Fault": "latency;seconds=0.01"}
    )
    assert response.status_code == 200


async def test_tool_argument_faults(sim: Simulator, http: httpx.AsyncClient) -> None:
    body = {**BODY, "messages": [user("Weather in Paris?")], "tools": [WEATHER]}
    truncated = (
        await http.post("/chat/completions", json=body, headers={"X-Sim-Fault": "truncated-args"})
    ).json()
    arguments = truncated["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"]
    assert truncated["choices"][0]["finish_reason"] == "length"
    with pytest.raises(json.JSONDecodeError):
        json.loads(arguments)
    invalid = (
        await http.post("/chat/completions", json=body, headers={"X-Sim-Fault": "invalid-args"})
    ).json()
    assert invalid["choices"][0]["finish_reason"] == "tool_calls"
    with pytest.raises(json.JSONDecodeError):
        json.loads(invalid["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"])


async def test_insufficient_system_resource(sim: Simulator, http: httpx.AsyncClient) -> None:
    sim.script(Reply(content="A long answer that will be interrupted half way."))
    response = await http.post(
        "/chat/completions",
        json={**STREAM, "thinking": {"type": "disabled"}},
        headers={"X-Sim-Fault": "insufficient-system-resource"},
    )
    payloads = sse_payloads(response.text)
    assert payloads[-2]["choices"][0]["finish_reason"] == "insufficient_system_resource"
    text = "".join(p["choices"][0]["delta"].get("content") or "" for p in payloads[:-1])
    assert text == "A long answer that will be"[: len(text)] and 0 < len(text) < 30


async def test_keepalive_arrives_before_the_answer_over_uvicorn(served: tuple[Simulator, str]) -> None:
    _, base_url = served
    headers = {"Authorization": f"Bearer {SIM_API_KEY}", "X-Sim-Fault": "keepalive;seconds=0.3;interval=0.1"}
    async with (
        httpx.AsyncClient(base_url=base_url, headers=headers) as client,
        client.stream("POST", "/chat/completions", json=STREAM) as response,
    ):
        lines = [line async for line in response.aiter_lines() if line]
    assert lines[0] == ": keep-alive"
    assert lines[-1] == "data: [DONE]"


async def test_drop_over_uvicorn_is_a_protocol_error(served: tuple[Simulator, str]) -> None:
    _, base_url = served
    headers = {"Authorization": f"Bearer {SIM_API_KEY}", "X-Sim-Fault": "drop;after=1"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            async with client.stream("POST", "/chat/completions", json=STREAM) as response:
                async for _ in response.aiter_lines():
                    pass
