"""Accounts as the host sees them: counts and dates, never anything a person wrote."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from webapp.auth.models import DeviceSession, User
from webapp.auth.passwords import normalise_email
from webapp.auth.security_log import record_event
from webapp.auth.services import erase_everything, find_user_by_email, register
from webapp.events import account_disabled, account_enabled, account_erased
from webapp.extensions import db
from webapp.journal.models import Entry
from webapp.media.library import use_by_person
from webapp.types import utcnow


@dataclass(frozen=True)
class AccountSummary:
    id: uuid.UUID
    email: str
    created_at: datetime
    last_seen_at: datetime | None
    entries: int
    disabled: bool
    media_items: int = 0
    media_bytes: int = 0

    def as_json(self) -> dict:
        return {
            "email": self.email,
            "created_at": self.created_at.isoformat(),
            "last_seen_at": self.last_seen_at.isoformat() if self.last_seen_at else None,
            "entries": self.entries,
            "media_items": self.media_items,
            "media_bytes": self.media_bytes,
            "disabled": self.disabled,
        }


def list_accounts() -> list[AccountSummary]:
    last_seen = (
        select(DeviceSession.user_id, func.max(DeviceSession.last_seen_at).label("seen"))
        .group_by(DeviceSession.user_id).subquery()
    )
    entries = (
        select(Entry.user_id, func.count().label("n"))
        .where(Entry.deleted_at.is_(None)).group_by(Entry.user_id).subquery()
    )
    rows = db.session.execute(
        select(User.id, User.email, User.created_at, last_seen.c.seen, entries.c.n,
               User.disabled_at)
        .outerjoin(last_seen, last_seen.c.user_id == User.id)
        .outerjoin(entries, entries.c.user_id == User.id)
        .order_by(User.created_at)
    )
    media = use_by_person()
    return [
        AccountSummary(row.id, row.email, row.created_at, row.seen, row.n or 0,
                       row.disabled_at is not None, *media.get(row.id, (0, 0)))
        for row in rows
    ]


def account_by_email(email: str) -> User:
    user = find_user_by_email(email)
    if user is None:
        raise LookupError(f"No account uses {normalise_email(email)}.")
    return user


def create_account(email: str, password: str, timezone: str | None = None) -> User:
    user = register(email, password, timezone)
    record_event(user, "account_created", "Set up by the host")
    return user


def disable_account(user: User) -> bool:
    """Pause an account: no sign-in, no reminders. Its devices are kept for when it reopens."""
    if user.disabled_at is not None:
        return False
    user.disabled_at = utcnow()
    db.session.commit()
    record_event(user, "account_disabled")
    account_disabled.send(user)
    return True


def enable_account(user: User) -> bool:
    if user.disabled_at is None:
        return False
    user.disabled_at = None
    db.session.commit()
    record_event(user, "account_enabled")
    account_enabled.send(user)
    return True


def delete_account(user: User) -> None:
    user_id = user.id
    erase_everything(user)
    account_erased.send(user_id)
