"""Model profiles: what agentkit must know about a model family, as declarative data.

DeepSeek changed its reasoning rule twice (``docs/deepseek-api.md`` §4), so each era is a profile, and the
loop reads the profile instead of branching on model names. A profile says how reasoning is sent back,
how thinking is switched, what thinking mode rejects, the model's limits and its prices. Define your
own with ``Profile(...)`` or ``dataclasses.replace(get_profile("deepseek-v4"), name="mine", ...)`` and
pass it as ``Agent(profile=...)``, or ``register_profile`` it to use it by name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from ._pricing import PRICES, Pricing
from ._replay import ReasoningReplay, ReplayRule


@dataclass(frozen=True)
class Profile:
    """One model family's rules. Every field is data; the agent loop interprets them."""

    name: str
    reasoning_replay: ReplayRule | ReasoningReplay = "never"
    """Which assistant messages send their ``reasoning_content`` back (see ``agentkit._replay``)."""
    thinking_param: bool = False
    """The API has the ``thinking: {"type": "enabled" | "disabled"}`` switch."""
    thinking_default: bool = False
    """Thinking is on when the request does not say (V4: on)."""
    thinking_models: frozenset[str] = frozenset()
    """Model ids that always think, whatever the switch says (``deepseek-reasoner``)."""
    thinking_defaults: Mapping[str, bool] = field(default_factory=dict)
    """Model ids whose default differs from ``thinking_default`` (V4 serves ``deepseek-chat`` without it)."""
    thinking_rejects: frozenset[str] = frozenset()
    """Request parameters that thinking mode answers with an error."""
    thinking_tool_choices: frozenset[str] | None = None
    """The ``tool_choice`` values thinking mode accepts (``None``: any)."""
    context_length: int | None = None
    max_output_tokens: int | None = None
    """Largest ``max_tokens`` accepted (without thinking, when ``max_output_tokens_thinking`` differs)."""
    max_output_tokens_thinking: int | None = None
    json_mode: bool = True
    """``response_format={"type": "json_object"}`` is available."""
    prefix_completion: bool = True
    """Chat prefix completion (``/beta``) is available, used to continue answers cut at ``max_tokens``."""
    max_tools: int = 128
    pricing: Mapping[str, Pricing] = field(default_factory=dict)
    """Price lists by model id; a model that is not listed costs 0 (self-hosted, unknown)."""

    def thinks(self, model: str, thinking: bool | None) -> bool:
        """Whether a request to ``model`` with ``thinking`` (None: not set) runs in thinking mode."""
        if model in self.thinking_models:
            return True
        if thinking is None:
            return self.thinking_defaults.get(model, self.thinking_default)
        return thinking

    def output_limit(self, thinking: bool) -> int | None:
        if thinking and self.max_output_tokens_thinking is not None:
            return self.max_output_tokens_thinking
        return self.max_output_tokens

    def pricing_for(self, model: str) -> Pricing | None:
        return self.pricing.get(model)


_THINKING_REJECTS = frozenset({"logprobs", "top_logprobs"})

DEEPSEEK_V4 = Profile(
    name="deepseek-v4",
    reasoning_replay="all-with-tools",
    thinking_param=True,
    thinking_default=True,
    thinking_models=frozenset({"deepseek-reasoner"}),
    thinking_defaults={"deepseek-chat": False},
    thinking_rejects=_THINKING_REJECTS,
    thinking_tool_choices=frozenset({"none", "auto"}),
    context_length=1_000_000,
    max_output_tokens=384_000,
    pricing=PRICES,
)
"""Today's official API (deepseek-v4-flash/-pro, deepseek-flash, and deepseek-chat/-reasoner it serves)."""

DEEPSEEK_V3_2 = replace(
    DEEPSEEK_V4,
    name="deepseek-v3.2",
    reasoning_replay="current-turn",
    thinking_default=False,
    thinking_defaults={},
    context_length=128_000,
    max_output_tokens=8_192,
    max_output_tokens_thinking=65_536,
)
"""DeepSeek V3.2 (2025-12 to 2026-04), or V3.2 served elsewhere: the same thinking switch as V4, with
its own reasoning rule, default and limits."""

DEEPSEEK_R1 = Profile(
    name="deepseek-r1",
    reasoning_replay="never",
    thinking_param=False,
    thinking_models=frozenset({"deepseek-reasoner"}),
    thinking_rejects=_THINKING_REJECTS,
    context_length=64_000,
    max_output_tokens=8_192,
    json_mode=False,
    pricing=PRICES,
)
"""R1 era (2025): deepseek-reasoner = R1, which rejects reasoning sent back; R1 served elsewhere."""

OPENAI_COMPATIBLE = Profile(
    name="openai-compatible",
    reasoning_replay="never",
    prefix_completion=False,
)
"""Any other OpenAI-compatible server (OpenAI, vLLM, Ollama, llama.cpp): standard fields only."""

PROFILES: dict[str, Profile] = {
    p.name: p for p in (DEEPSEEK_V4, DEEPSEEK_V3_2, DEEPSEEK_R1, OPENAI_COMPATIBLE)
}


def register_profile(profile: Profile) -> None:
    """Make ``profile`` available by its name to ``get_profile`` and ``Agent(profile="name")``."""
    PROFILES[profile.name] = profile


def get_profile(name_or_model: str | Profile) -> Profile:
    """The profile with that name, else the one for that model name.

    DeepSeek's own model ids (``deepseek-*``) get ``deepseek-v4``, the API that serves them today;
    names of open-weight releases served elsewhere (``deepseek-r1:7b``, ``deepseek-ai/DeepSeek-V3.2``)
    get their era's profile; anything else gets ``openai-compatible``.
    """
    if isinstance(name_or_model, Profile):
        return name_or_model
    if name_or_model in PROFILES:
        return PROFILES[name_or_model]
    model = name_or_model.lower().rsplit("/", 1)[-1]
    if "deepseek" in model and "r1" in model:
        return DEEPSEEK_R1
    if "deepseek" in model and "v3.2" in model:
        return DEEPSEEK_V3_2
    if model.startswith("deepseek-") and "/" not in name_or_model and ":" not in model:
        return DEEPSEEK_V4
    return OPENAI_COMPATIBLE
