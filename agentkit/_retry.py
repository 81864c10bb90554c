"""When and how long to wait before retrying a failed API request.

DeepSeek answers overload with 429/500/503, empty 200 bodies and dropped connections; all of these go
away on their own, so they are retried with exponential backoff and jitter (so that many clients do
not retry in lockstep). A server's ``Retry-After`` wins over our own schedule, within a cap, so that a
bad header cannot park the agent for an hour. ``sleep`` and ``random`` are injectable so tests check
the schedule without waiting.
"""

from __future__ import annotations

import logging
import math
import random as _random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

import anyio

from ._errors import APIError, APIStatusError
from ._hooks import notify_retry

logger = logging.getLogger("agentkit")

# Gateway errors that are not documented by DeepSeek but are transient wherever they appear.
_TRANSIENT_STATUSES = frozenset({502, 504})


@dataclass
class RetryPolicy:
    """Backoff ``base_delay * 2**attempt`` (capped at ``max_delay``) times a jitter of 1..1+``jitter``."""

    max_retries: int = 2
    base_delay: float = 0.5
    max_delay: float = 8.0
    jitter: float = 0.25
    max_retry_after: float = 60.0
    """Cap on a server's ``Retry-After``."""
    sleep: Callable[[float], Awaitable[None]] = field(default=anyio.sleep, repr=False)
    random: Callable[[], float] = field(default=_random.random, repr=False)

    def should_retry(self, error: APIError, attempt: int) -> bool:
        """``attempt`` counts from 0 for the first request."""
        return attempt < self.max_retries and is_retryable(error)

    def delay(self, error: APIError, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt + 1``."""
        if error.retry_after is not None:
            return min(max(error.retry_after, 0.0), self.max_retry_after)
        backoff = min(self.base_delay * 2**attempt, self.max_delay)
        return float(backoff * (1.0 + self.jitter * self.random()))


    def start(self) -> Retries:
        """The retry state of one request: every retry loop in agentkit goes through it."""
        return Retries(self)


@dataclass
class Retries:
    """One request's retries so far. After each failure, ``delay_after(error)`` re-raises the error when
    no retry is left, and otherwise counts the retry and says how long to wait before it."""

    policy: RetryPolicy
    count: int = 0
    """Retries made (or about to be made) so far."""

    def delay_after(self, error: APIError) -> float:
        if not self.policy.should_retry(error, self.count):
            raise error
        delay = self.policy.delay(error, self.count)
        self.count += 1
        name = type(error).__name__
        logger.info("retry %d of %d in %.2fs after %s", self.count, self.policy.max_retries, delay, name)
        notify_retry(error, self.count)  # hooks see it (a retry event on the request's span)
        return delay

    async def wait_after(self, error: APIError) -> None:
        """``delay_after``, then the wait."""
        await self.policy.sleep(self.delay_after(error))


def is_retryable(error: APIError) -> bool:
    """429, 500, 503, 502, 504, connection errors, timeouts and empty bodies; never 400/401/402/422."""
    if isinstance(error, APIStatusError):
        return error.status_code in _TRANSIENT_STATUSES
    return error.retryable


def _seconds(text: str) -> float | None:
    """A finite number of seconds, or None: ``nan`` and ``inf`` parse as floats but are no delay."""
    try:
        value = float(text)
    except ValueError:
        return None
    return max(value, 0.0) if math.isfinite(value) else None


def parse_retry_after(headers: Mapping[str, str] | None, now: float | None = None) -> float | None:
    """Seconds from ``retry-after-ms``, ``Retry-After`` seconds, or ``Retry-After`` as an HTTP date;
    None (our own backoff) for a value that is none of these."""
    if not headers:
        return None
    millis = headers.get("retry-after-ms")
    seconds = None if millis is None else _seconds(millis)
    if seconds is not None:
        return seconds / 1000.0
    value = headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    seconds = _seconds(value)
    if seconds is not None:
        return seconds
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(when.timestamp() - (time.time() if now is None else now), 0.0)
