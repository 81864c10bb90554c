from __future__ import annotations

import re
import time as time_module
from datetime import datetime, time, timedelta, timezone
from typing import Any

import pytest

from agentkit import _pricing
from agentkit._pricing import PRICES, WEEKDAYS, Period, Price, Pricing, Window
from agentkit._wire import Usage

UTC = timezone.utc
BEIJING = timezone(timedelta(hours=8))
Prices = tuple[float, float, float]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# 2026-08-17 is a Monday; 2026-08-22 a Saturday.
FLASH_PEAK = Price(0.006, 0.30, 1.20)
FLASH_OFF = Price(0.003, 0.15, 0.60)


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        ("2026-08-17T00:59:59", FLASH_OFF),
        ("2026-08-17T01:00:00", FLASH_PEAK),  # window start is inclusive
        ("2026-08-17T03:59:59.999999", FLASH_PEAK),
        ("2026-08-17T04:00:00", FLASH_OFF),  # window end is exclusive
        ("2026-08-17T05:30:00", FLASH_OFF),  # the gap between the two peak windows
        ("2026-08-17T06:00:00", FLASH_PEAK),
        ("2026-08-17T09:59:59", FLASH_PEAK),
        ("2026-08-17T10:00:00", FLASH_OFF),
        ("2026-08-17T20:00:00", FLASH_OFF),
        ("2026-08-21T09:00:00", FLASH_PEAK),  # Friday
        ("2026-08-22T09:00:00", FLASH_OFF),  # Saturday: off-peak all day
        ("2026-08-23T02:00:00", FLASH_OFF),  # Sunday
    ],
)
def test_deepseek_flash_peak_windows(instant: str, expected: Price) -> None:
    assert PRICES["deepseek-flash"].price_at(at(instant)) == expected


def test_v4_pro_peak_and_off_peak_and_its_earlier_flat_prices() -> None:
    pro = PRICES["deepseek-v4-pro"]
    assert pro.price_at(at("2026-09-01T07:00")) == Price(0.044, 1.32, 3.96)  # Tuesday, peak
    assert pro.price_at(at("2026-09-01T12:00")) == Price(0.022, 0.66, 1.98)
    assert pro.price_at(at("2026-06-15T07:00")) == Price(0.003625, 0.435, 0.87)  # June 2026: flat
    assert pro.price_at(at("2026-06-15T12:00")) == Price(0.003625, 0.435, 0.87)
    promo = pro.price_at(at("2026-05-20T07:00"))
    assert promo.input_cache_miss == pytest.approx(0.435 / 4)


def test_reprice_instant_2026_08_16_1600_utc() -> None:
    pro = PRICES["deepseek-v4-pro"]
    assert pro.price_at(at("2026-08-16T15:59:59")) == Price(0.003625, 0.435, 0.87)
    assert pro.price_at(at("2026-08-16T16:00:00")) == Price(0.022, 0.66, 1.98)  # a Sunday: off-peak


@pytest.mark.parametrize(
    ("instant", "chat", "reasoner"),
    [
        ("2025-04-22T16:29:59", (0.07, 0.27, 1.10), (0.14, 0.55, 2.19)),
        ("2025-04-22T16:30:00", (0.035, 0.135, 0.55), (0.035, 0.135, 0.55)),
        ("2025-04-22T23:59:59", (0.035, 0.135, 0.55), (0.035, 0.135, 0.55)),
        ("2025-04-23T00:00:00", (0.035, 0.135, 0.55), (0.035, 0.135, 0.55)),  # wraps past midnight
        ("2025-04-23T00:29:59", (0.035, 0.135, 0.55), (0.035, 0.135, 0.55)),
        ("2025-04-23T00:30:00", (0.07, 0.27, 1.10), (0.14, 0.55, 2.19)),
        ("2025-04-26T20:00:00", (0.035, 0.135, 0.55), (0.035, 0.135, 0.55)),  # every day, weekends too
    ],
)
def test_2025_daily_off_peak_window(instant: str, chat: Prices, reasoner: Prices) -> None:
    assert PRICES["deepseek-chat"].price_at(at(instant)) == Price(*chat)  # 50% off
    assert PRICES["deepseek-reasoner"].price_at(at(instant)) == Price(*reasoner)  # 75% off


