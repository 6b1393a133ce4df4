"""Account rules: registration, password checks and sign-in, independent of HTTP."""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
import uuid
from datetime import datetime, timedelta
from zoneinfo import available_timezones

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import joinedload

from webapp.auth.models import DeviceSession, SecurityEvent, User
from webapp.errors import ValidationError
from webapp.extensions import db
from webapp.types import utcnow

PASSWORD_MIN = 10
PASSWORD_MAX = 1024
# Argon2id at OWASP's recommended minimum: 19 MiB of memory, two passes, one lane.
password_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verified against when the email is unknown, so both answers take the same time.
_DUMMY_HASH = password_hasher.hash("not a real password, only for timing")
_TIMEZONES = frozenset(available_timezones())


def normalise_email(email: str) -> str:
    """Trim, NFKC-normalise and lowercase an email so one person has one account."""
    return unicodedata.normalize("NFKC", email or "").strip().lower()


def clean_timezone(name: str | None) -> str:
    """Return ``name`` if it is a known IANA zone, else UTC."""
    name = (name or "").strip()
    return name if name in _TIMEZONES else "UTC"


def validate_credentials(email: str, password: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not email or "@" not in email or len(email) > 254 or email.startswith("@"):
        errors["email"] = "Please enter an email address, like name@example.org."
    if len(password) < PASSWORD_MIN:
        errors["password"] = f"Please choose a password of at least {PASSWORD_MIN} characters."
    elif len(password) > PASSWORD_MAX:
        errors["password"] = f"Please keep the password under {PASSWORD_MAX} characters."
    return errors


def register(email: str, password: str, timezone: str | None = None) -> User:
    """Create an account, or raise ValidationError with a message per field."""
    email = normalise_email(email)
    errors = validate_credentials(email, password)
    if not errors and find_user_by_email(email) is not None:
        errors["email"] = "This email already has an account here. You can sign in instead."
    if errors:
        raise ValidationError(errors)
    user = User(
        email=email,
        password_hash=password_hasher.hash(password),
        timezone=clean_timezone(timezone),
    )
    db.session.add(user)
    db.session.commit()
    return user


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def authenticate(email: str, password: str) -> User | None:
    """Return the user if the password matches; the same work is done for unknown emails."""
    user = find_user_by_email(email)
    if user is None:
        _verify(_DUMMY_HASH, password)
        return None
    if not _verify(user.password_hash, password):
        return None
    if password_hasher.check_needs_rehash(user.password_hash):
        user.password_hash = password_hasher.hash(password)
        db.session.commit()
    return user


def password_matches(user: User, password: str) -> bool:
    return _verify(user.password_hash, password or "")


def verify_hash(secret_hash: str | None, secret: str) -> bool:
    """Check a secret against an Argon2 hash; with no hash, do the same work and say no."""
    if secret_hash is None:
        _verify(_DUMMY_HASH, secret)
        return False
    return _verify(secret_hash, secret)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return password_hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# -- Device sessions ---------------------------------------------------------------------------

REMEMBERED_IDLE = timedelta(days=30)  # "remember this device": sliding
REMEMBERED_MAX = timedelta(days=90)  # ... and never longer than this
BROWSER_IDLE = timedelta(hours=12)  # otherwise the cookie ends with the browser anyway
TOUCH_EVERY = timedelta(minutes=5)  # how stale last_seen_at may get, to spare writes


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def describe_device(user_agent: str | None) -> str:
    """A short, human description ("Firefox on Android") instead of the full user agent."""
    ua = user_agent or ""
    browser = next(
        (name for pattern, name in [
            (r"Edg/", "Edge"), (r"OPR/|Opera", "Opera"), (r"SamsungBrowser", "Samsung Internet"),
            (r"Firefox/|FxiOS", "Firefox"), (r"Chrome/|CriOS|Chromium", "Chrome"),
            (r"Safari/", "Safari"),
        ] if re.search(pattern, ua)),
        "A browser",
    )
    system = next(
        (name for pattern, name in [
            (r"iPhone|iPad|iOS", "iOS"), (r"Android", "Android"), (r"Windows", "Windows"),
            (r"Mac OS X|Macintosh", "macOS"), (r"CrOS", "ChromeOS"), (r"Linux", "Linux"),
        ] if re.search(pattern, ua)),
        None,
    )
    return f"{browser} on {system}" if system else browser


def start_device_session(user: User, *, remember: bool, user_agent: str | None) -> DeviceSession:
    """Record a new signed-in device; the returned session knows its raw cookie token."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    device_session = DeviceSession(
        user_id=user.id,
        token_hash=_hash_token(token),
        device=describe_device(user_agent),
        remember=remember,
        created_at=now,
        last_seen_at=now,
        expires_at=now + (REMEMBERED_IDLE if remember else BROWSER_IDLE),
    )
    db.session.add(device_session)
    db.session.commit()
    device_session.cookie_token = token
    user.device_session = device_session
    return device_session


def resume_device_session(token: str, *, now: datetime | None = None) -> User | None:
    """The user behind a cookie's token, if that device session is still valid."""
    if not token:
        return None
    now = now or utcnow()
    device_session = db.session.scalar(
        select(DeviceSession)
        .options(joinedload(DeviceSession.user))  # one query per request, not two
        .where(DeviceSession.token_hash == _hash_token(token))
    )
    if device_session is None:
        return None
    if now >= device_session.expires_at:
        db.session.delete(device_session)
        db.session.commit()
        return None
    user = device_session.user
    if user.disabled_at is not None:
        return None  # kept, so enabling the account again brings its devices back
    away = now - device_session.last_seen_at
    if user.lock_pin_hash and device_session.locked_at is None and away >= lock_after(user):
        device_session.locked_at = now  # away too long on a device with an app lock
    touch_every = min(TOUCH_EVERY, lock_after(user) / 2) if user.lock_pin_hash else TOUCH_EVERY
    if away >= touch_every or device_session.locked_at == now:
        device_session.last_seen_at = now
        idle = REMEMBERED_IDLE if device_session.remember else BROWSER_IDLE
        limit = device_session.created_at + REMEMBERED_MAX
        device_session.expires_at = min(now + idle, limit)
        db.session.commit()
    device_session.cookie_token = token
    user.device_session = device_session
    return user


def end_device_session(device_session: DeviceSession | None) -> None:
    if device_session is not None:
        db.session.execute(delete(DeviceSession).where(DeviceSession.id == device_session.id))
        db.session.commit()


def device_sessions(user: User) -> list[DeviceSession]:
    return list(
        db.session.scalars(
            select(DeviceSession)
            .where(DeviceSession.user_id == user.id)
            .order_by(DeviceSession.last_seen_at.desc())
        )
    )


def revoke_device_session(user: User, session_id: uuid.UUID) -> bool:
    """Sign one of the person's devices out; another person's session id changes nothing."""
    result = db.session.execute(
        delete(DeviceSession).where(
            DeviceSession.id == session_id, DeviceSession.user_id == user.id
        )
    )
    db.session.commit()
    if result.rowcount:
        record_event(user, "session_revoked")
    return bool(result.rowcount)


# -- Security log ------------------------------------------------------------------------------

EVENT_LABELS = {
    "account_created": "Account created",
    "sign_in": "Signed in",
    "sign_in_failed": "Failed sign-in attempt",
    "password_changed": "Password changed",
    "session_revoked": "A device was signed out",
    "export": "Journal exported",
    "push_device_added": "Reminders turned on for a device",
    "app_lock_set": "App lock turned on",
    "app_lock_removed": "App lock turned off",
    "unlock_failed": "Wrong app lock PIN",
    "recovery_codes_created": "New recovery codes made",
    "recovery_code_used": "Password set with a recovery code",
    "password_reset": "Password reset from an email link",
    "account_disabled": "Account paused by the host",
    "account_enabled": "Account opened again by the host",
    "import": "A journal was imported",
}


def record_event(user: User, kind: str, device: str | None = None) -> None:
    db.session.add(SecurityEvent(user_id=user.id, kind=kind, device=device))
    db.session.commit()


def security_events(user: User, limit: int = 50) -> list[SecurityEvent]:
    return list(
        db.session.scalars(
            select(SecurityEvent)
            .where(SecurityEvent.user_id == user.id)
            .order_by(SecurityEvent.created_at.desc())
            .limit(limit)
        )
    )


# -- Password and account ----------------------------------------------------------------------

ERASE_PHRASE = "delete my journal"


def change_password(user: User, current: str, new: str) -> None:
    """Set a new password and sign out every other device."""
    if not _verify(user.password_hash, current):
        raise ValidationError({"current_password": "That is not your current password."})
    keep = user.device_session.id if user.device_session else None
    set_password(user, new, keep_device=keep)


def set_password(
    user: User, new: str, *, keep_device: uuid.UUID | None = None, event: str = "password_changed"
) -> None:
    """Store a new password and sign out every device but ``keep_device``; log ``event``."""
    errors = validate_credentials(user.email, new)
    if "password" in errors:
        raise ValidationError({"new_password": errors["password"]})
    user.password_hash = password_hasher.hash(new)
    db.session.execute(
        delete(DeviceSession).where(
            DeviceSession.user_id == user.id, DeviceSession.id != keep_device
        )
    )
    db.session.commit()
    record_event(user, event)


def erase_account(user: User, password: str, confirmation: str) -> None:
    """Delete the person and everything of theirs, starting with their data key."""
    errors = {}
    if confirmation.strip().lower() != ERASE_PHRASE:
        errors["confirmation"] = f"Please type “{ERASE_PHRASE}” to confirm."
    if not _verify(user.password_hash, password):
        errors["password"] = "That is not your password."  # noqa: S105 (a message)
    if errors:
        raise ValidationError(errors)
    erase_everything(user)


def erase_everything(user: User) -> None:
    """Crypto-shred the person's data key, then delete every row of theirs."""
    from webapp.encrypted_fields import forget_data_keys

    user_id = user.id
    # Crypto-shred first: even a row that somehow survived can no longer be read.
    user.data_key = b""
    db.session.flush()
    for table in reversed(db.metadata.sorted_tables):
        if "user_id" in table.c:
            db.session.execute(table.delete().where(table.c.user_id == user_id))
    db.session.execute(delete(User).where(User.id == user_id))
    db.session.commit()
    forget_data_keys()


# -- App lock ----------------------------------------------------------------------------------

LOCK_CHOICES = (1, 5, 15, 30, 60)  # minutes away before the PIN is asked


def lock_after(user: User) -> timedelta:
    return timedelta(minutes=user.lock_after_minutes or 5)


def set_app_lock(user: User, *, password: str, pin: str, minutes: object) -> None:
    """Turn on (or change) the PIN asked when Tend comes back after some minutes away."""
    errors = {}
    if not _verify(user.password_hash, password):
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
    user.lock_pin_hash = password_hasher.hash(pin)
    user.lock_after_minutes = minutes
    db.session.commit()
    record_event(user, "app_lock_set")


def remove_app_lock(user: User, *, password: str) -> None:
    if not _verify(user.password_hash, password):
        raise ValidationError({"unlock_password": "That is not your password."})  # noqa: S105
    user.lock_pin_hash = None
    db.session.execute(
        DeviceSession.__table__.update()
        .where(DeviceSession.user_id == user.id)
        .values(locked_at=None)
    )
    db.session.commit()
    record_event(user, "app_lock_removed")


def lock_device(user: User) -> None:
    """Lock this device now (the page noticed it was away long enough)."""
    device_session = user.device_session
    if user.lock_pin_hash and device_session is not None and device_session.locked_at is None:
        device_session.locked_at = utcnow()
        db.session.commit()


def is_locked(user: User) -> bool:
    device_session = getattr(user, "device_session", None)
    return bool(user.lock_pin_hash and device_session and device_session.locked_at)


def unlock_device(user: User, pin: str) -> bool:
    if not user.lock_pin_hash:
        return True
    if not _verify(user.lock_pin_hash, pin or ""):
        record_event(user, "unlock_failed", user.device_session and user.device_session.device)
        return False
    user.device_session.locked_at = None
    db.session.commit()
    return True
