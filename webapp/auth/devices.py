"""Device sessions: each signed-in browser or installed app, known by a hash of its token."""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from webapp import events
from webapp.auth.models import DeviceSession, User
from webapp.auth.security_log import record_event
from webapp.extensions import db
from webapp.types import utcnow

REMEMBERED_IDLE = timedelta(days=30)  # "remember this device": sliding
REMEMBERED_MAX = timedelta(days=90)  # ... and never longer than this
BROWSER_IDLE = timedelta(hours=12)  # otherwise the cookie ends with the browser anyway
TOUCH_EVERY = timedelta(minutes=5)  # how stale last_seen_at may get, to spare writes
DEFAULT_LOCK_AFTER = timedelta(minutes=5)

_BROWSERS = [
    (r"Edg/", "Edge"), (r"OPR/|Opera", "Opera"), (r"SamsungBrowser", "Samsung Internet"),
    (r"Firefox/|FxiOS", "Firefox"), (r"Chrome/|CriOS|Chromium", "Chrome"), (r"Safari/", "Safari"),
]
_SYSTEMS = [
    (r"iPhone|iPad|iOS", "iOS"), (r"Android", "Android"), (r"Windows", "Windows"),
    (r"Mac OS X|Macintosh", "macOS"), (r"CrOS", "ChromeOS"), (r"Linux", "Linux"),
]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def describe_device(user_agent: str | None) -> str:
    """A short, human description ("Firefox on Android") instead of the full user agent."""
    ua = user_agent or ""
    browser = next((name for pattern, name in _BROWSERS if re.search(pattern, ua)), "A browser")
    system = next((name for pattern, name in _SYSTEMS if re.search(pattern, ua)), None)
    return f"{browser} on {system}" if system else browser


