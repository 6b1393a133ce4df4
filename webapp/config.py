"""Configuration read from the environment (12-factor), with safe defaults for one person."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def read_or_create_secret(path: Path, nbytes: int = 32) -> str:
    """Return the secret stored at ``path``, creating it (mode 0600) on first use."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(nbytes)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race: use theirs
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value


def normalise_database_url(url: str) -> str:
    """Accept the common ``postgres://`` spellings and route them to psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


_SIZE_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
               "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}


def parse_size(text: str) -> int:
    """Bytes from "2GB", "500 MB", "1.5GiB" or a plain number of bytes."""
    cleaned = text.strip().upper().replace(" ", "")
    number = cleaned.rstrip("KMGTIB")
    unit = cleaned[len(number):]
    if unit not in _SIZE_UNITS or not number:
        raise ValueError(f"not a size: {text!r} (try 2GB or 500MB)")
    return int(float(number) * _SIZE_UNITS[unit])


def load_config(instance_path: Path) -> dict:
    """Build the app's settings from the environment; see the table in README.md."""
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance_path / 'tend.db'}"
    secret_key = os.environ.get("SECRET_KEY") or read_or_create_secret(instance_path / "secret_key")
    return {
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        # A server-side database may restart under us: check pooled connections before use.
        # (An SQLite file cannot go away, so it skips the extra round trip.)
        "SQLALCHEMY_ENGINE_OPTIONS": (
            {} if database_url.startswith("sqlite") else {"pool_pre_ping": True}
        ),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": False,
        "RATELIMIT_ENABLED": _flag("RATELIMIT_ENABLED", True),
        "TRUST_PROXY": _flag("TRUST_PROXY"),
        "REGISTRATION_OPEN": _flag("REGISTRATION_OPEN", True),
        # Requests above this are refused with 413 before any of them is read.
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        "MAX_FORM_MEMORY_SIZE": 1024 * 1024,
        # Sessions: the cookie ends with the browser unless "remember this device" is ticked.
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_NAME": "tend_session",
        "REMEMBER_COOKIE_NAME": "tend_remember",
        "REMEMBER_COOKIE_DURATION": timedelta(days=30),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # A page left open on a phone for hours must still save: the CSRF token lives as
        # long as the session instead of expiring after an hour.
        "WTF_CSRF_TIME_LIMIT": None,
        # Pages send `Referrer-Policy: no-referrer`, so browsers send no Referer for Flask-WTF's
        # HTTPS referrer check to compare; the per-session token and SameSite cookies remain.
        "WTF_CSRF_SSL_STRICT": False,
        "ENTRIES_PER_PAGE": 20,
        # Crisis resources for the host's country (JSON or TOML); the defaults are US-based.
        "SUPPORT_FILE": os.environ.get("TEND_SUPPORT_FILE") or None,
        # Voice memos, photos and drawings: what each person may keep, and how long a memo.
        "MEDIA_QUOTA": parse_size(os.environ.get("TEND_MEDIA_QUOTA") or "2GB"),
        "MEMO_MAX_MINUTES": int(os.environ.get("TEND_MEMO_MAX_MINUTES") or 30),
        # Longer recordings than this are transcoded after answering, not while the device
        # waits (a 30-minute memo takes half a minute or more).
        "MEDIA_INLINE_BYTES": parse_size(os.environ.get("TEND_MEDIA_INLINE_BYTES") or "4MB"),
    }
