"""Reading one person's journal: the timeline with "load more", search, a journey's entries
by phase, and an entry from about a month ago that can come back."""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, bindparam, or_, select

from webapp.auth.models import User
from webapp.content import PHASE_ORDER, PHASES
from webapp.encrypted_fields import text_reader
from webapp.extensions import db
from webapp.journal.models import Entry
from webapp.journeys.models import Journey
from webapp.types import utcnow


@dataclass(frozen=True)
class TimelinePage:
    entries: list  # of Entry, or of EntryCard when read lean
    next_cursor: str | None


class EntryCard:
    """An entry as the timeline shows it: read as plain columns and decrypted, with no ORM
    object built. Reads like an Entry in templates."""

    __slots__ = ("id", "user_id", "title", "body", "mood", "created_at", "phase", "prompt_id",
                 "conflict_of_id", "capture")

    def __init__(self, **fields):
        for name, value in fields.items():
            setattr(self, name, value)

    capture_data = Entry.capture_data
    mood_label = Entry.mood_label


# The table's own columns: a Core read, with no ORM statement or loading to pass through.
_ENTRIES = Entry.__table__
_CARD_COLUMNS = tuple(_ENTRIES.c[name] for name in (
    "id", "title", "body", "capture", "mood", "created_at", "phase", "prompt_id",
    "conflict_of_id",
))
# The plain first page, the most frequent read, built once.
_NEWEST_CARDS = (
    select(*_CARD_COLUMNS)
    .where(_ENTRIES.c.user_id == bindparam("user_id"), _ENTRIES.c.deleted_at.is_(None))
    .order_by(_ENTRIES.c.created_at.desc(), _ENTRIES.c.id.desc())
    .limit(bindparam("limit"))
)


def _cards(user: User, stmt, limit: int) -> list[EntryCard]:
    if stmt is None:
        rows = db.session.execute(_NEWEST_CARDS, {"user_id": user.id, "limit": limit})
    else:
        rows = db.session.execute(stmt.with_only_columns(*_CARD_COLUMNS).limit(limit))
    read = text_reader(db.session, user.id)
    user_id = user.id
    return [
        EntryCard(
            id=entry_id, user_id=user_id, title=read("title", title) if title is not None else None,
            body=read("body", body) if body is not None else None,
            capture=read("capture", capture) if capture is not None else None,
            mood=mood, created_at=created_at, phase=phase, prompt_id=prompt_id,
            conflict_of_id=conflict_of_id,
        )
        for entry_id, title, body, capture, mood, created_at, phase, prompt_id, conflict_of_id
        in rows
    ]


def encode_cursor(entry: Entry) -> str:
    raw = f"{entry.created_at.isoformat()}|{entry.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    """Read a "load more" cursor; anything malformed starts from the newest entry (a time no
    datetime can hold in UTC, like year 1 at +14:00, included)."""
    if not cursor or len(cursor) > 200:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created, entry_id = raw.split("|", 1)
        when = datetime.fromisoformat(created)
        if when.tzinfo is None:
            return None
        return when.astimezone(UTC), uuid.UUID(entry_id)
    except (ValueError, OverflowError, binascii.Error, UnicodeDecodeError):
        return None


def timeline_page(
    user: User, *, cursor: str | None = None, query: str = "", per_page: int = 20,
    lean: bool = False,
) -> TimelinePage:
    """Newest entries first, ``per_page`` at a time, optionally only those matching ``query``.

    Keyset pagination (created_at, id) keeps "load more" stable while new entries arrive.
    Text is encrypted at rest, so a search decrypts the person's own entries here and
    matches them in Python, in pages, rather than asking the database. ``lean`` lists
    EntryCards instead of Entry objects (for showing, not changing).
    """
    position = decode_cursor(cursor)
    needle = (query or "").strip().casefold()
    if lean and not needle and not position:
        entries = _cards(user, None, per_page + 1)  # the plain first page: built once
    else:
        stmt = select(Entry).where(Entry.user_id == user.id, Entry.deleted_at.is_(None))
        if position:
            when, entry_id = position
            stmt = stmt.where(or_(
                Entry.created_at < when, and_(Entry.created_at == when, Entry.id < entry_id)
            ))
        stmt = stmt.order_by(Entry.created_at.desc(), Entry.id.desc())
        if not needle and lean:
            entries = _cards(user, stmt, per_page + 1)
        elif not needle:
            entries = list(db.session.scalars(stmt.limit(per_page + 1)))
        else:
            entries = _search(user, stmt, needle, per_page + 1)
    more = len(entries) > per_page
    entries = entries[:per_page]
    return TimelinePage(entries, encode_cursor(entries[-1]) if more else None)


def _search(user: User, stmt, needle: str, wanted: int) -> list[Entry]:
    """Decrypt only titles and bodies, newest first, until ``wanted`` entries match."""
    read = text_reader(db.session, user.id)
    matches: list = []
    rows = db.session.execute(
        stmt.with_only_columns(Entry.id, Entry._title, Entry._body).execution_options(
            yield_per=500
        )
    )
    try:
        for entry_id, title, body in rows:
            if needle in read("body", body).casefold() or (
                title is not None and needle in read("title", title).casefold()
            ):
                matches.append(entry_id)
                if len(matches) >= wanted:
                    break
    finally:
        rows.close()
    if not matches:
        return []
    found = {e.id: e for e in db.session.scalars(select(Entry).where(Entry.id.in_(matches)))}
    return [found[entry_id] for entry_id in matches]


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


_WRITTEN_BETWEEN = select(Entry).where(
    Entry.user_id == bindparam("user_id"),
    Entry.deleted_at.is_(None),
    Entry.created_at >= bindparam("start"),
    Entry.created_at <= bindparam("end"),
)


def resurfaced_entry(user: User, moment: datetime | None = None) -> Entry | None:
    """An entry written about a month ago, so it can come back at a good moment."""
    moment = moment or utcnow()
    target = moment - timedelta(days=30)
    candidates = list(db.session.scalars(_WRITTEN_BETWEEN, {
        "user_id": user.id,
        "start": moment - timedelta(days=33),
        "end": moment - timedelta(days=27),
    }))
    if not candidates:
        return None
    return min(candidates, key=lambda e: (abs(e.created_at - target), str(e.id)))
