"""Resumable, idempotent uploads of memos, photos and drawings (docs/media.md).

A device names the item (a UUID it made, possibly offline) and its size, then sends the
bytes in pieces, each at the offset the server acknowledged; after a dropped connection it
asks how much arrived and continues from there. Once every byte is in, ``complete`` checks
what arrived (by content), processes it (a memo is transcoded, a picture re-encoded), and
attaches it to an entry. Every step can be replayed: the same id is always the same item,
and completing twice makes nothing twice. Anything wrong is a ``UploadError`` with an HTTP
status and a sentence for a person; nothing half-stored ever looks complete.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import timedelta

from flask import current_app
from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError

from webapp.auth.models import User
from webapp.extensions import db
from webapp.media import storage
from webapp.media.models import KINDS, UPLOAD, Media
from webapp.types import utcnow, whole_number

MIN_PIECE = 64 * 1024  # except the last: ten thousand tiny pieces are refused
MAX_PIECE = 4 * 1024 * 1024
IMAGE_MAX_BYTES = 40 * 1024 * 1024
DRAWING_MAX_BYTES = 10 * 1024 * 1024
# A generous ceiling for what a browser records per second (Opus or AAC, up to 320 kbit/s).
AUDIO_BYTES_PER_SECOND = 40_000


NOT_AUDIO = ("This does not sound like a recording Tend can play (it was checked by its "
             "content). Nothing was stored.")
PROCESSING_LEASE = timedelta(minutes=5)


class UploadError(Exception):
    def __init__(self, status: int, message: str, /, **extra):  # extra may hold "status"
        super().__init__(message)
        self.status, self.message, self.extra = status, message, extra


def max_bytes(kind: str) -> int:
    if kind == "memo":
        return current_app.config["MEMO_MAX_MINUTES"] * 60 * AUDIO_BYTES_PER_SECOND
    return DRAWING_MAX_BYTES if kind == "drawing" else IMAGE_MAX_BYTES


def used_bytes(user: User) -> int:
    """Everything of this person's counted against their quota, uploads under way included."""
    arriving = case((Media.status == "ready", 0), else_=Media.received)
    kept = db.session.scalar(
        select(func.coalesce(func.sum(Media.size + Media.thumb_size + arriving), 0)).where(
            Media.user_id == user.id
        )
    )
    return int(kept or 0)


def quota(user: User) -> int:
    return current_app.config["MEDIA_QUOTA"]


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:,.1f} MB"


def _uuid(value: object) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    if not isinstance(value, str):
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def own_media(user: User, media_id: uuid.UUID, *, lock: bool = False) -> Media | None:
    query = select(Media).where(Media.id == media_id, Media.user_id == user.id)
    if lock:
        query = query.with_for_update()
    return db.session.scalar(query)


def status_of(media: Media) -> dict:
    answer = {
        "id": str(media.id),
        "kind": media.kind,
        "status": media.status,
        "size": media.declared_size,
        "offset": media.declared_size if media.is_ready else media.received,
    }
    if media.problem and not media.is_ready:
        answer["problem"] = media.problem
    if media.is_ready:
        answer.update(
            entry_id=str(media.entry_id) if media.entry_id else None,
            content_type=media.content_type,
            duration_ms=media.duration_ms,
            url=f"/media/{media.id}",
        )
    return answer


# --- 1. Start ------------------------------------------------------------------------------


