"""Which assistant messages carry their ``reasoning_content`` back to the API.

DeepSeek changed this rule twice (``docs/deepseek-api.md`` §4), so it is a tiny policy named by the model
profile and applied each time a request is built. History itself (``result.messages``) always keeps the
reasoning, so a later run, or a run on another profile, can decide again.

A policy is a function ``(ReplayContext) -> bool``: ``True`` sends the message's reasoning back (``""``
where it had none: DeepSeek V4 answers 400 when the key is missing, and an empty string is a value, not
an absence), ``False`` leaves the key out. Pass your own as ``Profile(reasoning_replay=...)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, cast

if TYPE_CHECKING:
    from ._wire import AssistantMessage, Message

ReplayRule = Literal["never", "current-turn", "all-with-tools"]


@dataclass(frozen=True)
class ReplayContext:
    """What a policy may look at for one assistant message of the request being built."""

    message: Mapping[str, Any]
    index: int
    """Position of the message in the request's ``messages``."""
    current_turn: bool
    """The message comes after the last user message: it belongs to the tool loop in progress."""
    has_tools: bool
    """The request carries ``tools``."""
    thinking: bool
    """Thinking mode is on for this request."""


ReasoningReplay = Callable[[ReplayContext], bool]


def never(ctx: ReplayContext) -> bool:
    """R1 (400 when reasoning is sent back) and servers that do not know the field."""
    return False


def current_turn(ctx: ReplayContext) -> bool:
    """V3.2: needed inside the current user turn's tool loop, ignored (so dropped) before it."""
    return ctx.current_turn


def all_with_tools(ctx: ReplayContext) -> bool:
    """V4: with ``tools`` every assistant message carries it. Without ``tools``, in thinking mode, every
    turn that made tool calls still does: V4 answers 400 for a tool-call message without the key even in
    a request without tools (a tool-less agent continuing a tool-using agent's history); the reasoning of
    the other turns is ignored there, so it is dropped."""
    return ctx.has_tools or (ctx.thinking and bool(ctx.message.get("tool_calls")))


RULES: dict[str, ReasoningReplay] = {
    "never": never,
    "current-turn": current_turn,
    "all-with-tools": all_with_tools,
}


def resolve(rule: ReplayRule | ReasoningReplay) -> ReasoningReplay:
    """A rule name from a profile, or the user's own function."""
    return RULES[rule] if isinstance(rule, str) else rule


def request_messages(
    history: Sequence[Message], policy: ReasoningReplay, *, has_tools: bool, thinking: bool
) -> list[Message]:
    """The ``messages`` to send: history as is, except for reasoning, which follows ``policy``.

    Messages that need no change are passed through as the same objects, and changed ones are rebuilt
    with a fixed key order, so the same history serialises to the same bytes on every request.
    """
    last_user = -1
    for i in range(len(history) - 1, -1, -1):
        if history[i].get("role") == "user":
            last_user = i
            break
    out: list[Message] = []
    for i, message in enumerate(history):
        if message["role"] != "assistant":
            out.append(message)
            continue
        ctx = ReplayContext(message, i, i > last_user, has_tools, thinking)
        reasoning = message.get("reasoning_content")
        if policy(ctx):
            out.append(message if isinstance(reasoning, str) else with_reasoning(message, ""))
        elif "reasoning_content" in message:
            without = {k: v for k, v in message.items() if k != "reasoning_content"}
            out.append(cast("AssistantMessage", without))
        else:
            out.append(message)
    return out


def with_reasoning(message: AssistantMessage, reasoning: str) -> AssistantMessage:
    """``message`` with ``reasoning_content`` set, placed right after ``content`` as the API returns it."""
    out: dict[str, Any] = {}
    for key, value in message.items():
        if key == "reasoning_content":
            continue
        out[key] = value
        if key == "content":
            out["reasoning_content"] = reasoning
    out.setdefault("reasoning_content", reasoning)
    return cast("AssistantMessage", out)


__all__ = [
    "RULES",
    "ReasoningReplay",
    "ReplayContext",
    "ReplayRule",
    "all_with_tools",
    "current_turn",
    "never",
    "request_messages",
    "resolve",
    "with_reasoning",
]
