"""Practices a person has chosen from the catalogue, and the times they did them."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from webapp.encrypted_fields import EncryptedText
from webapp.extensions import db
from webapp.types import UTCDateTime, utcnow

EVERY_DAY = 0b1111111


class ChosenPractice(db.Model):
    """A catalogue practice someone picked, with its schedule in their own timezone.

    ``weekdays`` is a bit mask, Monday = bit 0; ``time_of_day`` is local wall-clock time.
    """

    __tablename__ = "chosen_practices"
    __table_args__ = (
        UniqueConstraint("user_id", "practice_id", name="uq_chosen_practices_user_practice"),
        CheckConstraint("weekdays >= 1 AND weekdays <= 127", name="weekdays_range"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    practice_id: Mapped[str] = mapped_column(String(64))
    weekdays: Mapped[int] = mapped_column(SmallInteger, default=EVERY_DAY)
    time_of_day: Mapped[time | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def runs_on(self, day: date) -> bool:
        return bool(self.weekdays & (1 << day.weekday()))

    @property
    def weekday_list(self) -> list[int]:
        return [d for d in range(7) if self.weekdays & (1 << d)]


class PracticeLog(db.Model):
    """One time a practice was done. ``done_on`` is the person's local calendar day."""

    __tablename__ = "practice_logs"
    __table_args__ = (Index("ix_practice_logs_user_done", "user_id", "done_on"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    chosen_practice_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("chosen_practices.id", ondelete="CASCADE")
    )
    done_on: Mapped[date]
    done_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    _note: Mapped[bytes | None] = mapped_column("note", LargeBinary)
    note = EncryptedText()
