"""Voice memos, photos and drawings, and their encrypted bytes.

A ``Media`` row describes one memo, photo or drawing attached to an entry; its bytes live in
``MediaChunk`` rows as AES-256-GCM ciphertext under the owner's data key, in pieces small
enough that a large memo is never held whole in memory. Keeping the ciphertext in the
database means any number of app servers behind one proxy see the same media, and a
database backup holds everything (still unreadable without the master key).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.types import UTCDateTime, utcnow

KINDS = ("memo", "photo", "drawing")
# Where a chunk belongs: the bytes as uploaded (kept only until processed), the stored
# file, and an image's thumbnail.
UPLOAD, FILE, THUMB = "upload", "file", "thumb"


class Media(db.Model):
    """One voice memo, photo or drawing. The id is made on the device, so an upload that is
    replayed, or resumed after the connection dropped, always finds the same row."""

    __tablename__ = "media"
    __table_args__ = (Index("ix_media_user_created", "user_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    entry_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("entries.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    # "uploading" until every byte arrived, "processing" while a long memo is transcoded
    # (until ``processing_until``: after that, completing again starts over), then "ready".
    status: Mapped[str] = mapped_column(String(16), default="uploading")
    processing_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Why processing failed (a sentence for a person), when it failed after answering.
    problem: Mapped[str | None] = mapped_column(String(300))
    # Set when the memo is an entry of its own: the entry is created once the upload is
    # complete, with this id, so a replay never makes a second one.
    new_entry: Mapped[bool] = mapped_column(default=False)
    # The upload: how long the device said it is, and how much arrived (contiguous).
    declared_size: Mapped[int] = mapped_column(BigInteger)
    received: Mapped[int] = mapped_column(BigInteger, default=0)
    pieces: Mapped[int] = mapped_column(Integer, default=0)
    # The stored file, once ready.
    content_type: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    chunk_count: Mapped[int] = mapped_column(Integer, default=0)
    thumb_size: Mapped[int] = mapped_column(BigInteger, default=0)
    thumb_chunk_count: Mapped[int] = mapped_column(Integer, default=0)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    # SHA-256 of the bytes as the device sent them (the original recording or photo).
    original_sha256: Mapped[str | None] = mapped_column(String(64))
    # A photo or drawing the person chose to show in their integration brief.
    in_brief: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def is_ready(self) -> bool:
        return self.status == "ready"

    @property
    def duration_label(self) -> str:
        if not self.duration_ms:
            return ""
        seconds = round(self.duration_ms / 1000)
        return f"{seconds // 60}:{seconds % 60:02d}"

    @property
    def thumb_dimensions(self) -> tuple[int, int] | None:
        """The thumbnail's width and height (at most 480 px), so pages do not jump."""
        if not self.width or not self.height:
            return None
        scale = min(1.0, 480 / max(self.width, self.height))
        return max(1, round(self.width * scale)), max(1, round(self.height * scale))

    @property
    def stored_bytes(self) -> int:
        """What this item counts against the person's quota."""
        return self.size + self.thumb_size + (0 if self.is_ready else self.received)

    def __repr__(self) -> str:
        return f"<Media {self.kind} {self.id} {self.status}>"


class MediaChunk(db.Model):
    """A piece of a media item's bytes, encrypted and bound to its owner, item, variant and
    position (and, for the last piece of a file, to being the last), so pieces cannot be
    swapped, moved to another item, or cut off without failing to decrypt."""

    __tablename__ = "media_chunks"

    media_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("media.id", ondelete="CASCADE"), primary_key=True
    )
    variant: Mapped[str] = mapped_column(String(8), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    # Where these bytes start in the plaintext, and how many there are.
    offset: Mapped[int] = mapped_column(BigInteger)
    length: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
