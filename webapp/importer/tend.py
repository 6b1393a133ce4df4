"""Importing a Tend export (format ``tend-export``, version 1)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time

from sqlalchemy import select

from webapp.auth.models import User
from webapp.content import (
    INTENTION_STATUSES,
    MOODS,
    PRACTICES_BY_ID,
    SAFETY_PLAN_FIELDS,
    WEEKDAY_NAMES,
)
from webapp.events import intention_active, journey_saved, practice_scheduled
from webapp.extensions import db
from webapp.importer.attachments import attach_tend_media
from webapp.importer.common import (
    ALREADY_HERE,
    NOT_READABLE,
    Files,
    ImportSummary,
    as_moment,
    as_text,
    as_uuid,
    place,
)
from webapp.intentions.models import Intention
from webapp.journal.models import BODY_MAX, TITLE_MAX, Entry
from webapp.journeys.models import IntegrationSettings, Journey
from webapp.practices.models import ChosenPractice, PracticeLog
from webapp.support.models import SafetyPlan


def import_tend_export(user: User, data: dict, files: Files | None = None) -> ImportSummary:
    summary = ImportSummary("Tend")
    journeys = _import_rows(user, data.get("journeys"), "journeys", Journey,
                            _journey_builder(user), summary)
    entries = _import_rows(user, data.get("entries"), "entries", Entry,
                           _entry_builder(user, journeys), summary)
    intentions = _import_rows(user, data.get("intentions"), "intentions", Intention,
                              _intention_builder(user, journeys, entries), summary)
    chosen = _import_practices(user, data.get("practices") or [], summary)
    _import_safety_plan(user, data.get("safety_plan"), summary)
    _import_settings(user, data.get("settings"), summary)
    db.session.commit()
    attach_tend_media(user, data.get("entries"), entries.ids, files or Files(), summary)
    # Tell the rest of Tend, as if each had been written here (reminders plan ahead).
    for journey in journeys.new_rows:
        journey_saved.send(user, journey=journey)
    for practice in chosen:
        practice_scheduled.send(user, chosen=practice)
    for intention in intentions.new_rows:
        if intention.status == "active":
            intention_active.send(user, intention=intention)
    return summary


@dataclass
class _Placed:
    ids: dict = field(default_factory=dict)  # original id (text) -> id here
    new_rows: list = field(default_factory=list)


def _records(items, what: str, summary: ImportSummary):
    """Each record with its id; records that are not objects with an id are skipped."""
    for record in items if isinstance(items, list) else []:
        original = as_uuid(record.get("id")) if isinstance(record, dict) else None
        if original is None:
            summary.skip(what, "has no id")
            continue
        yield record, original


def _import_rows(user: User, items, what: str, model, build, summary: ImportSummary) -> _Placed:
    """Place every record of one kind and build its row; ``build(record, id)`` raises
    ValueError for a record it cannot read, which is then left out and counted."""
    placed = _Placed()
    for record, original in _records(items, what, summary):
        target, here = place(model, original, user)
        if here:
            placed.ids[str(original)] = target
            summary.skip(what, ALREADY_HERE)
            continue
        try:
            if target is None:
                raise ValueError("no id fits")
            row = build(record, target)
        except (ValueError, TypeError):
            summary.skip(what, NOT_READABLE)
            continue
        placed.ids[str(original)] = target
        db.session.add(row)
        placed.new_rows.append(row)
        summary.imported[what] += 1
    db.session.flush()
    return placed


def _stamps(record: dict, fallback=None) -> dict:
    """created_at and updated_at as given (or ``fallback``); absent ones take the defaults."""
    stamps = {}
    for name in ("created_at", "updated_at"):
        moment = as_moment(record.get(name)) or fallback
        if moment is not None:
            stamps[name] = moment
    return stamps


def _journey_builder(user: User):
    def build(record: dict, target) -> Journey:
        started = as_moment(record.get("started_at"))
        if started is None:
            raise ValueError("no start")
        return Journey(
            id=target, user_id=user.id, started_at=started,
            intention=as_text(record.get("intention")),
            setting_notes=as_text(record.get("setting_notes")),
            **_stamps(record, started),
        )

    return build


def _entry_builder(user: User, journeys: _Placed):
    def build(record: dict, target) -> Entry:
        created = as_moment(record.get("created_at"))
        body = as_text(record.get("body"), BODY_MAX)
        mood = record.get("mood")
        if created is None or body is None or (mood is not None and mood not in MOODS):
            raise ValueError("no time, no text, or a mood out of range")
        version = record.get("version")
        return Entry(
            id=target, user_id=user.id, title=as_text(record.get("title"), TITLE_MAX),
            body=body, mood=mood,
            version=version if isinstance(version, int) and version > 0 else 1,
            deleted_at=as_moment(record.get("deleted_at")),
            prompt_id=as_text(record.get("prompt_id"), 64),
            journey_id=journeys.ids.get(str(record.get("journey_id"))),
            phase=as_text(record.get("phase"), 32),
            **_stamps(record, created),
        )

    return build


def _intention_builder(user: User, journeys: _Placed, entries: _Placed):
    def build(record: dict, target) -> Intention:
        text = as_text(record.get("text"))
        if not text or record.get("status") not in INTENTION_STATUSES:
            raise ValueError("no text or an unknown status")
        return Intention(
            id=target, user_id=user.id, text=text, status=record["status"],
            journey_id=journeys.ids.get(str(record.get("journey_id"))),
            entry_id=entries.ids.get(str(record.get("entry_id"))),
            **_stamps(record),
        )

    return build


def _weekday_mask(days) -> int:
    mask = 0
    for name in days if isinstance(days, list) else []:
        if name not in WEEKDAY_NAMES:
            raise ValueError("unknown weekday")
        mask |= 1 << WEEKDAY_NAMES.index(name)
    if not mask:
        raise ValueError("no weekday")
    return mask


def _import_practices(user: User, items, summary: ImportSummary) -> list:
    added = []
    for record, original in _records(items, "practices", summary):
        if record.get("practice_id") not in PRACTICES_BY_ID:
            summary.skip("practices", "not in this Tend's catalogue")
            continue
        existing = db.session.scalar(select(ChosenPractice).where(
            ChosenPractice.user_id == user.id,
            ChosenPractice.practice_id == record["practice_id"]))
        if existing is not None:
            summary.skip("practices", ALREADY_HERE)
            chosen = existing
        else:
            target, _ = place(ChosenPractice, original, user)
            try:
                when = record.get("time")
                chosen = ChosenPractice(
                    id=target, user_id=user.id, practice_id=record["practice_id"],
                    weekdays=_weekday_mask(record.get("days")),
                    time_of_day=time.fromisoformat(when) if when else None,
                    **({"created_at": as_moment(record.get("created_at"))}
                       if as_moment(record.get("created_at")) else {}),
                )
                if target is None:
                    raise ValueError
            except (ValueError, TypeError):
                summary.skip("practices", NOT_READABLE)
                continue
            db.session.add(chosen)
            db.session.flush()
            added.append(chosen)
            summary.imported["practices"] += 1
        _import_practice_logs(user, chosen, record.get("done") or [], summary)
    return added


def _import_practice_logs(user, chosen: ChosenPractice, items, summary) -> None:
    def build(record: dict, target) -> PracticeLog:
        done_at = as_moment(record.get("done_at"))
        if done_at is None:
            raise ValueError("no time")
        return PracticeLog(
            id=target, user_id=user.id, chosen_practice_id=chosen.id,
            done_on=datetime.fromisoformat(str(record.get("done_on"))).date(),
            done_at=done_at, note=as_text(record.get("note")),
        )

    _import_rows(user, items, "practice days", PracticeLog, build, summary)


def _import_safety_plan(user: User, record, summary: ImportSummary) -> None:
    if not isinstance(record, dict):
        return
    fields = {name: record.get(name) for name in SAFETY_PLAN_FIELDS}
    if not all(value is None or isinstance(value, str) for value in fields.values()):
        summary.skip("safety plan", NOT_READABLE)
        return
    plan = db.session.get(SafetyPlan, user.id)
    if plan is not None and any(getattr(plan, name) for name in SAFETY_PLAN_FIELDS):
        if all(getattr(plan, name) == value for name, value in fields.items()):
            summary.skip("safety plan", ALREADY_HERE)
        else:
            summary.skip("safety plan", "you already have one here; it was kept as it is")
        return
    plan = plan or SafetyPlan(user_id=user.id)
    for name, value in fields.items():
        setattr(plan, name, value)
    updated = as_moment(record.get("updated_at"))
    if updated:
        plan.updated_at = updated
    db.session.add(plan)
    summary.imported["safety plan"] += 1


def _import_settings(user: User, record, summary: ImportSummary) -> None:
    """Phase windows and therapist: taken only where the person has not chosen their own."""
    if not isinstance(record, dict):
        return
    current = db.session.get(IntegrationSettings, user.id)
    if current is not None:
        same = (current.reflection_days, current.meaning_days, current.phase_override,
                current.therapist_contact) == (record.get("reflection_days"),
                                               record.get("meaning_days"),
                                               record.get("phase_override"),
                                               record.get("therapist_contact"))
        summary.skip("settings", ALREADY_HERE if same else "yours here were kept")
        return
    try:
        reflection, meaning = int(record["reflection_days"]), int(record["meaning_days"])
        if not 1 <= reflection < meaning:
            raise ValueError
        settings = IntegrationSettings(
            user_id=user.id, reflection_days=reflection, meaning_days=meaning,
            phase_override=as_text(record.get("phase_override"), 32),
            therapist_contact=as_text(record.get("therapist_contact")),
        )
    except (KeyError, TypeError, ValueError):
        summary.skip("settings", NOT_READABLE)
        return
    db.session.add(settings)
    summary.imported["settings"] += 1
