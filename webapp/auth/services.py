"""Accounts: registration, sign-in, password changes and erasing everything, without HTTP."""

from __future__ import annotations

from sqlalchemy import delete, select

from webapp import events
from webapp.auth import passwords
from webapp.auth.devices import sign_out_other_devices
from webapp.auth.epochs import note_erasure, purge_deleted_rows
from webapp.auth.lock import forget_wrong_pins
from webapp.auth.models import User
from webapp.auth.security_log import record_event
from webapp.calendar import clean_timezone
from webapp.content import THEMES
from webapp.crypto import current_keyring
from webapp.errors import ValidationError
from webapp.extensions import db

ERASE_PHRASE = "delete my journal"


def register(email: str, password: str, timezone: str | None = None) -> User:
    """Create an account, or raise ValidationError with a message per field."""
    email = passwords.normalise_email(email)
    errors = passwords.validate_credentials(email, password)
    if not errors and find_user_by_email(email) is not None:
        errors["email"] = "This email already has an account here. You can sign in instead."
    if errors:
        raise ValidationError(errors)
    user = User(
        email=email,
        password_hash=passwords.hash_secret(password),
        timezone=clean_timezone(timezone),
    )
    db.session.add(user)
    db.session.commit()
    return user


def find_user_by_email(email: str) -> User | None:
    email = passwords.normalise_email(email)
    if not passwords.plausible_email(email):
        return None  # no account has it, and a NUL byte must never reach the database
    return db.session.scalar(select(User).where(User.email == email))


def authenticate(email: str, password: str) -> User | None:
    """Return the user if the password matches; the same work is done for unknown emails."""
    user = find_user_by_email(email)
    if not passwords.verify(user.password_hash if user else None, password):
        return None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_secret(password)
        db.session.commit()
    forget_wrong_pins(user)
    return user


def change_password(user: User, current: str, new: str) -> None:
    """Set a new password and sign out every other device."""
    if not passwords.verify(user.password_hash, current):
        raise ValidationError({"current_password": "That is not your current password."})
    set_password(user, new)


def set_password(user: User, new: str, *, event: str = "password_changed") -> None:
    """Store a new password and sign out every device but this one (when the person is signed
    in here); log ``event``. Journal text is under a key the password does not wrap."""
    errors = passwords.validate_credentials(user.email, new)
    if "password" in errors:
        raise ValidationError({"new_password": errors["password"]})
    user.password_hash = passwords.hash_secret(new)
    db.session.commit()
    sign_out_other_devices(user)
    record_event(user, event)


def set_theme(user: User, theme: object) -> str:
    """Light, dark, or like the device; the same on every device the person uses."""
    if not isinstance(theme, str) or theme not in THEMES:
        raise ValidationError({"theme": "Choose light, dark, or like this device."})
    user.theme = theme
    db.session.commit()
    return theme


def erase_account(user: User, password: str, confirmation: str) -> None:
    """Delete the person and everything of theirs, starting with their data key.

    Every table holding a person's rows refers to ``users`` with ON DELETE CASCADE (SQLite
    enforces it too: see ``webapp.extensions``), so deleting the person deletes the rest.
    """
    errors = {}
    if confirmation.strip().lower() != ERASE_PHRASE:
        errors["confirmation"] = f"Please type “{ERASE_PHRASE}” to confirm."
    if not passwords.verify(user.password_hash, password):
        errors["password"] = "That is not your password."  # noqa: S105 (a message)
    if errors:
        raise ValidationError(errors)
    erase_everything(user)


def erase_everything(user: User) -> None:
    """Crypto-shred the person's data key, then delete every row of theirs."""
    user_id = user.id
    # The person's key epoch is retired by the next daily upkeep (webapp.auth.epochs).
    note_erasure(current_keyring(), user.data_key)
    # Crypto-shred first: even a row that somehow survived can no longer be read.
    user.data_key = b""
    db.session.flush()
    db.session.execute(delete(User).where(User.id == user_id))
    db.session.commit()
    purge_deleted_rows(())  # SQLite: empty its write-ahead log of the deleted pages
    events.account_erased.send(user_id)
