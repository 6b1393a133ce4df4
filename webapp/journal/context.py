"""Where an entry was written: its prompt, the journey it follows and the phase it fell in."""

from __future__ import annotations

import uuid
from datetime import datetime

from webapp.auth.models import User
from webapp.content import ALL_PROMPTS
from webapp.errors import ValidationError
from webapp.journal.models import Entry
from webapp.journeys.arc import find_own_journey, journey_before, phase_of_entry_time
from webapp.types import utcnow


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
