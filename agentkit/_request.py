"""Building each ``/chat/completions`` request of a run from the profile, the settings and history.

Everything that does not change during a run (model, tools, parameters, thinking switch, JSON mode) is
checked and assembled once into a base; each request then only adds ``messages``, rebuilt through the
profile's reasoning policy. The same objects are reused request after request, so the unchanged prefix
serialises to the same bytes and DeepSeek's context cache hits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ._errors import UserError
from ._profiles import Profile
from ._replay import ReasoningReplay, request_messages, resolve
from ._settings import ModelSettings, apply_settings
from ._wire import ChatRequest, ToolDefinition


@dataclass(frozen=True)
class RequestPlan:
    """The fixed part of a run's requests."""

    model: str
    base: dict[str, Any]
    """Every request field except ``model`` and ``messages``."""
    policy: ReasoningReplay
    thinking: bool

    @classmethod
    def build(
        cls,
        model: str,
        profile: Profile,
        settings: ModelSettings,
        tools: Sequence[ToolDefinition],
        *,
        json_mode: bool = False,
    ) -> RequestPlan:
        check_settings(model, profile, settings)
        thinking = profile.thinks(model, settings.get("thinking"))
        base: dict[str, Any] = {}
        if tools:
            base["tools"] = list(tools)
        apply_settings(base, settings)  # type: ignore[arg-type]
        if "thinking" in settings:
            base["thinking"] = {"type": "enabled" if settings["thinking"] else "disabled"}
        if json_mode:
            base["response_format"] = {"type": "json_object"}
        base.update(settings.get("extra_body") or {})
        return cls(model, base, resolve(profile.reasoning_replay), thinking)

    def request(
        self, history: Sequence[dict[str, Any]], *, overrides: dict[str, Any] | None = None
    ) -> ChatRequest:
        """The request for ``history``; ``overrides`` replace base fields (e.g. ``tool_choice``)."""
        base = {**self.base, **overrides} if overrides else self.base
        messages = request_messages(history, self.policy, has_tools="tools" in base, thinking=self.thinking)
        request: dict[str, Any] = {"model": self.model, "messages": messages}
        request.update(base)
        return request  # type: ignore[return-value]


def check_settings(model: str, profile: Profile, settings: ModelSettings) -> None:
    """Refuse, before any request, what the profile says the API would answer with an error."""
    if "thinking" in settings and not profile.thinking_param:
        raise UserError(f"the {profile.name} profile has no thinking switch; remove settings['thinking']")
    thinking = profile.thinks(model, settings.get("thinking"))
    off = " in thinking mode; turn thinking off with settings={'thinking': False}"
    if thinking:
        for key in sorted(profile.thinking_rejects & settings.keys()):
            raise UserError(f"{model} ({profile.name}) rejects {key!r}{off}")
        choice = settings.get("tool_choice")
        allowed = profile.thinking_tool_choices
        if choice is not None and allowed is not None and not (isinstance(choice, str) and choice in allowed):
            raise UserError(
                f"{model} ({profile.name}) accepts only tool_choice {sorted(allowed)}{off}, got {choice!r}"
            )
    limit = profile.output_limit(thinking)
    max_tokens = settings.get("max_tokens")
    if limit is not None and max_tokens is not None and max_tokens > limit:
        raise UserError(f"max_tokens={max_tokens} is above {model}'s limit of {limit} ({profile.name})")
