"""Each profile against the simulator's era rules, multi-turn, with and without tools; byte-stable
prefixes; cache hits over a 10-turn tool session."""

from __future__ import annotations

import json
from typing import Any

import pytest
from inline_snapshot import snapshot

from agentkit import Agent, SQLiteSession, tool
from agentkit.sim import SIM_API_KEY, Reply, Simulator

from .conftest import assert_every_call_answered


@tool
def get_weather(city: str) -> str:
    """Get the current weather for a city.

    Args:
        city: City name.
    """
    return f"{city}: sunny"


PROMPTS = ["Weather in Paris?", "Weather in Lima?", "Weather in Oslo?"]


def agent_for(sim: Simulator, model: str, profile: str, tools: bool) -> Agent:
    return Agent(
        model=model,
        profile=profile,
        tools=[get_weather] if tools else [],
        instructions="You are a helpful assistant.",
        http_client=sim.http_client(),
        base_url="http://sim",
        api_key=SIM_API_KEY,
    )


def sent_reasoning(body: dict[str, Any]) -> list[bool]:
    """For each assistant message of a request: does it carry reasoning_content?"""
    return [isinstance(m.get("reasoning_content"), str) for m in body["messages"] if m["role"] == "assistant"]


def after_last_user(body: dict[str, Any]) -> list[bool]:
    messages = body["messages"]
    last_user = max(i for i, m in enumerate(messages) if m["role"] == "user")
    return [i > last_user for i, m in enumerate(messages) if m["role"] == "assistant"]


async def converse(agent: Agent, turns: list[str]) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    for prompt in turns:
        messages = (await agent.run(prompt, history=messages)).messages
        assert_every_call_answered(messages)
    return messages


@pytest.mark.anyio
@pytest.mark.parametrize("model", ["deepseek-v4-flash", "deepseek-reasoner"])
async def test_v4_with_tools_sends_all_reasoning(model: str) -> None:
    sim = Simulator(era="deepseek-v4")
    sim.script(Reply(tool_calls=[("get_weather", {"city": "Paris"})]))  # no reasoning: the server sends ""
    messages = await converse(agent_for(sim, model, "deepseek-v4", tools=True), PROMPTS)
    assert all("reasoning_content" in m for m in messages if m["role"] == "assistant")
    bodies = [r.json for r in sim.requests]
    assert len(bodies) == 6
    for body in bodies:
        assert body is not None
        assert all(sent_reasoning(body))
    # an empty reasoning_content is a value: kept in history and sent back as "" in every later request
    assert messages[2]["reasoning_content"] == ""
    assert all(b["messages"][2]["reasoning_content"] == "" for b in bodies[1:] if b)


def tool_turn(message: dict[str, Any]) -> bool:
    return message["role"] == "assistant" and bool(message.get("tool_calls"))


@pytest.mark.anyio
async def test_v4_tool_less_agent_keeps_the_reasoning_of_tool_turns_it_continues() -> None:
    """A tool-less agent continuing a tool-using agent's history. V4's first text says the reasoning of a
    turn that made tool calls goes back in all later turns, and a bisect (EverMind-AI/Raven #297) got a
    400 for a tool-call message without the key with ``tools`` dropped: the simulator enforces that by
    default, so every request here would fail if the key were missing."""
    sim = Simulator(era="deepseek-v4")
    sim.script(Reply(tool_calls=[("get_weather", {"city": "Paris"})]))  # no reasoning: history keeps ""
    history = await converse(agent_for(sim, "deepseek-v4-flash", "deepseek-v4", tools=True), PROMPTS[:1])
    plain = agent_for(sim, "deepseek-v4-flash", "deepseek-v4", tools=False)
    for prompt in ["Tell me a joke.", "Another one."]:
        history = (await plain.run(prompt, history=history)).messages
    assert all("reasoning_content" in m for m in history if m["role"] == "assistant")
    for recorded in sim.requests[2:]:
        body = recorded.json
        assert body is not None and "tools" not in body
        sent = [
            (tool_turn(m), m.get("reasoning_content")) for m in body["messages"] if m["role"] == "assistant"
        ]
        # the tool-call turn carries its (empty) reasoning; answers without tool calls carry none
        assert sent[0] == (True, "")
        assert all(reasoning is None for is_tool, reasoning in sent[1:] if not is_tool)


