"""Journal entries."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.auth.models import User
from webapp.extensions import db
from webapp.types import UTCDateTime, utcnow

TITLE_MAX = 200
BODY_MAX = 50_000
MOODS = {
    1: "Heavy",
    2: "Low",
    3: "Steady",
    4: "Light",
    5: "Open",
}


class Entry(db.Model):
    """One journal entry. The id may be made on a phone while offline, hence a UUID.

    ``version`` grows on every change and ``deleted_at`` marks a soft delete, so a device
    syncing later can tell what changed and what went away.
    """

    __tablename__ = "entries"
    __table_args__ = (
        CheckConstraint("mood IS NULL OR (mood >= 1 AND mood <= 5)", name="mood_range"),
        Index("ix_entries_user_created", "user_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str | None] = mapped_column(String(TITLE_MAX))
    body: Mapped[str] = mapped_column(Text)
    mood: Mapped[int | None] = mapped_column(SmallInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(default=1)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set on a copy the server made when a device synced an edit to an entry that had
    # changed elsewhere meanwhile: both texts survive, and the person can compare them.
    conflict_of_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("entries.id", ondelete="SET NULL"), index=True
    )

    user: Mapped[User] = relationship()

    @property
    def mood_label(self) -> str | None:
        return MOODS.get(self.mood) if self.mood else None

    def __repr__(self) -> str:
        return f"<Entry {self.id} v{self.version}>"
