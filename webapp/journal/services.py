"""Journal rules: validating, saving, listing and searching one person's entries."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from flask import abort
from sqlalchemy import and_, or_, select

from webapp.auth.models import User
from webapp.errors import ValidationError
from webapp.extensions import db
from webapp.journal.models import BODY_MAX, MOODS, TITLE_MAX, Entry
from webapp.types import utcnow


@dataclass(frozen=True)
class EntryInput:
    """The fields a person can set on an entry, already checked."""

    title: str | None
    body: str
    mood: int | None


def parse_entry_input(data: Mapping[str, object]) -> EntryInput:
    """Check a form or JSON mapping; raise ValidationError naming every bad field."""
    errors: dict[str, str] = {}
    title = data.get("title")
    body = data.get("body")
    mood = data.get("mood")

    if title is None or title == "":
        title = None
    elif not isinstance(title, str):
        errors["title"] = "The title must be text."
    else:
        title = title.strip() or None
        if title and len(title) > TITLE_MAX:
            errors["title"] = (
                f"Titles can be up to {TITLE_MAX} characters; this one has {len(title)}."
            )

    if body is None:
        body = ""
    if not isinstance(body, str):
        errors["body"] = "The entry must be text."
    else:
        body = body.replace("\r\n", "\n")
        if not body.strip():
            errors["body"] = "There is nothing written yet. A single word is enough."
        elif len(body) > BODY_MAX:
            errors["body"] = (
                f"An entry can hold up to {BODY_MAX:,} characters; this one has {len(body):,}. "
                "Nothing was saved: you could split it into two entries."
            )

    if mood is None or mood == "":
        mood = None
    else:
        if isinstance(mood, str) and mood.strip().isdigit():
            mood = int(mood.strip())
        if isinstance(mood, bool) or not isinstance(mood, int) or mood not in MOODS:
            errors["mood"] = "Mood is a number from 1 to 5, or left empty."

    if errors:
        raise ValidationError(errors)
    return EntryInput(title=title, body=body, mood=mood)


def create_entry(user: User, fields: EntryInput, entry_id: uuid.UUID | None = None) -> Entry:
    now = utcnow()
    entry = Entry(
        id=entry_id or uuid.uuid4(),
        user_id=user.id,
        title=fields.title,
        body=fields.body,
        mood=fields.mood,
        created_at=now,
        updated_at=now,
        version=1,
    )
    db.session.add(entry)
    db.session.commit()
    return entry


def update_entry(entry: Entry, fields: EntryInput) -> Entry:
    """Apply a change; saving identical content leaves the version as it was."""
    if (entry.title, entry.body, entry.mood) == (fields.title, fields.body, fields.mood):
        return entry
    entry.title, entry.body, entry.mood = fields.title, fields.body, fields.mood
    _touch(entry)
    db.session.commit()
    return entry


def delete_entry(entry: Entry) -> Entry:
    """Soft-delete, so it can be undone and other devices learn of it when they sync."""
    if entry.deleted_at is None:
        entry.deleted_at = utcnow()
        _touch(entry)
        db.session.commit()
    return entry


def restore_entry(entry: Entry) -> Entry:
    if entry.deleted_at is not None:
        entry.deleted_at = None
        _touch(entry)
        db.session.commit()
    return entry


def _touch(entry: Entry) -> None:
    entry.version += 1
    entry.updated_at = utcnow()


def get_entry_or_404(user: User, entry_id: uuid.UUID, *, include_deleted: bool = False) -> Entry:
    """The user's own entry, or 404: another person's id looks exactly like a missing one."""
    query = select(Entry).where(Entry.id == entry_id, Entry.user_id == user.id)
    if not include_deleted:
        query = query.where(Entry.deleted_at.is_(None))
    entry = db.session.scalar(query)
    if entry is None:
        abort(404)
    return entry


@dataclass(frozen=True)
class TimelinePage:
    entries: list[Entry]
    next_cursor: str | None


def encode_cursor(entry: Entry) -> str:
    raw = f"{entry.created_at.isoformat()}|{entry.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    """Read a "load more" cursor; anything malformed starts from the newest entry."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created, entry_id = raw.split("|", 1)
        when = datetime.fromisoformat(created)
        if when.tzinfo is None:
            return None
        return when, uuid.UUID(entry_id)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None


def timeline_page(
    user: User, *, cursor: str | None = None, query: str = "", per_page: int = 20
) -> TimelinePage:
    """Newest entries first, ``per_page`` at a time, optionally only those matching ``query``.

    Keyset pagination (created_at, id) keeps "load more" stable while new entries arrive.
    """
    stmt = select(Entry).where(Entry.user_id == user.id, Entry.deleted_at.is_(None))
    query = (query or "").strip()
    if query:
        pattern = f"%{_escape_like(query)}%"
        stmt = stmt.where(
            or_(Entry.title.ilike(pattern, escape="\\"), Entry.body.ilike(pattern, escape="\\"))
        )
    position = decode_cursor(cursor)
    if position:
        when, entry_id = position
        stmt = stmt.where(
            or_(Entry.created_at < when, and_(Entry.created_at == when, Entry.id < entry_id))
        )
    stmt = stmt.order_by(Entry.created_at.desc(), Entry.id.desc()).limit(per_page + 1)
    entries = list(db.session.scalars(stmt))
    more = len(entries) > per_page
    entries = entries[:per_page]
    return TimelinePage(entries, encode_cursor(entries[-1]) if more else None)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
