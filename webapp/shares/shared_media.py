"""The memos, photos and drawings of shared entries: copied when the link is made, sealed
under the share's own key, and shown to whoever opened the link for a while after.

- **A copy, not a reference.** Making a link copies each item's stored file a chunk at a
  time, sealed (AES-256-GCM) under the share's content key, which only the link opens. The
  person may delete the original afterwards: the share keeps showing its copy.
- **Viewings.** The recipient's page loads pictures and sounds in requests of their own,
  which cannot carry the link's secret (it lives after ``#``). So opening the link also
  starts a *viewing*: a random token, given to that browser in a cookie scoped to the
  link's media path, under which the content key is wrapped for ``VIEWING_FOR`` (never past
  the link's own end). The server keeps only the token's hash and the wrapped key.
- **Open-once.** Opening such a link ends it at once (its text is deleted), but its
  pictures and sounds stay readable for that one viewing, for ``VIEWING_FOR``, then they
  are deleted too. Nobody else can load them: only that browser holds the token.
- **Ending.** Revoking, expiring, too many wrong passphrases and erasing the account delete
  the copies and every viewing at once (a used-up link's, when its viewing ends).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, exists, func, insert, select
from werkzeug.http import parse_range_header

from webapp.auth.models import User
from webapp.errors import ValidationError
from webapp.extensions import db
from webapp.journal.models import Entry
from webapp.media import storage
from webapp.media.models import Media
from webapp.shares import sealing
from webapp.shares.models import Share, SharedMedia, SharedMediaChunk, ShareViewing
from webapp.types import utcnow

CHUNK = storage.CHUNK_SIZE
VIEWING_FOR = timedelta(hours=1)
COOKIE = "tend_share_viewing"


class NotThere(Exception):
    """No such link, item or viewing: answered exactly like a link that never existed."""


class Gone(Exception):
    """The link ended (revoked, expired, used up and its viewing over)."""


# --- What comes along --------------------------------------------------------------------------


@dataclass(frozen=True)
class SharedMediaPlan:
    """The items a snapshot carries, in order (their number is their place), and per entry
    the records the shared page shows."""

    items: list[Media] = field(default_factory=list)
    records: dict[uuid.UUID, list[dict]] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return sum(media.size for media in self.items)


def plan_for(user: User, entries: Iterable[Entry]) -> SharedMediaPlan:
    """Every ready memo, photo and drawing of these entries, entry by entry, oldest first."""
    order = [entry.id for entry in entries]
    if not order:
        return SharedMediaPlan()
    found = db.session.scalars(
        select(Media).where(Media.user_id == user.id, Media.status == "ready",
                            Media.entry_id.in_(order))
        .order_by(Media.created_at, Media.id)
    )
    by_entry: dict[uuid.UUID, list[Media]] = {}
    for media in found:
        by_entry.setdefault(media.entry_id, []).append(media)
    plan = SharedMediaPlan()
    for entry_id in order:
        for media in by_entry.get(entry_id, []):
            plan.records.setdefault(entry_id, []).append({
                "item": len(plan.items),
                "kind": media.kind,
                "content_type": media.content_type,
                "duration": media.duration_label or None,
                "width": media.width,
                "height": media.height,
            })
            plan.items.append(media)
    return plan


def most_bytes() -> int:
    return current_app.config["SHARE_MEDIA_MAX"]


def megabytes(size: int) -> str:
    value = size / 1_000_000
    return f"{value:.1f} MB" if value < 10 else f"{value:.0f} MB"


def check_size(plan: SharedMediaPlan) -> None:
    """A link carries at most ``SHARE_MEDIA_MAX`` of media; say so clearly, store nothing."""
    if plan.size > most_bytes():
        raise ValidationError({"media": (
            f"The memos, photos and drawings of these entries come to {megabytes(plan.size)}, "
            f"more than a link can carry ({megabytes(most_bytes())}). Nothing was shared. "
            "You could untick “Include voice memos, photos and drawings” to share the words "
            "alone, or choose fewer entries."
        )})


def copy_into(share_id: uuid.UUID, key: bytes, plan: SharedMediaPlan) -> None:
    """Copy each item's file into the share, a chunk at a time (the caller commits)."""
    for number, media in enumerate(plan.items):
        reader = storage.file_reader(media)
        count = max(1, -(-media.size // CHUNK))
        for position in range(count):
            piece = reader.read(CHUNK)
            db.session.execute(insert(SharedMediaChunk).values(
                share_id=share_id, item=number, position=position,
                data=sealing.seal_piece(key, share_id, number, position, position == count - 1,
                                        piece),
            ))
        db.session.add(SharedMedia(share_id=share_id, item=number, size=media.size,
                                   content_type=media.content_type or "application/octet-stream",
                                   chunk_count=count))


# --- Viewings ----------------------------------------------------------------------------------


def counts(share_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, dict[str, int]]:
    """How many sounds and pictures each link carries, for the owner's list: one query."""
    found: dict[uuid.UUID, dict[str, int]] = {}
    ids = list(share_ids)
    if not ids:
        return found
    rows = db.session.execute(
        select(SharedMedia.share_id, SharedMedia.content_type, func.count())
        .where(SharedMedia.share_id.in_(ids))
        .group_by(SharedMedia.share_id, SharedMedia.content_type)
    )
    for share_id, content_type, count in rows:
        kind = "memos" if content_type.startswith("audio/") else "pictures"
        tally = found.setdefault(share_id, {"memos": 0, "pictures": 0})
        tally[kind] += count
    return found


def has_media(share_id: uuid.UUID) -> bool:
    return db.session.scalar(select(exists().where(SharedMedia.share_id == share_id)))


def start_viewing(share: Share, content_key: bytes, now: datetime) -> str | None:
    """A viewing token for whoever just opened the share, if it holds media (the caller
    commits). The token is given to that browser only; the server keeps its hash."""
    if not has_media(share.id):
        return None
    token = sealing.new_viewing_token()
    db.session.add(ShareViewing(
        share_id=share.id, token_hash=sealing.hash_viewing_token(token),
        wrapped_key=sealing.wrap_for_viewing(share.id, token, content_key),
        expires_at=min(now + VIEWING_FOR, share.expires_at),
    ))
    return token


def forget(share_id: uuid.UUID) -> None:
    """Delete a share's copies and viewings (the caller commits)."""
    for model in (ShareViewing, SharedMediaChunk, SharedMedia):
        db.session.execute(delete(model).where(model.share_id == share_id))


def forget_unviewed(now: datetime, user_id: uuid.UUID | None = None) -> None:
    """Viewings that are over go; so do the copies of ended shares nobody is viewing."""
    db.session.execute(delete(ShareViewing).where(ShareViewing.expires_at <= now))
    ended = select(Share.id).where(
        Share.ended_at.is_not(None),
        ~exists().where(ShareViewing.share_id == Share.id),
        *([Share.user_id == user_id] if user_id else []),
    )
    for model in (SharedMediaChunk, SharedMedia):
        db.session.execute(delete(model).where(model.share_id.in_(ended))
                           .execution_options(synchronize_session=False))


def shared_bytes() -> int:
    """Every share's copies together (for the metrics; no person)."""
    return int(db.session.scalar(select(func.coalesce(func.sum(SharedMedia.size), 0))) or 0)


# --- Serving -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Served:
    status: int
    content_type: str
    headers: dict
    body: Iterator[bytes] | None


def _viewing_key(share: Share, token: str, now: datetime) -> bytes | None:
    if not token:
        return None
    try:
        token_hash = sealing.hash_viewing_token(token)
    except (UnicodeEncodeError, ValueError):
        return None
    viewing = db.session.scalar(select(ShareViewing).where(
        ShareViewing.share_id == share.id, ShareViewing.token_hash == token_hash,
        ShareViewing.expires_at > now))
    if viewing is None:
        return None
    try:
        return sealing.unwrap_for_viewing(share.id, token, viewing.wrapped_key)
    except sealing.WrongLink:
        return None


def serve(share: Share | None, item: int, token: str, range_header: str | None,
          now: datetime | None = None) -> Served:
    """One shared item, whole or a byte range, for a browser that opened the link.

    Raises NotThere (no such link or item, no viewing in this browser) or Gone."""
    now = now or utcnow()
    if share is None:
        raise NotThere()
    if share.ended_at is not None and share.used_up_at is None:
        raise Gone()  # revoked, expired, or too many wrong passphrases
    key = _viewing_key(share, token, now)
    if key is None:
        if share.ended_at is not None:  # used up, and this browser's viewing is over
            forget_unviewed(now, share.user_id)
            db.session.commit()
            raise Gone()
        raise NotThere()
    stored = db.session.get(SharedMedia, (share.id, item))
    if stored is None:
        raise NotThere()
    headers = {"Accept-Ranges": "bytes", "Cross-Origin-Resource-Policy": "same-origin",
               "Content-Disposition": "inline"}
    start, end, status = 0, stored.size - 1, 200
    ranges = parse_range_header(range_header) if range_header else None
    if ranges is not None and ranges.units == "bytes" and len(ranges.ranges) == 1:
        span = ranges.range_for_length(stored.size)
        if span is None:
            headers["Content-Range"] = f"bytes */{stored.size}"
            return Served(416, stored.content_type, headers, None)
        start, end, status = span[0], span[1] - 1, 206
        headers["Content-Range"] = f"bytes {start}-{end}/{stored.size}"
    headers["Content-Length"] = str(end - start + 1)
    body = _pieces(db.engine, share.id, item, stored.chunk_count, key, start, end)
    return Served(status, stored.content_type, headers, body)


def _pieces(engine, share_id: uuid.UUID, item: int, count: int, key: bytes, start: int,
            end: int) -> Iterator[bytes]:
    """Bytes start..end, one chunk decrypted at a time, each read on its own connection (so
    the answer can stream after the request's session has closed)."""
    for position in range(start // CHUNK, end // CHUNK + 1):
        with engine.connect() as connection:
            blob = connection.scalar(select(SharedMediaChunk.data).where(
                SharedMediaChunk.share_id == share_id, SharedMediaChunk.item == item,
                SharedMediaChunk.position == position))
        if blob is None:
            return  # ended while streaming
        plain = sealing.open_piece(key, share_id, item, position, position == count - 1, blob)
        offset = position * CHUNK
        yield plain[max(start - offset, 0): end - offset + 1]
