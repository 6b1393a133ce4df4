"""Configuration read from the environment (12-factor), with safe defaults for one person."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PRIVATE_FOLDER, PRIVATE_FILE = 0o700, 0o600
# The database file and the files SQLite keeps beside it while writing.
SQLITE_FILES = ("", "-wal", "-shm", "-journal")

log = logging.getLogger(__name__)

# Argon2id for passwords, PINs, recovery codes and share passphrases: OWASP's recommended
# minimum (19 MiB of memory, two passes, one lane).
ARGON2_STRONG = {"time_cost": 2, "memory_cost": 19 * 1024, "parallelism": 1}
# Only under TESTING: one pass over 1 MiB, so the suite's thousands of hashes stay quick.
ARGON2_TESTING = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}


def argon2_parameters(testing: bool) -> dict[str, int]:
    """The Argon2id cost for an app; never the cheap one unless the app is under test."""
    return dict(ARGON2_TESTING if testing else ARGON2_STRONG)


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _list(name: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


def _number(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value not in (None, "") else default


def instance_path() -> Path:
    """Where generated keys and the SQLite database live."""
    return Path(os.environ.get("TEND_INSTANCE_PATH", PROJECT_ROOT / "instance")).resolve()


def _chmod(path: Path, mode: int) -> None:
    try:
        if path.stat().st_mode & 0o777 != mode:
            path.chmod(mode)
    except OSError as exc:  # not ours to change (a mounted volume, another owner): say so
        log.warning("could not make %s private (mode %o): %s", path, mode, exc)


def make_instance_folder_private(folder: Path) -> None:
    """The instance folder holds the keys and, by default, the journal's database: only the
    user Tend runs as may enter it (0700), whatever the umask, and also when it exists."""
    folder.mkdir(mode=PRIVATE_FOLDER, parents=True, exist_ok=True)
    _chmod(folder, PRIVATE_FOLDER)


def make_sqlite_files_private(database_uri: str, folder: Path) -> None:
    """A SQLite database in the instance folder is created 0600 before SQLite first opens
    it; SQLite gives its -wal, -shm and -journal files the database file's mode. Files made
    earlier with the umask's 0644 are narrowed to 0600 at start-up."""
    if not database_uri.startswith("sqlite:///") or ":memory:" in database_uri:
        return
    path = Path(database_uri[len("sqlite:///"):].split("?", 1)[0]).resolve()
    if folder.resolve() not in path.parents:
        return  # a database the host placed elsewhere keeps the modes they gave it
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    except FileExistsError:
        pass
    except OSError as exc:
        log.warning("could not create %s: %s", path, exc)
    for suffix in SQLITE_FILES:
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            _chmod(companion, PRIVATE_FILE)


