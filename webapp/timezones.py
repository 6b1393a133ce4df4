"""A person's timezone, in one place."""

from __future__ import annotations

from zoneinfo import ZoneInfo


def zone_of(person: object) -> ZoneInfo:
    """The person's timezone; UTC when it is unset, unknown, or nobody is signed in."""
    try:
        return ZoneInfo(getattr(person, "timezone", None) or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")
