"""What goes into a share: a frozen copy of exactly what the person chose, as plain data.

A snapshot is taken when the link is made, so later edits never leak into it; sharing again
makes a new link. It holds text only, already decrypted from the journal, and is sealed by
``sealing.py`` before it is stored.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from sqlalchemy import select

from webapp.auth.models import User
from webapp.calendar import local_date, zone_of
from webapp.content import ALL_PROMPTS, PHASE_ORDER, PHASES, SAFETY_PLAN_FIELDS
from webapp.errors import ValidationError
from webapp.extensions import db
from webapp.insights.brief import integration_brief
from webapp.journal.capture import capture_in_words
from webapp.journal.models import Entry
from webapp.journal.timeline import entries_by_phase
from webapp.journeys.arc import find_own_journey
from webapp.journeys.models import Journey
from webapp.shares.shared_media import SharedMediaPlan, plan_for
from webapp.support.resources import support_resources
from webapp.support.services import get_safety_plan

SNAPSHOT_VERSION = 1
MOST_ENTRIES = 500


@dataclass(frozen=True)
class Snapshot:
    """A chosen set of things, ready to seal, and how the owner's list describes it."""

    kind: str
    data: dict
    item_count: int
    subject_at: datetime | None = None
    media: SharedMediaPlan = field(default_factory=SharedMediaPlan)  # copied when sealed


@dataclass(frozen=True)
class Selection:
    """Which of a journey's entries a picker shows ticked."""

    ticked: set[uuid.UUID] = field(default_factory=set)
    phase: str | None = None
    start: date | None = None
    end: date | None = None


# --- Choosing ---------------------------------------------------------------------------------


def parse_ids(values: Iterable[object]) -> list[uuid.UUID]:
    ids: list[uuid.UUID] = []
    for value in values:
        try:
            entry_id = uuid.UUID(str(value).strip())
        except ValueError:
            continue
        if entry_id not in ids:
            ids.append(entry_id)
    return ids


def own_entries(user: User, entry_ids: Iterable[uuid.UUID]) -> list[Entry]:
    """The person's own, not deleted entries among ``entry_ids``, oldest first.

    Raises ValidationError when none is chosen, or when one is not theirs (or is gone)."""
    wanted = list(dict.fromkeys(entry_ids))
    if not wanted:
        raise ValidationError({"entries": "Please choose at least one entry to share."})
    if len(wanted) > MOST_ENTRIES:
        raise ValidationError({"entries": f"A link can hold up to {MOST_ENTRIES} entries."})
    entries = list(
        db.session.scalars(
            select(Entry)
            .where(Entry.user_id == user.id, Entry.id.in_(wanted), Entry.deleted_at.is_(None))
            .order_by(Entry.created_at, Entry.id)
        )
    )
    if len(entries) != len(wanted):
        raise ValidationError(
            {"entries": "Some of the chosen entries are no longer in your journal."}
        )
    return entries


def journey_groups(user: User, journey: Journey) -> list[tuple[str, str, list[Entry]]]:
    return entries_by_phase(user, journey)


def select_entries(
    user: User,
    groups: list[tuple[str, str, list[Entry]]],
    *,
    ticked: Iterable[uuid.UUID] = (),
    phase: str | None = None,
    start: date | None = None,
    end: date | None = None,
) -> Selection:
    """Tick entries by hand, by phase, or by the days they were written (in the person's
    own calendar); each way adds to the others."""
    zone = zone_of(user)
    chosen = set(ticked)
    phase = phase if phase in PHASES or phase == "other" else None
    for key, _name, items in groups:
        for entry in items:
            day = local_date(entry.created_at, zone)
            if phase and key == phase:
                chosen.add(entry.id)
            if (start or end) and (start is None or day >= start) and (end is None or day <= end):
                chosen.add(entry.id)
    return Selection(ticked=chosen, phase=phase, start=start, end=end)


def parse_day(value: object) -> date | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


# --- Building ---------------------------------------------------------------------------------


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _entry_record(entry: Entry, media: SharedMediaPlan | None = None) -> dict:
    prompt = ALL_PROMPTS.get(entry.prompt_id or "")
    return {
        "media": media.records.get(entry.id, []) if media else [],
        "title": entry.title or None,
        "body": entry.body,
        "noted": capture_in_words(entry.capture),  # feelings and the body, in words
        "mood": entry.mood_label,
        "prompt": prompt.text if prompt else None,
        "phase": PHASES[entry.phase].name if entry.phase in PHASES else None,
        "written_at": _iso(entry.created_at),
    }


def _frame(user: User, kind: str) -> dict:
    return {"version": SNAPSHOT_VERSION, "kind": kind, "timezone": str(zone_of(user))}


def entries_snapshot(user: User, entries: list[Entry], *, with_media: bool = False) -> Snapshot:
    """One entry, or a hand-picked set, oldest first (with their memos, photos and drawings
    when asked)."""
    media = plan_for(user, entries) if with_media else SharedMediaPlan()
    data = _frame(user, "entries") | {"entries": [_entry_record(e, media) for e in entries]}
    return Snapshot("entries", data, len(entries), entries[0].created_at, media)