def start_device_session(user: User, *, remember: bool, user_agent: str | None) -> DeviceSession:
    """Record a new signed-in device; the returned session knows its raw cookie token."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    device_session = DeviceSession(
        user_id=user.id,
        token_hash=hash_token(token),
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


_SESSIONS = DeviceSession.__table__
_USERS = User.__table__
_SESSION_FIELDS = tuple(_SESSIONS.c.keys())
_USER_FIELDS = tuple(_USERS.c.keys())
# One indexed lookup (token_hash is unique) of the device session and its person, as plain
# columns: no ORM query to compile, no loader, no object graph on every request.
_LOOKUP = (
    select(*_SESSIONS.c, *_USERS.c)
    .join_from(_SESSIONS, _USERS, _SESSIONS.c.user_id == _USERS.c.id)
    .where(_SESSIONS.c.token_hash == bindparam("token_hash"))
)


@dataclass(slots=True)
class ActiveDevice:
    """The device session a request came from, as read from its row (not an ORM object:
    the few changes made to it are written with UPDATE statements)."""

    id: uuid.UUID
    user_id: uuid.UUID
    token_hash: str
    device: str
    remember: bool
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    locked_at: datetime | None
    failed_unlocks: int
    cookie_token: str | None = None
    # Every column of this session and its person as read, but the two a touch moves: a
    # page rendered from this read stays right while a new read gives the same fingerprint.
    fingerprint: tuple | None = None


def save_device_fields(device_session, **fields) -> None:
    """Write fields of a device session (ORM or ActiveDevice) and keep the object in step.
    Does not commit."""
    db.session.execute(update(_SESSIONS).where(_SESSIONS.c.id == device_session.id)
                       .values(**fields))
    for name, value in fields.items():
        if isinstance(device_session, DeviceSession):
            set_committed_value(device_session, name, value)
        else:
            setattr(device_session, name, value)


def _person(values) -> User:
    """The row's person as a persistent model in this request's session, without a query:
    the one already there if there is one, else built from the columns just read."""
    user_id = values[_USER_FIELDS.index("id")]
    existing = db.session.identity_map.get(db.session.identity_key(User, user_id))
    if existing is not None:
        return existing
    user = User.__mapper__.class_manager.new_instance()
    for name, value in zip(_USER_FIELDS, values, strict=True):
        set_committed_value(user, name, value)
    make_transient_to_detached(user)
    db.session.add(user)
    return user


_STEADY = tuple(
    index for index, name in enumerate(_SESSION_FIELDS + _USER_FIELDS)
    if index >= len(_SESSION_FIELDS) or name not in ("last_seen_at", "expires_at")
)


def _fingerprint(row) -> tuple:
    return tuple(row[index] for index in _STEADY)


def _changes_due(device_session: ActiveDevice, lock_pin_hash, lock_minutes, now: datetime) -> dict:
    """What this request must write to its device session: a lock (away too long on a
    device with an app lock) and the sliding expiry, at most every few minutes."""
    away = now - device_session.last_seen_at
    lock_time = timedelta(minutes=lock_minutes) if lock_minutes else DEFAULT_LOCK_AFTER
    changes: dict = {}
    if lock_pin_hash and device_session.locked_at is None and away >= lock_time:
        changes["locked_at"] = now
    touch_every = min(TOUCH_EVERY, lock_time / 2) if lock_pin_hash else TOUCH_EVERY
    if away >= touch_every or changes:
        idle = REMEMBERED_IDLE if device_session.remember else BROWSER_IDLE
        limit = device_session.created_at + REMEMBERED_MAX
        changes.update(last_seen_at=now, expires_at=min(now + idle, limit))
    return changes


def resume_device_session(token: str, *, now: datetime | None = None) -> User | None:
    """The user behind a cookie's token, if that device session is still valid.

    A device with an app lock that was away too long is locked here, by the server.
    ``last_seen_at`` (and with it the sliding expiry) is written at most every few minutes.
    """
    if not token:
        return None
    now = now or utcnow()
    row = db.session.connection().execute(_LOOKUP, {"token_hash": hash_token(token)}).first()
    if row is None:
        return None
    split = len(_SESSION_FIELDS)
    device_session = ActiveDevice(*row[:split])
    if now >= device_session.expires_at:
        db.session.execute(delete(_SESSIONS).where(_SESSIONS.c.id == device_session.id))
        db.session.commit()
        return None
    user = _person(row[split:])
    if user.disabled_at is not None:
        return None  # kept, so enabling the account again brings its devices back
    changes = _changes_due(device_session, user.lock_pin_hash, user.lock_after_minutes, now)
    if changes:
        save_device_fields(device_session, **changes)
        db.session.commit()
    else:
        device_session.fingerprint = _fingerprint(row)
    device_session.cookie_token = token
    user.device_session = device_session
    return user


_PERSON = {name: len(_SESSION_FIELDS) + index for index, name in enumerate(_USER_FIELDS)}


def unchanged_since(connection, token_hash: str, fingerprint: tuple,
                    now: datetime | None = None) -> bool:
    """Whether the device session behind ``token_hash`` and its person read now exactly as
    they did when ``fingerprint`` was taken, and nothing is due to be written for it (no
    touch, no lock, not expired): then what was rendered for that read is still right."""
    row = connection.execute(_LOOKUP, {"token_hash": token_hash}).first()
    if row is None or _fingerprint(row) != fingerprint:
        return False
    now = now or utcnow()
    device_session = ActiveDevice(*row[: len(_SESSION_FIELDS)])
    if now >= device_session.expires_at or device_session.locked_at is not None:
        return False
    if row[_PERSON["disabled_at"]] is not None:
        return False
    lock_pin_hash, lock_minutes = row[_PERSON["lock_pin_hash"]], row[_PERSON["lock_after_minutes"]]
    return not _changes_due(device_session, lock_pin_hash, lock_minutes, now)


def end_device_session(user: User) -> None:
    """Sign this device out: its session row goes, and whatever was kept for it."""
    device_session = user.device_session
    if device_session is not None:
        db.session.execute(delete(DeviceSession).where(DeviceSession.id == device_session.id))
        db.session.commit()
        events.device_signed_out.send(user.id, device_session_id=device_session.id)


def device_sessions(user: User, *, now: datetime | None = None) -> list[DeviceSession]:
    """The devices still signed in. A session that ran out (a browser closed without
    "remember this device" is never seen again) is deleted here rather than listed."""
    now = now or utcnow()
    ended = list(db.session.scalars(
        select(DeviceSession.id).where(
            DeviceSession.user_id == user.id, DeviceSession.expires_at <= now
        )
    ))
    if ended:
        db.session.execute(delete(DeviceSession).where(DeviceSession.id.in_(ended)))
        db.session.commit()
        for device_session_id in ended:
            events.device_signed_out.send(user.id, device_session_id=device_session_id)
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
        events.device_signed_out.send(user.id, device_session_id=session_id)
    return bool(result.rowcount)


def sign_out_other_devices(user: User) -> None:
    keep = user.device_session.id if user.device_session else None
    others = list(db.session.scalars(
        select(DeviceSession.id).where(DeviceSession.user_id == user.id, DeviceSession.id != keep)
    ))
    db.session.execute(delete(DeviceSession).where(DeviceSession.id.in_(others)))
    db.session.commit()
    for device_session_id in others:
        events.device_signed_out.send(user.id, device_session_id=device_session_id)
