"""Integration-arc rules: journeys, phases, Day N, prompt rotation, settings, intentions.

Everything here is scoped to one person and independent of HTTP, so tests call it directly.
Times are stored in UTC; calendar questions ("which day is it?") are answered in the
person's own timezone with zoneinfo, which keeps Day N right across DST changes.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

from flask import abort
from sqlalchemy import select

from webapp.auth.models import User
from webapp.content import (
    ALL_PROMPTS,
    CORE_QUESTIONS,
    DEFAULT_MEANING_DAYS,
    DEFAULT_REFLECTION_DAYS,
    PHASE_ORDER,
    PHASES,
    Prompt,
    prompts_for_phase,
)
from webapp.errors import ValidationError
from webapp.extensions import db
from webapp.journal.models import Entry
from webapp.journeys.models import INTENTION_STATUSES, IntegrationSettings, Intention, Journey
from webapp.push import planning as reminders
from webapp.timezones import zone_of
from webapp.types import utcnow

JOURNEY_TEXT_MAX = 10_000
INTENTION_MAX = 2_000
CONTACT_MAX = 2_000
# A journey can be logged ahead of time while preparing, but not absurdly far ahead.
PLAN_AHEAD_DAYS = 90
EARLIEST_JOURNEY_YEARS = 30
RECENT_PROMPT_DAYS = 21
_TIMEZONES = frozenset(available_timezones())
TIMEZONE_NAMES = sorted(_TIMEZONES)


# --- Time in the person's zone --------------------------------------------------------------


def local_date(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def days_since(start: datetime, moment: datetime, zone: ZoneInfo) -> int:
    """Calendar days between two instants as lived in ``zone``: the journey's day is Day 0."""
    return (local_date(moment, zone) - local_date(start, zone)).days


def phase_for_day(day: int, reflection_days: int, meaning_days: int) -> str:
    if day < reflection_days:
        return "reflection"
    if day < meaning_days:
        return "meaning"
    return "embodiment"


# --- Settings -------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class SettingsInput:
    timezone: str
    reflection_days: int
    meaning_days: int
    phase_override: str | None
    therapist_contact: str | None


