"""A share's life: made, listed for its owner, revoked, ended (opening: ``opening.py``).

Every rule about links lives here, independent of HTTP. Functions take ``now`` so that tests
control the clock; left out, it is the current time. A share ends when it expires, is
revoked, is used up, or meets too many wrong passphrases; its content is deleted then, and
the row itself a while later (until then, its link answers "no longer available").
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from webapp.auth.models import User
from webapp.auth.security_log import record_event
from webapp.errors import ValidationError
from webapp.extensions import db
from webapp.shares import sealing, shared_media
from webapp.shares.models import Share
from webapp.shares.snapshots import Snapshot
from webapp.types import utcnow

log = logging.getLogger(__name__)

EXPIRY_DAYS = (1, 7, 30)
DEFAULT_EXPIRY_DAYS = 7
NAME_MAX = 40
PASSPHRASE_MIN = 6
PASSPHRASE_MAX = 200
# Ended links stay on the owner's list for a week, and answer "no longer available" for a
# month; then the row (times only by then) goes too.
SHOW_ENDED_FOR = timedelta(days=7)
KEEP_ENDED_FOR = timedelta(days=30)
# Wrong passphrases, per share: after every fifth, the share waits a quarter of an hour;
# after twenty, it ends for good.
TRIES_PER_WAIT = 5
WAIT_AFTER_TRIES = timedelta(minutes=15)
MOST_WRONG_PASSPHRASES = 20


class AlreadyMade(Exception):
    """The same form was sent twice: its link was shown once, and is not shown again."""


@dataclass(frozen=True)
class LinkOptions:
    sharer_name: str
    expires_days: int
    once: bool
    passphrase: str | None


@dataclass(frozen=True)
class MadeShare:
    share: Share
    secret: str  # goes into the link shown once; never stored


# --- Making -----------------------------------------------------------------------------------


def parse_link_options(data: Mapping[str, object]) -> LinkOptions:
    errors: dict[str, str] = {}
    name = data.get("sharer_name")
    name = name.strip() if isinstance(name, str) else ""
    if not name:
        errors["sharer_name"] = "Please give a first name, so they know who shared this."
    elif len(name) > NAME_MAX:
        errors["sharer_name"] = f"Please keep the name under {NAME_MAX} characters."
    try:
        days = int(str(data.get("expires_days", DEFAULT_EXPIRY_DAYS)))
    except ValueError:
        days = None
    if days not in EXPIRY_DAYS:
        errors["expires_days"] = "Please choose one of the times offered."
    passphrase = data.get("passphrase")
    if not isinstance(passphrase, str) or not sealing.normalise_passphrase(passphrase):
        passphrase = None
    elif len(sealing.normalise_passphrase(passphrase)) < PASSPHRASE_MIN:
        errors["passphrase"] = f"A passphrase needs at least {PASSPHRASE_MIN} characters."
    elif len(passphrase) > PASSPHRASE_MAX:
        errors["passphrase"] = f"Please keep the passphrase under {PASSPHRASE_MAX} characters."
    if errors:
        raise ValidationError(errors)
    return LinkOptions(
        sharer_name=name,
        expires_days=days or DEFAULT_EXPIRY_DAYS,
        once=str(data.get("once", "")).lower() in {"1", "on", "true", "yes"},
        passphrase=passphrase,
    )


def parse_share_id(value: object) -> uuid.UUID:
    """The id a form was made with (so a form sent twice makes one link), or a new one."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return uuid.uuid4()


