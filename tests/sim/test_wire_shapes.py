"""The simulator's bodies have the real server's keys and chunk structure (tests/data/cassettes)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import yaml
from sim_helpers import CASSETTES, sse_payloads, user

from agentkit._wire import ChatCompletion, ChatCompletionChunk
from agentkit.sim import Reply, Simulator
from agentkit.sim.render import pieces

pytestmark = pytest.mark.anyio


def cassette(name: str) -> list[dict[str, Any]]:
    interactions: list[dict[str, Any]] = yaml.safe_load((CASSETTES / name).read_text())["interactions"]
    return interactions


def phases(chunks: list[Any]) -> list[str]:
    """The stream's structure with runs collapsed: role, reasoning, content, tool, final, done."""
    names: list[str] = []
    for chunk in chunks:
        if chunk == "[DONE]":
            name = "done"
        else:
            choice = chunk["choices"][0]
            delta = choice["delta"]
            if choice["finish_reason"]:
                name = "final"
            elif "role" in delta:
                name = "role"
            elif delta.get("tool_calls"):
                name = "tool"
            elif delta.get("reasoning_content") is not None:
                name = "reasoning"
            else:
                name = "content"
        if not names or names[-1] != name:
            names.append(name)
    return names


def delta_keys(chunks: list[Any], phase: str) -> set[tuple[str, ...]]:
    return {tuple(c["choices"][0]["delta"]) for c in chunks if c != "[DONE]" and phases([c]) == [phase]}


async def test_stream_matches_the_recorded_reasoner_stream() -> None:
    real_interaction = cassette("test_deepseek_model_thinking_stream.yaml")[0]
    real = sse_payloads(real_interaction["response"]["body"]["string"])
    sim = Simulator(era="deepseek-r1")
    async with sim.http_client() as client:
        response = await client.post("/chat/completions", json=real_interaction["request"]["parsed_body"])
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    ours = sse_payloads(response.text)

    assert phases(ours) == phases(real) == ["role", "reasoning", "content", "final", "done"]
    for phase in ("role", "reasoning", "content", "final"):
        assert delta_keys(ours, phase) == delta_keys(real, phase), phase
    assert ours[0]["choices"][0]["delta"] == real[0]["choices"][0]["delta"]
    assert (
        ours[-2]["choices"][0]["delta"]
        == real[-2]["choices"][0]["delta"]
        == {
            "content": "",
            "reasoning_content": None,
        }
    )
    for mine, theirs in ((ours[0], real[0]), (ours[1], real[1]), (ours[-2], real[-2])):
        assert list(mine) == list(theirs)
        assert list(mine["choices"][0]) == list(theirs["choices"][0])
    assert list(ours[-2]["usage"]) == list(real[-2]["usage"])
    assert all(c["usage"] is None for c in ours[:-2]) and all(c["usage"] is None for c in real[:-2])
    assert len({c["id"] for c in ours[:-1]}) == 1
    for chunk in ours[:-1]:
        ChatCompletionChunk.model_validate(chunk)


async def test_without_include_usage_only_the_final_chunk_has_usage(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/chat/completions", json={"model": "deepseek-chat", "messages": [user("Hi")], "stream": True}
    )
    chunks = sse_payloads(response.text)
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert all("usage" not in c for c in chunks[:-2])
    assert chunks[-2]["usage"]["total_tokens"] > 0
    assert "completion_tokens_details" not in chunks[-2]["usage"]


async def test_non_stream_matches_the_recorded_reasoner_response() -> None:
    real_interaction = cassette("test_deepseek_model_thinking_part.yaml")[0]
    real = real_interaction["response"]["parsed_body"]
    sim = Simulator(era="deepseek-r1")
    async with sim.http_client() as client:
        response = await client.post("/chat/completions", json=real_interaction["request"]["parsed_body"])
    ours = response.json()
    assert set(ours) == set(real)
    assert set(ours["choices"][0]) == set(real["choices"][0])
    assert set(ours["choices"][0]["message"]) == set(real["choices"][0]["message"])
    assert set(ours["usage"]) == set(real["usage"])
    assert ours["model"] == "deepseek-reasoner"
    ChatCompletion.model_validate(ours)


async def test_recorded_v4_tool_traffic_is_accepted_and_answered_in_the_same_shape() -> None:
    """The three real requests (reasoning echoed, '' on an injected call) pass the V4 rules unchanged."""
    sim = Simulator(era="deepseek-v4")
    interactions = cassette("test_deepseek_deferred_capability_with_thinking.yaml")
    sim.script(
        Reply(
            content="Let me load it.", reasoning="r", tool_calls=[("load_capability", {"id": "DICE_ROLL"})]
        ),
        Reply(content="Rolling.", reasoning="r", tool_calls=[("get_player_name", {}), ("roll_dice", {})]),
        Reply(content="You win, Anne!", reasoning="r"),
    )
    async with sim.http_client() as client:
        for interaction in interactions:
            response = await client.post("/chat/completions", json=interaction["request"]["parsed_body"])
            assert response.status_code == 200, response.text
            ours, real = response.json(), interaction["response"]["parsed_body"]
            assert ours["model"] == real["model"] == "deepseek-v4-flash"
            assert set(ours) == set(real)
            assert set(ours["choices"][0]["message"]) == set(real["choices"][0]["message"])
            assert ours["choices"][0]["finish_reason"] == real["choices"][0]["finish_reason"]
            for mine, theirs in zip(
                ours["choices"][0]["message"].get("tool_calls", []),
                real["choices"][0]["message"].get("tool_calls", []),
                strict=True,
            ):
                assert set(mine) == set(theirs)
                assert mine["id"][:8] == theirs["id"][:8] and len(mine["id"]) == len(theirs["id"])


async def test_streamed_tool_calls_fragment_like_the_real_server(
    sim: Simulator, http: httpx.AsyncClient
) -> None:
    sim.script(
        Reply(
            content="Checking.",
            reasoning="Need data.",
            tool_calls=[("get_weather", {"city": "Berlin"}), ("get_time", '{"timezone":"CET"}')],
        )
    )
    response = await http.post(
        "/chat/completions",
        json={
            "model": "deepseek-v4-flash",
            "messages": [user("x")],
            "stream": True,
            "stream_options": {"include_usage": True},
        },
    )
    chunks = sse_payloads(response.text)
    assert phases(chunks) == ["role", "reasoning", "content", "tool", "final", "done"]
    fragments = [c["choices"][0]["delta"]["tool_calls"][0] for c in chunks if phases([c]) == ["tool"]]
    firsts = [f for f in fragments if "id" in f]
    assert [f["function"]["name"] for f in firsts] == ["get_weather", "get_time"]
    assert all(f["function"]["arguments"] == "" and f["type"] == "function" for f in firsts)
    assert all(
        set(f) == {"index", "function"} and set(f["function"]) == {"arguments"}
        for f in fragments
        if "id" not in f
    )
    joined = {i: "".join(f["function"]["arguments"] for f in fragments if f["index"] == i) for i in (0, 1)}
    assert joined == {0: '{"city": "Berlin"}', 1: '{"timezone":"CET"}'}
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"
    assert firsts[0]["id"].startswith("call_00_") and firsts[1]["id"].startswith("call_01_")


@pytest.mark.parametrize(
    "text", ["Hello, world!  How are you?\n", "你好，世界。我们需要查询天气", "a\n\n  b", ""]
)
def test_pieces_rejoin_to_the_text(text: str) -> None:
    assert "".join(pieces(text)) == text
