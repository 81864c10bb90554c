"""DeepSeek prices as data: dated price periods, each with optional daily time windows.

DeepSeek has repriced often and has twice priced by time of day (``docs/deepseek-api.md`` §10):

- 2025 (V3/R1): a daily off-peak window UTC 16:30-00:30 with 50% off ``deepseek-chat`` and 75% off
  ``deepseek-reasoner``.
- From 2026-08-16 16:00 UTC (``deepseek-flash``, ``deepseek-v4-pro``): peak UTC 01:00-04:00 and 06:00-10:00,
  Monday to Friday; every other time is off-peak at half price. DeepSeek also treats Chinese public holidays
  as off-peak; agentkit does not model holidays, so on those days it reports the peak price (an upper bound).

A request is billed at the price in force when it *completes* (DeepSeek's rule), so ``cost`` takes the
completion instant. Prices are USD per 1M tokens; reasoning tokens are billed as output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timezone

from ._usage import cache_split
from ._wire import Usage

EVERY_DAY = frozenset(range(7))
WEEKDAYS = frozenset(range(5))
"""Monday to Friday, as ``datetime.weekday()`` numbers."""


@dataclass(frozen=True)
class Price:
    """USD per 1M tokens: prompt tokens read from the context cache, prompt tokens not cached, output."""

    input_cache_hit: float
    input_cache_miss: float
    output: float

    def scaled(self, factor: float) -> Price:
        """This price times ``factor`` (0.5 = half price)."""
        return Price(self.input_cache_hit * factor, self.input_cache_miss * factor, self.output * factor)


@dataclass(frozen=True)
class Window:
    """A daily UTC time range ``[start, end)``; ``end <= start`` wraps past midnight.

    ``days`` are the weekdays (Monday = 0) on which the window *starts*, so a window opening on Friday
    evening still covers the small hours of Saturday.
    """

    start: time
    end: time
    days: frozenset[int] = EVERY_DAY

    def contains(self, when: datetime) -> bool:
        """Whether the UTC instant ``when`` falls in this window."""
        t, day = when.time(), when.weekday()
        if self.start < self.end:
            return day in self.days and self.start <= t < self.end
        return (day in self.days and t >= self.start) or ((day - 1) % 7 in self.days and t < self.end)


@dataclass(frozen=True)
class Period:
    """Prices in force from ``since`` (UTC, inclusive; ``None`` = from the beginning) until the next period.

    ``price`` applies outside the windows, ``window_price`` inside any of them.
    """

    since: datetime | None
    price: Price
    windows: tuple[Window, ...] = ()
    window_price: Price | None = None
    note: str = ""

    def __post_init__(self) -> None:
        if self.since is not None and self.since.tzinfo is None:
            raise ValueError("Period.since must be timezone-aware (UTC)")
        if self.windows and self.window_price is None:
            raise ValueError("a Period with windows needs a window_price")


@dataclass(frozen=True)
class Pricing:
    """A model's price list: periods in date order, each possibly with time-of-day windows.

    Before the first period's ``since`` the first period applies.
    """

    periods: tuple[Period, ...]
    name: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.periods:
            raise ValueError("Pricing needs at least one Period")
        starts = [p.since for p in self.periods[1:]]
        if any(s is None for s in starts) or starts != sorted(s for s in starts if s is not None):
            raise ValueError("Pricing periods must be in date order, and only the first may have since=None")

    @classmethod
    def flat(cls, price: Price, name: str = "") -> Pricing:
        """One price at all times (e.g. a self-hosted or third-party model)."""
        return cls((Period(None, price),), name=name)

    def price_at(self, when: datetime) -> Price:
        """The price in force at the instant ``when`` (timezone-aware)."""
        if when.tzinfo is None:
            raise ValueError("price_at needs a timezone-aware datetime, e.g. datetime.now(timezone.utc)")
        when = when.astimezone(timezone.utc)
        period = self.periods[0]
        for candidate in self.periods[1:]:
            if candidate.since is not None and candidate.since <= when:
                period = candidate
        if period.window_price is not None and any(w.contains(when) for w in period.windows):
            return period.window_price
        return period.price

    def cost(self, usage: Usage, completed_at: datetime) -> float:
        """USD cost of one request that completed at ``completed_at`` (DeepSeek bills at completion time)."""
        price = self.price_at(completed_at)
        hit, miss = cache_split(usage)
        output = usage.completion_tokens * price.output
        return (hit * price.input_cache_hit + miss * price.input_cache_miss + output) / 1_000_000


def _utc(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=timezone.utc)


# --------------------------------------------------------------------------- DeepSeek's price history (§10)

_OFF_PEAK_2025 = (Window(time(16, 30), time(0, 30)),)
"""UTC 16:30-00:30 every day (Beijing 00:30-08:30)."""
_PEAK_2026 = (Window(time(1), time(4), WEEKDAYS), Window(time(6), time(10), WEEKDAYS))
"""UTC 01:00-04:00 and 06:00-10:00, Monday to Friday (Chinese holidays not modelled)."""

V3_2 = Period(_utc(2025, 9, 29), Price(0.028, 0.28, 0.42), note="V3.2-Exp/V3.2: same price for both modes")
V4_FLASH = Period(_utc(2026, 4, 24), Price(0.0028, 0.14, 0.28), note="V4-Flash (May 2026 price)")
V4_PRO_STANDARD = Price(0.003625, 0.435, 0.87)
_REPRICE_2026_08 = _utc(2026, 8, 16, 16)

PRICES: dict[str, Pricing] = {
    "deepseek-chat": Pricing(
        (
            Period(None, Price(0.07, 0.27, 1.10), _OFF_PEAK_2025, Price(0.035, 0.135, 0.55),
                   note="V3; off-peak 50% off (window offered from about 2025-02-26)"),
            V3_2,
            V4_FLASH,  # served by V4-Flash in the V4 era, deprecated 2026-07-24
        ),
        name="deepseek-chat",
    ),
    "deepseek-reasoner": Pricing(
        (
            Period(None, Price(0.14, 0.55, 2.19), _OFF_PEAK_2025, Price(0.035, 0.135, 0.55),
                   note="R1; off-peak 75% off"),
            V3_2,
            V4_FLASH,
        ),
        name="deepseek-reasoner",
    ),
    "deepseek-v4-flash": Pricing((V4_FLASH,), name="deepseek-v4-flash"),
    "deepseek-v4-pro": Pricing(
        (
            Period(_utc(2026, 4, 24), V4_PRO_STANDARD.scaled(0.25),
                   note="launch promo: 75% off until 2026-05-31"),
            Period(_utc(2026, 6, 1), V4_PRO_STANDARD, note="June 2026 price"),
            Period(_REPRICE_2026_08, Price(0.022, 0.66, 1.98), _PEAK_2026, Price(0.044, 1.32, 3.96),
                   note="off-peak half the peak price"),
        ),
        name="deepseek-v4-pro",
    ),
    "deepseek-flash": Pricing(
        (
            Period(_REPRICE_2026_08, Price(0.003, 0.15, 0.60), _PEAK_2026, Price(0.006, 0.30, 1.20),
                   note="V4.1-Flash; off-peak half the peak price"),
        ),
        name="deepseek-flash",
    ),
}
"""Named price lists (by model id) that model profiles refer to, e.g. ``PRICES["deepseek-flash"]``."""
