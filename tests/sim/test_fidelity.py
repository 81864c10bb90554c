"""Fidelity round 2: what real traffic and threads show, each with its evidence."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sim_helpers import WEATHER, chat, sse_payloads, user

from agentkit.sim import Simulator
from agentkit.sim.errors import V4_MISSING_REASONING

pytestmark = pytest.mark.anyio

CALL = {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}}
TOOL_TURN = [
    user("Weather in Paris?"),
    {"role": "assistant", "content": None, "tool_calls": [CALL]},  # no reasoning_content key
    {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
    {"role": "assistant", "content": "Sunny.", "reasoning_content": "r"},
    user("Thanks. A joke?"),
]


async def test_ids_are_fresh_unless_a_seed_is_asked_for() -> None:
    """The real API issues a new id per response (every cassette's ids differ); identical requests must not
    get identical ids. ``Simulator(seed=...)`` gives the same sequence on every run."""
    body: dict[str, Any] = {
        "model": "deepseek-chat",
        "messages": [user("Weather in Paris?")],
        "tools": [WEATHER],
    }

    async def ids(sim: Simulator) -> list[str]:
        async with sim.http_client() as client:
            bodies = [(await client.post("/chat/completions", json=body)).json() for _ in range(2)]
        return [b["id"] for b in bodies] + [b["choices"][0]["message"]["tool_calls"][0]["id"] for b in bodies]

    fresh = await ids(Simulator())
    assert fresh[0] != fresh[1] and fresh[2] != fresh[3]
    assert fresh[2].startswith("call_00_") and len(fresh[2]) == len("call_00_") + 24
    assert await ids(Simulator(seed=7)) == await ids(Simulator(seed=7))
    assert await ids(Simulator(seed=7)) != await ids(Simulator(seed=8))


async def test_v4_checks_tool_call_reasoning_without_tools_by_default() -> None:
    """EverMind-AI/Raven #297: a tool-call message without the key gives the 400 even with ``tools`` dropped;
    the first V4 text says so. ``reasoning_check="with-tools"`` is the current docs' letter (no check
    without tools), ``"off"`` a server that checks nothing."""
    answers = {}
    for check in ("strict", "with-tools", "off"):
        async with Simulator(reasoning_check=check).http_client() as client:  # type: ignore[arg-type]
            answers[check] = await chat(client, messages=TOOL_TURN)
    assert answers["strict"].status_code == 400
    assert answers["strict"].json()["error"]["message"] == V4_MISSING_REASONING
    assert answers["with-tools"].status_code == 200 and answers["off"].status_code == 200
    fixed = [dict(m, reasoning_content="") if m.get("tool_calls") else m for m in TOOL_TURN]
    async with Simulator().http_client() as client:
        # answers without tool calls need nothing in a request without tools
        assert (await chat(client, messages=fixed)).status_code == 200
        # with tools, every assistant message needs it (the V4 docs): the plain answer lacks it here
        plain_answer = [*fixed[:3], {"role": "assistant", "content": "Sunny."}, fixed[4]]
        assert (await chat(client, messages=plain_answer, tools=[WEATHER])).status_code == 400


async def test_429_has_no_retry_after_unless_the_fault_asks() -> None:
    """DeepSeek documents no Retry-After header (error codes page); clients must back off on their own."""
    async with Simulator().http_client() as client:
        plain = await chat(client, messages=[user("x")], model="deepseek-chat")
        assert plain.status_code == 200
        bare = await client.post(
            "/chat/completions",
            json={"model": "deepseek-chat", "messages": [user("x")]},
            headers={"X-Sim-Fault": "429"},
        )
        asked = await client.post(
            "/chat/completions",
            json={"model": "deepseek-chat", "messages": [user("x")]},
            headers={"X-Sim-Fault": "429;retry_after=2"},
        )
    assert bare.status_code == 429 and "retry-after" not in bare.headers
    assert asked.headers["retry-after"] == "2"


async def test_logprobs_in_chat_stream_and_fim() -> None:
    """``logprobs``/``top_logprobs`` give entries per token (create-chat-completion page; V4 adds
    ``reasoning_content`` ones, vercel/ai #19379); FIM takes an integer ``logprobs`` (create-completion)."""
    async with Simulator().http_client() as client:
        plain = await chat(
            client, model="deepseek-chat", messages=[user("Hello")], logprobs=True, top_logprobs=3
        )
        entries = plain.json()["choices"][0]["logprobs"]["content"]
        assert "".join(e["token"] for e in entries) == plain.json()["choices"][0]["message"]["content"]
        assert all(
            len(e["top_logprobs"]) == 3 and e["top_logprobs"][0]["token"] == e["token"] for e in entries
        )
        assert all(e["logprob"] <= 0 and e["bytes"] == list(e["token"].encode()) for e in entries)
        thinking = await chat(client, messages=[user("Hello")], logprobs=True)
        logprobs = thinking.json()["choices"][0]["logprobs"]
        assert logprobs["reasoning_content"] and logprobs["content"]
        stream = await chat(
            client, model="deepseek-chat", messages=[user("Hello")], logprobs=True, stream=True
        )
        chunks = [p for p in sse_payloads(stream.text) if isinstance(p, dict)]
        streamed = [
            e for c in chunks if c["choices"][0]["logprobs"] for e in c["choices"][0]["logprobs"]["content"]
        ]
        assert "".join(e["token"] for e in streamed) == "".join(
            c["choices"][0]["delta"].get("content") or "" for c in chunks
        )
        fim = await client.post(
            "/beta/completions", json={"model": "deepseek-chat", "prompt": "def f(a):", "logprobs": 2}
        )
    data = fim.json()["choices"][0]["logprobs"]
    assert "".join(data["tokens"]) == fim.json()["choices"][0]["text"]
    assert len(data["token_logprobs"]) == len(data["tokens"]) == len(data["text_offset"])
    assert all(len(top) == 2 for top in data["top_logprobs"])


async def test_thinking_mode_refuses_logprobs_before_v4() -> None:
    """R1 and V3.2 thinking mode refuse logprobs (reasoning_model guide); the wording is the R1-era one for
    parameters it refused (deepseek-ai/DeepSeek-R1 #7: ``does not support the parameter `temperature```)."""
    for era in ("deepseek-r1", "deepseek-v3.2"):
        async with Simulator(era=era).http_client() as client:  # type: ignore[arg-type]
            response = await chat(client, model="deepseek-reasoner", messages=[user("x")], logprobs=True)
        assert response.status_code == 400
        assert (
            response.json()["error"]["message"]
            == "deepseek-reasoner does not support the parameter `logprobs`"
        )


async def test_r1_json_output_text() -> None:
    """gomate-community/TrustRAG #140 (2025-03): ``deepseek-reasoner does not support Json Output.``"""
    async with Simulator(era="deepseek-r1").http_client() as client:
        response = await chat(
            client,
            model="deepseek-reasoner",
            messages=[user("json please")],
            response_format={"type": "json_object"},
        )
    assert response.json()["error"]["message"] == "deepseek-reasoner does not support Json Output."


async def test_reasoning_effort_none_turns_v4_thinking_off() -> None:
    """V4's create-chat-completion page: ``none`` disables thinking mode; the ``thinking`` switch wins."""
    async with Simulator().http_client() as client:
        off = await chat(client, messages=[user("x")], reasoning_effort="none")
        switch = await chat(
            client, messages=[user("x")], reasoning_effort="none", thinking={"type": "enabled"}
        )
    assert "reasoning_content" not in off.json()["choices"][0]["message"]
    assert "reasoning_content" in switch.json()["choices"][0]["message"]


async def test_fim_usage_and_r1_fingerprint_match_recordings(http: httpx.AsyncClient) -> None:
    """FIM usage has no completion_tokens_details (create-completion); the R1-era fingerprint is the one
    recorded in test_deepseek_model_thinking_stream."""
    fim = await http.post("/beta/completions", json={"model": "deepseek-chat", "prompt": "def f(a):"})
    assert "completion_tokens_details" not in fim.json()["usage"]
    async with Simulator(era="deepseek-r1").http_client() as client:
        r1 = await chat(client, model="deepseek-reasoner", messages=[user("x")])
    assert r1.json()["system_fingerprint"] == "fp_393bca965e_prod0623_fp8_kvcache"
