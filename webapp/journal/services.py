"""Journal rules: validating, saving, listing and searching one person's entries."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from flask import abort
from sqlalchemy import select

from webapp import events
from webapp.auth.models import User
from webapp.content import MOODS
from webapp.errors import ValidationError
from webapp.extensions import db
from webapp.journal.capture import Capture, parse_capture, stored_capture
from webapp.journal.context import set_entry_context
from webapp.journal.models import BODY_MAX, TITLE_MAX, Entry
from webapp.types import as_uuid, utcnow, whole_number


@dataclass(frozen=True)
class EntryInput:
    """The fields a person can set on an entry, already checked."""

    title: str | None
    body: str
    mood: int | None
    # Optional integration context; see webapp.journal.context.set_entry_context.
    prompt_id: str | None = None
    journey_id: uuid.UUID | None = None
    # Feelings and the body from a gentle capture; parts not given leave the entry's as is.
    capture: Capture = Capture()


UNSTORABLE_TEXT = (
    "This text holds a broken character (half of an emoji, perhaps) that cannot be stored. "
    "Retyping the last few characters usually mends it."
)


def _storable(text: str) -> bool:
    """Whether the text is valid Unicode: JSON can carry half of a surrogate pair, which
    no UTF-8 text (and so no ciphertext) can hold."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def parse_entry_input(data: Mapping[str, object], *, words_optional: bool = False) -> EntryInput:
    """Check a form or JSON mapping; raise ValidationError naming every bad field.

    Words may be left out of a capture (``feelings``, ``body_map``), or of an edit of one
    (``words_optional``)."""
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
        if title and not _storable(title):
            errors["title"] = UNSTORABLE_TEXT
        elif title and len(title) > TITLE_MAX:
            errors["title"] = (
                f"Titles can be up to {TITLE_MAX} characters; this one has {len(title)}."
            )

    capture = parse_capture(data, errors)
    if body is None:
        body = ""
    if not isinstance(body, str):
        errors["body"] = "The entry must be text."
    else:
        body = body.replace("\r\n", "\n")
        if not body.strip() and (capture.noted or words_optional):
            body = ""  # a capture needs no words: feelings or the body are enough
        elif not body.strip():
            errors["body"] = "There is nothing written yet. A single word is enough."
        elif not _storable(body):
            errors["body"] = UNSTORABLE_TEXT
        elif len(body) > BODY_MAX:
            errors["body"] = (
                f"An entry can hold up to {BODY_MAX:,} characters; this one has {len(body):,}. "
                "Nothing was saved: you could split it into two entries."
            )

    if mood is None or mood == "":
        mood = None
    else:
        mood = whole_number(mood)
        if isinstance(mood, bool) or not isinstance(mood, int) or mood not in MOODS:
            errors["mood"] = "Mood is a number from 1 to 5, or left empty."

    prompt_id = data.get("prompt_id", data.get("prompt"))
    if prompt_id is None or prompt_id == "":
        prompt_id = None
    elif not isinstance(prompt_id, str) or len(prompt_id) > 64:
        errors["prompt"] = "The prompt must be a prompt id, like core-feel."

    journey_id = data.get("journey_id")
    if journey_id is None or journey_id == "":
        journey_id = None
    else:
        journey_id = as_uuid(journey_id)
        if journey_id is None:
            errors["journey_id"] = "The journey must be given by its id."

    if errors:
        raise ValidationError(errors)
    return EntryInput(
        title=title, body=body, mood=mood, prompt_id=prompt_id, journey_id=journey_id,
        capture=capture,
    )


def create_entry(user: User, fields: EntryInput, entry_id: uuid.UUID | None = None) -> Entry:
    """Save a new entry, tied to its prompt, journey and phase; ValidationError saves nothing."""
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
        capture=stored_capture(None, fields.capture),
    )
    set_entry_context(user, entry, prompt_id=fields.prompt_id, journey_id=fields.journey_id,
                      written_at=now)
    db.session.add(entry)
    db.session.commit()
    return entry


def _holds_more_than_words(entry: Entry) -> bool:
    return any(answer for _, answer in events.entry_holds_more_than_words.send(entry))


def words_optional(entry: Entry) -> bool:
    """An entry may lose its words when it noted feelings or the body, or holds a memo or a
    picture: what it holds stays."""
    return bool(entry.capture) or _holds_more_than_words(entry)


def update_entry(entry: Entry, fields: EntryInput) -> Entry:
    """Apply a change; saving identical content leaves the version as it was."""
    capture = stored_capture(entry.capture, fields.capture)
    if (entry.title, entry.body, entry.mood, entry.capture) == (
        fields.title, fields.body, fields.mood, capture
    ):
        return entry
    if not fields.body.strip() and not capture and not _holds_more_than_words(entry):
        raise ValidationError({"body": "There is nothing written yet. A single word is enough."})
    entry.title, entry.body, entry.mood = fields.title, fields.body, fields.mood
    entry.capture = capture
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


def find_own_entry(user: User, entry_id: object) -> Entry | None:
    """The person's entry (not deleted) for an id given as text or UUID, or None."""
    entry_id = as_uuid(entry_id)
    if entry_id is None:
        return None
    return db.session.scalar(
        select(Entry).where(
            Entry.id == entry_id, Entry.user_id == user.id, Entry.deleted_at.is_(None)
        )
    )
