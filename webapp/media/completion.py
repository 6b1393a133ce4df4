"""Completing an upload: the bytes checked against their hash, turned into the stored file
(a memo transcoded, a picture cleaned), and attached to an entry; long memos afterwards,
under a lease."""

from __future__ import annotations

import hashlib
import logging
import threading
import uuid
from collections.abc import Mapping
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from webapp.auth.models import User
from webapp.errors import ValidationError
from webapp.extensions import db
from webapp.journal.context import set_entry_context
from webapp.journal.models import Entry
from webapp.journal.services import parse_entry_input
from webapp.media import audio, images, storage
from webapp.media.models import FILE, THUMB, UPLOAD, Media
from webapp.media.uploads import (
    NOT_AUDIO,
    PROCESSING_LEASE,
    UploadError,
    _uuid,
    own_media,
)
from webapp.types import utcnow

logger = logging.getLogger(__name__)


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
    media.updated_at = utcnow()  # its owner's pages are drawn again (content_version)
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
