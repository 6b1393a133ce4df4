"""A person's memos, photos and drawings: what an entry holds, what uses their space, and
removing or choosing items. Pages show media through the helpers here."""

from __future__ import annotations

import hashlib
import io
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import g
from sqlalchemy import bindparam, case, delete, func, select

from webapp.auth.models import User, note_content_changed
from webapp.calendar import zone_of
from webapp.extensions import db
from webapp.journal.models import Entry
from webapp.media import images, storage
from webapp.media.completion import store_image
from webapp.media.models import Media, MediaChunk
from webapp.media.uploads import UploadError, quota, used_bytes
from webapp.types import utcnow

EXTENSIONS = {"audio/mp4": "m4a", "image/jpeg": "jpg", "image/png": "png"}


def ready_media(user: User):
    return select(Media).where(Media.user_id == user.id, Media.status == "ready")


_HOLDING_MEDIA = (
    select(Media.entry_id)
    .where(Media.user_id == bindparam("user_id"), Media.status == "ready")
    .distinct()
)


def _entries_holding_media(user: User) -> set[uuid.UUID]:
    """Which of the person's entries hold any media: asked once per request."""
    holders = g.get("_media_holders")
    if holders is None or holders[0] != user.id:
        ids = set(db.session.scalars(_HOLDING_MEDIA, {"user_id": user.id}))
        holders = g._media_holders = (user.id, ids)
    return holders[1]


def media_of_entry(user: User, entry_id: uuid.UUID) -> list[Media]:
    """An entry's memos, photos and drawings, oldest first.

    A page of entries asks once which of the person's entries hold media at all, so entries
    without any cost no query.
    """
    if entry_id not in _entries_holding_media(user):
        return []
    return list(db.session.scalars(
        ready_media(user).where(Media.entry_id == entry_id).order_by(Media.created_at, Media.id)
    ))


def media_of_entries(user: User, entry_ids) -> dict[uuid.UUID, list[Media]]:
    """The memos, photos and drawings of several entries at once (a page of the timeline),
    by entry id; one query, and none when no entry on the page holds any."""
    holding = _entries_holding_media(user)
    wanted = [entry_id for entry_id in entry_ids if entry_id in holding]
    found: dict[uuid.UUID, list[Media]] = defaultdict(list)
    if wanted:
        for media in db.session.scalars(
            ready_media(user).where(Media.entry_id.in_(wanted))
            .order_by(Media.created_at, Media.id)
        ):
            found[media.entry_id].append(media)
    return found


def get_ready_or_none(user: User, media_id: uuid.UUID) -> Media | None:
    return db.session.scalar(ready_media(user).where(Media.id == media_id))


def remove_media(media: Media) -> None:
    """Delete an item and its bytes for good."""
    db.session.execute(delete(MediaChunk).where(MediaChunk.media_id == media.id))
    db.session.delete(media)
    db.session.commit()


def show_in_brief(media: Media, shown: bool) -> Media:
    media.in_brief = bool(shown)
    media.updated_at = utcnow()
    db.session.commit()
    return media


def add_picture(user: User, entry: Entry, data: bytes, *, drawing: bool = False) -> Media:
    """Attach a picture sent whole with a form (pages without JavaScript)."""
    kind = "drawing" if drawing else "photo"
    if not data:
        raise UploadError(400, "Please choose a photo first.")
    room = quota(user) - used_bytes(user)
    if len(data) > room:
        raise UploadError(413, "Your space for memos and pictures is full. Nothing was stored.")
    try:
        clean = images.clean_image(io.BytesIO(data), drawing=drawing)
    except images.NotAnImage:
        raise UploadError(
            415, "This does not look like a picture Tend can read (JPEG, PNG, WebP, HEIC or "
            "GIF). Nothing was stored.",
        ) from None
    now = utcnow()
    media = Media(user_id=user.id, entry_id=entry.id, kind=kind, status="uploading",
                  declared_size=len(data), received=len(data), pieces=0, created_at=now,
                  updated_at=now, original_sha256=hashlib.sha256(data).hexdigest())
    db.session.add(media)
    db.session.flush()
    store_image(media, clean)
    media.status = "ready"
    db.session.commit()
    return media


# --- Space ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Usage:
    used: int
    quota: int
    by_kind: dict[str, tuple[int, int]]  # kind -> (items, bytes)

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.used / self.quota)) if self.quota else 100

    @property
    def nearly_full(self) -> bool:
        return self.used >= self.quota * 0.9

    @property
    def available(self) -> int:
        return max(0, self.quota - self.used)


def usage(user: User) -> Usage:
    rows = db.session.execute(
        select(Media.kind, func.count(), func.coalesce(func.sum(Media.size + Media.thumb_size), 0))
        .where(Media.user_id == user.id, Media.status == "ready")
        .group_by(Media.kind)
    ).all()
    return Usage(used_bytes(user), quota(user), {kind: (n, int(b)) for kind, n, b in rows})


_ARRIVING = case((Media.status == "ready", 0), else_=Media.received)


