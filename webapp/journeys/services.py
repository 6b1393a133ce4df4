"""Journeys (dosing sessions): logging, planning ahead, changing and removing them.

Each change is announced (``webapp.events``) so that reminders can follow the arc.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from webapp import events
from webapp.auth.models import User
from webapp.calendar import zone_of
from webapp.errors import ValidationError
from webapp.extensions import db
from webapp.journeys.arc import get_settings
from webapp.journeys.models import Journey
from webapp.types import utcnow

JOURNEY_TEXT_MAX = 10_000
# A journey can be logged ahead of time while preparing, but not absurdly far ahead.
PLAN_AHEAD_DAYS = 90
EARLIEST_JOURNEY_YEARS = 30


@dataclass(frozen=True)
class JourneyInput:
    started_at: datetime
    intention: str | None
    setting_notes: str | None


def _optional_text(data, name, limit, errors, label) -> str | None:
    value = data.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        errors[name] = f"{label} must be text."
        return None
    value = value.replace("\r\n", "\n").strip()
    if len(value) > limit:
        errors[name] = f"{label} can be up to {limit:,} characters; this has {len(value):,}."
    return value or None


def parse_journey_input(
    user: User, data: Mapping[str, object], now: datetime | None = None
) -> JourneyInput:
    """Read a journey from a form (local ``date`` and ``time``) and check it.

    The date may be up to PLAN_AHEAD_DAYS ahead, so a journey can be prepared for.
    """
    now = now or utcnow()
    zone = zone_of(user)
    errors: dict[str, str] = {}
    raw_date, raw_time = data.get("date"), data.get("time") or "12:00"
    started_at = None
    try:
        day = date.fromisoformat(str(raw_date).strip()) if raw_date else None
    except ValueError:
        day = None
    if day is None:
        errors["date"] = "Please give the date of the journey, like 2026-03-14."
    try:
        clock = time.fromisoformat(str(raw_time).strip())
    except ValueError:
        clock = None
        errors["time"] = "Please give the time like 14:30, or leave it empty."
    if day is not None and clock is not None:
        started_at = datetime.combine(day, clock.replace(tzinfo=None), tzinfo=zone)
        latest = now + timedelta(days=PLAN_AHEAD_DAYS)
        if started_at > latest:
            errors["date"] = (
                f"That is more than {PLAN_AHEAD_DAYS} days from now. You can log a planned "
                "journey once it is closer."
            )
        elif day.year < now.year - EARLIEST_JOURNEY_YEARS:
            errors["date"] = "That date is very long ago; please check the year."

    intention = _optional_text(data, "intention", JOURNEY_TEXT_MAX, errors, "The intention")
    notes = _optional_text(data, "setting_notes", JOURNEY_TEXT_MAX, errors, "Notes on setting")
    if errors:
        raise ValidationError(errors)
    return JourneyInput(started_at.astimezone(UTC), intention, notes)


def create_journey(
    user: User, fields: JourneyInput, journey_id: uuid.UUID | None = None
) -> Journey:
    now = utcnow()
    journey = Journey(
        id=journey_id or uuid.uuid4(),
        user_id=user.id,
        started_at=fields.started_at,
        intention=fields.intention,
        setting_notes=fields.setting_notes,
        created_at=now,
        updated_at=now,
    )
    db.session.add(journey)
    # A new journey begins a new arc: a phase picked by hand for the old one no longer applies.
    settings = get_settings(user)
    if settings.phase_override:
        settings.phase_override = None
    db.session.commit()
    events.journey_saved.send(user, journey=journey)
    return journey


def update_journey(user: User, journey: Journey, fields: JourneyInput) -> Journey:
    journey.started_at = fields.started_at
    journey.intention = fields.intention
    journey.setting_notes = fields.setting_notes
    journey.updated_at = utcnow()
    db.session.commit()
    events.journey_saved.send(user, journey=journey)
    return journey


def delete_journey(user: User, journey: Journey) -> None:
    """Remove a journey; its entries and intentions stay, no longer tied to it (the
    database sets their journey to NULL)."""
    journey_id = journey.id
    db.session.delete(journey)
    db.session.commit()
    events.journey_removed.send(user, journey_id=journey_id)
