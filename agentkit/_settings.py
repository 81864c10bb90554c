"""``ModelSettings``: the request parameters a user may set, per agent and per run.

A ``TypedDict`` rather than a class, so settings are written as plain dict literals and merged with
``{**agent_settings, **run_settings}``. Keys left out are never sent: the server's defaults apply.
"""

from __future__ import annotations

from typing import Any

from typing_extensions import TypedDict

from ._wire import ChatRequest, ToolChoice


class ModelSettings(TypedDict, total=False):
    """Sampling and behaviour parameters of ``POST /chat/completions``.

    ``thinking`` is a bool here and becomes the API's ``{"type": "enabled" | "disabled"}`` object for
    profiles that have the switch; ``extra_body`` is merged into the request as is, for parameters a
    server has that this list does not.
    """

    temperature: float
    top_p: float
    max_tokens: int
    stop: str | list[str]
    frequency_penalty: float
    presence_penalty: float
    thinking: bool
    reasoning_effort: str
    tool_choice: ToolChoice
    parallel_tool_calls: bool
    logprobs: bool
    top_logprobs: int
    user_id: str
    extra_body: dict[str, Any]


_PASSTHROUGH = (
    "temperature",
    "top_p",
    "max_tokens",
    "stop",
    "frequency_penalty",
    "presence_penalty",
    "reasoning_effort",
    "tool_choice",
    "parallel_tool_calls",
    "logprobs",
    "top_logprobs",
    "user_id",
)


def merge_settings(*layers: ModelSettings | None) -> ModelSettings:
    """Later layers win key by key (agent settings, then run settings)."""
    merged: ModelSettings = {}
    for layer in layers:
        if layer:
            merged.update(layer)
    return merged


def apply_settings(request: ChatRequest, settings: ModelSettings) -> None:
    """Copy the plain parameters into ``request``; ``thinking`` and ``extra_body`` are the profile's job."""
    target: dict[str, Any] = request  # type: ignore[assignment]
    for key in _PASSTHROUGH:
        if key in settings:
            target[key] = settings[key]  # type: ignore[literal-required]
