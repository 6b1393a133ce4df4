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

import hashlib
import logging
import threading
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import case, func, select, update
from sqlalchemy.exc import IntegrityError

from webapp.auth.models import User
from webapp.errors import ValidationError
from webapp.extensions import db
from webapp.journal.models import Entry
from webapp.journal.services import parse_entry_input
from webapp.journeys.services import set_entry_context
from webapp.media import audio, images, storage
from webapp.media.models import FILE, KINDS, THUMB, UPLOAD, Media
from webapp.types import utcnow

MIN_PIECE = 64 * 1024  # except the last: ten thousand tiny pieces are refused
MAX_PIECE = 4 * 1024 * 1024
IMAGE_MAX_BYTES = 40 * 1024 * 1024
DRAWING_MAX_BYTES = 10 * 1024 * 1024
# A generous ceiling for what a browser records per second (Opus or AAC, up to 320 kbit/s).
AUDIO_BYTES_PER_SECOND = 40_000


NOT_AUDIO = ("This does not sound like a recording Tend can play (it was checked by its "
             "content). Nothing was stored.")
PROCESSING_LEASE = timedelta(minutes=5)
logger = logging.getLogger(__name__)


class UploadError(Exception):
    def __init__(self, status: int, message: str, **extra):
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
    if isinstance(offset, str) and offset.strip().isdigit():
        offset = int(offset.strip())
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


# --- 3. Complete ---------------------------------------------------------------------------


def complete_upload(user: User, media_id: uuid.UUID, raw: object, app=None) -> Media:
    """Check, process and attach a fully received upload; completing again changes nothing.

    ``raw`` may give ``sha256`` (of the bytes sent), and either ``entry_id`` (attach to that
    entry) or ``entry`` (``title``, ``note``, ``mood``, ``prompt``, ``journey_id``,
    ``entry_id``, ``client_updated_at``): the item becomes an entry of its own. Given the
    ``app``, a large upload is processed in the background: it answers "processing".
    """
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise UploadError(400, "The body must be a JSON object.")
    media = own_media(user, media_id, lock=True)
    if media is None:
        raise UploadError(404, "No upload of yours has this id.")
    if media.is_ready or (media.status == "processing" and media.processing_until > utcnow()):
        db.session.rollback()
        return media
    if media.received != media.declared_size:
        received = media.received
        db.session.rollback()
        raise UploadError(
            409, f"Only {received:,} of {media.declared_size:,} bytes have arrived; send the "
            "rest first.", offset=received,
        )
    target = _attachment(user, raw)  # checked before any work
    expected = raw.get("sha256")
    if expected is not None and not isinstance(expected, str):
        raise UploadError(400, "sha256 is the upload's SHA-256, as 64 hexadecimal characters.")
    digest = _digest(media)
    if expected is not None and expected.lower() != digest:
        storage.drop_chunks(media, UPLOAD)
        media.received, media.pieces, media.status = 0, 0, "uploading"
        db.session.commit()
        raise UploadError(
            422, "The bytes that arrived differ from the ones on the device. Please send them "
            "again from the start.", offset=0,
        )
    media.original_sha256 = digest
    if app is None or media.declared_size <= current_app.config["MEDIA_INLINE_BYTES"]:
        _finish(user, media, target)
        return media
    if media.kind == "memo":
        _check_audio(media)  # a quick look now, so most refusals come with this answer
    media.status, media.problem = "processing", None
    media.processing_until = utcnow() + PROCESSING_LEASE
    db.session.commit()
    threading.Thread(
        target=_finish_later, args=(app, user.id, media.id, dict(raw)), daemon=True,
        name=f"tend-media-{media.id}",
    ).start()
    return media