def create_share(
    user: User,
    snapshot: Snapshot,
    options: LinkOptions,
    *,
    share_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> MadeShare:
    """Seal the snapshot (and copies of its media) under a fresh key and store the share;
    return its secret once. Raises ValidationError (``media``) when the media are too large."""
    now = now or utcnow()
    share_id = share_id or uuid.uuid4()
    if db.session.get(Share, share_id) is not None:
        raise AlreadyMade()
    shared_media.check_size(snapshot.media)
    expires_at = now + timedelta(days=options.expires_days)
    document = snapshot.data | {
        "sharer": options.sharer_name,
        "shared_at": now.isoformat(),
        "expires_at": expires_at.isoformat(),
        "once": options.once,
    }
    plaintext = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    sealed = sealing.seal(share_id, plaintext, options.passphrase)
    share = Share(
        id=share_id,
        user_id=user.id,
        kind=snapshot.kind,
        item_count=snapshot.item_count,
        subject_at=snapshot.subject_at,
        secret_hash=sealed.secret_hash,
        passphrase_salt=sealed.passphrase_salt,
        wrapped_key=sealed.wrapped_key,
        ciphertext=sealed.ciphertext,
        once=options.once,
        created_at=now,
        expires_at=expires_at,
    )
    share.sharer_name = options.sharer_name
    db.session.add(share)
    try:
        if snapshot.media.items:
            db.session.flush()
            shared_media.copy_into(share_id, sealed.content_key, snapshot.media)
        db.session.commit()
    except IntegrityError as exc:  # the same form, sent twice at the same moment
        db.session.rollback()
        raise AlreadyMade() from exc
    record_event(user, "share_created")
    log.info("share %s made", share.id)
    return MadeShare(share, sealed.secret)


def last_sharer_name(user: User) -> str:
    """The name used last time, to offer again."""
    share = db.session.scalar(
        select(Share).where(Share.user_id == user.id).order_by(Share.created_at.desc()).limit(1)
    )
    return (share.sharer_name or "") if share else ""


# --- Ending -----------------------------------------------------------------------------------

_FORGET_CONTENT = {"ciphertext": None, "wrapped_key": None}


def _end(share: Share, now: datetime, **reason) -> None:
    """End a share now: its content (media too) is deleted at once, whatever ended it."""
    shared_media.forget(share.id)
    db.session.execute(
        update(Share)
        .where(Share.id == share.id, Share.ended_at.is_(None))
        .values(ended_at=now, **_FORGET_CONTENT, **reason)
    )
    db.session.commit()
    db.session.refresh(share)


def prune(now: datetime | None = None, user_id: uuid.UUID | None = None) -> int:
    """End expired shares (deleting their content) and forget long-ended ones.

    Runs on access (for one person or one share) and daily for everyone."""
    now = now or utcnow()
    scope = [Share.user_id == user_id] if user_id else []
    ended = db.session.execute(
        update(Share)
        .where(Share.ended_at.is_(None), Share.expires_at <= now, *scope)
        .values(ended_at=Share.expires_at, **_FORGET_CONTENT)
        .execution_options(synchronize_session=False)
    ).rowcount
    forgotten = db.session.execute(
        delete(Share)
        .where(Share.ended_at <= now - KEEP_ENDED_FOR, *scope)
        .execution_options(synchronize_session="fetch")
    ).rowcount
    shared_media.forget_unviewed(now, user_id)
    db.session.commit()
    if ended or forgotten:
        db.session.expire_all()
    return ended + forgotten


def revoke_share(user: User, share_id: uuid.UUID, now: datetime | None = None) -> bool:
    """Stop one of the person's links from opening; another person's id changes nothing."""
    now = now or utcnow()
    share = db.session.scalar(
        select(Share).where(Share.id == share_id, Share.user_id == user.id)
    )
    if share is None:
        return False
    if share.ended_at is None:
        _end(share, now, revoked_at=now)
        record_event(user, "share_revoked")
        log.info("share %s revoked", share.id)
    return True


def get_own_share(user: User, share_id: uuid.UUID) -> Share | None:
    return db.session.scalar(select(Share).where(Share.id == share_id, Share.user_id == user.id))


def forget_shares_of(user_id: uuid.UUID) -> int:
    result = db.session.execute(delete(Share).where(Share.user_id == user_id))
    db.session.commit()
    return result.rowcount


# --- The owner's list --------------------------------------------------------------------------


@dataclass(frozen=True)
class ShareList:
    live: list[Share]
    ended: list[Share]


def list_shares(user: User, now: datetime | None = None) -> ShareList:
    now = now or utcnow()
    prune(now, user.id)
    shares = list(
        db.session.scalars(
            select(Share)
            .options(selectinload(Share.openings))
            .where(
                Share.user_id == user.id,
                or_(Share.ended_at.is_(None), Share.ended_at > now - SHOW_ENDED_FOR),
            )
            .order_by(Share.created_at.desc(), Share.id)
        )
    )
    return ShareList(
        live=[s for s in shares if s.ended_at is None],
        ended=[s for s in shares if s.ended_at is not None],
    )
