"""Import rules, independent of HTTP.

Importing is idempotent: every imported row keeps its original id when that id is free, or
gets an id derived from (person, original id) when another account already uses it, so
importing the same file again finds everything already there and changes nothing. Each row
that is not imported is counted with the reason why.
"""

from __future__ import annotations

import io
import json
import re
import uuid
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, time

from sqlalchemy import select

from webapp.auth.models import User
from webapp.content import PRACTICES_BY_ID
from webapp.events import intention_active, journey_saved, practice_scheduled
from webapp.extensions import db
from webapp.insights.services import EXPORT_FORMAT
from webapp.journal.models import BODY_MAX, MOODS, TITLE_MAX, Entry
from webapp.journeys.models import INTENTION_STATUSES, IntegrationSettings, Intention, Journey
from webapp.practices.models import WEEKDAY_NAMES, ChosenPractice, PracticeLog
from webapp.support.models import SAFETY_PLAN_FIELDS, SafetyPlan

# Ids derived for rows whose original id belongs to someone else: stable, so a second
# import of the same file lands on the same rows.
IMPORT_NAMESPACE = uuid.UUID("5f0c8e5e-4d0a-4b8e-9b1e-7a3c2d1e0f42")
MAX_UNPACKED_BYTES = 256 * 1024 * 1024

ALREADY_HERE = "already in this journal"
NOT_READABLE = "could not be read"


class ImportError_(ValueError):  # noqa: N801 (ImportError is Python's own)
    """The file as a whole cannot be imported; the message tells the person why."""


@dataclass
class ImportSummary:
    source: str
    imported: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)  # (what, why) -> how many

    def skip(self, what: str, why: str) -> None:
        self.skipped[(what, why)] += 1

    @property
    def total_imported(self) -> int:
        return sum(self.imported.values())


# -- Reading the upload --------------------------------------------------------------------------


def read_upload(filename: str, payload: bytes) -> tuple[str, dict]:
    """Decide what the file is: ``("tend", data)`` or ``("dayone", data)``."""
    if payload[:2] == b"PK":
        return _read_zip(payload)
    try:
        data = json.loads(payload)
    except (ValueError, RecursionError):
        raise ImportError_(
            f"{filename or 'The file'} is neither JSON nor a zip. Choose the .json (or .zip) "
            "file your export made."
        ) from None
    return _recognise(data)


def _recognise(data) -> tuple[str, dict]:
    if isinstance(data, dict) and data.get("format") == EXPORT_FORMAT:
        if data.get("version") != 1:
            raise ImportError_("This Tend export is from a newer version of Tend.")
        return "tend", data
    if isinstance(data, dict) and isinstance(data.get("entries"), list) and (
        "metadata" in data or all(isinstance(e, dict) and "creationDate" in e
                                  for e in data["entries"][:5])
    ):
        return "dayone", data
    raise ImportError_("This file is not a Tend or Day One export.")


def _read_zip(payload: bytes) -> tuple[str, dict]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(payload))
    except zipfile.BadZipFile:
        raise ImportError_("The zip file is damaged.") from None
    with archive:
        members = [i for i in archive.infolist()
                   if i.filename.lower().endswith(".json") and not i.is_dir()]
        if not members:
            raise ImportError_("The zip holds no .json export.")
        if sum(i.file_size for i in members) > MAX_UNPACKED_BYTES:
            raise ImportError_("The export inside the zip is too large to import at once.")
        entries, kind, tend = [], None, None
        for member in members:
            try:
                data = json.loads(archive.read(member))
            except (ValueError, RecursionError):
                continue
            try:
                found, data = _recognise(data)
            except ImportError_:
                continue
            if found == "tend":
                tend = data
            else:
                kind = "dayone"
                entries.extend(data["entries"])  # one file per Day One journal
        if tend is not None:
            return "tend", tend
        if kind == "dayone":
            return "dayone", {"entries": entries}
    raise ImportError_("The zip holds no Tend or Day One export.")


# -- Ids -------------------------------------------------------------------------------------------