def start_upload(user: User, raw: object) -> tuple[Media, bool]:
    """Announce an upload: ``{"id", "kind", "size"}``. Returns (item, created).

    The same announcement again finds the same item, wherever its upload got to.
    """
    if not isinstance(raw, Mapping):
        raise UploadError(400, 'The body must be a JSON object with "id", "kind" and "size".')
    media_id = _uuid(raw.get("id"))
    kind = raw.get("kind")
    size = raw.get("size")
    if media_id is None:
        raise UploadError(400, "Each upload needs an id: a UUID made on the device.")
    if kind not in KINDS:
        raise UploadError(400, "kind is one of: memo, photo, drawing.")
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise UploadError(400, "size is the number of bytes to send, at least 1.")
    limit = max_bytes(kind)
    if size > limit:
        what = {"memo": "A voice memo", "photo": "A photo", "drawing": "A drawing"}[kind]
        raise UploadError(
            413, f"{what} can be up to {_megabytes(limit)}; this one is {_megabytes(size)}. "
            "Nothing was stored.", max_bytes=limit,
        )
    existing = db.session.get(Media, media_id)
    if existing is not None:
        if existing.user_id != user.id:
            raise UploadError(404, "No upload of yours has this id.")
        if (existing.kind, existing.declared_size) != (kind, size):
            raise UploadError(
                409, "This id already belongs to a different upload. Make a new id.",
                **status_of(existing),
            )
        return existing, False
    room = quota(user) - used_bytes(user)
    if size > room:
        raise UploadError(
            413, f"Your space for memos and pictures is nearly full ({_megabytes(max(room, 0))} "
            "left). Removing an older memo or picture makes room. Nothing was stored.",
            quota=quota(user), available=max(room, 0),
        )
    now = utcnow()
    media = Media(id=media_id, user_id=user.id, kind=kind, status="uploading",
                  declared_size=size, received=0, pieces=0, created_at=now, updated_at=now)
    db.session.add(media)
    try:
        db.session.commit()
    except IntegrityError:  # the same announcement, at the same moment, from another request
        db.session.rollback()
        return start_upload(user, raw)
    return media, True


# --- 2. Pieces -----------------------------------------------------------------------------


def receive_piece(user: User, media_id: uuid.UUID, offset: object, data: bytes) -> Media:
    """Store bytes ``offset``.. of an upload; they must continue exactly where it stands."""
    media = own_media(user, media_id, lock=True)
    if media is None:
        raise UploadError(404, "No upload of yours has this id.")
    if media.is_ready:
        db.session.rollback()
        return media  # a piece replayed after the upload completed: nothing to do
    offset = whole_number(offset)
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        db.session.rollback()
        raise UploadError(400, "Say where these bytes start: an Upload-Offset header, from 0.",
                          offset=media.received)
    if offset != media.received:
        received = media.received
        db.session.rollback()
        raise UploadError(
            409, f"The server has {received:,} bytes of this upload; continue from there.",
            offset=received,
        )
    if not data:
        db.session.rollback()
        raise UploadError(400, "This piece is empty. Send the bytes from the offset on.",
                          offset=offset)
    end = offset + len(data)
    if end > media.declared_size:
        db.session.rollback()
        raise UploadError(
            400, f"This upload was announced as {media.declared_size:,} bytes; these go past "
            "the end. Nothing was stored.", offset=offset,
        )
    if len(data) < MIN_PIECE and end != media.declared_size:
        db.session.rollback()
        raise UploadError(
            400, f"Pieces are at least {MIN_PIECE:,} bytes, except the last. Nothing was stored.",
            offset=offset, min_piece=MIN_PIECE,
        )
    room = quota(user) - used_bytes(user)
    if len(data) > room + (media.declared_size - media.received):
        db.session.rollback()
        raise UploadError(413, "Your space for memos and pictures is full. Nothing was stored.",
                          offset=offset)
    storage.store_chunk(media, storage.data_key(media), UPLOAD, media.pieces, offset, data,
                        final=end == media.declared_size)
    media.received = end
    media.pieces += 1
    media.updated_at = utcnow()
    try:
        db.session.commit()
    except IntegrityError:  # the same piece arrived twice at once; one of them was kept
        db.session.rollback()
        current = own_media(user, media_id)
        raise UploadError(409, "This piece arrived twice; continue from the offset given.",
                          offset=current.received if current else 0) from None
    return media
