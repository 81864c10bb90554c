"""Usage summed over a run, and the limits checked before each request.

Field names are the API's own (``prompt_tokens``, ``prompt_cache_hit_tokens``...), so what a user reads in
``result.usage`` matches DeepSeek's docs and invoices.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from ._errors import UsageLimitExceeded
from ._wire import Usage


def cache_split(usage: Usage) -> tuple[int, int]:
    """``(hit, miss)`` prompt tokens of one request.

    DeepSeek reports ``prompt_cache_hit_tokens``/``prompt_cache_miss_tokens``; other OpenAI-compatible servers
    report only ``prompt_tokens_details.cached_tokens`` (or nothing). When the DeepSeek fields are both
    absent, the split is derived from the others, so a missing field never makes input tokens free.
    """
    hit, miss = usage.prompt_cache_hit_tokens, usage.prompt_cache_miss_tokens
    if hit + miss == 0 and usage.prompt_tokens > 0:
        details = usage.prompt_tokens_details
        hit = min(details.cached_tokens, usage.prompt_tokens) if details else 0
        miss = usage.prompt_tokens - hit
    return hit, miss


@dataclass
class RunUsage:
    """Usage summed over a run's requests, plus its request and tool-call counts and its cost in USD.

    The totals include the runs of agents used as tools (``Agent.as_tool``), each counted once;
    ``agents`` shows their share apart, by tool name (nested for their own sub-agents).
    """

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    prompt_cache_hit_tokens: int = 0
    prompt_cache_miss_tokens: int = 0
    reasoning_tokens: int = 0
    requests: int = 0
    tool_calls: int = 0
    cost: float = 0.0
    agents: dict[str, RunUsage] = field(default_factory=dict)
    """The usage of sub-agents (``Agent.as_tool``) by tool name; already part of the totals."""

    def add(self, usage: Usage, *, cost: float = 0.0) -> None:
        """Add one request's usage (and its cost); counts the request."""
        hit, miss = cache_split(usage)
        self.prompt_tokens += usage.prompt_tokens
        self.completion_tokens += usage.completion_tokens
        self.total_tokens += usage.total_tokens or usage.prompt_tokens + usage.completion_tokens
        self.prompt_cache_hit_tokens += hit
        self.prompt_cache_miss_tokens += miss
        self.reasoning_tokens += usage.reasoning_tokens
        self.requests += 1
        self.cost += cost

    def include(self, name: str, other: RunUsage) -> None:
        """Add a sub-agent run's usage to the totals and to ``agents[name]``."""
        _add_numbers(self, other)
        _merge(self.agents.setdefault(name, RunUsage()), other)

    @property
    def cache_hit_ratio(self) -> float:
        """Share of prompt tokens read from DeepSeek's context cache (0.0 when nothing was sent)."""
        seen = self.prompt_cache_hit_tokens + self.prompt_cache_miss_tokens
        return self.prompt_cache_hit_tokens / seen if seen else 0.0


_NUMBERS = tuple(f.name for f in fields(RunUsage) if f.name != "agents")


def _add_numbers(into: RunUsage, other: RunUsage) -> None:
    for number in _NUMBERS:
        setattr(into, number, getattr(into, number) + getattr(other, number))


def _merge(into: RunUsage, other: RunUsage) -> None:
    """``into += other``, breakdown included."""
    _add_numbers(into, other)
    for name, usage in other.agents.items():
        _merge(into.agents.setdefault(name, RunUsage()), usage)


@dataclass(frozen=True)
class UsageLimits:
    """Limits on a run, checked before each request so that a run stops before it spends, not after.

    A token or cost limit is reached when the usage so far is at or above it: any further request would
    add to it. ``None`` means no limit.
    """

    request_limit: int | None = None
    total_tokens_limit: int | None = None
    prompt_tokens_limit: int | None = None
    completion_tokens_limit: int | None = None
    cost_limit: float | None = None

    def __post_init__(self) -> None:
        for name in ("request_limit", "total_tokens_limit", "prompt_tokens_limit", "completion_tokens_limit",
                     "cost_limit"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"UsageLimits.{name} must be >= 0 or None, got {value!r}")

    def check_before_request(self, usage: RunUsage) -> None:
        """Raise ``UsageLimitExceeded`` if the next request would go over a limit."""
        if self.request_limit is not None and usage.requests >= self.request_limit:
            raise UsageLimitExceeded(
                f"The next request would exceed the request_limit of {self.request_limit} "
                f"({usage.requests} {'request' if usage.requests == 1 else 'requests'} made)"
            )
        for name, used in (
            ("total_tokens", usage.total_tokens),
            ("prompt_tokens", usage.prompt_tokens),
            ("completion_tokens", usage.completion_tokens),
        ):
            limit: int | None = getattr(self, f"{name}_limit")
            if limit is not None and used >= limit:
                raise UsageLimitExceeded(
                    f"The next request would exceed the {name}_limit of {limit} ({name}={used} used so far)"
                )
        if self.cost_limit is not None and usage.cost >= self.cost_limit:
            raise UsageLimitExceeded(
                f"The next request would exceed the cost_limit of ${self.cost_limit:g} "
                f"(${usage.cost:.6f} spent so far)"
            )