def _finish(user: User, media: Media, target, background: bool = False) -> None:
    """Process, attach and mark ready. Inline, in one transaction; in the background the
    stored file is committed as it grows, and stays unready (and is dropped on failure)."""
    # What an earlier attempt (a server that stopped mid-way) may have left.
    storage.drop_chunks(media, FILE)
    storage.drop_chunks(media, THUMB)
    try:
        _process(media, background)
    except UploadError:
        db.session.rollback()
        if background:
            storage.drop_chunks(media, FILE)
            storage.drop_chunks(media, THUMB)
            db.session.commit()
        raise
    entry = target(media)
    media.entry_id = entry.id
    storage.drop_chunks(media, UPLOAD)
    media.status, media.processing_until, media.problem = "ready", None, None
    media.updated_at = utcnow()
    # The journal's rendered pages show attachments: let them be drawn again.
    db.session.execute(
        update(User).where(User.id == user.id)
        .values(journal_version=User.journal_version + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _finish_later(app, user_id: uuid.UUID, media_id: uuid.UUID, raw: dict) -> None:
    """Transcode a long memo after answering. If this process dies, the lease runs out and
    the device's next ``complete`` starts again; if it fails, the device learns why."""
    with app.app_context():
        try:
            user = db.session.get(User, user_id)
            media = db.session.get(Media, media_id)
            if user is None or media is None or media.status != "processing":
                return
            _finish(user, media, _attachment(user, raw), background=True)
        except UploadError as exc:
            db.session.rollback()
            media = db.session.get(Media, media_id)
            if media is not None and media.status == "processing":
                media.status, media.processing_until = "uploading", None
                media.problem = exc.message[:300]
                db.session.commit()
        except Exception:  # logged; the lease runs out and completing again retries
            db.session.rollback()
            logger.exception("processing media %s failed", media_id)
        finally:
            db.session.remove()


def _check_audio(media: Media) -> None:
    try:
        audio.probe(storage.upload_reader(media))
    except audio.NotAudio:
        db.session.rollback()
        raise UploadError(415, NOT_AUDIO) from None


def _digest(media: Media) -> str:
    reader = storage.upload_reader(media)
    digest = hashlib.sha256()
    while piece := reader.read(storage.CHUNK_SIZE):
        digest.update(piece)
    return digest.hexdigest()


def _process(media: Media, background: bool = False) -> None:
    """Turn the uploaded bytes into the stored file (and thumbnail); UploadError if unfit."""
    key = storage.data_key(media)
    source = storage.upload_reader(media)
    if media.kind == "memo":
        # The MP4 index, written last, is patched in place: about 0.5 MB per 30 minutes.
        sink = storage.ChunkWriter(media, FILE, key, commit_every=1 if background else 0,
                                   keep=audio.INDEX_CHUNKS)
        try:
            media.duration_ms = audio.transcode(
                source, sink, max_seconds=current_app.config["MEMO_MAX_MINUTES"] * 60 + 5
            )
        except audio.NotAudio:
            raise UploadError(415, NOT_AUDIO) from None
        except audio.TooLong:
            minutes = current_app.config["MEMO_MAX_MINUTES"]
            raise UploadError(
                413, f"A voice memo can be up to {minutes} minutes long. Nothing was stored.",
            ) from None
        sink.close()
        media.size, media.chunk_count = sink.size, sink.count
        media.content_type = audio.STORED_TYPE
        return
    try:
        clean = images.clean_image(source, drawing=media.kind == "drawing")
    except images.NotAnImage:
        raise UploadError(
            415, "This does not look like a picture Tend can read (JPEG, PNG, WebP, HEIC or "
            "GIF, checked by its content). Nothing was stored.",
        ) from None
    store_image(media, clean)


def store_image(media: Media, clean: images.CleanImage) -> None:
    media.size, media.chunk_count = storage.write_bytes(media, FILE, clean.data)
    media.thumb_size, media.thumb_chunk_count = storage.write_bytes(media, THUMB, clean.thumbnail)
    media.content_type = clean.content_type
    media.width, media.height = clean.width, clean.height


def _attachment(user: User, raw: Mapping):
    """What the item will belong to, checked now; a function that makes or finds it."""
    entry_id = raw.get("entry_id")
    fields = raw.get("entry")
    if entry_id is not None:
        target_id = _uuid(entry_id)
        entry = db.session.scalar(
            select(Entry).where(Entry.id == target_id, Entry.user_id == user.id,
                                Entry.deleted_at.is_(None))
        ) if target_id else None
        if entry is None:
            raise UploadError(
                409, "The entry this belongs to is not in your journal yet. It will be "
                "attached once the entry has synced.",
            )
        return lambda media: entry
    if fields is None:
        fields = {}
    if not isinstance(fields, Mapping):
        raise UploadError(400, "entry is an object with title, note, mood, prompt, journey_id.")
    note = fields.get("note")
    if note is not None and not isinstance(note, str):
        raise UploadError(400, "The note must be text.")
    try:
        checked = parse_entry_input({
            "title": fields.get("title"), "body": (note or "").strip() or "-",
            "mood": fields.get("mood"), "prompt": fields.get("prompt"),
            "journey_id": fields.get("journey_id"),
        })
    except ValidationError as exc:
        raise UploadError(422, " ".join(exc.errors.values()), errors=exc.errors) from None
    new_id = _uuid(fields.get("entry_id")) or uuid.uuid4()
    existing = db.session.get(Entry, new_id)
    if existing is not None:
        if existing.user_id != user.id:
            raise UploadError(409, "That entry id is taken. Make a new one.")
        return lambda media: existing
    now = utcnow()
    when = min(_moment(fields.get("client_updated_at")) or now, now)
    entry = Entry(id=new_id, user_id=user.id, title=checked.title,
                  body=(note or "").replace("\r\n", "\n").strip(), mood=checked.mood,
                  created_at=when, updated_at=now, version=1)
    try:
        set_entry_context(user, entry, prompt_id=checked.prompt_id,
                          journey_id=checked.journey_id, written_at=when)
    except ValidationError as exc:
        raise UploadError(422, " ".join(exc.errors.values()), errors=exc.errors) from None

    def make(media: Media) -> Entry:
        media.new_entry = True
        db.session.add(entry)
        db.session.flush()
        return entry

    return make


def _moment(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo is not None else None
