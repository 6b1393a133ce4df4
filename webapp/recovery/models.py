"""Recovery codes and password-reset links. Only hashes are stored, never a usable secret."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.types import UTCDateTime, utcnow


class RecoveryCode(db.Model):
    """One single-use recovery code, as an Argon2id hash.

    ``hint`` is the first byte of the code's SHA-256 (two hex digits): it narrows a person's
    ten codes to the one or two worth checking, so a guess costs one Argon2 verification, and
    leaves 72 of the code's 80 bits to guess.
    """

    __tablename__ = "recovery_codes"
    __table_args__ = (Index("ix_recovery_codes_user_hint", "user_id", "hint"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(255))
    hint: Mapped[str] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PasswordReset(db.Model):
    """A single-use link sent by email (or made by the host); only its SHA-256 is kept."""

    __tablename__ = "password_resets"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