def test_flat_periods_ignore_time_of_day() -> None:
    for hour in range(24):
        v3_2, v4 = at(f"2025-12-02T{hour:02}:45"), at(f"2026-05-04T{hour:02}:45")
        assert PRICES["deepseek-chat"].price_at(v3_2) == Price(0.028, 0.28, 0.42)
        assert PRICES["deepseek-reasoner"].price_at(v3_2) == Price(0.028, 0.28, 0.42)
        assert PRICES["deepseek-v4-flash"].price_at(v4) == Price(0.0028, 0.14, 0.28)


def test_timezones_are_converted_to_utc() -> None:
    """Beijing 09:30 Monday is UTC 01:30 Monday: peak."""
    monday_morning_beijing = datetime(2026, 8, 17, 9, 30, tzinfo=BEIJING)
    assert PRICES["deepseek-flash"].price_at(monday_morning_beijing) == FLASH_PEAK
    # Beijing 00:30 is the start of the 2025 off-peak window (UTC 16:30 the day before).
    assert PRICES["deepseek-chat"].price_at(datetime(2025, 4, 23, 0, 30, tzinfo=BEIJING)).output == 0.55


def test_naive_datetimes_are_refused() -> None:
    message = "price_at needs a timezone-aware datetime, e.g. datetime.now(timezone.utc)"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        PRICES["deepseek-flash"].price_at(datetime(2026, 9, 1, 7))


@pytest.mark.skipif(not hasattr(time_module, "tzset"), reason="time.tzset is Unix only")
def test_prices_do_not_depend_on_the_machines_time_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time_module.tzset()
    try:
        # UTC 02:00 Monday is peak (10:00 in Shanghai is not); UTC 23:00 is off-peak (07:00 there is not)
        assert PRICES["deepseek-flash"].price_at(at("2026-08-17T02:00")) == FLASH_PEAK
        assert PRICES["deepseek-flash"].price_at(datetime(2026, 8, 18, 7, tzinfo=BEIJING)) == FLASH_OFF
    finally:
        monkeypatch.undo()
        time_module.tzset()


def test_cost_peak_vs_off_peak_same_usage() -> None:
    usage = Usage(prompt_tokens=1_000_000, completion_tokens=1_000_000, total_tokens=2_000_000,
                  prompt_cache_hit_tokens=600_000, prompt_cache_miss_tokens=400_000)
    flash = PRICES["deepseek-flash"]
    peak = flash.cost(usage, at("2026-09-01T02:00"))
    off = flash.cost(usage, at("2026-09-01T04:00"))
    assert peak == pytest.approx(0.6 * 0.006 + 0.4 * 0.30 + 1.20)
    assert off == pytest.approx(peak / 2)


def test_cost_of_real_responses_billed_at_completion_time(recorded: list[Any]) -> None:
    """Each recorded response is priced at its own `created` instant (UTC)."""
    costs = {}
    for item in recorded:
        costs.setdefault(item.cassette, 0.0)
        costs[item.cassette] += PRICES["deepseek-reasoner"].cost(item.usage, item.completed_at)
    # 2026-06-10: deepseek-reasoner is served (and billed) as V4-Flash.
    assert costs["test_deepseek_deferred_capability_with_thinking.yaml"] == pytest.approx(
        (1408 * 0.0028 + 1006 * 0.14 + 256 * 0.28) / 1e6
    )
    # 2025-04-22 14:09 UTC: R1 standard price.
    assert costs["test_deepseek_model_thinking_part.yaml"] == pytest.approx((12 * 0.55 + 789 * 2.19) / 1e6)
    # 2025-07-10 17:41 UTC: inside the off-peak window, 75% off.
    assert costs["test_deepseek_model_thinking_stream.yaml"] == pytest.approx((6 * 0.135 + 212 * 0.55) / 1e6)


def test_request_spanning_the_window_edge_is_billed_at_completion() -> None:
    usage = Usage(prompt_tokens=0, completion_tokens=1_000_000)
    started, completed = at("2026-09-01T03:59:00"), at("2026-09-01T04:00:30")
    flash = PRICES["deepseek-flash"]
    assert flash.cost(usage, completed) == pytest.approx(0.60)
    assert flash.cost(usage, started) == pytest.approx(1.20)


