"""Opening a share from its link: the secret, perhaps a passphrase (its wrong tries counted
and limited per share), open-once, and the owner's security log."""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, literal, or_, update

from webapp.auth.models import User
from webapp.auth.security_log import record_event
from webapp.extensions import db
from webapp.shares import sealing, shared_media
from webapp.shares.links import (
    _FORGET_CONTENT,
    MOST_WRONG_PASSPHRASES,
    TRIES_PER_WAIT,
    WAIT_AFTER_TRIES,
    _end,
)
from webapp.shares.models import Share, ShareOpening
from webapp.types import UTCDateTime, utcnow

log = logging.getLogger(__name__)

WrongLink = sealing.WrongLink


# --- Outcomes of opening a link ----------------------------------------------------------------


class ShareGone(Exception):
    """The link was real, and has expired, been revoked or been used up: 410."""


class PassphraseNeeded(Exception):
    """The link is right; the share also asks for its passphrase."""


class WrongPassphrase(Exception):
    pass


class TooManyTries(Exception):
    def __init__(self, retry_after: timedelta):
        super().__init__(f"try again in {retry_after}")
        self.retry_after = retry_after


@dataclass(frozen=True)
class OpenedShare:
    share: Share
    snapshot: dict
    shared_at: datetime
    expires_at: datetime
    viewing: str | None = None  # for this browser only: opens the share's media a while


# --- Opening ----------------------------------------------------------------------------------


def find_share(share_id: uuid.UUID, now: datetime | None = None) -> Share | None:
    """The share behind a link's id, ended first if its time has run out (cleanup on access)."""
    now = now or utcnow()
    share = db.session.get(Share, share_id)
    if share is not None and share.ended_at is None and share.expires_at <= now:
        _end(share, share.expires_at)
    return share


def _reserve_passphrase_try(share: Share, now: datetime) -> None:
    """Count a passphrase try before spending Argon2 on it, atomically, so that parallel
    guesses cannot slip past the limit; every fifth try starts a wait."""
    reserved = db.session.execute(
        update(Share)
        .where(
            Share.id == share.id,
            Share.ended_at.is_(None),
            or_(Share.locked_until.is_(None), Share.locked_until <= now),
        )
        .values(
            failed_attempts=Share.failed_attempts + 1,
            locked_until=case(
                (
                    (Share.failed_attempts + 1) % TRIES_PER_WAIT == 0,
                    literal(now + WAIT_AFTER_TRIES, UTCDateTime()),
                ),
                else_=None,
            ),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    db.session.refresh(share)
    if not reserved:
        if share.ended_at is not None:
            raise ShareGone()
        raise TooManyTries(share.locked_until - now if share.locked_until else WAIT_AFTER_TRIES)


def open_share(
    share_id: uuid.UUID,
    secret_text: object,
    passphrase: object = None,
    now: datetime | None = None,
) -> OpenedShare:
    """Open a link: the snapshot, if the secret (and passphrase) are right and it still lives.

    Raises WrongLink (unknown id, wrong or tampered secret or content), ShareGone,
    PassphraseNeeded, WrongPassphrase or TooManyTries. A right opening is recorded, time
    only, on the share and in the owner's security log.
    """
    now = now or utcnow()
    share = find_share(share_id, now)
    if share is None:
        raise WrongLink("no such share")
    if share.ended_at is not None:
        raise ShareGone()
    secret = sealing.decode_secret(secret_text)
    if not sealing.secret_matches(secret, share.secret_hash):
        raise WrongLink("the secret does not match")
    if share.has_passphrase:
        if share.locked_until is not None and share.locked_until > now:
            raise TooManyTries(share.locked_until - now)
        if not isinstance(passphrase, str) or not passphrase.strip():
            raise PassphraseNeeded()
        _reserve_passphrase_try(share, now)
    try:
        plaintext, content_key = sealing.unseal_keyed(
            share.id,
            secret,
            passphrase_salt=share.passphrase_salt,
            wrapped_key=share.wrapped_key or b"",
            ciphertext=share.ciphertext or b"",
            passphrase=passphrase if isinstance(passphrase, str) else None,
        )
    except sealing.WrongPassphrase as exc:
        log.info("share %s: a wrong passphrase", share.id)
        if share.failed_attempts >= MOST_WRONG_PASSPHRASES:
            _end(share, now)
            raise ShareGone() from exc
        if share.locked_until is not None and share.locked_until > now:
            raise TooManyTries(share.locked_until - now) from exc
        raise WrongPassphrase() from exc
    if share.once:
        used = db.session.execute(
            update(Share)
            .where(Share.id == share.id, Share.ended_at.is_(None))
            .values(used_up_at=now, ended_at=now, **_FORGET_CONTENT)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not used:  # someone else opened it a moment ago
            db.session.rollback()
            raise ShareGone()
    elif share.has_passphrase:
        share.failed_attempts = 0
        share.locked_until = None
    db.session.add(ShareOpening(share_id=share.id, opened_at=now))
    viewing = shared_media.start_viewing(share, content_key, now)
    db.session.commit()
    owner = db.session.get(User, share.user_id)
    if owner is not None:
        record_event(owner, "share_opened")
    log.info("share %s opened", share.id)
    snapshot = json.loads(plaintext)
    return OpenedShare(
        share=share,
        snapshot=snapshot,
        shared_at=datetime.fromisoformat(snapshot["shared_at"]),
        expires_at=datetime.fromisoformat(snapshot["expires_at"]),
        viewing=viewing,
    )
