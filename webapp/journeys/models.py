"""Journeys (dosing sessions) and each person's integration settings."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.content import DEFAULT_MEANING_DAYS, DEFAULT_REFLECTION_DAYS
from webapp.encrypted_fields import EncryptedText
from webapp.extensions import db
from webapp.types import UTCDateTime, utcnow


class Journey(db.Model):
    """One KAP dosing session. Its start opens a new integration arc."""

    __tablename__ = "journeys"
    __table_args__ = (Index("ix_journeys_user_started", "user_id", "started_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    _intention: Mapped[bytes | None] = mapped_column("intention", LargeBinary)
    intention = EncryptedText()
    _setting_notes: Mapped[bytes | None] = mapped_column("setting_notes", LargeBinary)
    setting_notes = EncryptedText()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"<Journey {self.id}>"


class IntegrationSettings(db.Model):
    """How one person's phases are counted, and who their therapist is."""

    __tablename__ = "integration_settings"
    __table_args__ = (
        CheckConstraint(
            "reflection_days >= 1 AND meaning_days > reflection_days", name="phase_windows"
        ),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    reflection_days: Mapped[int] = mapped_column(SmallInteger, default=DEFAULT_REFLECTION_DAYS)
    meaning_days: Mapped[int] = mapped_column(SmallInteger, default=DEFAULT_MEANING_DAYS)
    # A phase chosen by hand wins over the computed one until it is cleared.
    phase_override: Mapped[str | None] = mapped_column(String(32))
    _therapist_contact: Mapped[bytes | None] = mapped_column("therapist_contact", LargeBinary)
    therapist_contact = EncryptedText()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
