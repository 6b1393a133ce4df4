"""Today's prompt: one for the person's phase, rotating, avoiding ones answered lately."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select

from webapp.auth.models import User
from webapp.calendar import local_date, zone_of
from webapp.content import CORE_QUESTIONS, PHASES, Prompt, prompts_for_phase
from webapp.extensions import db
from webapp.journal.models import Entry
from webapp.types import utcnow

RECENT_PROMPT_DAYS = 21


_ANSWERED_SINCE = select(Entry.prompt_id).where(
    Entry.user_id == bindparam("user_id"),
    Entry.prompt_id.is_not(None),
    Entry.deleted_at.is_(None),
    Entry.created_at >= bindparam("since"),
)


def recently_answered(user: User, moment: datetime, days: int = RECENT_PROMPT_DAYS) -> set[str]:
    return set(db.session.scalars(
        _ANSWERED_SINCE, {"user_id": user.id, "since": moment - timedelta(days=days)}
    ))


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