def read_or_create_secret(path: Path, nbytes: int = 32) -> str:
    """Return the secret stored at ``path``, creating it (mode 0600) on first use."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(mode=PRIVATE_FOLDER, parents=True, exist_ok=True)
    value = secrets.token_urlsafe(nbytes)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race: use theirs
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value


def child_environment(**extra: str) -> dict[str, str]:
    """The environment for a tool Tend runs (pg_dump, pg_restore), with ``extra`` on top."""
    return {**os.environ, **extra}


def _text(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


def registration_mode() -> str:
    """``open``, ``invite`` (only with an invitation link) or ``closed``."""
    value = os.environ.get("REGISTRATION_OPEN", "true").strip().lower()
    if value == "invite":
        return "invite"
    return "open" if value in {"1", "true", "yes", "on"} else "closed"


def mail_settings() -> dict:
    """Outgoing email (password resets, sign-up confirmations, invitations); off without a host."""
    port = int(_number("MAIL_PORT", 587))
    return {
        "MAIL_SERVER": _text("MAIL_SERVER"),
        "MAIL_PORT": port,
        "MAIL_USERNAME": _text("MAIL_USERNAME"),
        "MAIL_PASSWORD": _text("MAIL_PASSWORD"),
        # Port 465 speaks TLS from the first byte; others upgrade with STARTTLS unless told not.
        "MAIL_USE_SSL": _flag("MAIL_USE_SSL", port == 465),
        "MAIL_USE_TLS": _flag("MAIL_USE_TLS", port != 465 and port != 25),
        "MAIL_DEFAULT_SENDER": _text("MAIL_DEFAULT_SENDER") or "Tend <tend@localhost>",
        "MAIL_TIMEOUT": _number("MAIL_TIMEOUT", 10),
    }


def operations_settings() -> dict:
    """Running Tend for others: recovery, health, metrics, retention, logs."""
    return {
        "PASSWORD_RESET_MINUTES": int(_number("PASSWORD_RESET_MINUTES", 30)),
        "INVITATION_DAYS": int(_number("INVITATION_DAYS", 7)),
        # Refuse to start when the database is unreachable or behind the migrations.
        "STARTUP_CHECKS": _flag("TEND_STARTUP_CHECKS", True),
        # /readyz also wants a dispatcher heartbeat younger than a minute.
        "HEALTH_EXPECT_DISPATCHER": _flag(
            "HEALTH_EXPECT_DISPATCHER", _flag("TEND_EMBEDDED_DISPATCHER")
        ),
        "METRICS_TOKEN": _text("METRICS_TOKEN"),
        "METRICS_PORT": int(_number("METRICS_PORT", 0)) or None,
        "METRICS_ADDRESS": _text("METRICS_ADDRESS") or "127.0.0.1",
        "PROMETHEUS_MULTIPROC_DIR": _text("PROMETHEUS_MULTIPROC_DIR"),
        "RETENTION_DELIVERY_DAYS": int(_number("RETENTION_DELIVERY_DAYS", 30)),
        "RETENTION_SECURITY_LOG_DAYS": int(_number("RETENTION_SECURITY_LOG_DAYS", 365)),
        "LOG_FORMAT": (_text("LOG_FORMAT") or "text").lower(),
        "LOG_REQUESTS": _flag("LOG_REQUESTS", True),
        # An export to import may be much larger than any form.
        "IMPORT_MAX_BYTES": int(_number("IMPORT_MAX_BYTES", 64 * 1024 * 1024)),
    }


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
            {}
            if database_url.startswith("sqlite")
            else {"pool_pre_ping": True, "connect_args": {"connect_timeout": 10}}
        ),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": False,
        # A window that moves with each try: no double burst where two fixed minutes meet.
        "RATELIMIT_STRATEGY": "moving-window",
        "RATELIMIT_ENABLED": _flag("RATELIMIT_ENABLED", True),
        "TRUST_PROXY": _flag("TRUST_PROXY"),
        "REGISTRATION_OPEN": registration_mode() == "open",
        "REGISTRATION_MODE": registration_mode(),
        # Requests above this are refused with 413 before any of them is read.
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        "MAX_FORM_MEMORY_SIZE": 1024 * 1024,
        # Sessions: the cookie ends with the browser unless "remember this device" is ticked.
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_NAME": "tend_session",
        "REMEMBER_COOKIE_NAME": "tend_remember",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # A page left open on a phone for hours must still save: the CSRF token lives as
        # long as the session instead of expiring after an hour.
        "WTF_CSRF_TIME_LIMIT": None,
        # Pages send `Referrer-Policy: no-referrer`, so browsers send no Referer for Flask-WTF's
        # HTTPS referrer check to compare; the per-session token and SameSite cookies remain.
        "WTF_CSRF_SSL_STRICT": False,
        "ENTRIES_PER_PAGE": 20,
        # Keep each device's signed-in pages (the timeline's first page, Today, Practices,
        # Insights) in memory for a few minutes, and answer the same request again with them
        # (webapp/web/ready_pages.py, webapp/journal/cache.py); off, every view renders anew.
        "PAGE_CACHE": _flag("TEND_PAGE_CACHE", True),
        # Crisis resources for the host's country (JSON or TOML); the defaults are US-based.
        "SUPPORT_FILE": os.environ.get("TEND_SUPPORT_FILE") or None,
        # The master key wrapping every data key; without it, the instance keyring file.
        "MASTER_KEY": os.environ.get("TEND_MASTER_KEY") or None,
        "OLD_MASTER_KEYS": [
            key for key in os.environ.get("TEND_OLD_MASTER_KEYS", "").split(",") if key.strip()
        ],
        # `make run` sends reminders from a thread of the web process.
        "EMBEDDED_DISPATCHER": _flag("TEND_EMBEDDED_DISPATCHER"),
        # Voice memos, photos and drawings: what each person may keep, and how long a memo.
        "MEDIA_QUOTA": parse_size(os.environ.get("TEND_MEDIA_QUOTA") or "2GB"),
        "MEMO_MAX_MINUTES": int(os.environ.get("TEND_MEMO_MAX_MINUTES") or 30),
        # Longer recordings than this are transcoded after answering, not while the device
        # waits (a 30-minute memo takes half a minute or more).
        "MEDIA_INLINE_BYTES": parse_size(os.environ.get("TEND_MEDIA_INLINE_BYTES") or "4MB"),
        # The most memos, photos and drawings one share link may carry (copied and sealed).
        "SHARE_MEDIA_MAX": parse_size(os.environ.get("TEND_SHARE_MEDIA_MAX") or "100MB"),
        **reminder_settings(),
        **mail_settings(),
        **operations_settings(),
    }


def reminder_settings() -> dict:
    """Web Push and the reminder dispatcher; see "Gentle reminders" in README.md."""
    public_url = os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000")
    return {
        # Where people reach Tend: links inside notifications point here.
        "PUBLIC_URL": public_url,
        "VAPID_PRIVATE_KEY": os.environ.get("VAPID_PRIVATE_KEY"),
        "VAPID_SUBJECT": os.environ.get("VAPID_SUBJECT")
        or (public_url if public_url.startswith("https://") else "mailto:tend@localhost"),
        "PUSH_CONNECT_TIMEOUT": _number("PUSH_CONNECT_TIMEOUT", 5),
        "PUSH_READ_TIMEOUT": _number("PUSH_READ_TIMEOUT", 10),
        "PUSH_CONCURRENCY": int(_number("PUSH_CONCURRENCY", 200)),
        # Push addresses must be https on a known push service (webapp.push.endpoints); more
        # hosts (exact, or "*.example.org") for push services Tend does not know.
        "PUSH_ALLOWED_HOSTS": _list("PUSH_ALLOWED_HOSTS"),
        # Only for Tend's own tests, which run a push service on this machine over plain http:
        # never set it for an instance people use (it lets the server post to 127.0.0.1).
        "PUSH_ALLOW_HTTP_ENDPOINTS": _flag("TEND_TESTS_LOCAL_PUSH_SERVICE"),
        "PUSH_ALLOW_LOOPBACK_ENDPOINTS": _flag("TEND_TESTS_LOCAL_PUSH_SERVICE"),
        # How long turning reminders on may wait for the browser's push service before the
        # page says so and offers to try again (seconds; tests shorten it).
        "PUSH_SUBSCRIBE_PATIENCE": 20,
        "REMINDER_BATCH_SIZE": int(_number("REMINDER_BATCH_SIZE", 200)),
        "REMINDER_LEASE_SECONDS": _number("REMINDER_LEASE_SECONDS", 30),
        "REMINDER_MAX_ATTEMPTS": int(_number("REMINDER_MAX_ATTEMPTS", 5)),
        "REMINDER_RETRY_BASE_SECONDS": _number("REMINDER_RETRY_BASE_SECONDS", 60),
        "REMINDER_IDLE_SECONDS": _number("REMINDER_IDLE_SECONDS", 2),
    }
