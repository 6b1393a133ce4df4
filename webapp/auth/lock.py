"""App lock: a PIN asked when Tend comes back after some minutes away, enforced by the server.

Guessing is bounded three ways: per network address (a rate limit on the route), per device
session and per account (counted here, before any PIN is checked, so guesses sent together
cannot slip past). After PIN_TRIES_PER_DEVICE wrong PINs on one device, or
PIN_TRIES_PER_ACCOUNT on all of a person's devices since the last right one, the device is
signed out and needs the password. Signing out this way is done by the server only: drafts
not yet synced stay on the device, and sync once the person signs in again.
"""

from __future__ import annotations

from sqlalchemy import select, update

from webapp import events
from webapp.auth import devices, passwords
from webapp.auth.models import DeviceSession, User
from webapp.auth.security_log import record_event
from webapp.crypto import current_keyring
from webapp.errors import ValidationError
from webapp.extensions import db
from webapp.types import utcnow

LOCK_CHOICES = (1, 5, 15, 30, 60)  # minutes away before the PIN is asked
PIN_TRIES_PER_DEVICE = 10
PIN_TRIES_PER_ACCOUNT = 20
UNLOCKED, WRONG_PIN, SIGNED_OUT = "unlocked", "wrong", "signed out"


def set_app_lock(user: User, *, password: str, pin: str, minutes: object) -> None:
    """Turn on (or change) the PIN asked when Tend comes back after some minutes away."""
    errors = {}
    if not passwords.verify(user.password_hash, password):
        errors["lock_password"] = "That is not your password."  # noqa: S105 (a message)
    if not passwords.valid_pin(pin):
        errors["pin"] = f"The PIN is {passwords.PIN_MIN} to {passwords.PIN_MAX} digits."
    try:
        minutes = int(str(minutes))
    except ValueError:
        minutes = None
    if minutes not in LOCK_CHOICES:
        errors["lock_after"] = "Choose one of the times offered."
    if errors:
        raise ValidationError(errors)
    user.lock_pin_hash = passwords.hash_pin(pin, current_keyring())
    user.lock_after_minutes = minutes
    user.failed_unlocks = 0
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
        devices.save_device_fields(device_session, locked_at=utcnow())
        db.session.commit()
        events.device_locked.send(user.id, device_session_id=device_session.id)


def is_locked(user: User) -> bool:
    device_session = getattr(user, "device_session", None)
    return bool(user.lock_pin_hash and device_session and device_session.locked_at)


def unlock_device(user: User, pin: str) -> str:
    """UNLOCKED, WRONG_PIN, or SIGNED_OUT when this was one wrong PIN too many."""
    device_session = user.device_session
    if not user.lock_pin_hash or device_session is None:
        return UNLOCKED
    device_tries, account_tries = _count_a_try(user)
    if device_tries > PIN_TRIES_PER_DEVICE or account_tries > PIN_TRIES_PER_ACCOUNT:
        _sign_out_after_wrong_pins(user)
        return SIGNED_OUT
    matches, rehash = passwords.verify_pin(user.lock_pin_hash, pin, current_keyring())
    if not matches:
        record_event(user, "unlock_failed", device_session.device)
        if device_tries >= PIN_TRIES_PER_DEVICE or account_tries >= PIN_TRIES_PER_ACCOUNT:
            _sign_out_after_wrong_pins(user)
            return SIGNED_OUT
        return WRONG_PIN
    if rehash:  # an older hash, or one under a retired master key: store it peppered anew
        user.lock_pin_hash = passwords.hash_pin(pin, current_keyring())
    user.failed_unlocks = 0
    devices.save_device_fields(device_session, failed_unlocks=0, locked_at=None)
    db.session.commit()
    return UNLOCKED


def _count_a_try(user: User) -> tuple[int, int]:
    """Count one more try on the device and on the account, atomically, before any check."""
    device_tries = db.session.execute(
        update(DeviceSession)
        .where(DeviceSession.id == user.device_session.id)
        .values(failed_unlocks=DeviceSession.failed_unlocks + 1)
        .returning(DeviceSession.failed_unlocks)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    account_tries = db.session.execute(
        update(User)
        .where(User.id == user.id)
        .values(failed_unlocks=User.failed_unlocks + 1)
        .returning(User.failed_unlocks)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    db.session.commit()
    return device_tries, account_tries


def _sign_out_after_wrong_pins(user: User) -> None:
    """This device, and every other locked device of the account once the account's tries
    are used up, must sign in with the password again."""
    device_session = user.device_session
    label, ended = device_session.device, [device_session.id]
    if db.session.scalar(select(User.failed_unlocks).where(User.id == user.id)) >= (
        PIN_TRIES_PER_ACCOUNT
    ):
        ended += db.session.scalars(
            select(DeviceSession.id).where(
                DeviceSession.user_id == user.id, DeviceSession.locked_at.is_not(None),
                DeviceSession.id != device_session.id,
            )
        ).all()
    db.session.execute(
        DeviceSession.__table__.delete().where(DeviceSession.__table__.c.id.in_(ended))
    )
    db.session.commit()
    record_event(user, "signed_out_wrong_pins", label)
    for device_session_id in ended:
        events.device_signed_out.send(user.id, device_session_id=device_session_id)


def forget_wrong_pins(user: User) -> None:
    """A right password counts as proof: the account's PIN tries start again."""
    if user.failed_unlocks:
        user.failed_unlocks = 0
        db.session.commit()
