"""The security log: what a person may want to know happened to their account."""

from __future__ import annotations

from sqlalchemy import select

from webapp.auth.models import SecurityEvent, User
from webapp.extensions import db


def record_event(user: User, kind: str, device: str | None = None) -> None:
    db.session.add(SecurityEvent(user_id=user.id, kind=kind, device=device))
    db.session.commit()


def security_events(user: User, limit: int = 50) -> list[SecurityEvent]:
    return list(
        db.session.scalars(
            select(SecurityEvent)
            .where(SecurityEvent.user_id == user.id)
            .order_by(SecurityEvent.created_at.desc())
            .limit(limit)
        )
    )
