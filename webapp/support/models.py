"""A person's own safety plan."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.types import UTCDateTime, utcnow

SAFETY_PLAN_FIELDS = {
    "warning_signs": (
        "Warning signs",
        "Thoughts, feelings or situations that tell me a hard time may be starting.",
    ),
    "what_helps": (
        "What helps me",
        "Things I can do on my own to feel a little steadier: places, activities, sensations.",
    ),
    "people_places": (
        "People and places",
        "People I can reach out to, and places where I feel safe or less alone.",
    ),
    "professionals": (
        "Professionals to call",
        "My therapist, doctor or a crisis line, with their numbers.",
    ),
}


class SafetyPlan(db.Model):
    __tablename__ = "safety_plans"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    warning_signs: Mapped[str | None] = mapped_column(Text)
    what_helps: Mapped[str | None] = mapped_column(Text)
    people_places: Mapped[str | None] = mapped_column(Text)
    professionals: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