def _whole_number(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def parse_settings_input(data: Mapping[str, object]) -> SettingsInput:
    errors: dict[str, str] = {}
    timezone = data.get("timezone")
    if not isinstance(timezone, str) or timezone.strip() not in _TIMEZONES:
        errors["timezone"] = "Please choose a timezone from the list, like Europe/Berlin."
        timezone = "UTC"
    timezone = timezone.strip()

    reflection = _whole_number(data.get("reflection_days"))
    meaning = _whole_number(data.get("meaning_days"))
    if reflection is None or not 1 <= reflection <= 60:
        errors["reflection_days"] = "Immediate reflection lasts between 1 and 60 days."
    if meaning is None or not 2 <= meaning <= 365:
        errors["meaning_days"] = "Meaning-making ends between day 2 and day 365."
    elif reflection is not None and meaning <= reflection:
        errors["meaning_days"] = (
            f"Meaning-making has to end after immediate reflection does (after day {reflection})."
        )

    override = data.get("phase_override") or None
    if override is not None and override not in PHASES:
        errors["phase_override"] = "Choose one of the phases, or let Tend follow the days."

    contact = data.get("therapist_contact")
    if contact is None:
        contact = ""
    if not isinstance(contact, str):
        errors["therapist_contact"] = "The contact must be text."
        contact = ""
    contact = contact.strip()
    if len(contact) > CONTACT_MAX:
        errors["therapist_contact"] = f"Please keep this under {CONTACT_MAX:,} characters."

    if errors:
        raise ValidationError(errors)
    return SettingsInput(timezone, reflection, meaning, override, contact or None)


def save_settings(user: User, fields: SettingsInput) -> IntegrationSettings:
    settings = get_settings(user)
    user.timezone = fields.timezone
    settings.reflection_days = fields.reflection_days
    settings.meaning_days = fields.meaning_days
    settings.phase_override = fields.phase_override
    settings.therapist_contact = fields.therapist_contact
    settings.updated_at = utcnow()
    db.session.add(settings)
    db.session.commit()
    return settings


# --- Journeys -------------------------------------------------------------------------------


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
    return JourneyInput(started_at.astimezone(ZoneInfo("UTC")), intention, notes)


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
    settings = db.session.get(IntegrationSettings, user.id)
    if settings is not None and settings.phase_override:
        settings.phase_override = None
    db.session.commit()
    reminders.plan_journey_arc(user, journey.id, journey.started_at)
    return journey


def update_journey(journey: Journey, fields: JourneyInput) -> Journey:
    journey.started_at = fields.started_at
    journey.intention = fields.intention
    journey.setting_notes = fields.setting_notes
    journey.updated_at = utcnow()
    db.session.commit()
    owner = db.session.get(User, journey.user_id)
    reminders.plan_journey_arc(owner, journey.id, journey.started_at)
    return journey


def delete_journey(journey: Journey) -> None:
    """Remove a journey; its entries stay in the journal, no longer tied to it."""
    # Done here rather than left to ON DELETE SET NULL, which SQLite doesn't apply by default.
    for entry in db.session.scalars(select(Entry).where(Entry.journey_id == journey.id)):
        entry.journey_id = None
    for intention in db.session.scalars(
        select(Intention).where(Intention.journey_id == journey.id)
    ):
        intention.journey_id = None
    journey_id = journey.id
    db.session.delete(journey)
    db.session.commit()
    reminders.cancel_journey_arc(journey_id)


def get_journey_or_404(user: User, journey_id: uuid.UUID) -> Journey:
    journey = db.session.scalar(
        select(Journey).where(Journey.id == journey_id, Journey.user_id == user.id)
    )
    if journey is None:
        abort(404)
    return journey


def find_own_journey(user: User, journey_id: object) -> Journey | None:
    """The person's journey for an id given as text or UUID, or None."""
    if isinstance(journey_id, str):
        try:
            journey_id = uuid.UUID(journey_id.strip())
        except ValueError:
            return None
    if not isinstance(journey_id, uuid.UUID):
        return None
    return db.session.scalar(
        select(Journey).where(Journey.id == journey_id, Journey.user_id == user.id)
    )


def list_journeys(user: User) -> list[Journey]:
    return list(
        db.session.scalars(
            select(Journey)
            .where(Journey.user_id == user.id)
            .order_by(Journey.started_at.desc(), Journey.id.desc())
        )
    )


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


# --- Where a person is in their arc ----------------------------------------------------------


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


def position_at(user: User, moment: datetime | None = None) -> ArcPosition:
    """Day N and phase at ``moment``: from the latest journey, unless set by hand."""
    moment = moment or utcnow()
    settings = get_settings(user)
    journey = journey_before(user, moment)
    upcoming = next_journey_after(user, moment)
    day = days_since(journey.started_at, moment, zone_of(user)) if journey else None
    if settings.phase_override in PHASES:
        return ArcPosition(journey, day, settings.phase_override, True, upcoming)
    phase = (
        phase_for_day(day, settings.reflection_days, settings.meaning_days)
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


# --- Entries remember where they were written -------------------------------------------------


def set_entry_context(
    user: User,
    entry: Entry,
    *,
    prompt_id: str | None = None,
    journey_id: uuid.UUID | str | None = None,
    written_at: datetime | None = None,
) -> Entry:
    """Record an entry's prompt, journey and phase; the one place these are set.

    Raises ValidationError, before changing anything, for an unknown prompt or a journey that
    is not the person's own. Without a journey, the entry joins the arc it was written in.
    Does not commit: the caller saves the entry with everything else.
    """
    errors: dict[str, str] = {}
    if prompt_id is not None and prompt_id not in ALL_PROMPTS:
        errors["prompt"] = "That prompt isn’t one Tend knows; the entry can be saved without it."
    journey = None
    if journey_id not in (None, ""):
        journey = find_own_journey(user, journey_id)
        if journey is None:
            errors["journey_id"] = "That journey isn’t in your journal."
    if errors:
        raise ValidationError(errors)
    moment = written_at or entry.created_at or utcnow()
    if journey is None:
        journey = journey_before(user, moment)
    entry.prompt_id = prompt_id
    entry.journey_id = journey.id if journey else None
    entry.phase = phase_of_entry_time(user, journey, moment) if journey else None
    return entry


def entries_by_phase(user: User, journey: Journey) -> list[tuple[str, str, list[Entry]]]:
    """A journey's entries, oldest first, as (phase key, phase name, entries) in arc order."""
    entries = db.session.scalars(
        select(Entry)
        .where(Entry.user_id == user.id, Entry.journey_id == journey.id, Entry.deleted_at.is_(None))
        .order_by(Entry.created_at, Entry.id)
    )
    groups: dict[str, list[Entry]] = {key: [] for key in PHASE_ORDER}
    for entry in entries:
        groups.setdefault(entry.phase if entry.phase in PHASES else "other", []).append(entry)
    return [
        (key, PHASES[key].name if key in PHASES else "Other", items)
        for key, items in groups.items()
        if items
    ]


# --- Prompts --------------------------------------------------------------------------------


def recently_answered(user: User, moment: datetime, days: int = RECENT_PROMPT_DAYS) -> set[str]:
    return set(
        db.session.scalars(
            select(Entry.prompt_id).where(
                Entry.user_id == user.id,
                Entry.prompt_id.is_not(None),
                Entry.deleted_at.is_(None),
                Entry.created_at >= moment - timedelta(days=days),
            )
        )
    )


def prompt_pool(phase: str | None) -> list[Prompt]:
    return prompts_for_phase(phase) if phase in PHASES else list(CORE_QUESTIONS)


def todays_prompt(
    user: User, phase: str | None, moment: datetime | None = None, after: str | None = None
) -> Prompt:
    """Today's prompt for ``phase``, avoiding ones answered in the last few weeks.

    The choice is stable through the day (a reload doesn't reshuffle it); ``after`` asks for
    the next one in the rotation, for "another prompt".
    """
    moment = moment or utcnow()
    pool = prompt_pool(phase)
    answered = recently_answered(user, moment)
    fresh = [p for p in pool if p.id not in answered] or pool
    ids = [p.id for p in fresh]
    if after in ids and len(fresh) > 1:
        return fresh[(ids.index(after) + 1) % len(fresh)]
    seed = f"{user.id}|{local_date(moment, zone_of(user)).isoformat()}".encode()
    start = int.from_bytes(hashlib.sha256(seed).digest()[:4], "big") % len(fresh)
    chosen = fresh[start]
    if chosen.id == after and len(pool) > 1:
        # Everything fresh was just this one: move on through the whole pool instead.
        pool_ids = [p.id for p in pool]
        return pool[(pool_ids.index(after) + 1) % len(pool)]
    return chosen


# --- Resurfacing ------------------------------------------------------------------------------


def resurfaced_entry(user: User, moment: datetime | None = None) -> Entry | None:
    """An entry written about a month ago, so it can come back at a good moment."""
    moment = moment or utcnow()
    target = moment - timedelta(days=30)
    candidates = list(
        db.session.scalars(
            select(Entry).where(
                Entry.user_id == user.id,
                Entry.deleted_at.is_(None),
                Entry.created_at >= moment - timedelta(days=33),
                Entry.created_at <= moment - timedelta(days=27),
            )
        )
    )
    if not candidates:
        return None
    return min(candidates, key=lambda e: (abs(e.created_at - target), str(e.id)))


# --- Intentions -------------------------------------------------------------------------------


def parse_intention_text(data: Mapping[str, object]) -> str:
    text = data.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ValidationError({"text": "Write the intention in a few words first."})
    text = text.replace("\r\n", "\n").strip()
    if len(text) > INTENTION_MAX:
        raise ValidationError(
            {
                "text": f"An intention can be up to {INTENTION_MAX:,} characters; "
                f"this has {len(text):,}."
            }
        )
    return text


def create_intention(
    user: User,
    text: str,
    *,
    journey_id: object = None,
    entry_id: object = None,
) -> Intention:
    errors: dict[str, str] = {}
    journey = None
    if journey_id not in (None, ""):
        journey = find_own_journey(user, journey_id)
        if journey is None:
            errors["journey_id"] = "That journey isn’t in your journal."
    entry = None
    if entry_id not in (None, ""):
        entry = find_own_entry(user, entry_id)
        if entry is None:
            errors["entry_id"] = "That entry isn’t in your journal."
    if errors:
        raise ValidationError(errors)
    if journey is None and entry is not None:
        journey = find_own_journey(user, entry.journey_id) if entry.journey_id else None
    now = utcnow()
    intention = Intention(
        user_id=user.id,
        text=text,
        journey_id=journey.id if journey else None,
        entry_id=entry.id if entry else None,
        status="active",
        created_at=now,
        updated_at=now,
    )
    db.session.add(intention)
    db.session.commit()
    reminders.plan_intention_revisits(user, intention.id, now)
    return intention


def find_own_entry(user: User, entry_id: object) -> Entry | None:
    if isinstance(entry_id, str):
        try:
            entry_id = uuid.UUID(entry_id.strip())
        except ValueError:
            return None
    if not isinstance(entry_id, uuid.UUID):
        return None
    return db.session.scalar(
        select(Entry).where(
            Entry.id == entry_id, Entry.user_id == user.id, Entry.deleted_at.is_(None)
        )
    )


def set_intention_status(intention: Intention, status: object) -> Intention:
    if status not in INTENTION_STATUSES:
        raise ValidationError({"status": "Choose active, integrated or let go."})
    if intention.status != status:
        intention.status = status
        intention.updated_at = utcnow()
        db.session.commit()
        if status == "active":
            reminders.plan_intention_revisits(
                db.session.get(User, intention.user_id), intention.id, utcnow()
            )
        else:  # integrated or let go: no more nudges about it
            reminders.cancel_intention_revisits(intention.id)
    return intention


def update_intention_text(intention: Intention, text: str) -> Intention:
    intention.text = text
    intention.updated_at = utcnow()
    db.session.commit()
    return intention


def get_intention_or_404(user: User, intention_id: uuid.UUID) -> Intention:
    intention = db.session.scalar(
        select(Intention).where(Intention.id == intention_id, Intention.user_id == user.id)
    )
    if intention is None:
        abort(404)
    return intention


def list_intentions(user: User, journey: Journey | None = None) -> list[Intention]:
    stmt = select(Intention).where(Intention.user_id == user.id)
    if journey is not None:
        stmt = stmt.where(Intention.journey_id == journey.id)
    return list(db.session.scalars(stmt.order_by(Intention.created_at.desc(), Intention.id)))


def intentions_by_status(user: User) -> list[tuple[str, str, list[Intention]]]:
    everything = list_intentions(user)
    return [
        (key, label, [i for i in everything if i.status == key])
        for key, label in INTENTION_STATUSES.items()
    ]
