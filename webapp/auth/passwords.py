"""Passwords, PINs and emails: how they are checked and hashed (Argon2id)."""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context

from webapp.config import ARGON2_STRONG
from webapp.crypto import Keyring, KeyringError

PASSWORD_MIN = 10
PASSWORD_MAX = 1024


@lru_cache(maxsize=4)
def _argon2(time_cost: int, memory_cost: int, parallelism: int) -> tuple[PasswordHasher, str]:
    """A hasher at this cost, and a hash of its own that is verified against when the email
    is unknown, so both answers take the same time."""
    hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)
    return hasher, hasher.hash("not a real password, only for timing")


def password_hasher() -> PasswordHasher:
    """Argon2id at the app's ARGON2 cost (config.py): OWASP's minimum, cheaper only in tests."""
    return _hasher_and_dummy()[0]


def _hasher_and_dummy() -> tuple[PasswordHasher, str]:
    cost = current_app.config["ARGON2"] if has_app_context() else ARGON2_STRONG
    return _argon2(cost["time_cost"], cost["memory_cost"], cost["parallelism"])


def normalise_email(email: str) -> str:
    """Trim, NFKC-normalise and lowercase an email so one person has one account."""
    return unicodedata.normalize("NFKC", email or "").strip().lower()


def plausible_email(email: str) -> bool:
    """One line of printable text with an @ inside: no NUL or control character (PostgreSQL
    refuses NUL in text), so it can be looked up at all."""
    return (
        bool(email) and "@" in email and not email.startswith("@") and len(email) <= 254
        and email.isprintable()
    )


def validate_credentials(email: str, password: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not plausible_email(email):
        errors["email"] = "Please enter an email address, like name@example.org."
    if len(password) < PASSWORD_MIN:
        errors["password"] = f"Please choose a password of at least {PASSWORD_MIN} characters."
    elif len(password) > PASSWORD_MAX:
        errors["password"] = f"Please keep the password under {PASSWORD_MAX} characters."
    return errors


def hash_secret(secret: str) -> str:
    return password_hasher().hash(secret)


def verify(secret_hash: str | None, secret: str) -> bool:
    """Whether ``secret`` matches; with no hash, the same work is done and the answer is no."""
    hasher, dummy_hash = _hasher_and_dummy()
    try:
        return hasher.verify(secret_hash or dummy_hash, secret) and bool(secret_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(secret_hash: str) -> bool:
    return password_hasher().check_needs_rehash(secret_hash)


# -- The app lock's PIN ----------------------------------------------------------------------

PIN_MIN, PIN_MAX = 4, 12
PIN_PREFIX = "tend-pin-v1"
PIN_PEPPER = b"tend:app-lock-pin:v1"


def valid_pin(pin: object) -> bool:
    return isinstance(pin, str) and pin.isascii() and pin.isdigit() and (
        PIN_MIN <= len(pin) <= PIN_MAX
    )


def _peppered(pepper: bytes, pin: str) -> str:
    return hmac.new(pepper, pin.encode(), hashlib.sha256).hexdigest()


def hash_pin(pin: str, keyring: Keyring) -> str:
    """A PIN's hash that a copy of the database alone cannot test guesses against.

    A PIN has few possible values, so Argon2 alone only slows guessing down. The PIN is first
    keyed (HMAC-SHA256) with a pepper derived from the master key, which is never in the
    database; the stored hash names the master key it came from, so rotation keeps it working.
    """
    kid, pepper = keyring.derive(PIN_PEPPER)
    return f"{PIN_PREFIX}${kid}${password_hasher().hash(_peppered(pepper, pin))}"


def verify_pin(stored: str | None, pin: str, keyring: Keyring) -> tuple[bool, bool]:
    """(whether ``pin`` matches, whether to store a new hash of it). A hash from before the
    pepper (plain Argon2) still matches, and is replaced at its next successful use."""
    pin = pin if isinstance(pin, str) else ""
    if stored and stored.startswith(PIN_PREFIX + "$"):
        _prefix, kid, argon = stored.split("$", 2)
        try:
            _kid, pepper = keyring.derive(PIN_PEPPER, kid)
        except KeyringError:
            return False, False  # its master key is gone: only the password helps now
        matches = verify(argon, _peppered(pepper, pin))
        return matches, matches and (kid != keyring.primary or needs_rehash(argon))
    matches = verify(stored, pin)
    return matches, matches
