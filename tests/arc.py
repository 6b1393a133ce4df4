"""Small helpers for integration-arc tests: find a signed-up person, log a journey for them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from webapp.auth.models import User
from webapp.extensions import db
from webapp.journeys import services as journeys
from webapp.journeys.models import Journey


def person(email: str) -> User:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


def log_journey(user: User, started_at: datetime, intention: str | None = None) -> Journey:
    return journeys.create_journey(
        user, journeys.JourneyInput(started_at=started_at, intention=intention, setting_notes=None)
    )
