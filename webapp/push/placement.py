"""Where in a person's day a reminder may go: after a pause, outside quiet hours, on a day
that still has room under their daily cap. Pure functions of the settings and a clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from webapp.calendar import local_to_utc

# A reminder that finds every day full this far ahead is not sent at all.
CAP_SEARCH_DAYS = 14


def in_quiet_hours(local: time, start: time, end: time) -> bool:
    if start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end  # the quiet hours cross midnight


def end_of_quiet_hours(moment: datetime, settings, zone: ZoneInfo) -> datetime:
    """``moment`` if it is outside quiet hours, else the moment they end (UTC)."""
    local = moment.astimezone(zone)
    start, end = settings.quiet_start, settings.quiet_end
    if not in_quiet_hours(local.time().replace(tzinfo=None), start, end):
        return moment
    day = local.date()
    if start > end and local.time().replace(tzinfo=None) >= start:
        day += timedelta(days=1)
    return local_to_utc(day, end, zone)


def allowed_moment(moment: datetime, settings, zone: ZoneInfo) -> datetime:
    """The first moment at or after ``moment`` outside a pause and outside quiet hours."""
    if settings.paused_until is not None and moment < settings.paused_until:
        moment = settings.paused_until
    return end_of_quiet_hours(moment, settings, zone)


def first_moment_with_room(
    ideal: datetime, settings, zone: ZoneInfo, count_on_day: Callable[[date], int]
) -> datetime | None:
    """Where a reminder wanted at ``ideal`` goes: after any pause, out of quiet hours, and
    onto the first day with fewer than ``settings.daily_cap`` reminders (as counted by
    ``count_on_day``). None if no day has room within CAP_SEARCH_DAYS."""
    moment = allowed_moment(ideal, settings, zone)
    for _ in range(CAP_SEARCH_DAYS):
        day = moment.astimezone(zone).date()
        if count_on_day(day) < settings.daily_cap:
            return moment
        # That day is full: the next day, as soon as it is not quiet any more.
        moment = allowed_moment(local_to_utc(day + timedelta(days=1), time(0), zone),
                                settings, zone)
    return None
