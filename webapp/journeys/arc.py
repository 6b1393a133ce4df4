"""Where a person is in their integration arc: Day N and the phase, from their journeys.

Everything here is scoped to one person and independent of HTTP. Days are calendar days in
the person's own timezone (``webapp.calendar``), so Day N stays right across DST changes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from flask import abort
from sqlalchemy import bindparam, select

from webapp.auth.models import User
from webapp.calendar import days_since, zone_of
from webapp.content import DEFAULT_MEANING_DAYS, DEFAULT_REFLECTION_DAYS, PHASES
from webapp.extensions import db
from webapp.journeys.models import IntegrationSettings, Journey
from webapp.types import as_uuid, utcnow


def phase_for_day(day: int, reflection_days: int, meaning_days: int) -> str:
    if day < reflection_days:
        return "reflection"
    if day < meaning_days:
        return "meaning"
    return "embodiment"


def get_settings(user: User) -> IntegrationSettings:
    """The person's settings; defaults (not yet saved) when they never changed any."""
    settings = db.session.get(IntegrationSettings, user.id)
    if settings is None:
        settings = IntegrationSettings(
            user_id=user.id,
            reflection_days=DEFAULT_REFLECTION_DAYS,
            meaning_days=DEFAULT_MEANING_DAYS,
        )
    return settings


# --- A person's journeys ----------------------------------------------------------------------


def get_journey_or_404(user: User, journey_id: uuid.UUID) -> Journey:
    journey = find_own_journey(user, journey_id)
    if journey is None:
        abort(404)
    return journey


def find_own_journey(user: User, journey_id: object) -> Journey | None:
    """The person's journey for an id given as text or UUID, or None."""
    journey_id = as_uuid(journey_id)
    if journey_id is None:
        return None
    return db.session.scalar(
        select(Journey).where(Journey.id == journey_id, Journey.user_id == user.id)
    )


_JOURNEYS = (
    select(Journey)
    .where(Journey.user_id == bindparam("user_id"))
    .order_by(Journey.started_at.desc(), Journey.id.desc())
)


def list_journeys(user: User) -> list[Journey]:
    return list(db.session.scalars(_JOURNEYS, {"user_id": user.id}))


def journey_before(user: User, moment: datetime) -> Journey | None:
    """The most recent journey that had begun at ``moment``."""
    return db.session.scalar(
        select(Journey)
        .where(Journey.user_id == user.id, Journey.started_at <= moment)
        .order_by(Journey.started_at.desc(), Journey.id.desc())
        .limit(1)
    )


def next_journey_after(user: User, moment: datetime) -> Journey | None:
    return db.session.scalar(
        select(Journey)
        .where(Journey.user_id == user.id, Journey.started_at > moment)
        .order_by(Journey.started_at, Journey.id)
        .limit(1)
    )


# --- Day N and the phase ----------------------------------------------------------------------


@dataclass(frozen=True)
class ArcPosition:
    journey: Journey | None
    day: int | None
    phase: str | None
    phase_is_manual: bool
    upcoming: Journey | None

    @property
    def phase_name(self) -> str | None:
        return PHASES[self.phase].name if self.phase else None

    @property
    def upcoming_start(self) -> datetime | None:
        """When the next planned journey begins: time alone moves the arc on then."""
        return self.upcoming.started_at if self.upcoming else None


# Built once (statements are the costly part of a small read): the journey begun most recently
# at a moment and the next one planned, in one query; and the arc's settings as plain values.
_AROUND = select(Journey).where(Journey.id.in_([
    select(Journey.id)
    .where(Journey.user_id == bindparam("user_id"), Journey.started_at <= bindparam("moment"))
    .order_by(Journey.started_at.desc(), Journey.id.desc())
    .limit(1)
    .scalar_subquery(),
    select(Journey.id)
    .where(Journey.user_id == bindparam("user_id"), Journey.started_at > bindparam("moment"))
    .order_by(Journey.started_at, Journey.id)
    .limit(1)
    .scalar_subquery(),
]))
_ARC_SETTINGS = select(
    IntegrationSettings.reflection_days,
    IntegrationSettings.meaning_days,
    IntegrationSettings.phase_override,
).where(IntegrationSettings.user_id == bindparam("user_id"))


def journeys_around(user: User, moment: datetime) -> tuple[Journey | None, Journey | None]:
    """The journey begun most recently at ``moment`` and the next one planned."""
    journey = upcoming = None
    for found in db.session.scalars(_AROUND, {"user_id": user.id, "moment": moment}):
        if found.started_at <= moment:
            journey = found
        else:
            upcoming = found
    return journey, upcoming


def _arc_settings(user: User) -> tuple[int, int, str | None]:
    """(reflection days, meaning days, phase set by hand), the defaults when never saved."""
    row = db.session.execute(_ARC_SETTINGS, {"user_id": user.id}).first()
    return tuple(row) if row else (DEFAULT_REFLECTION_DAYS, DEFAULT_MEANING_DAYS, None)


def position_at(user: User, moment: datetime | None = None) -> ArcPosition:
    """Day N and phase at ``moment``: from the latest journey, unless set by hand."""
    moment = moment or utcnow()
    reflection_days, meaning_days, phase_override = _arc_settings(user)
    journey, upcoming = journeys_around(user, moment)
    day = days_since(journey.started_at, moment, zone_of(user)) if journey else None
    if phase_override in PHASES:
        return ArcPosition(journey, day, phase_override, True, upcoming)
    phase = (
        phase_for_day(day, reflection_days, meaning_days)
        if day is not None
        else None
    )
    return ArcPosition(journey, day, phase, False, upcoming)


def phase_of_entry_time(user: User, journey: Journey, moment: datetime) -> str:
    """The phase a moment falls in within ``journey``'s arc."""
    settings = get_settings(user)
    current = journey_before(user, utcnow())
    if settings.phase_override in PHASES and current is not None and current.id == journey.id:
        return settings.phase_override
    day = max(0, days_since(journey.started_at, moment, zone_of(user)))
    return phase_for_day(day, settings.reflection_days, settings.meaning_days)
