"""Shares: read-only snapshots a person chose to show someone, behind a link that expires.

The snapshot is sealed under a key that exists only in the link (see ``sealing.py``): the
row keeps the ciphertext, a hash that recognises the link's secret, and what the owner's
Shares page needs to describe it. Nothing here reveals what was shared.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.encrypted_fields import EncryptedText
from webapp.extensions import db
from webapp.types import UTCDateTime, utcnow

SHARE_KINDS = ("entries", "brief", "safety_plan")


class Share(db.Model):
    """One link. Its content is deleted the moment it ends; the row lingers a while so the
    link can answer "no longer available" and the owner can see it ended."""

    __tablename__ = "shares"
    __table_args__ = (
        Index("ix_shares_user_created", "user_id", "created_at"),
        Index("ix_shares_ended_expires", "ended_at", "expires_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    # What the owner's list says it holds, without any of its text.
    item_count: Mapped[int] = mapped_column(default=0)
    subject_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The first name shown to whoever opens it, kept for the owner under their own key.
    _sharer_name: Mapped[bytes | None] = mapped_column("sharer_name", LargeBinary)
    sharer_name = EncryptedText()
    # SHA-256 of the link's secret (domain-separated); the secret itself is never stored.
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Argon2id salt, with the cost it was made at, when a passphrase guards the link; else None.
    passphrase_salt: Mapped[bytes | None] = mapped_column(LargeBinary)
    wrapped_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)
    once: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    used_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set when it stops opening for any reason (expired, revoked, used up); content is gone.
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Wrong passphrases: counted per share, and the share waits after each five.
    failed_attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())

    openings: Mapped[list[ShareOpening]] = relationship(
        order_by="ShareOpening.opened_at",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    @property
    def has_passphrase(self) -> bool:
        return self.passphrase_salt is not None

    @property
    def end_reason(self) -> str | None:
        if self.revoked_at is not None:
            return "revoked"
        if self.used_up_at is not None:
            return "used_up"
        if self.ended_at is not None:
            return "expired"
        return None

    def __repr__(self) -> str:
        return f"<Share {self.id}>"


class ShareOpening(db.Model):
    """When a share was opened: the time only, never who or from where."""

    __tablename__ = "share_openings"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    share_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("shares.id", ondelete="CASCADE"), index=True
    )
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SharedMedia(db.Model):
    """A copy of one memo, photo or drawing taken when the share was made, its bytes sealed
    under the share's own key (``SharedMediaChunk``), so that deleting the original later
    changes nothing here; deleted with the share's content when the share ends."""

    __tablename__ = "shared_media"

    share_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("shares.id", ondelete="CASCADE"), primary_key=True
    )
    item: Mapped[int] = mapped_column(Integer, primary_key=True)  # its number in the snapshot
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    chunk_count: Mapped[int] = mapped_column(Integer)


class SharedMediaChunk(db.Model):
    """A piece of a shared copy: AES-256-GCM under the share's content key, bound to the
    share, the item, its position and whether it is the last."""

    __tablename__ = "shared_media_chunks"

    share_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("shares.id", ondelete="CASCADE"), primary_key=True
    )
    item: Mapped[int] = mapped_column(Integer, primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class ShareViewing(db.Model):
    """One opening's right to load the share's pictures and sounds for a while: the share's
    content key, wrapped under a viewing key that only the opener's browser holds (a cookie
    scoped to the link's path). Without the row, or without the cookie, nothing opens."""

    __tablename__ = "share_viewings"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    share_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("shares.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