def test_window_starting_friday_night_covers_saturday_morning() -> None:
    friday_night = Window(time(22), time(2), frozenset({4}))
    assert friday_night.contains(at("2026-08-21T23:00"))  # Friday
    assert friday_night.contains(at("2026-08-22T01:00"))  # Saturday small hours
    assert not friday_night.contains(at("2026-08-22T23:00"))  # Saturday night
    assert not friday_night.contains(at("2026-08-21T01:00"))  # Friday small hours belong to Thursday


def test_user_defined_pricing() -> None:
    mine = Pricing.flat(Price(0.0, 1.0, 2.0), name="local")
    assert mine.cost(Usage(prompt_tokens=500_000, completion_tokens=250_000), at("2030-01-01T00:00")) == 1.0
    custom = Pricing((
        Period(None, Price(1, 1, 1)),
        Period(at("2027-01-01T00:00"), Price(2, 2, 2), (Window(time(9), time(17), WEEKDAYS),),
               Price(3, 3, 3)),
    ))
    assert custom.price_at(at("2026-12-31T12:00")) == Price(1, 1, 1)
    assert custom.price_at(at("2027-01-01T12:00")) == Price(3, 3, 3)  # a Friday
    assert custom.price_at(at("2027-01-02T12:00")) == Price(2, 2, 2)


def test_every_named_price_list_names_itself() -> None:
    assert {name: p.name for name, p in PRICES.items()} == {name: name for name in PRICES}


def test_scaled_prices_scale_every_component() -> None:
    assert Price(0.02, 0.4, 1.0).scaled(0.5) == Price(0.01, 0.2, 0.5)
    assert Price(0.02, 0.4, 1.0).scaled(2) == Price(0.04, 0.8, 2.0)


def test_the_table_instants_are_utc_hours() -> None:
    # The PRICES table is built at import time from this helper, so it is checked here directly.
    assert _pricing._utc(2026, 8, 16, 16) == datetime(2026, 8, 16, 16, tzinfo=UTC)
    assert _pricing._utc(2026, 4, 24) == datetime(2026, 4, 24, 0, tzinfo=UTC)


def test_the_sunday_night_window_reaches_monday_morning() -> None:
    # 2025-04-27 is a Sunday: its off-peak window runs on into Monday 00:00-00:30 UTC.
    assert PRICES["deepseek-chat"].price_at(at("2025-04-28T00:15")) == Price(0.035, 0.135, 0.55)
    sunday_only = Window(time(22), time(2), frozenset({6}))
    assert sunday_only.contains(at("2025-04-28T01:00"))
    assert not sunday_only.contains(at("2025-04-29T01:00"))


def test_a_window_ending_where_it_starts_lasts_the_whole_day() -> None:
    whole_day = Window(time(8), time(8))
    assert all(whole_day.contains(at(f"2026-08-17T{hour:02}:00")) for hour in range(24))


def test_flat_pricing_keeps_its_name() -> None:
    assert Pricing.flat(Price(1, 1, 1)).name == ""
    assert Pricing.flat(Price(1, 1, 1), name="local").name == "local"


def test_invalid_pricing_data_is_refused_saying_what_to_fix() -> None:
    order = "Pricing periods must be in date order, and only the first may have since=None"
    with pytest.raises(ValueError, match=f"^{re.escape(order)}$"):
        Pricing((Period(None, Price(1, 1, 1)), Period(at("2027-01-01T00:00"), Price(1, 1, 1)),
                 Period(at("2026-01-01T00:00"), Price(1, 1, 1))))
    with pytest.raises(ValueError, match=f"^{re.escape(order)}$"):
        Pricing((Period(None, Price(1, 1, 1)), Period(None, Price(1, 1, 1))))
    with pytest.raises(ValueError, match=r"^a Period with windows needs a window_price$"):
        Period(None, Price(1, 1, 1), (Window(time(1), time(2)),))
    with pytest.raises(ValueError, match=r"^Period\.since must be timezone-aware \(UTC\)$"):
        Period(datetime(2027, 1, 1), Price(1, 1, 1))
    with pytest.raises(ValueError, match=r"^Pricing needs at least one Period$"):
        Pricing(())