def _uuid(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None


def _place(model, original: uuid.UUID, user: User) -> tuple[uuid.UUID | None, bool]:
    """Where a row with ``original`` id goes: (id, already here). None when nowhere fits."""
    for candidate in (original, uuid.uuid5(IMPORT_NAMESPACE, f"{user.id}:{original}")):
        row = db.session.get(model, candidate)
        if row is None:
            return candidate, False
        if row.user_id == user.id:
            return candidate, True
    return None, False


def _moment(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _text(value, limit: int | None = None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("text expected")
    if limit is not None and len(value) > limit:
        raise ValueError("too long")
    return value


# -- Tend export -----------------------------------------------------------------------------------


def import_tend_export(user: User, data: dict) -> ImportSummary:
    summary = ImportSummary("Tend")
    journeys = _import_journeys(user, data.get("journeys") or [], summary)
    entries = _import_entries(user, data.get("entries") or [], journeys, summary)
    intentions = _import_intentions(user, data.get("intentions") or [], journeys, entries,
                                    summary)
    chosen = _import_practices(user, data.get("practices") or [], summary)
    _import_safety_plan(user, data.get("safety_plan"), summary)
    _import_settings(user, data.get("settings"), summary)
    db.session.commit()
    # Tell the rest of Tend, as if each had been written here (reminders plan ahead).
    for journey in journeys.new_rows:
        journey_saved.send(user, journey=journey)
    for practice in chosen:
        practice_scheduled.send(user, chosen=practice)
    for intention in intentions:
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
        original = _uuid(record.get("id")) if isinstance(record, dict) else None
        if original is None:
            summary.skip(what, "has no id")
            continue
        yield record, original


def _import_journeys(user: User, items, summary: ImportSummary) -> _Placed:
    placed = _Placed()
    for record, original in _records(items, "journeys", summary):
        target, here = _place(Journey, original, user)
        if target is not None:
            placed.ids[str(original)] = target
        if here:
            summary.skip("journeys", ALREADY_HERE)
            continue
        started = _moment(record.get("started_at"))
        try:
            if target is None or started is None:
                raise ValueError
            journey = Journey(
                id=target, user_id=user.id, started_at=started,
                intention=_text(record.get("intention")),
                setting_notes=_text(record.get("setting_notes")),
                created_at=_moment(record.get("created_at")) or started,
                updated_at=_moment(record.get("updated_at")) or started,
            )
        except ValueError:
            placed.ids.pop(str(original), None)
            summary.skip("journeys", NOT_READABLE)
            continue
        db.session.add(journey)
        placed.new_rows.append(journey)
        summary.imported["journeys"] += 1
    db.session.flush()
    return placed


def _import_entries(user: User, items, journeys: _Placed, summary: ImportSummary) -> _Placed:
    placed = _Placed()
    for record, original in _records(items, "entries", summary):
        target, here = _place(Entry, original, user)
        if target is not None:
            placed.ids[str(original)] = target
        if here:
            summary.skip("entries", ALREADY_HERE)
            continue
        created = _moment(record.get("created_at"))
        mood = record.get("mood")
        try:
            body = _text(record.get("body"), BODY_MAX)
            if target is None or created is None or body is None:
                raise ValueError
            if mood is not None and mood not in MOODS:
                raise ValueError
            version = record.get("version")
            entry = Entry(
                id=target, user_id=user.id, title=_text(record.get("title"), TITLE_MAX),
                body=body, mood=mood, created_at=created,
                updated_at=_moment(record.get("updated_at")) or created,
                version=version if isinstance(version, int) and version > 0 else 1,
                deleted_at=_moment(record.get("deleted_at")),
                prompt_id=_text(record.get("prompt_id"), 64),
                journey_id=journeys.ids.get(str(record.get("journey_id"))),
                phase=_text(record.get("phase"), 32),
            )
        except ValueError:
            placed.ids.pop(str(original), None)
            summary.skip("entries", NOT_READABLE)
            continue
        db.session.add(entry)
        summary.imported["entries"] += 1
    db.session.flush()
    return placed


def _import_intentions(user, items, journeys: _Placed, entries: _Placed, summary) -> list:
    added = []
    for record, original in _records(items, "intentions", summary):
        target, here = _place(Intention, original, user)
        if here:
            summary.skip("intentions", ALREADY_HERE)
            continue
        status = record.get("status")
        try:
            text = _text(record.get("text"))
            if target is None or not text or status not in INTENTION_STATUSES:
                raise ValueError
            created = _moment(record.get("created_at"))
            intention = Intention(
                id=target, user_id=user.id, text=text, status=status,
                journey_id=journeys.ids.get(str(record.get("journey_id"))),
                entry_id=entries.ids.get(str(record.get("entry_id"))),
                **({"created_at": created} if created else {}),
                **({"updated_at": _moment(record.get("updated_at"))}
                   if _moment(record.get("updated_at")) else {}),
            )
        except ValueError:
            summary.skip("intentions", NOT_READABLE)
            continue
        db.session.add(intention)
        added.append(intention)
        summary.imported["intentions"] += 1
    db.session.flush()
    return added


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
            target, _ = _place(ChosenPractice, original, user)
            try:
                when = record.get("time")
                chosen = ChosenPractice(
                    id=target, user_id=user.id, practice_id=record["practice_id"],
                    weekdays=_weekday_mask(record.get("days")),
                    time_of_day=time.fromisoformat(when) if when else None,
                    **({"created_at": _moment(record.get("created_at"))}
                       if _moment(record.get("created_at")) else {}),
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
    for record, original in _records(items, "practice days", summary):
        target, here = _place(PracticeLog, original, user)
        if here:
            summary.skip("practice days", ALREADY_HERE)
            continue
        done_at = _moment(record.get("done_at"))
        try:
            done_on = datetime.fromisoformat(str(record.get("done_on"))).date()
            if target is None or done_at is None:
                raise ValueError
            log = PracticeLog(id=target, user_id=user.id, chosen_practice_id=chosen.id,
                              done_on=done_on, done_at=done_at, note=_text(record.get("note")))
        except ValueError:
            summary.skip("practice days", NOT_READABLE)
            continue
        db.session.add(log)
        summary.imported["practice days"] += 1
    db.session.flush()


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
    updated = _moment(record.get("updated_at"))
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
            phase_override=_text(record.get("phase_override"), 32),
            therapist_contact=_text(record.get("therapist_contact")),
        )
    except (KeyError, TypeError, ValueError):
        summary.skip("settings", NOT_READABLE)
        return
    db.session.add(settings)
    summary.imported["settings"] += 1


# -- Day One -------------------------------------------------------------------------------------

DAY_ONE_ESCAPES = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~])")
DAY_ONE_MEDIA = re.compile(r"!\[[^\]]*\]\(dayone-moment:/{1,2}[^)]*\)\n?")


def _day_one_text(text: str) -> tuple[str | None, str, int]:
    """(title, body, pictures left out) from Day One's Markdown."""
    pictures = len(DAY_ONE_MEDIA.findall(text))
    text = DAY_ONE_ESCAPES.sub(r"\1", DAY_ONE_MEDIA.sub("", text)).strip()
    title = None
    first, _, rest = text.partition("\n")
    if first.startswith("# ") and len(first) - 2 <= TITLE_MAX:
        title, text = first[2:].strip() or None, rest.strip()
    return title, text, pictures


def _parts(body: str) -> list[str]:
    """Split a body longer than an entry can hold at paragraph breaks; nothing is lost."""
    if len(body) <= BODY_MAX:
        return [body]
    parts, current = [], ""
    for paragraph in body.split("\n\n"):
        for start in range(0, max(len(paragraph), 1), BODY_MAX):
            piece = paragraph[start : start + BODY_MAX]
            candidate = f"{current}\n\n{piece}" if current else piece
            if len(candidate) <= BODY_MAX:
                current = candidate
            else:
                parts.append(current)
                current = piece
    if current:
        parts.append(current)
    return parts


def import_day_one(user: User, data: dict) -> ImportSummary:
    summary = ImportSummary("Day One")
    for record in data.get("entries") or []:
        if not isinstance(record, dict):
            summary.skip("entries", NOT_READABLE)
            continue
        original = str(record.get("uuid") or "")
        created = _moment(record.get("creationDate"))
        text = record.get("text")
        if not original or created is None:
            summary.skip("entries", NOT_READABLE)
            continue
        title, body, pictures = _day_one_text(text if isinstance(text, str) else "")
        pictures = max(pictures, len(record.get("photos") or []))
        if pictures:
            summary.skip("pictures", "Tend does not keep pictures yet")
        tags = [t for t in record.get("tags") or [] if isinstance(t, str) and t.strip()]
        if tags:
            body = (body + "\n\n" if body else "") + "Tags: " + ", ".join(tags)
        if not body:
            summary.skip("entries", "has no text")
            continue
        updated = _moment(record.get("modifiedDate")) or created
        pieces = _parts(body)
        for number, piece in enumerate(pieces, start=1):
            key = f"{user.id}:dayone:{original}" + (f":{number}" if number > 1 else "")
            entry_id = uuid.uuid5(IMPORT_NAMESPACE, key)
            if db.session.get(Entry, entry_id) is not None:
                summary.skip("entries", ALREADY_HERE)
                continue
            part_title = title
            if len(pieces) > 1:
                part_title = f"{title or 'Day One entry'} ({number} of {len(pieces)})"[:TITLE_MAX]
            db.session.add(Entry(
                id=entry_id, user_id=user.id, title=part_title, body=piece,
                created_at=created, updated_at=max(updated, created),
            ))
            summary.imported["entries"] += 1
        db.session.flush()
    db.session.commit()
    return summary


def import_file(user: User, filename: str, payload: bytes) -> ImportSummary:
    kind, data = read_upload(filename, payload)
    if kind == "tend":
        return import_tend_export(user, data)
    return import_day_one(user, data)
