"""Reading what a device sends: the batch, and each draft checked field by field."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from webapp.errors import ValidationError
from webapp.journal.services import EntryInput, parse_entry_input
from webapp.types import as_uuid, utcnow

MAX_DRAFTS = 200
# A device's clock is believed between these: earlier or later, it is wrong (or the draft was
# made up), and the draft is rejected rather than dated somewhere no page can show.
EARLIEST_DRAFT = datetime(2000, 1, 1, tzinfo=UTC)
CLOCK_AHEAD = timedelta(days=1)
BAD_STAMP = "client_updated_at is a date and time like 2026-11-24T12:00:00Z, or null."
BAD_CLOCK = (
    "client_updated_at is outside the dates Tend accepts (from 2000 until tomorrow): this "
    "device's date and time may be wrong. The entry stays on the device; check the date and "
    "time in its settings, then open the entry and save it again."
)


class BatchError(Exception):
    """The request as a whole cannot be read; nothing in it was applied."""


@dataclass(frozen=True)
class Draft:
    """One checked draft from a device."""

    id: uuid.UUID
    base_version: int | None
    deleted: bool
    fields: EntryInput | None  # None for a deletion
    prompt: str | None
    journey_id: uuid.UUID | None
    client_updated_at: datetime | None


def read_batch(payload: object) -> list:
    """The list of drafts in a request body, or BatchError naming what is wrong."""
    if not isinstance(payload, dict) or not isinstance(payload.get("drafts"), list):
        raise BatchError('The body must be a JSON object with a "drafts" list.')
    drafts = payload["drafts"]
    if len(drafts) > MAX_DRAFTS:
        raise BatchError(
            f"One sync can carry at most {MAX_DRAFTS} drafts; this one had {len(drafts)}. "
            "Please send the rest in another request."
        )
    return drafts


def parse_draft(raw: object) -> Draft:
    """Check one draft's shape and content; raise ValidationError naming every bad field."""
    if not isinstance(raw, Mapping):
        raise ValidationError({"draft": "Each draft must be a JSON object."})
    errors: dict[str, str] = {}
    entry_id = _text_uuid(raw.get("id"))
    if entry_id is None:
        errors["id"] = "Each draft needs an id: a UUID made on the device."

    base_version = raw.get("base_version")
    if base_version is not None and (
        isinstance(base_version, bool) or not isinstance(base_version, int) or base_version < 1
    ):
        errors["base_version"] = "base_version is a whole number from 1, or null for a new entry."

    deleted = raw.get("deleted", False)
    if deleted is None:
        deleted = False
    if not isinstance(deleted, bool):
        errors["deleted"] = "deleted is true or false."

    prompt = raw.get("prompt")
    if prompt is not None and not isinstance(prompt, str):
        errors["prompt"] = "prompt is text, or null."

    journey_id = None
    if raw.get("journey_id") is not None:
        journey_id = _text_uuid(raw.get("journey_id"))
        if journey_id is None:
            errors["journey_id"] = "journey_id is a journey's id (a UUID), or null."

    client_updated_at = None
    stamp = raw.get("client_updated_at")
    if stamp is not None:
        client_updated_at = _client_time(stamp)
        if isinstance(client_updated_at, str):
            errors["client_updated_at"] = client_updated_at
            client_updated_at = None

    fields = None
    if deleted is not True:
        try:
            fields = parse_entry_input(raw)
        except ValidationError as exc:
            errors.update(exc.errors)

    if errors:
        raise ValidationError(errors)
    return Draft(
        id=entry_id,
        base_version=base_version,
        deleted=deleted,
        fields=fields,
        prompt=prompt,
        journey_id=journey_id,
        client_updated_at=client_updated_at,
    )


def _text_uuid(value: object) -> uuid.UUID | None:
    """JSON carries ids as text: anything else is no id at all."""
    return as_uuid(value) if isinstance(value, str) else None


def _client_time(value: object) -> datetime | str:
    """The draft's time in UTC, or why it cannot be taken. Year 1 at +14:00 is valid ISO 8601
    text that no datetime can hold in UTC: out of range, like year 1 itself."""
    if not isinstance(value, str) or len(value) > 64:
        return BAD_STAMP
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return BAD_STAMP
    if when.tzinfo is None:
        return BAD_STAMP
    try:
        when = when.astimezone(UTC)
    except OverflowError:
        return BAD_CLOCK
    if not EARLIEST_DRAFT <= when <= utcnow() + CLOCK_AHEAD:
        return BAD_CLOCK
    return when
