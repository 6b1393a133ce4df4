"""Passwords and emails: how they are checked and hashed (Argon2id)."""

from __future__ import annotations

import unicodedata

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

PASSWORD_MIN = 10
PASSWORD_MAX = 1024
# Argon2id at OWASP's recommended minimum: 19 MiB of memory, two passes, one lane.
password_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verified against when the email is unknown, so both answers take the same time.
_DUMMY_HASH = password_hasher.hash("not a real password, only for timing")


def normalise_email(email: str) -> str:
    """Trim, NFKC-normalise and lowercase an email so one person has one account."""
    return unicodedata.normalize("NFKC", email or "").strip().lower()


def validate_credentials(email: str, password: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not email or "@" not in email or len(email) > 254 or email.startswith("@"):
        errors["email"] = "Please enter an email address, like name@example.org."
    if len(password) < PASSWORD_MIN:
        errors["password"] = f"Please choose a password of at least {PASSWORD_MIN} characters."
    elif len(password) > PASSWORD_MAX:
        errors["password"] = f"Please keep the password under {PASSWORD_MAX} characters."
    return errors


def hash_secret(secret: str) -> str:
    return password_hasher.hash(secret)


def verify(secret_hash: str | None, secret: str) -> bool:
    """Whether ``secret`` matches; with no hash, the same work is done and the answer is no."""
    try:
        return password_hasher.verify(secret_hash or _DUMMY_HASH, secret) and bool(secret_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(secret_hash: str) -> bool:
    return password_hasher.check_needs_rehash(secret_hash)