def use_by_person() -> dict[uuid.UUID, tuple[int, int]]:
    """Per person: (ready items, bytes counted against their quota). Sizes only."""
    rows = db.session.execute(
        select(Media.user_id,
               func.count(case((Media.status == "ready", 1))),
               func.coalesce(func.sum(Media.size + Media.thumb_size + _ARRIVING), 0))
        .group_by(Media.user_id)
    ).all()
    return {user_id: (int(n), int(b)) for user_id, n, b in rows}


def stored_bytes_by_kind() -> dict[str, int]:
    """Everyone's media bytes, by kind (unfinished uploads as "uploading"); no person."""
    kind = case((Media.status == "ready", Media.kind), else_="uploading")
    rows = db.session.execute(
        select(kind, func.coalesce(func.sum(Media.size + Media.thumb_size + _ARRIVING), 0))
        .group_by(kind)
    ).all()
    return {name: int(total) for name, total in rows}


def library(user: User) -> list[tuple[Media, Entry | None]]:
    """Every ready item, largest first, with its entry: what uses the person's space."""
    rows = db.session.execute(
        select(Media, Entry).outerjoin(Entry, Entry.id == Media.entry_id)
        .where(Media.user_id == user.id, Media.status == "ready")
        .order_by((Media.size + Media.thumb_size).desc(), Media.created_at.desc())
    ).all()
    return [(media, entry) for media, entry in rows]


def forget_uploads_idle_since(moment: datetime) -> int:
    """Delete unfinished uploads untouched since ``moment`` (any person's); how many."""
    rows = db.session.execute(
        select(Media.id, Media.user_id).where(Media.status != "ready", Media.updated_at < moment)
    ).all()
    stale = [media_id for media_id, _ in rows]
    if stale:
        db.session.execute(delete(MediaChunk).where(MediaChunk.media_id.in_(stale)))
        db.session.execute(delete(Media).where(Media.id.in_(stale)))
        note_content_changed(db.session, [owner for _, owner in rows])
        db.session.commit()
    return len(stale)


def abandoned_uploads(user: User) -> list[Media]:
    return list(db.session.scalars(
        select(Media).where(Media.user_id == user.id, Media.status != "ready")
        .order_by(Media.created_at)
    ))


# --- Today, the brief, export -------------------------------------------------------------------


_MEMOS_SINCE = (
    select(Media, Entry).join(Entry, Entry.id == Media.entry_id)
    .where(Media.user_id == bindparam("user_id"), Media.status == "ready",
           Media.kind == "memo", Entry.deleted_at.is_(None),
           Entry.created_at >= bindparam("start"))
    .order_by(Entry.created_at, Media.created_at)
)
_MEMOS_BETWEEN = _MEMOS_SINCE.where(Entry.created_at < bindparam("end"))


def memos_between(user: User, start: datetime, end: datetime | None) -> list[tuple[Media, Entry]]:
    query, values = _MEMOS_SINCE, {"user_id": user.id, "start": start}
    if end is not None:
        query, values["end"] = _MEMOS_BETWEEN, end
    return [(media, entry) for media, entry in db.session.execute(query, values).all()]


def chosen_pictures(user: User, start: datetime, end: datetime | None) -> list[tuple[Media, Entry]]:
    query = (
        select(Media, Entry).join(Entry, Entry.id == Media.entry_id)
        .where(Media.user_id == user.id, Media.status == "ready", Media.kind != "memo",
               Media.in_brief.is_(True), Entry.deleted_at.is_(None), Entry.created_at >= start)
        .order_by(Entry.created_at, Media.created_at)
    )
    if end is not None:
        query = query.where(Entry.created_at < end)
    return [(media, entry) for media, entry in db.session.execute(query).all()]


def export_name(media: Media) -> str:
    extension = EXTENSIONS.get(media.content_type or "", "bin")
    day = media.created_at.strftime("%Y-%m-%d")
    return f"media/{day}-{media.kind}-{str(media.id)[:8]}.{extension}"


def export_records(user: User) -> dict[str, list[dict]]:
    """Per entry id, the media it holds, as export records naming their file in the archive."""
    records: dict[str, list[dict]] = defaultdict(list)
    for media in db.session.scalars(ready_media(user).order_by(Media.created_at, Media.id)):
        records[str(media.entry_id)].append({
            "id": str(media.id),
            "kind": media.kind,
            "file": export_name(media),
            "content_type": media.content_type,
            "bytes": media.size,
            "duration_seconds": round(media.duration_ms / 1000, 1) if media.duration_ms else None,
            "width": media.width,
            "height": media.height,
            "in_brief": media.in_brief,
            "created_at": media.created_at.isoformat(),
        })
    return records


def export_files(user: User):
    """(item, pieces) for every ready item; pieces() yields its bytes a chunk at a time, each
    read on its own connection, so an export can stream after the request's session."""
    for media in db.session.scalars(ready_media(user).order_by(Media.created_at, Media.id)):
        reader = storage.file_reader(media, engine=db.engine)
        yield media, (lambda r=reader, size=media.size: storage.iter_range(r, 0, size - 1))


def memos_of_today(user: User) -> list[tuple[Media, Entry]]:
    zone = zone_of(user)
    midnight = datetime.now(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    return memos_between(user, midnight.astimezone(UTC), None)
