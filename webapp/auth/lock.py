"""App lock: a PIN asked when Tend comes back after some minutes away, enforced by the server."""

from __future__ import annotations

from sqlalchemy import update

from webapp import events
from webapp.auth import passwords
from webapp.auth.models import DeviceSession, User
from webapp.auth.security_log import record_event
from webapp.errors import ValidationError
from webapp.extensions import db
from webapp.types import utcnow

LOCK_CHOICES = (1, 5, 15, 30, 60)  # minutes away before the PIN is asked


def set_app_lock(user: User, *, password: str, pin: str, minutes: object) -> None:
    """Turn on (or change) the PIN asked when Tend comes back after some minutes away."""
    errors = {}
    if not passwords.verify(user.password_hash, password):
        errors["lock_password"] = "That is not your password."  # noqa: S105 (a message)
    if not (isinstance(pin, str) and pin.isascii() and pin.isdigit() and 4 <= len(pin) <= 8):
        errors["pin"] = "The PIN is 4 to 8 digits."
    try:
        minutes = int(str(minutes))
    except ValueError:
        minutes = None
    if minutes not in LOCK_CHOICES:
        errors["lock_after"] = "Choose one of the times offered."
    if errors:
        raise ValidationError(errors)
    user.lock_pin_hash = passwords.hash_secret(pin)
    user.lock_after_minutes = minutes
    db.session.commit()
    record_event(user, "app_lock_set")


def remove_app_lock(user: User, *, password: str) -> None:
    if not passwords.verify(user.password_hash, password):
        raise ValidationError({"unlock_password": "That is not your password."})  # noqa: S105
    user.lock_pin_hash = None
    db.session.execute(
        update(DeviceSession).where(DeviceSession.user_id == user.id).values(locked_at=None)
    )
    db.session.commit()
    record_event(user, "app_lock_removed")


def lock_device(user: User) -> None:
    """Lock this device now (the page noticed it was away long enough)."""
    device_session = user.device_session
    if user.lock_pin_hash and device_session is not None and device_session.locked_at is None:
        device_session.locked_at = utcnow()
        db.session.commit()
        events.device_locked.send(user.id, device_session_id=device_session.id)


def is_locked(user: User) -> bool:
    device_session = getattr(user, "device_session", None)
    return bool(user.lock_pin_hash and device_session and device_session.locked_at)


def unlock_device(user: User, pin: str) -> bool:
    if not user.lock_pin_hash:
        return True
    if not passwords.verify(user.lock_pin_hash, pin or ""):
        record_event(user, "unlock_failed", user.device_session and user.device_session.device)
        return False
    user.device_session.locked_at = None
    db.session.commit()
    return True
