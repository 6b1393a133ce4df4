"""A person's own safety plan."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary
from sqlalchemy.orm import Mapped, mapped_column

from webapp.encrypted_fields import EncryptedText
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
    _warning_signs: Mapped[bytes | None] = mapped_column("warning_signs", LargeBinary)
    warning_signs = EncryptedText()
    _what_helps: Mapped[bytes | None] = mapped_column("what_helps", LargeBinary)
    what_helps = EncryptedText()
    _people_places: Mapped[bytes | None] = mapped_column("people_places", LargeBinary)
    people_places = EncryptedText()
    _professionals: Mapped[bytes | None] = mapped_column("professionals", LargeBinary)
    professionals = EncryptedText()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
