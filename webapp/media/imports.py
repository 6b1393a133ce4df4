"""Memos and pictures that arrive whole, from an imported export: checked by their content
and stored exactly as uploads are (a memo transcoded, a picture cleaned of its metadata),
under the id the importer chose, so importing the same file again adds nothing."""

from __future__ import annotations

import hashlib
import io
import uuid
from datetime import datetime

from flask import current_app

from webapp.auth.models import User
from webapp.extensions import db
from webapp.media import audio, images, storage
from webapp.media.completion import store_image
from webapp.media.models import FILE, KINDS, Media
from webapp.media.uploads import NOT_AUDIO, UploadError, max_bytes, quota, used_bytes
from webapp.types import utcnow

NOT_A_PICTURE = "not a picture Tend can read"
NO_ROOM = "no space left for it"


def add_whole_file(
    user: User, entry_id: uuid.UUID, kind: str, data: bytes, *, media_id: uuid.UUID,
    created_at: datetime | None = None, in_brief: bool = False,
) -> Media:
    """Store one whole memo, photo or drawing on the person's entry (the caller commits).

    Raises UploadError, whose message says briefly why it was left out."""
    if kind not in KINDS:
        raise UploadError(400, "not a memo, photo or drawing")
    if not data or len(data) > max_bytes(kind):
        raise UploadError(413, "empty or larger than Tend keeps")
    if len(data) > quota(user) - used_bytes(user):
        raise UploadError(413, NO_ROOM)
    now = utcnow()
    media = Media(id=media_id, user_id=user.id, entry_id=entry_id, kind=kind,
                  status="uploading", declared_size=len(data), received=len(data), pieces=0,
                  created_at=created_at or now, updated_at=now, in_brief=bool(in_brief),
                  original_sha256=hashlib.sha256(data).hexdigest())
    db.session.add(media)
    db.session.flush()
    try:
        if kind == "memo":
            _store_memo(media, data)
        else:
            store_image(media, images.clean_image(io.BytesIO(data), drawing=kind == "drawing"))
    except images.NotAnImage:
        _drop(media)
        raise UploadError(415, NOT_A_PICTURE) from None
    except UploadError:
        _drop(media)
        raise
    media.status = "ready"
    db.session.flush()
    return media


def _store_memo(media: Media, data: bytes) -> None:
    sink = storage.ChunkWriter(media, FILE, storage.data_key(media), keep=audio.INDEX_CHUNKS)
    try:
        media.duration_ms = audio.transcode(
            io.BytesIO(data), sink, max_seconds=current_app.config["MEMO_MAX_MINUTES"] * 60 + 5
        )
    except audio.NotAudio:
        raise UploadError(415, NOT_AUDIO) from None
    except audio.TooLong:
        raise UploadError(413, "longer than a voice memo may be") from None
    sink.close()
    media.size, media.chunk_count = sink.size, sink.count
    media.content_type = audio.STORED_TYPE


def _drop(media: Media) -> None:
    for variant in ("file", "thumb"):
        storage.drop_chunks(media, variant)
    db.session.delete(media)
    db.session.flush()
