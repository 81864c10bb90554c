"""Which model a name means, whether it thinks, and each era's reasoning_content rule.

DeepSeek changed the reasoning_content rule twice (``docs/deepseek-api.md`` §4). A server has a default era
(``Simulator(era=...)``); a model name that belongs to one era selects that era for the request:

========================  =================  ============================================
model name                era                thinking
========================  =================  ============================================
deepseek-chat             the server's era   R1: never; V3.2 and V4: ``thinking`` param, default off
deepseek-reasoner         the server's era   always
deepseek-r1 / -v3         deepseek-r1        always / never
deepseek-v3.2             deepseek-v3.2      ``thinking`` param, default off
deepseek-v4-flash, -pro,  deepseek-v4        ``thinking`` param, default **on**
deepseek-flash
========================  =================  ============================================

In V4 the old names are served by V4-Flash (the response says ``deepseek-v4-flash``) and keep their
meaning: deepseek-chat is the non-thinking mode, deepseek-reasoner the thinking mode.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, get_args

from .errors import (
    R1_REASONING_IN_INPUT,
    R1_SUCCESSIVE,
    V4_MISSING_REASONING,
    V32_MISSING_REASONING,
    bad_request,
)

Era = Literal["deepseek-r1", "deepseek-v3.2", "deepseek-v4"]
ERAS: tuple[Era, ...] = get_args(Era)
ReasoningCheck = Literal["strict", "with-tools", "off"]
"""How strictly a server checks reasoning_content passed back: every era's rule with V4's strictest
reading (default), V4 checked only in requests with tools (its current docs' letter), or not at all."""
REASONING_CHECKS: tuple[ReasoningCheck, ...] = get_args(ReasoningCheck)
Thinking = Literal["always", "never", "default-on", "default-off"]


@dataclass(frozen=True)
class ModelSpec:
    """One model as a request sees it."""

    era: Era
    served_name: str
    thinking: Thinking
    context_tokens: int
    max_tokens: int
    """Upper bound of ``max_tokens``."""
    default_max_tokens: int
    max_tokens_counts_reasoning: bool
    """R1's ``max_tokens`` bounds the answer only; V3.2 and V4 count the chain of thought too."""


_R1_CHAT = ModelSpec("deepseek-r1", "deepseek-chat", "never", 65536, 8192, 4096, False)
_R1_REASONER = ModelSpec("deepseek-r1", "deepseek-reasoner", "always", 65536, 8192, 4096, False)
_V32_CHAT = ModelSpec("deepseek-v3.2", "deepseek-chat", "default-off", 131072, 8192, 4096, True)
_V32_REASONER = ModelSpec("deepseek-v3.2", "deepseek-reasoner", "always", 131072, 65536, 32768, True)
_V4 = ModelSpec("deepseek-v4", "deepseek-v4-flash", "default-on", 1048576, 393216, 32768, True)

_OLD_NAMES: dict[Era, dict[str, ModelSpec]] = {
    "deepseek-r1": {"deepseek-chat": _R1_CHAT, "deepseek-reasoner": _R1_REASONER},
    "deepseek-v3.2": {"deepseek-chat": _V32_CHAT, "deepseek-reasoner": _V32_REASONER},
    "deepseek-v4": {
        "deepseek-chat": ModelSpec(
            "deepseek-v4", "deepseek-v4-flash", "default-off", 1048576, 393216, 32768, True
        ),
        "deepseek-reasoner": ModelSpec(
            "deepseek-v4", "deepseek-v4-flash", "always", 1048576, 393216, 32768, True
        ),
    },
}
_ERA_NAMES: dict[str, ModelSpec] = {
    "deepseek-r1": ModelSpec("deepseek-r1", "deepseek-r1", "always", 65536, 8192, 4096, False),
    "deepseek-v3": ModelSpec("deepseek-r1", "deepseek-v3", "never", 65536, 8192, 4096, False),
    "deepseek-v3.2": ModelSpec("deepseek-v3.2", "deepseek-v3.2", "default-off", 131072, 8192, 4096, True),
    "deepseek-v4-flash": _V4,
    "deepseek-v4-pro": ModelSpec(
        "deepseek-v4", "deepseek-v4-pro", "default-on", 1048576, 393216, 32768, True
    ),
    "deepseek-flash": ModelSpec("deepseek-v4", "deepseek-flash", "default-on", 1048576, 393216, 32768, True),
}


def model_ids(era: Era) -> list[str]:
    """What ``GET /models`` lists for a server of this era."""
    if era == "deepseek-v4":
        return ["deepseek-v4-flash", "deepseek-v4-pro", "deepseek-flash"]
    return ["deepseek-chat", "deepseek-reasoner"]


def resolve_model(name: str, era: Era) -> ModelSpec:
    spec = _OLD_NAMES[era].get(name) or _ERA_NAMES.get(name)
    if spec is None:
        raise bad_request("Model Not Exist")
    return spec


def thinking_on(spec: ModelSpec, request: dict[str, Any]) -> bool:
    if spec.thinking in ("always", "never"):
        return spec.thinking == "always"
    thinking = request.get("thinking")
    if thinking is not None:  # the switch wins over reasoning_effort
        return bool(thinking["type"] == "enabled")
    if spec.era == "deepseek-v4" and request.get("reasoning_effort") == "none":
        return False  # V4's create-chat-completion page: "none disables thinking mode"
    return spec.thinking == "default-on"


def _has_reasoning(message: dict[str, Any]) -> bool:
    """A message "carries" reasoning when the key holds a string (``""`` counts; ``null`` does not)."""
    return isinstance(message.get("reasoning_content"), str)


def check_reasoning(
    spec: ModelSpec, thinking: bool, request: dict[str, Any], strictness: ReasoningCheck = "strict"
) -> None:
    """Raise the era's 400 when reasoning_content is passed back wrongly (``docs/deepseek-api.md`` §4)."""
    messages: list[dict[str, Any]] = request["messages"]
    if spec.era == "deepseek-r1":
        if any(_has_reasoning(m) for m in messages):
            raise bad_request(R1_REASONING_IN_INPUT)
        if thinking:
            _check_interleaved(messages)
        return
    if not thinking:
        return
    if spec.era == "deepseek-v3.2":
        last_user = max((i for i, m in enumerate(messages) if m["role"] == "user"), default=-1)
        for index in range(last_user + 1, len(messages)):
            message = messages[index]
            if message["role"] == "assistant" and message.get("tool_calls") and not _has_reasoning(message):
                raise bad_request(V32_MISSING_REASONING.format(index=index))
        return
    # V4: with tools, every assistant message's reasoning is part of the context and must come back.
    # Without tools, the first V4 text still wants the reasoning of every turn that made tool calls, and
    # a bisect (EverMind-AI/Raven #297) got the 400 for such a message without the key.
    tools = bool(request.get("tools"))
    if not tools and strictness == "with-tools":
        return
    for message in messages:
        if message["role"] != "assistant" or message.get("prefix") or _has_reasoning(message):
            continue
        if tools or message.get("tool_calls"):
            raise bad_request(V4_MISSING_REASONING)


def _check_interleaved(messages: list[dict[str, Any]]) -> None:
    previous: tuple[int, str] | None = None
    for index, message in enumerate(messages):
        role = message["role"]
        if role not in ("user", "assistant"):
            continue
        if previous is not None and previous[1] == role:
            raise bad_request(R1_SUCCESSIVE.format(a=previous[0], b=index))
        previous = (index, role)
