"""Intentions: what a person means to carry forward from a journey or an entry."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.content import INTENTION_STATUSES
from webapp.encrypted_fields import EncryptedText
from webapp.extensions import db
from webapp.types import UTCDateTime, utcnow


class Intention(db.Model):
    """Something a person means to carry forward, born from a journey or an entry."""

    __tablename__ = "intentions"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'integrated', 'let_go')", name="status_known"),
        Index("ix_intentions_user_created", "user_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    journey_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("journeys.id", ondelete="SET NULL")
    )
    entry_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("entries.id", ondelete="SET NULL")
    )
    _text: Mapped[bytes] = mapped_column("text", LargeBinary)
    text = EncryptedText()
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def status_label(self) -> str:
        return INTENTION_STATUSES.get(self.status, self.status)
