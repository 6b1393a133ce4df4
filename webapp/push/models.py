"""Push subscriptions, reminders, their delivery records and each person's reminder settings."""

from __future__ import annotations

import uuid
from datetime import datetime, time

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    Time,
)
from sqlalchemy.orm import Mapped, mapped_column

from webapp.encrypted_fields import EncryptedText
from webapp.extensions import db
from webapp.types import UTCDateTime, utcnow

KINDS = ("journey_checkin", "practice", "intention", "test")
# Kinds a person can switch off; a test reminder is always something they asked for.
SWITCHABLE_KINDS = ("journey_checkin", "practice", "intention")
STATUSES = ("pending", "leased", "sent", "failed", "cancelled")


class PushSubscription(db.Model):
    """One browser or phone that agreed to receive reminders (the browser's PushSubscription)."""

    __tablename__ = "push_subscriptions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    endpoint: Mapped[str] = mapped_column(String(2048), unique=True)
    p256dh: Mapped[str] = mapped_column(String(128))
    auth: Mapped[str] = mapped_column(String(64))
    # The name the person gave the device: their words, so encrypted under their data key.
    _device_label: Mapped[bytes] = mapped_column("device_label", LargeBinary)
    device_label = EncryptedText()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The latest delivery to this device, shown on the settings page.
    last_outcome: Mapped[str | None] = mapped_column(String(32))
    last_outcome_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_status_code: Mapped[int | None] = mapped_column(SmallInteger)

    def __repr__(self) -> str:
        return f"<PushSubscription {self.id}>"


class Reminder(db.Model):
    """A reminder to send at ``due_at``.

    ``key`` is unique, so planning the same thing twice updates one row instead of adding a
    second. While a dispatcher holds it the status is ``leased`` until ``lease_expires_at``;
    ``fencing_token`` grows with every claim, so an outcome reported under an older claim
    (by a dispatcher that stalled past its lease) is recognised and discarded.
    The payload is only a prompt and a link, never anything the person wrote.
    """

    __tablename__ = "reminders"
    __table_args__ = (
        Index("ix_reminders_status_next_attempt", "status", "next_attempt_at"),
        Index("ix_reminders_user_due", "user_id", "due_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(200), unique=True)
    # What the reminder belongs to ("journey:<id>"), so a whole arc can be moved or cancelled.
    series: Mapped[str] = mapped_column(String(160), index=True)
    # The moment asked for; ``due_at`` is where quiet hours, pause and the cap placed it.
    ideal_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(String(500))
    url: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    fencing_token: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(255))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<Reminder {self.key} {self.status}>"


class Delivery(db.Model):
    """What one push service answered for one reminder sent to one device."""

    __tablename__ = "push_deliveries"
    # The daily upkeep prunes old records by time.
    __table_args__ = (Index("ix_push_deliveries_attempted_at", "attempted_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    reminder_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("reminders.id", ondelete="CASCADE"), index=True
    )
    subscription_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("push_subscriptions.id", ondelete="SET NULL"), index=True
    )
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    outcome: Mapped[str] = mapped_column(String(32))
    status_code: Mapped[int | None] = mapped_column(SmallInteger)
    detail: Mapped[str | None] = mapped_column(Text)


class ReminderSettings(db.Model):
    """When a person is glad to hear from Tend. Missing row = the gentle defaults."""

    __tablename__ = "reminder_settings"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    quiet_start: Mapped[time] = mapped_column(Time(), default=time(21, 0))
    quiet_end: Mapped[time] = mapped_column(Time(), default=time(8, 0))
    daily_cap: Mapped[int] = mapped_column(SmallInteger, default=3)
    paused_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    journey_checkin_on: Mapped[bool] = mapped_column(Boolean, default=True)
    practice_on: Mapped[bool] = mapped_column(Boolean, default=True)
    intention_on: Mapped[bool] = mapped_column(Boolean, default=True)

    def allows(self, kind: str) -> bool:
        return kind_allowed(self, kind)


def kind_allowed(settings, kind: str) -> bool:
    """Whether settings (a ReminderSettings or a row of its table) let ``kind`` through."""
    if kind not in SWITCHABLE_KINDS:
        return True
    return bool(getattr(settings, f"{kind}_on"))