def brief_snapshot(
    user: User, journey: Journey, entries: list[Entry], *, with_media: bool = False
) -> Snapshot:
    """The integration brief of a journey, with only the entries the person chose.

    No entry is required: a brief can go with its intention and practices alone."""
    brief = integration_brief(user, journey)
    chosen = {entry.id for entry in entries}
    shown = [e for _key, _name, items in brief.groups for e in items if e.id in chosen]
    media = plan_for(user, shown) if with_media else SharedMediaPlan()
    groups = [
        {"phase": name, "entries": [_entry_record(e, media) for e in items if e.id in chosen]}
        for _key, name, items in brief.groups
    ]
    data = _frame(user, "brief") | {
        "journey": {
            "started_at": _iso(journey.started_at),
            "intention": journey.intention or None,
            "setting_notes": journey.setting_notes or None,
            "until": _iso(brief.until.started_at) if brief.until else None,
            "day": brief.day,
        },
        "groups": [group for group in groups if group["entries"]],
        "practices": [
            {"name": done.name, "times": done.times, "notes": done.notes}
            for done in brief.practices
        ],
        "intentions": [
            {"text": intention.text, "status": intention.status_label}
            for intention in brief.intentions
        ],
    }
    return Snapshot("brief", data, len(chosen), journey.started_at, media)


def safety_plan_snapshot(user: User, *, with_crisis_lines: bool = True) -> Snapshot:
    """The person's safety plan for a support person, with this instance's crisis lines."""
    plan = get_safety_plan(user)
    sections = [
        {"label": label, "text": getattr(plan, name)}
        for name, (label, _hint) in SAFETY_PLAN_FIELDS.items()
        if getattr(plan, name)
    ]
    resources = (
        [
            {"name": r.name, "description": r.description, "contact": r.contact, "href": r.href}
            for r in support_resources()
        ]
        if with_crisis_lines
        else []
    )
    data = _frame(user, "safety_plan") | {"sections": sections, "resources": resources}
    return Snapshot("safety_plan", data, len(sections), plan.updated_at)


def phase_choices() -> list[tuple[str, str]]:
    return [(key, PHASES[key].name) for key in PHASE_ORDER]


def default_range(groups: list[tuple[str, str, list[Entry]]], user: User) -> tuple[date, date]:
    """The first and last day anything was written in a journey's arc (for the date fields)."""
    zone = zone_of(user)
    days = [local_date(entry.created_at, zone) for _k, _n, items in groups for entry in items]
    if not days:
        today = local_date(datetime.now(zone), zone)
        return today - timedelta(days=7), today
    return min(days), max(days)


# --- What a form chose ------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    """What a person chose to share, checked to be theirs; the preview shows it."""

    kind: str
    journey: Journey | None = None
    entries: list[Entry] = field(default_factory=list)


def make_choice(
    user: User, kind: object, journey_id: object, entry_ids: Iterable[uuid.UUID]
) -> Choice:
    """Raises ValidationError: with ``empty`` when there is nothing to share, ``missing``
    when something named is not the person's own (or no longer exists)."""
    if kind == "safety_plan":
        plan = get_safety_plan(user)
        if not any(getattr(plan, name) for name in SAFETY_PLAN_FIELDS):
            raise ValidationError(
                {"empty": "Your safety plan is empty. Write it first, then share it if you like."}
            )
        return Choice("safety_plan")
    ids = list(dict.fromkeys(entry_ids))
    if kind == "entries":
        try:
            return Choice("entries", None, own_entries(user, ids))
        except ValidationError as exc:
            key = "missing" if ids else "empty"
            raise ValidationError({key: exc.errors["entries"]}) from exc
    if kind == "brief":
        journey = find_own_journey(user, journey_id)
        if journey is None:
            raise ValidationError({"missing": "That journey isn’t in your journal."})
        in_journey = {
            entry.id: entry for _k, _n, items in journey_groups(user, journey) for entry in items
        }
        if any(entry_id not in in_journey for entry_id in ids):
            raise ValidationError(
                {"missing": "Some of the chosen entries are not part of this journey any more."}
            )
        chosen = set(ids)
        return Choice("brief", journey, [e for e in in_journey.values() if e.id in chosen])
    raise ValidationError({"missing": "Tend doesn’t know that kind of share."})


def snapshot_of(
    user: User, choice: Choice, *, with_crisis_lines: bool = True, with_media: bool = True
) -> Snapshot:
    if choice.kind == "safety_plan":
        return safety_plan_snapshot(user, with_crisis_lines=with_crisis_lines)
    if choice.kind == "brief" and choice.journey is not None:
        return brief_snapshot(user, choice.journey, choice.entries, with_media=with_media)
    return entries_snapshot(user, choice.entries, with_media=with_media)


def brief_with_entries(user: User, journey: Journey, entry_ids: Iterable[uuid.UUID]):
    """The integration brief for the person's own printing, with only the chosen entries."""
    brief = integration_brief(user, journey)
    chosen = set(entry_ids)
    groups = [
        (key, name, [entry for entry in items if entry.id in chosen])
        for key, name, items in brief.groups
    ]
    return replace(brief, groups=[group for group in groups if group[2]])
