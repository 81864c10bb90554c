from __future__ import annotations

import re
from typing import Any

import pytest
from inline_snapshot import snapshot

from agentkit._errors import RunError, UsageLimitExceeded
from agentkit._usage import RunUsage, UsageLimits, cache_split
from agentkit._wire import Usage


def test_recorded_usage_bodies_are_all_found(recorded: list[Any]) -> None:
    assert [(r.cassette, r.model, r.usage.total_tokens) for r in recorded] == snapshot(
        [
            ("test_deepseek_deferred_capability_with_thinking.yaml", "deepseek-v4-flash", 679),
            ("test_deepseek_deferred_capability_with_thinking.yaml", "deepseek-v4-flash", 954),
            ("test_deepseek_deferred_capability_with_thinking.yaml", "deepseek-v4-flash", 1037),
            ("test_deepseek_model_thinking_part.yaml", "deepseek-reasoner", 801),
            ("test_deepseek_model_thinking_stream.yaml", "deepseek-reasoner", 218),
        ]
    )


def test_sum_of_real_usage_bodies(recorded: list[Any]) -> None:
    run = RunUsage()
    for item in recorded[:3]:  # the three requests of one real agent run
        run.add(item.usage, cost=0.25)
    run.tool_calls += 2
    assert run == snapshot(
        RunUsage(
            prompt_tokens=2414,
            completion_tokens=256,
            total_tokens=2670,
            prompt_cache_hit_tokens=1408,
            prompt_cache_miss_tokens=1006,
            reasoning_tokens=111,
            requests=3,
            tool_calls=2,
            cost=0.75,
        )
    )
    assert run.prompt_tokens == run.prompt_cache_hit_tokens + run.prompt_cache_miss_tokens
    assert run.cache_hit_ratio == pytest.approx(1408 / 2414)


def test_cache_hit_ratio() -> None:
    assert RunUsage().cache_hit_ratio == 0.0
    run = RunUsage()
    run.add(Usage(prompt_tokens=1000, prompt_cache_hit_tokens=0, prompt_cache_miss_tokens=1000))
    run.add(Usage(prompt_tokens=1100, prompt_cache_hit_tokens=960, prompt_cache_miss_tokens=140))
    assert run.cache_hit_ratio == pytest.approx(960 / 2100)
    run.add(Usage(prompt_tokens=1200, prompt_cache_hit_tokens=1200, prompt_cache_miss_tokens=0))
    assert run.cache_hit_ratio == pytest.approx(2160 / 3300)


def test_servers_without_deepseek_cache_fields() -> None:
    """OpenAI-style usage (only prompt_tokens_details.cached_tokens) or none at all: tokens are never lost."""
    openai_style = Usage.model_validate(
        {"prompt_tokens": 300, "completion_tokens": 5, "total_tokens": 305,
         "prompt_tokens_details": {"cached_tokens": 256}}
    )
    assert cache_split(openai_style) == (256, 44)
    assert cache_split(Usage(prompt_tokens=40, completion_tokens=2)) == (0, 40)
    run = RunUsage()
    run.add(Usage(prompt_tokens=40, completion_tokens=2))  # total_tokens missing too
    assert (run.total_tokens, run.prompt_cache_miss_tokens) == (42, 40)


def test_the_split_is_derived_only_when_the_deepseek_fields_are_both_absent() -> None:
    even = Usage(prompt_tokens=100, prompt_cache_hit_tokens=50, prompt_cache_miss_tokens=50)
    assert cache_split(even) == (50, 50)
    assert cache_split(Usage(prompt_tokens=1)) == (0, 1)  # even one token is not free
    assert cache_split(Usage()) == (0, 0)


def test_a_request_added_without_a_cost_costs_nothing() -> None:
    run = RunUsage()
    run.add(Usage(prompt_tokens=10, completion_tokens=2, total_tokens=12))
    assert (run.requests, run.cost) == (1, 0.0)


def test_limits_pass_below_every_limit() -> None:
    limits = UsageLimits(request_limit=3, total_tokens_limit=100, prompt_tokens_limit=80,
                         completion_tokens_limit=20, cost_limit=0.01)
    limits.check_before_request(RunUsage(requests=2, total_tokens=99, prompt_tokens=79, completion_tokens=19,
                                         cost=0.0099))
    UsageLimits().check_before_request(RunUsage(requests=10**6, total_tokens=10**9, cost=1e6))


@pytest.mark.parametrize(
    ("limits", "usage", "message"),
    [
        (UsageLimits(request_limit=3), RunUsage(requests=3),
         "The next request would exceed the request_limit of 3 (3 requests made)"),
        (UsageLimits(request_limit=1), RunUsage(requests=1),
         "The next request would exceed the request_limit of 1 (1 request made)"),
        (UsageLimits(request_limit=0), RunUsage(),
         "The next request would exceed the request_limit of 0 (0 requests made)"),
        (UsageLimits(total_tokens_limit=1000), RunUsage(total_tokens=1037),
         "The next request would exceed the total_tokens_limit of 1000 (total_tokens=1037 used so far)"),
        (UsageLimits(prompt_tokens_limit=500), RunUsage(prompt_tokens=500),
         "The next request would exceed the prompt_tokens_limit of 500 (prompt_tokens=500 used so far)"),
        (UsageLimits(completion_tokens_limit=64), RunUsage(completion_tokens=80),
         "The next request would exceed the completion_tokens_limit of 64 "
         "(completion_tokens=80 used so far)"),
        (UsageLimits(cost_limit=0.05), RunUsage(cost=0.0512),
         "The next request would exceed the cost_limit of $0.05 ($0.051200 spent so far)"),
        (UsageLimits(cost_limit=0.05), RunUsage(cost=0.05),  # reaching a limit is enough
         "The next request would exceed the cost_limit of $0.05 ($0.050000 spent so far)"),
    ],
)
def test_every_limit_message(limits: UsageLimits, usage: RunUsage, message: str) -> None:
    with pytest.raises(UsageLimitExceeded, match=re.escape(message) + "$") as info:
        limits.check_before_request(usage)
    assert isinstance(info.value, RunError)
    assert info.value.messages == []  # the agent loop attaches the conversation so far


def test_request_limit_is_checked_first() -> None:
    with pytest.raises(UsageLimitExceeded, match="request_limit"):
        UsageLimits(request_limit=1, cost_limit=0.0).check_before_request(RunUsage(requests=1, cost=1.0))


@pytest.mark.parametrize("field", ["request_limit", "total_tokens_limit", "cost_limit"])
def test_negative_limits_are_rejected(field: str) -> None:
    with pytest.raises(ValueError, match=f"UsageLimits.{field} must be >= 0"):
        UsageLimits(**{field: -1})
