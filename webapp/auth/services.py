"""Account rules: registration, password checks and sign-in, independent of HTTP."""

from __future__ import annotations

import unicodedata
from zoneinfo import available_timezones

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from webapp.auth.models import User
from webapp.errors import ValidationError
from webapp.extensions import db

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


def load_user_by_login_token(token: str) -> User | None:
    if not token:
        return None
    return db.session.scalar(select(User).where(User.login_token == token))


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


def _verify(password_hash: str, password: str) -> bool:
    try:
        return password_hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
