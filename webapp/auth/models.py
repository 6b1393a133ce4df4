"""Accounts, the devices signed in to them, and what happened to them."""

from __future__ import annotations

import uuid
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import (
    Connection,
    ForeignKey,
    Index,
    LargeBinary,
    SmallInteger,
    String,
    event,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from webapp.crypto import current_keyring
from webapp.extensions import db
from webapp.types import UTCDateTime, utcnow


class User(UserMixin, db.Model):
    """A person with a journal.

    ``data_key`` is their journal's encryption key, wrapped by the server's master key;
    deleting it makes their encrypted text unreadable for good.
    """

    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    data_key: Mapped[bytes] = mapped_column(LargeBinary)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # Optional app lock for a shared phone: a PIN asked after some minutes away.
    lock_pin_hash: Mapped[str | None] = mapped_column(String(255))
    lock_after_minutes: Mapped[int] = mapped_column(SmallInteger, default=5, server_default="5")
    # Wrong PINs on any of their devices since the last right one (or the last sign-in).
    failed_unlocks: Mapped[int] = mapped_column(default=0, server_default="0")
    # Grows whenever anything they keep in Tend changes (entries, media, journeys, practices,
    # intentions …, through any path): pages made before then are not sent again.
    content_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # Light, dark, or following the device (content.THEMES); kept on the device too.
    theme: Mapped[str] = mapped_column(String(8), default="system", server_default="system")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Set by whoever runs Tend (`flask users disable`): no sign-in, no reminders, nothing lost.
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    # The device session this request came from (set by the session loader).
    device_session = None  # DeviceSession | None, not a column

    def __init__(self, **fields):
        super().__init__(**fields)
        if self.data_key is None:
            self.data_key = current_keyring().new_wrapped_data_key()
        if self.id is None:
            self.id = uuid.uuid4()

    def get_id(self) -> str | None:
        """Cookies carry the device session's token, never the user id: revoking it signs out."""
        return self.device_session.cookie_token if self.device_session else None

    def __repr__(self) -> str:
        return f"<User {self.id}>"


class KeyEpoch(db.Model):
    """A key that wraps people's data keys, itself wrapped by the master key.

    Retired (deleted, and its table rewritten) by the daily upkeep once someone whose key it
    wrapped erased their account: see ``webapp.auth.epochs``.
    """

    __tablename__ = "key_epochs"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # When an account whose data key this epoch wraps was first erased: retire it.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class DeviceSession(db.Model):
    """One signed-in browser or installed app. Only a hash of its token is stored."""

    __tablename__ = "device_sessions"
    __table_args__ = (Index("ix_device_sessions_user", "user_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    device: Mapped[str] = mapped_column(String(80), default="A browser")
    remember: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Wrong PINs on this device since the last right one.
    failed_unlocks: Mapped[int] = mapped_column(default=0, server_default="0")

    user: Mapped[User] = relationship()

    # The raw token exists only in memory, right after sign-in or when read from a cookie.
    cookie_token = None  # str | None, not a column


class SecurityEvent(db.Model):
    """Something a person may want to know happened to their account."""

    __tablename__ = "security_events"
    __table_args__ = (Index("ix_security_events_user_created", "user_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    # Which device ("Firefox on Android", or the name a person gave it: their own words), as
    # ciphertext under the person's data key; webapp.auth.security_log seals and opens it.
    sealed_device: Mapped[bytes | None] = mapped_column("device", LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    device = None  # str | None, the readable text once opened; not a column


def note_content_changed(session: Session | Connection, user_ids) -> None:
    """Their ``content_version`` grows, in the session's transaction: pages made from what
    they kept before are not sent again. For writes the ORM does not see (Core statements
    outside a person's own request)."""
    if user_ids:
        session.execute(
            update(User)
            .where(User.id.in_(set(user_ids)))
            .values(content_version=User.content_version + 1)
            .execution_options(synchronize_session=False)
        )


@event.listens_for(Session, "after_flush")
def _note_owned_changes(session: Session, flush_context) -> None:
    """Whatever path changed something a person owns (pages, sync, scripts, the importer),
    their content version grows in the same transaction."""
    owners = {
        owner
        for obj in (*session.new, *session.dirty, *session.deleted)
        if (owner := getattr(obj, "user_id", None)) is not None and not isinstance(obj, User)
    }
    if owners:
        note_content_changed(session.connection(), owners)
