"""A person's own safety plan."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary
from sqlalchemy.orm import Mapped, mapped_column

from webapp.encrypted_fields import EncryptedText
from webapp.extensions import db
from webapp.types import UTCDateTime, utcnow


class SafetyPlan(db.Model):
    """One encrypted column per field of ``content.SAFETY_PLAN_FIELDS``."""

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
