"""Journal entries."""

from __future__ import annotations

import json
import uuid
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    SmallInteger,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.auth.models import User
from webapp.content import MOODS
from webapp.encrypted_fields import EncryptedText
from webapp.extensions import db
from webapp.types import UTCDateTime, utcnow

TITLE_MAX = 200
BODY_MAX = 50_000


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
    # Title and body are stored encrypted under the owner's data key (webapp.crypto).
    _title: Mapped[bytes | None] = mapped_column("title", LargeBinary)
    _body: Mapped[bytes] = mapped_column("body", LargeBinary)
    title = EncryptedText()
    body = EncryptedText()
    mood: Mapped[int | None] = mapped_column(SmallInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(default=1)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Where in the integration arc it was written: which prompt, after which journey, in
    # which phase. All optional: a free entry has none of them.
    prompt_id: Mapped[str | None] = mapped_column(String(64))
    journey_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("journeys.id", ondelete="SET NULL"), index=True
    )
    phase: Mapped[str | None] = mapped_column(String(32))
    # Set on a copy the server made when a device synced an edit to an entry that had
    # changed elsewhere meanwhile: both texts survive, and the person can compare them.
    conflict_of_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("entries.id", ondelete="SET NULL"), index=True
    )

    # What a gentle capture noted (webapp.journal.capture): feelings and where in the body,
    # as JSON, encrypted like the text. None for an entry written in words only.
    _capture: Mapped[bytes | None] = mapped_column("capture", LargeBinary)
    capture = EncryptedText()

    user: Mapped[User] = relationship()

    @property
    def capture_data(self) -> dict:
        """{"feelings": [...], "body": [...]}, empty lists when nothing was captured."""
        raw = json.loads(self.capture) if self.capture else {}
        return {"feelings": raw.get("feelings", []), "body": raw.get("body", [])}

    @property
    def mood_label(self) -> str | None:
        return MOODS.get(self.mood) if self.mood else None

    def __repr__(self) -> str:
        return f"<Entry {self.id} v{self.version}>"
