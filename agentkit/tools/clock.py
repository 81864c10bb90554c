"""Clock tools: the current time in any time zone, conversion between zones, and date arithmetic.

Models do not know what time it is and get time-zone offsets and calendar arithmetic wrong; these tools
use the IANA time-zone database through ``zoneinfo`` (daylight saving time included).
"""

from __future__ import annotations

import calendar
import functools
import re
import sys
from datetime import datetime, timedelta, timezone as dt_timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from agentkit._tool import tool
from agentkit._toolset import Toolset

__all__ = ["ClockError", "add_to_date", "convert_time", "date_difference", "now", "toolset"]


class ClockError(ValueError):
    """A time zone or date the tools cannot read; the message says what is expected."""


def _utcnow() -> datetime:
    """The current time (a function of its own so that tests can fix it)."""
    return datetime.now(dt_timezone.utc).replace(microsecond=0)


# Big cities that are not the name of their time zone (the others are found by the zone names' last part).
_CITIES = {
    "beijing": "Asia/Shanghai",
    "hangzhou": "Asia/Shanghai",
    "shenzhen": "Asia/Shanghai",
    "guangzhou": "Asia/Shanghai",
    "delhi": "Asia/Kolkata",
    "new_delhi": "Asia/Kolkata",
    "mumbai": "Asia/Kolkata",
    "bangalore": "Asia/Kolkata",
    "san_francisco": "America/Los_Angeles",
    "seattle": "America/Los_Angeles",
    "washington": "America/New_York",
    "boston": "America/New_York",
    "miami": "America/New_York",
    "osaka": "Asia/Tokyo",
    "kyoto": "Asia/Tokyo",
}


@functools.cache
def _zones_by_city() -> dict[str, str]:
    zones = {name.rsplit("/", 1)[-1].lower(): name for name in sorted(available_timezones()) if "/" in name}
    return {**zones, **_CITIES}


def _zone(name: str) -> ZoneInfo:
    """An IANA zone by name; a city name (``Tokyo``, ``New York``, ``Beijing``) is accepted too."""
    name = name.strip()
    if name.upper() in ("UTC", "Z", "GMT"):
        name = "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder ("America"), a name too long
        pass
    city = _zones_by_city().get("_".join(name.replace(",", " ").split()).lower())
    if city is not None:
        return ZoneInfo(city)
    raise ClockError(
        f"unknown time zone {name!r}: use an IANA name such as 'Asia/Tokyo', 'Europe/Paris', "
        "'America/New_York' or 'UTC'"
    )


def _describe(moment: datetime) -> str:
    offset = moment.strftime("%z")
    zone = f"{moment.tzinfo}, " if isinstance(moment.tzinfo, ZoneInfo) and moment.tzinfo.key != "UTC" else ""
    utc = f"UTC{offset[:3]}:{offset[3:]}"
    return f"{moment.isoformat()} ({moment.strftime('%A')}, {zone}{moment.tzname()}, {utc})"


# A time's fraction and offset as Python 3.11+ reads them: 3.10 wants exactly 3 or 6 digits and "+08:00".
_TIME_TAIL = re.compile(r"(T\d\d(?::\d\d){1,2})(?:[.,](\d+))?(?:([+-]\d\d):?(\d\d)?)?$")


def _spell_for_310(match: re.Match[str]) -> str:
    hms, digits, hours, minutes = match.groups()
    fraction = f".{digits[:6]:0<6}" if digits else ""
    return hms + fraction + (f"{hours}:{minutes or '00'}" if hours else "")


def _parse(text: str, zone: ZoneInfo | None) -> datetime:
    """An ISO 8601 date or date-time; a naive one is read in ``zone`` (or left naive without one)."""
    iso = text.strip().replace("Z", "+00:00").replace(" ", "T", 1)
    if sys.version_info < (3, 11):  # 3.10's fromisoformat reads only what isoformat() writes
        iso = _TIME_TAIL.sub(_spell_for_310, iso)
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        raise ClockError(
            f"cannot read {text!r} as a date: use ISO 8601, e.g. '2025-03-14' or '2025-03-14T09:30' "
            "or '2025-03-14T09:30:00+08:00'"
        ) from None
    if moment.tzinfo is None and zone is not None:
        moment = moment.replace(tzinfo=zone)
    return moment


def _in_zone(moment: datetime, zone: tzinfo) -> datetime:
    """``moment`` as the time in ``zone``; refused if that falls outside the calendar Python knows."""
    try:
        return moment.astimezone(zone)
    except OverflowError:
        raise ClockError(
            f"{moment.isoformat()} in {zone} falls outside the years 1 to 9999, which the tools cannot "
            "represent; use a date further from the ends of the calendar"
        ) from None


