"""Device sessions: each signed-in browser or installed app, known by a hash of its token."""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import joinedload

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


def lock_after(user: User) -> timedelta:
    return timedelta(minutes=user.lock_after_minutes) if user.lock_after_minutes else (
        DEFAULT_LOCK_AFTER
    )


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


def resume_device_session(token: str, *, now: datetime | None = None) -> User | None:
    """The user behind a cookie's token, if that device session is still valid.

    A device with an app lock that was away too long is locked here, by the server.
    ``last_seen_at`` (and with it the sliding expiry) is written at most every few minutes.
    """
    if not token:
        return None
    now = now or utcnow()
    device_session = db.session.scalar(
        select(DeviceSession)
        .options(joinedload(DeviceSession.user))  # one query per request, not two
        .where(DeviceSession.token_hash == hash_token(token))
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
