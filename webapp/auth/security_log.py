"""The security log: what a person may want to know happened to their account.

Which device it was may be the person's own words (a name they gave a phone), so it is kept
encrypted under their data key, like everything they write.
"""

from __future__ import annotations

from sqlalchemy import select

from webapp.auth.models import SecurityEvent, User
from webapp.crypto import current_keyring, decrypt_text, encrypt_text
from webapp.extensions import db

DEVICE_FIELD = "device"


def _data_key(user: User) -> bytes:
    return current_keyring().unwrap(user.data_key)


def record_event(user: User, kind: str, device: str | None = None) -> None:
    sealed = encrypt_text(_data_key(user), user.id, DEVICE_FIELD, device) if device else None
    db.session.add(SecurityEvent(user_id=user.id, kind=kind, sealed_device=sealed))
    db.session.commit()


def security_events(user: User, limit: int = 50) -> list[SecurityEvent]:
    """The person's latest events, newest first, with ``device`` readable."""
    events = list(
        db.session.scalars(
            select(SecurityEvent)
            .where(SecurityEvent.user_id == user.id)
            .order_by(SecurityEvent.created_at.desc())
            .limit(limit)
        )
    )
    if any(event.sealed_device for event in events):
        key = _data_key(user)
        for event in events:
            if event.sealed_device:
                event.device = decrypt_text(key, user.id, DEVICE_FIELD, bytes(event.sealed_device))
    return events