@pytest.mark.anyio
async def test_v4_tool_using_agent_sends_all_reasoning_of_a_tool_less_history() -> None:
    """The reverse: a tool-using agent continuing a tool-less agent's history sends every assistant
    message's reasoning, ``""`` where there was none (the V4 docs' rule with ``tools``)."""
    sim = Simulator(era="deepseek-v4")
    plain = agent_for(sim, "deepseek-v4-flash", "deepseek-v4", tools=False)
    history = await converse(plain, ["Tell me a joke."])
    history[-1] = {k: v for k, v in history[-1].items() if k != "reasoning_content"}  # a session without it
    tooled = agent_for(sim, "deepseek-v4-flash", "deepseek-v4", tools=True)
    history = await converse_from(tooled, history, PROMPTS[:1])
    body = sim.requests[1].json
    assert body is not None and "tools" in body
    assert [m.get("reasoning_content") for m in body["messages"] if m["role"] == "assistant"] == [""]
    assert all(all(sent_reasoning(r.json)) for r in sim.requests[1:] if r.json)
    assert_every_call_answered(history)


async def converse_from(
    agent: Agent, history: list[dict[str, Any]], turns: list[str]
) -> list[dict[str, Any]]:
    for prompt in turns:
        history = (await agent.run(prompt, history=history)).messages
    return history


@pytest.mark.anyio
@pytest.mark.parametrize("tools", [True, False])
async def test_v3_2_sends_reasoning_only_in_the_current_tool_loop(tools: bool) -> None:
    sim = Simulator(era="deepseek-v3.2")
    await converse(agent_for(sim, "deepseek-reasoner", "deepseek-v3.2", tools=tools), PROMPTS)
    assert len(sim.requests) == (6 if tools else 3)
    for recorded in sim.requests:
        body = recorded.json
        assert body is not None
        assert sent_reasoning(body) == after_last_user(body)
    if tools:
        assert any(any(sent_reasoning(r.json)) for r in sim.requests if r.json)


@pytest.mark.anyio
@pytest.mark.parametrize(("model", "tools"), [("deepseek-reasoner", False), ("deepseek-chat", True)])
async def test_r1_never_sends_reasoning(model: str, tools: bool) -> None:
    sim = Simulator(era="deepseek-r1")
    messages = await converse(agent_for(sim, model, "deepseek-r1", tools=tools), PROMPTS)
    if model == "deepseek-reasoner":
        assert all(isinstance(m.get("reasoning_content"), str) for m in messages if m["role"] == "assistant")
    for recorded in sim.requests:
        assert b"reasoning_content" not in recorded.body


@pytest.mark.anyio
async def test_openai_compatible_never_sends_reasoning() -> None:
    sim = Simulator(era="deepseek-v4", reasoning_check="off")  # a server that does not enforce the rule
    messages = await converse(agent_for(sim, "deepseek-v4-flash", "openai-compatible", tools=True), PROMPTS)
    assert any("reasoning_content" in m for m in messages)
    for recorded in sim.requests:
        assert b"reasoning_content" not in recorded.body


@pytest.mark.anyio
async def test_v4_strict_server_rejects_what_openai_compatible_sends() -> None:
    """The era rule is real: the same conversation without reasoning fails on a strict V4 server."""
    from agentkit import BadRequestError

    sim = Simulator(era="deepseek-v4")
    agent = agent_for(sim, "deepseek-v4-flash", "openai-compatible", tools=True)
    with pytest.raises(BadRequestError, match="reasoning_content") as caught:
        await agent.run(PROMPTS[0])
    assert caught.value.messages[-1]["role"] == "tool"  # the error carries the conversation so far
    assert_every_call_answered(caught.value.messages)


# --------------------------------------------------------------------------- byte-stable prefixes


def split_messages(raw: bytes) -> tuple[str, str]:
    """(the exact text of the "messages" array, the body's text without it)."""
    text = raw.decode()
    start = text.index('"messages":') + len('"messages":')
    _, length = json.JSONDecoder().raw_decode(text[start:])
    return text[start : start + length], text[:start] + text[start + length :]


@pytest.mark.anyio
async def test_v4_tool_session_keeps_every_earlier_byte() -> None:
    sim = Simulator(era="deepseek-v4")
    await converse(agent_for(sim, "deepseek-v4-flash", "deepseek-v4", tools=True), PROMPTS)
    previous_messages, previous_rest = split_messages(sim.requests[0].body)
    for recorded in sim.requests[1:]:
        messages, rest = split_messages(recorded.body)
        assert messages.startswith(previous_messages[:-1] + ","), "an earlier message changed"
        assert rest == previous_rest, "tools or parameters changed"
        previous_messages, previous_rest = messages, rest


