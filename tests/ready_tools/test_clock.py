"""The clock tools: now in a zone, conversions across DST, calendar arithmetic, readable errors."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from agentkit.tools import clock

FIXED = datetime(2025, 3, 9, 6, 30, tzinfo=timezone.utc)  # 01:30 in New York, half an hour before DST


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock, "_utcnow", lambda: FIXED)


def test_now() -> None:
    assert clock.now("Asia/Tokyo") == "2025-03-09T15:30:00+09:00 (Sunday, Asia/Tokyo, JST, UTC+09:00)"
    assert clock.now() == "2025-03-09T06:30:00+00:00 (Sunday, UTC, UTC+00:00)"
    assert clock.now("utc") == clock.now("UTC")


def test_now_uses_the_real_clock_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()
    before = datetime.now(timezone.utc).replace(microsecond=0)
    shown = datetime.fromisoformat(clock.now("Europe/Paris").split(" ")[0])
    assert before <= shown <= datetime.now(timezone.utc)


def test_convert_across_daylight_saving_time() -> None:
    assert clock.convert_time("2025-03-09T01:30", "America/New_York", "UTC") == (
        "2025-03-09T06:30:00+00:00 (Sunday, UTC, UTC+00:00)"
    )
    assert clock.convert_time("2025-03-09T03:30", "America/New_York", "UTC") == (
        "2025-03-09T07:30:00+00:00 (Sunday, UTC, UTC+00:00)"
    )
    assert clock.convert_time("2025-03-14 09:30", "Asia/Shanghai", "America/New_York") == (
        "2025-03-13T21:30:00-04:00 (Thursday, America/New_York, EDT, UTC-04:00)"
    )


def test_city_names_are_accepted_for_zones() -> None:
    assert clock.now("Tokyo") == clock.now("Asia/Tokyo")
    assert clock.now("new york") == clock.now("America/New_York")
    assert clock.now("Beijing") == clock.now("Asia/Shanghai")
    assert clock.convert_time("2025-01-01T09:00", "Paris", "San Francisco") == (
        "2025-01-01T00:00:00-08:00 (Wednesday, America/Los_Angeles, PST, UTC-08:00)"
    )


def test_an_offset_in_the_time_wins_over_from_timezone() -> None:
    assert clock.convert_time("2025-06-01T12:00Z", "Asia/Tokyo", "Europe/London") == (
        "2025-06-01T13:00:00+01:00 (Sunday, Europe/London, BST, UTC+01:00)"
    )


def test_fractions_and_offsets_in_any_iso_spelling() -> None:
    """Python 3.10's fromisoformat reads only what isoformat() writes; 3.11+ also reads these."""
    expected = "2025-06-01T04:00:00.500000+00:00 (Sunday, UTC, UTC+00:00)"
    for text in ("2025-06-01T12:00:00.5+0800", "2025-06-01T12:00:00,5+08", "2025-06-01T12:00:00.50000+08:00"):
        assert clock.convert_time(text, "UTC", "UTC") == expected


def test_calendar_months_clamp_to_the_month_end() -> None:
    assert clock.add_to_date("2024-01-31", months=1) == "2024-02-29 (Thursday)"
    assert clock.add_to_date("2025-01-31", months=1) == "2025-02-28 (Friday)"
    assert clock.add_to_date("2024-02-29", years=1) == "2025-02-28 (Friday)"
    assert clock.add_to_date("2025-03-31", months=-1) == "2025-02-28 (Friday)"
    assert clock.add_to_date("2025-12-15", months=1, weeks=1, days=-1) == "2026-01-21 (Wednesday)"


def test_add_hours_across_daylight_saving_time() -> None:
    # 01:30 + 1 h on the clock face is 02:30, which New York skips that night: it is 03:30 EDT.
    assert clock.add_to_date("now", hours=1, timezone="America/New_York") == (
        "2025-03-09T03:30:00-04:00 (Sunday, America/New_York, EDT, UTC-04:00)"
    )


def test_date_difference() -> None:
    assert clock.date_difference("2025-01-01", "2025-03-01T12:00") == (
        "59 days, 12 hours, 0 minutes (= 1428 hours; 59 calendar days = 8 weeks and 3 days)"
    )
    assert clock.date_difference("2025-03-02", "2025-03-01").startswith("-1 days, 0 hours")
    # Across the DST change only 23 hours pass between the two midnights.
    assert "(= 23 hours" in clock.date_difference("2025-03-09", "2025-03-10", timezone="America/New_York")


def test_errors_say_what_is_expected() -> None:
    with pytest.raises(clock.ClockError, match=r"unknown time zone 'Mars/Olympus'.*'Asia/Tokyo'"):
        clock.now("Mars/Olympus")
    with pytest.raises(clock.ClockError, match="unknown time zone"):
        clock.now("../../etc/passwd")
    with pytest.raises(clock.ClockError, match="cannot read 'next tuesday' as a date: use ISO 8601"):
        clock.add_to_date("next tuesday", days=1)
    with pytest.raises(clock.ClockError, match="outside the years 1 to 9999"):
        clock.add_to_date("9999-12-01", months=1)
    with pytest.raises(clock.ClockError, match="outside the years 1 to 9999"):
        clock.add_to_date("9999-12-31", days=1)


def test_times_at_the_edge_of_the_calendar_give_a_readable_error() -> None:
    """Year 1 seen from UTC+9 is year 0 in UTC, which Python cannot hold (it was an OverflowError)."""
    with pytest.raises(clock.ClockError, match="outside the years 1 to 9999"):
        clock.convert_time("0001-01-01T00:00", "Asia/Tokyo", "UTC")
    with pytest.raises(clock.ClockError, match="outside the years 1 to 9999"):
        clock.convert_time("9999-12-31T23:00", "UTC", "Asia/Tokyo")
    with pytest.raises(clock.ClockError, match="outside the years 1 to 9999"):
        clock.date_difference("0001-01-01", "2025-01-01", "Asia/Tokyo")
    with pytest.raises(clock.ClockError, match="outside the years 1 to 9999"):
        clock.add_to_date("9999-12-31T20:00", hours=1, timezone="America/New_York")


@pytest.mark.parametrize("name", ["America", "Europe/", "x" * 300, "a\x00b"])
def test_names_that_are_no_zone_file_are_unknown_zones(name: str) -> None:
    """A folder of the zone database, or a name too long for a file, is no zone (it was an OSError
    naming the database's path on this machine)."""
    with pytest.raises(clock.ClockError, match=r"unknown time zone .*use an IANA name"):
        clock.now(name)


def test_toolset() -> None:
    assert [t.name for t in clock.toolset()] == ["now", "convert_time", "add_to_date", "date_difference"]
    assert not any(t.requires_approval for t in clock.toolset())