@tool
def now(timezone: str = "UTC") -> str:
    """Get the current date and time in a time zone, with the weekday and the UTC offset.

    Args:
        timezone: An IANA time-zone name, e.g. "Asia/Tokyo", "Europe/Berlin" or "UTC" (a city name works too).
    """
    return _describe(_utcnow().astimezone(_zone(timezone)))


@tool
def convert_time(time: str, from_timezone: str, to_timezone: str) -> str:
    """Convert a date and time from one time zone to another (daylight saving time is handled).

    Args:
        time: The date and time in ISO 8601, e.g. "2025-03-14T09:30". An offset in it wins over from_timezone.
        from_timezone: The IANA time zone the time is given in, e.g. "Asia/Shanghai".
        to_timezone: The IANA time zone to convert to, e.g. "America/New_York".
    """
    moment = _parse(time, _zone(from_timezone))
    return _describe(_in_zone(moment, _zone(to_timezone)))


def _add_months(moment: datetime, months: int) -> datetime:
    """``months`` calendar months later, the day clamped to the month's end (Jan 31 + 1 month = Feb 28/29)."""
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    if not 1 <= year <= 9999:
        raise ClockError("the resulting date is outside the years 1 to 9999")
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


@tool
def add_to_date(
    start: str,
    years: int = 0,
    months: int = 0,
    weeks: int = 0,
    days: int = 0,
    hours: int = 0,
    minutes: int = 0,
    timezone: str = "UTC",
) -> str:
    """Add (or, with negative numbers, subtract) calendar years, months, weeks, days, hours and minutes.

    Months and years follow the calendar (Jan 31 + 1 month = Feb 28, or 29 in a leap year).

    Args:
        start: The starting date or date-time in ISO 8601, e.g. "2025-01-31" or "2025-01-31T18:00", or "now".
        years: Years to add.
        months: Months to add.
        weeks: Weeks to add.
        days: Days to add.
        hours: Hours to add.
        minutes: Minutes to add.
        timezone: The IANA time zone of start (and of "now"), e.g. "Europe/London".
    """
    zone = _zone(timezone)
    moment = _utcnow().astimezone(zone) if start.strip().lower() == "now" else _parse(start, zone)
    try:
        moment = _add_months(moment, 12 * years + months)
        # Wall-clock arithmetic in the zone, then normalised (so "1 day" stays 24 h on the clock face).
        moment = moment + timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes)
    except OverflowError:
        raise ClockError("the resulting date is outside the years 1 to 9999") from None
    if moment.tzinfo is not None:  # a wall-clock time that DST skipped becomes the real time it names
        moment = _in_zone(_in_zone(moment, dt_timezone.utc), moment.tzinfo)
    is_date_only = (
        not any(c in start for c in "T:") and start.strip().lower() != "now" and not (hours or minutes)
    )
    return moment.date().isoformat() + f" ({moment.strftime('%A')})" if is_date_only else _describe(moment)


@tool
def date_difference(start: str, end: str, timezone: str = "UTC") -> str:
    """Compute the time between two dates or date-times (end minus start) in days, hours and minutes.

    Args:
        start: The earlier date or date-time in ISO 8601, e.g. "2025-01-01" or "2025-01-01T08:00".
        end: The later date or date-time in ISO 8601.
        timezone: The IANA time zone of dates given without an offset.
    """
    zone = _zone(timezone)
    first, second = _parse(start, zone), _parse(end, zone)
    # Subtract in UTC: within one zone Python subtracts wall-clock times, which ignores DST changes.
    delta = _in_zone(second, dt_timezone.utc) - _in_zone(first, dt_timezone.utc)
    total_minutes = int(delta.total_seconds() // 60)
    sign = "-" if total_minutes < 0 else ""
    days, rest = divmod(abs(total_minutes), 24 * 60)
    hours, minutes = divmod(rest, 60)
    calendar_days = (second.date() - first.date()).days
    weeks, week_days = divmod(abs(calendar_days), 7)
    return (
        f"{sign}{days} days, {hours} hours, {minutes} minutes "
        f"(= {delta.total_seconds() / 3600:g} hours; {calendar_days} calendar days "
        f"= {weeks} weeks and {week_days} days)"
    )


def toolset() -> Toolset:
    """The clock tools (now, convert_time, add_to_date, date_difference)."""
    return Toolset(now, convert_time, add_to_date, date_difference, name="clock")