@pytest.mark.anyio
async def test_v3_2_tool_loop_keeps_its_bytes_within_a_turn() -> None:
    sim = Simulator(era="deepseek-v3.2")
    sim_agent = agent_for(sim, "deepseek-reasoner", "deepseek-v3.2", tools=True)
    await converse(sim_agent, PROMPTS[:2])
    first, second = split_messages(sim.requests[0].body)[0], split_messages(sim.requests[1].body)[0]
    assert second.startswith(first[:-1] + ",")
    third = split_messages(sim.requests[2].body)[0]  # a new user turn: reasoning dropped, by the API's rule
    assert not third.startswith(second[:-1] + ",")


@pytest.mark.anyio
async def test_ten_turn_tool_session_hits_the_cache() -> None:
    sim = Simulator(era="deepseek-v4")
    agent = agent_for(sim, "deepseek-v4-flash", "deepseek-v4", tools=True)
    agent.instructions = "You are a careful weather assistant. " * 60
    cities = ["Paris", "Lima", "Oslo", "Cairo", "Tokyo", "Quito", "Dakar", "Perth", "Hanoi", "Lagos"]
    messages: list[dict[str, Any]] = []
    hit = miss = 0
    for turn, city in enumerate(cities):
        result = await agent.run(f"Weather in {city}?", history=messages)
        messages = result.messages
        assert result.usage.tool_calls == 1
        if turn >= 1:
            hit += result.usage.prompt_cache_hit_tokens
            miss += result.usage.prompt_cache_miss_tokens
    assert hit / (hit + miss) >= 0.9, (hit, miss)
    print(f"cache hit ratio from turn 2: {hit / (hit + miss):.3f}")


@pytest.mark.anyio
async def test_a_session_continued_by_chat_reasoner_and_chat_again(tmp_path: Any) -> None:
    """One SQLite session, reloaded by each run, continued by deepseek-reasoner (thinking) with tools,
    deepseek-chat (not thinking) and deepseek-reasoner without tools, then deepseek-chat with tools: what
    each request sends back of the reasoning the session kept, per assistant message ("-": no key)."""
    sim = Simulator(era="deepseek-v4")
    session = SQLiteSession(tmp_path / "chat.sqlite3", session_id="mixed")

    def run(model: str, tools: bool, prompt: str, *replies: Reply) -> Any:
        sim.script(*replies)
        return agent_for(sim, model, "deepseek-v4", tools).run(prompt, session=session)

    paris = Reply(reasoning="r1", tool_calls=[("get_weather", {"city": "Paris"})])
    await run("deepseek-reasoner", True, PROMPTS[0], paris, Reply(reasoning="r2", content="Sunny."))
    await run("deepseek-chat", False, "Thanks!", Reply(content="You're welcome."))
    await run("deepseek-reasoner", False, "A joke?", Reply(reasoning="r3", content="No."))
    lima = Reply(tool_calls=[("get_weather", {"city": "Lima"})])
    await run("deepseek-chat", True, PROMPTS[1], lima, Reply(content="Sunny too."))
    sent = [
        (
            body["model"],
            "tools" in body,
            [m.get("reasoning_content", "-") for m in body["messages"] if m["role"] == "assistant"],
        )
        for body in (r.json for r in sim.requests)
        if body is not None
    ]
    # thinking with tools: all; not thinking, no tools: none; thinking, no tools: the tool-call turn's;
    # with tools, thinking or not: all, "" where the session has none
    assert sent == snapshot(
        [
            ("deepseek-reasoner", True, []),
            ("deepseek-reasoner", True, ["r1"]),
            ("deepseek-chat", False, ["-", "-"]),
            ("deepseek-reasoner", False, ["r1", "-", "-"]),
            ("deepseek-chat", True, ["r1", "r2", "", "r3"]),
            ("deepseek-chat", True, ["r1", "r2", "", "r3", ""]),
        ]
    )
    saved = await session.load()
    assert [m.get("reasoning_content", "-") for m in saved if m["role"] == "assistant"] == snapshot(
        ["r1", "r2", "-", "r3", "-", "-"]
    )
