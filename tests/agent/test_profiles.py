"""Profiles as data and the reasoning replay policy, without a server."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timezone
from typing import Any

import pytest
from inline_snapshot import snapshot

from agentkit import Profile, UserError, get_profile
from agentkit._profiles import register_profile
from agentkit._replay import ReplayContext, request_messages, resolve
from agentkit._request import RequestPlan
from agentkit._wire import Usage

TOOL_TURN = {
    "role": "assistant",
    "content": None,
    "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}],
}
HISTORY: list[dict[str, Any]] = [
    {"role": "user", "content": "one"},
    {**TOOL_TURN, "reasoning_content": "r1"},
    {"role": "tool", "content": "x", "tool_call_id": "c1"},
    {"role": "assistant", "content": "done"},  # no reasoning key at all
    {"role": "user", "content": "two"},
    {"role": "assistant", "content": None, "reasoning_content": "", "tool_calls": TOOL_TURN["tool_calls"]},
    {"role": "tool", "content": "y", "tool_call_id": "c1"},
]


def reasoning_sent(profile: str, *, tools: bool) -> list[str | None]:
    policy = resolve(get_profile(profile).reasoning_replay)
    out = request_messages(HISTORY, policy, has_tools=tools, thinking=True)
    return [m.get("reasoning_content") for m in out if m["role"] == "assistant"]


def test_model_names_choose_profiles() -> None:
    names = [
        "deepseek-chat",
        "deepseek-reasoner",
        "deepseek-v4-flash",
        "deepseek-v4-pro",
        "deepseek-flash",
        "deepseek-r1:7b",
        "deepseek-ai/DeepSeek-R1",
        "deepseek-ai/DeepSeek-V3.2",
        "gpt-4o",
        "qwen3:8b",
    ]
    assert {n: get_profile(n).name for n in names} == snapshot(
        {
            "deepseek-chat": "deepseek-v4",
            "deepseek-reasoner": "deepseek-v4",
            "deepseek-v4-flash": "deepseek-v4",
            "deepseek-v4-pro": "deepseek-v4",
            "deepseek-flash": "deepseek-v4",
            "deepseek-r1:7b": "deepseek-r1",
            "deepseek-ai/DeepSeek-R1": "deepseek-r1",
            "deepseek-ai/DeepSeek-V3.2": "deepseek-v3.2",
            "gpt-4o": "openai-compatible",
            "qwen3:8b": "openai-compatible",
        }
    )
    assert get_profile("deepseek-v3.2").name == "deepseek-v3.2"


def test_replay_rules_per_era() -> None:
    # V4 with tools: every assistant message, "" where it had none, "" kept as ""
    assert reasoning_sent("deepseek-v4", tools=True) == ["r1", "", ""]
    # V4 without tools: the tool-call turns keep theirs ("" where absent), the plain answer drops it
    assert reasoning_sent("deepseek-v4", tools=False) == ["r1", None, ""]
    # V3.2: only the current user turn's tool loop
    assert reasoning_sent("deepseek-v3.2", tools=True) == [None, None, ""]
    assert reasoning_sent("deepseek-r1", tools=True) == [None, None, None]
    assert reasoning_sent("openai-compatible", tools=True) == [None, None, None]


def test_replay_keeps_objects_and_key_order() -> None:
    policy = resolve("all-with-tools")
    out = request_messages(HISTORY, policy, has_tools=True, thinking=True)
    assert out[1] is HISTORY[1] and out[5] is HISTORY[5]  # unchanged messages are passed through
    assert list(out[3]) == ["role", "content", "reasoning_content"]
    assert "reasoning_content" not in HISTORY[3]  # history itself is never changed
    dropped = request_messages(HISTORY, resolve("never"), has_tools=True, thinking=True)
    assert list(dropped[1]) == ["role", "content", "tool_calls"]
    again = request_messages(HISTORY, policy, has_tools=True, thinking=True)
    assert json.dumps(again) == json.dumps(out)


def test_replay_onto_a_message_without_content_puts_the_reasoning_last() -> None:
    """OpenAI-compatible servers let a tool-calling assistant message leave ``content`` out."""
    message = {"role": "assistant", "tool_calls": TOOL_TURN["tool_calls"]}
    (out,) = request_messages([message], resolve("all-with-tools"), has_tools=True, thinking=True)
    assert list(out.items()) == [
        ("role", "assistant"), ("tool_calls", TOOL_TURN["tool_calls"]), ("reasoning_content", "")
    ]


def test_user_defined_profile_and_policy() -> None:
    def only_tool_turns(ctx: ReplayContext) -> bool:
        return bool(ctx.message.get("tool_calls"))

    mine = dataclasses.replace(get_profile("deepseek-v4"), name="mine", reasoning_replay=only_tool_turns)
    register_profile(mine)
    assert get_profile("mine") is mine
    assert reasoning_sent("mine", tools=False) == ["r1", None, ""]
    assert Profile(name="bare").pricing_for("x") is None


def test_profile_prices_and_limits() -> None:
    v4 = get_profile("deepseek-v4")
    pricing = v4.pricing_for("deepseek-v4-flash")
    assert pricing is not None
    usage = Usage(prompt_tokens=1_000_000, completion_tokens=0, prompt_cache_hit_tokens=1_000_000)
    assert pricing.cost(usage, datetime(2026, 6, 1, tzinfo=timezone.utc)) == pytest.approx(0.0028)
    assert v4.thinks("deepseek-v4-flash", None) and not v4.thinks("deepseek-chat", None)
    assert v4.thinks("deepseek-reasoner", False)
    v32 = get_profile("deepseek-v3.2")
    assert (v32.output_limit(False), v32.output_limit(True)) == (8192, 65536)


def test_request_plan_shapes_the_request() -> None:
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
    plan = RequestPlan.build(
        "deepseek-v4-flash",
        get_profile("deepseek-v4"),
        {"thinking": False, "temperature": 0.2, "tool_choice": "required", "extra_body": {"user_id": "u1"}},
        tools,  # type: ignore[arg-type]
    )
    request = plan.request([{"role": "user", "content": "hi"}])
    assert list(request) == [
        "model",
        "messages",
        "tools",
        "temperature",
        "tool_choice",
        "thinking",
        "user_id",
    ]
    assert request == snapshot(
        {
            "model": "deepseek-v4-flash",
            "messages": [{"role": "user", "content": "hi"}],
            "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
            "temperature": 0.2,
            "tool_choice": "required",
            "thinking": {"type": "disabled"},
            "user_id": "u1",
        }
    )
    with pytest.raises(UserError, match="no thinking switch"):
        RequestPlan.build("deepseek-reasoner", get_profile("deepseek-r1"), {"thinking": True}, [])
