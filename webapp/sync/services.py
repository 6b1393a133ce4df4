"""Applying a batch of drafts written on a device, possibly offline and possibly twice.

The rules (docs/sync.md): a new id is created; a draft based on the server's current
version updates it; a draft whose content the server already holds is ``unchanged`` (so a
replayed batch gets the same answers and makes no duplicates); a draft based on an older
version is a ``conflict``: the server keeps its text and saves the draft as a new entry
marked as a copy, so both survive. Conflicts are decided by version numbers only.

An id that is another person's entry answers exactly like an unused one: the draft becomes
this person's entry under a fresh id, remembered as an alias of the device's id
(``webapp.sync.models.DraftAlias``), so syncing ids reveals nothing about anyone else's.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from webapp.auth.models import User
from webapp.errors import ValidationError
from webapp.extensions import db
from webapp.journal.capture import stored_capture
from webapp.journal.context import set_entry_context
from webapp.journal.models import Entry
from webapp.sync.drafts import Draft, parse_draft
from webapp.sync.models import DraftAlias
from webapp.types import utcnow

NOT_YOURS = "No entry of yours has this id."
CHANGED_ELSEWHERE = (
    "This entry changed on another device before this deletion arrived, so it was kept. "
    "Delete it again if you still want it gone."
)


@dataclass
class DraftResult:
    id: object
    status: str
    version: int | None = None
    conflict_copy_id: uuid.UUID | None = None
    error: str | None = None
    errors: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict:
        answer: dict[str, object] = {
            "id": str(self.id) if isinstance(self.id, uuid.UUID) else self.id,
            "status": self.status,
            "version": self.version,
        }
        if self.conflict_copy_id is not None:
            answer["conflict_copy_id"] = str(self.conflict_copy_id)
        if self.error:
            answer["error"] = self.error
        if self.errors:
            answer["errors"] = self.errors
        return answer


def link_prompt_and_journey(user: User, entry: Entry, draft: Draft) -> None:
    """Attach a draft's prompt and journey (and so its phase) to its entry.

    Raises ValidationError before changing anything when the prompt is unknown or the
    journey is not the person's own: call it before touching the entry's text.
    """
    set_entry_context(
        user, entry, prompt_id=draft.prompt, journey_id=draft.journey_id,
        written_at=entry.created_at,
    )


def _same_content(entry: Entry, draft: Draft) -> bool:
    """Whether the server already holds exactly what the draft says."""
    if draft.deleted:
        return entry.deleted_at is not None
    return (
        entry.deleted_at is None
        and _same_text(entry, draft)
        and entry.prompt_id == draft.prompt
        and (draft.journey_id is None or entry.journey_id == draft.journey_id)
    )


def _same_text(entry: Entry, draft: Draft) -> bool:
    """Title, words, mood and what a capture noted (parts the draft left out count as same)."""
    fields = draft.fields
    return (entry.title, entry.body, entry.mood, entry.capture) == (
        fields.title, fields.body, fields.mood, stored_capture(entry.capture, fields.capture)
    )


def _bump(entry: Entry, now: datetime) -> None:
    entry.version += 1
    entry.updated_at = now


def apply_batch(user: User, raw_drafts: list) -> list[DraftResult]:
    """Apply every draft in order, in one transaction; invalid drafts do not stop the rest.

    Another request may create one of these ids at the same moment (the page and the
    service worker syncing together); the batch is then simply read and applied again.
    """
    for attempt in range(3):
        try:
            results = _apply_batch_once(user, raw_drafts)
            db.session.commit()
            return results
        except IntegrityError:
            db.session.rollback()
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _apply_batch_once(user: User, raw_drafts: list) -> list[DraftResult]:
    parsed: list[Draft | DraftResult] = []
    for raw in raw_drafts:
        try:
            parsed.append(parse_draft(raw))
        except ValidationError as exc:
            raw_id = raw.get("id") if isinstance(raw, Mapping) else None
            parsed.append(
                DraftResult(
                    id=raw_id if isinstance(raw_id, str) else None,
                    status="rejected",
                    error=" ".join(exc.errors.values()),
                    errors=exc.errors,
                )
            )

    ids = {item.id for item in parsed if isinstance(item, Draft)}
    known: dict[uuid.UUID, Entry] = {}
    aliased: dict[uuid.UUID, Entry] = {}
    if ids:
        # Lock the rows (PostgreSQL) so two syncs of one entry cannot both win.
        query = select(Entry).where(Entry.id.in_(ids)).with_for_update()
        known = {entry.id: entry for entry in db.session.scalars(query)}
        aliased = _aliased_entries(user, ids)
    mine = [e for e in (*known.values(), *aliased.values()) if e.user_id == user.id]
    copies = _existing_copies(user, mine)

    now = utcnow()
    results = []
    for item in parsed:
        if isinstance(item, DraftResult):
            results.append(item)
        else:
            results.append(_apply_draft(user, item, known, aliased, copies, now))
    db.session.flush()
    return results


def _aliased_entries(user: User, ids: set[uuid.UUID]) -> dict[uuid.UUID, Entry]:
    """This person's entries made for draft ids that were someone else's (always queried, so
    such an id takes no longer to answer than any other)."""
    query = (
        select(DraftAlias.draft_id, Entry)
        .join(Entry, Entry.id == DraftAlias.entry_id)
        .where(DraftAlias.user_id == user.id, DraftAlias.draft_id.in_(ids))
        .with_for_update()
    )
    return {draft_id: entry for draft_id, entry in db.session.execute(query)}


def _existing_copies(user: User, originals: list[Entry]) -> dict[uuid.UUID, list[Entry]]:
    """Conflict copies already made of these entries, so a replayed conflict finds its copy."""
    copies: dict[uuid.UUID, list[Entry]] = {}
    if not originals:
        return copies
    query = select(Entry).where(
        Entry.user_id == user.id, Entry.conflict_of_id.in_([e.id for e in originals])
    )
    for copy in db.session.scalars(query):
        copies.setdefault(copy.conflict_of_id, []).append(copy)
    return copies


def _apply_draft(
    user: User,
    draft: Draft,
    known: dict[uuid.UUID, Entry],
    aliased: dict[uuid.UUID, Entry],
    copies: dict[uuid.UUID, list[Entry]],
    now: datetime,
) -> DraftResult:
    entry = known.get(draft.id)
    if entry is not None and entry.user_id != user.id:
        # Someone else's id: this person's own entry for it, if one was made (else None,
        # and the draft is answered exactly as for an unused id).
        entry = aliased.get(draft.id)
        if entry is None and not draft.deleted:
            return _create_under_alias(user, draft, aliased, now)
    try:
        return _apply_valid_draft(user, entry, draft, known, copies, now)
    except ValidationError as exc:  # an unknown prompt, or someone else's journey
        return DraftResult(id=draft.id, status="rejected", error="; ".join(exc.errors.values()))


def _create_under_alias(
    user: User, draft: Draft, aliased: dict[uuid.UUID, Entry], now: datetime
) -> DraftResult:
    try:
        entry = _new_entry(user, draft, uuid.uuid4(), now)
    except ValidationError as exc:  # an unknown prompt, or someone else's journey
        return DraftResult(id=draft.id, status="rejected", error="; ".join(exc.errors.values()))
    db.session.add(DraftAlias(user_id=user.id, draft_id=draft.id, entry_id=entry.id))
    aliased[draft.id] = entry
    return DraftResult(id=draft.id, status="created", version=entry.version)


def _apply_valid_draft(
    user: User,
    entry: Entry | None,
    draft: Draft,
    known: dict[uuid.UUID, Entry],
    copies: dict[uuid.UUID, list[Entry]],
    now: datetime,
) -> DraftResult:
    if entry is None:
        if draft.deleted:
            return DraftResult(id=draft.id, status="rejected", error=NOT_YOURS)
        entry = _new_entry(user, draft, draft.id, now)
        known[draft.id] = entry
        return DraftResult(id=draft.id, status="created", version=entry.version)

    if _same_content(entry, draft):
        return DraftResult(id=draft.id, status="unchanged", version=entry.version)

    # A draft that never saw a server version (base null) of an entry still at version 1
    # holds a later state of the same device's own text: its first sync's answer was lost.
    based_on_current = draft.base_version == entry.version or (
        draft.base_version is None and entry.version == 1
    )
    if based_on_current:
        if draft.deleted:
            entry.deleted_at = now
        else:
            fields = draft.fields
            capture = stored_capture(entry.capture, fields.capture)
            if not fields.body.strip() and not capture:  # before changing anything
                raise ValidationError({"body": "There is nothing written yet."})
            link_prompt_and_journey(user, entry, draft)  # first: it may refuse the draft
            entry.title, entry.body, entry.mood = fields.title, fields.body, fields.mood
            entry.capture = capture
            entry.deleted_at = None
        _bump(entry, now)
        return DraftResult(id=draft.id, status="updated", version=entry.version)

    if draft.deleted:
        return DraftResult(
            id=draft.id, status="conflict", version=entry.version, error=CHANGED_ELSEWHERE
        )
    for copy in copies.get(entry.id, []):
        if _same_text(copy, draft):  # the same conflict, replayed
            return DraftResult(
                id=draft.id, status="conflict", version=entry.version, conflict_copy_id=copy.id
            )
    copy = _new_entry(user, draft, uuid.uuid4(), now, conflict_of=entry)
    copies.setdefault(entry.id, []).append(copy)
    return DraftResult(
        id=draft.id, status="conflict", version=entry.version, conflict_copy_id=copy.id
    )


def _new_entry(
    user: User, draft: Draft, entry_id: uuid.UUID, now: datetime, conflict_of: Entry | None = None
) -> Entry:
    fields = draft.fields
    # An entry written offline on Monday and synced on Wednesday belongs to Monday.
    written = min(draft.client_updated_at or now, now)
    entry = Entry(
        id=entry_id,
        user_id=user.id,
        title=fields.title,
        body=fields.body,
        mood=fields.mood,
        capture=stored_capture(None, fields.capture),
        created_at=written,
        updated_at=now,
        version=1,
        conflict_of_id=conflict_of.id if conflict_of is not None else None,
    )
    link_prompt_and_journey(user, entry, draft)
    db.session.add(entry)
    return entry
