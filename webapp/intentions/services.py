"""Intention rules: writing one, tying it to a journey or an entry, and its status.

Each change is announced (``webapp.events``) so that revisit reminders follow it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from flask import abort
from sqlalchemy import select

from webapp import events
from webapp.auth.models import User
from webapp.content import INTENTION_STATUSES
from webapp.errors import ValidationError
from webapp.extensions import db
from webapp.intentions.models import Intention
from webapp.journal.services import find_own_entry
from webapp.journeys.arc import find_own_journey
from webapp.journeys.models import Journey
from webapp.types import utcnow

INTENTION_MAX = 2_000


def parse_intention_text(data: Mapping[str, object]) -> str:
    text = data.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ValidationError({"text": "Write the intention in a few words first."})
    text = text.replace("\r\n", "\n").strip()
    if len(text) > INTENTION_MAX:
        raise ValidationError(
            {
                "text": f"An intention can be up to {INTENTION_MAX:,} characters; "
                f"this has {len(text):,}."
            }
        )
    return text


def create_intention(
    user: User,
    text: str,
    *,
    journey_id: object = None,
    entry_id: object = None,
) -> Intention:
    errors: dict[str, str] = {}
    journey = None
    if journey_id not in (None, ""):
        journey = find_own_journey(user, journey_id)
        if journey is None:
            errors["journey_id"] = "That journey isn’t in your journal."
    entry = None
    if entry_id not in (None, ""):
        entry = find_own_entry(user, entry_id)
        if entry is None:
            errors["entry_id"] = "That entry isn’t in your journal."
    if errors:
        raise ValidationError(errors)
    if journey is None and entry is not None:
        journey = find_own_journey(user, entry.journey_id) if entry.journey_id else None
    now = utcnow()
    intention = Intention(
        user_id=user.id,
        text=text,
        journey_id=journey.id if journey else None,
        entry_id=entry.id if entry else None,
        status="active",
        created_at=now,
        updated_at=now,
    )
    db.session.add(intention)
    db.session.commit()
    events.intention_active.send(user, intention=intention)
    return intention


def set_intention_status(user: User, intention: Intention, status: object) -> Intention:
    if status not in INTENTION_STATUSES:
        raise ValidationError({"status": "Choose active, integrated or let go."})
    if intention.status != status:
        intention.status = status
        intention.updated_at = utcnow()
        db.session.commit()
        if status == "active":
            events.intention_active.send(user, intention=intention)
        else:  # integrated or let go: no more nudges about it
            events.intention_closed.send(user, intention_id=intention.id)
    return intention


def update_intention_text(intention: Intention, text: str) -> Intention:
    intention.text = text
    intention.updated_at = utcnow()
    db.session.commit()
    return intention


def get_intention_or_404(user: User, intention_id: uuid.UUID) -> Intention:
    intention = db.session.scalar(
        select(Intention).where(Intention.id == intention_id, Intention.user_id == user.id)
    )
    if intention is None:
        abort(404)
    return intention


def list_intentions(user: User, journey: Journey | None = None) -> list[Intention]:
    stmt = select(Intention).where(Intention.user_id == user.id)
    if journey is not None:
        stmt = stmt.where(Intention.journey_id == journey.id)
    return list(db.session.scalars(stmt.order_by(Intention.created_at.desc(), Intention.id)))


def intentions_by_status(user: User) -> list[tuple[str, str, list[Intention]]]:
    everything = list_intentions(user)
    return [
        (key, label, [i for i in everything if i.status == key])
        for key, label in INTENTION_STATUSES.items()
    ]
