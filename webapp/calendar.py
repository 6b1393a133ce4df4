"""A person's calendar: their timezone, their days and weeks, in one place.

Times are stored in UTC. Questions a person would answer with a wall clock or a calendar
("which day is it?", "this week") are answered in their own timezone with zoneinfo, which
keeps Day N and schedules right across daylight-saving changes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

TIMEZONES = frozenset(available_timezones())
TIMEZONE_NAMES = sorted(TIMEZONES)


def zone_of(person: object) -> ZoneInfo:
    """The person's timezone; UTC when it is unset, unknown, or nobody is signed in."""
    try:
        return ZoneInfo(getattr(person, "timezone", None) or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def clean_timezone(name: str | None) -> str:
    """``name`` if it is a known IANA zone, else UTC."""
    name = (name or "").strip()
    return name if name in TIMEZONES else "UTC"


def in_zone(moment: datetime, zone: ZoneInfo) -> datetime:
    """``moment`` on the clocks of ``zone``. At the very ends of the calendar (year 1, year
    9999) the zone's time may fall outside what a datetime can hold: the moment is then
    given as stored, so no stored value can make a page fail."""
    try:
        return moment.astimezone(zone)
    except (OverflowError, ValueError):
        return moment


def local_date(moment: datetime, zone: ZoneInfo) -> date:
    return in_zone(moment, zone).date()


def days_since(start: datetime, moment: datetime, zone: ZoneInfo) -> int:
    """Calendar days between two instants as lived in ``zone``: the first day is Day 0."""
    return (local_date(moment, zone) - local_date(start, zone)).days


def week_start(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def local_to_utc(day: date, at: time, zone: ZoneInfo) -> datetime:
    """A wall-clock time on a day in ``zone`` as UTC.

    In a spring-forward gap the clock time does not exist; the result is the same distance
    past the gap (02:30 becomes 03:30), never earlier. In the autumn overlap the first
    occurrence is used.
    """
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def local_day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants where ``day`` begins and ends in ``zone`` (23 or 25 hours apart
    on daylight-saving days)."""
    return local_to_utc(day, time(0), zone), local_to_utc(day + timedelta(days=1), time(0), zone)
