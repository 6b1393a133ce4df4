"""Encrypted chunk storage: media bytes written and read a piece at a time.

Every chunk is sealed with AES-256-GCM under the owner's data key. Its associated data names
the owner, the media item, the variant (upload, file, thumbnail), the chunk's position and
plaintext offset, and whether it is the last one, so a chunk moved to another item or place,
or a file cut short, fails to decrypt instead of playing something else. Nothing larger than
one chunk (plus what a caller asks to read) is ever held in memory.
"""

from __future__ import annotations

import io
import secrets
import struct
import uuid
from collections.abc import Iterator

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import delete, func, insert, select

from webapp.crypto import NONCE_BYTES, DecryptionError
from webapp.encrypted_fields import data_key_for
from webapp.extensions import db
from webapp.media.models import Media, MediaChunk

CHUNK_SIZE = 256 * 1024
FORMAT = b"\x01"


def chunk_aad(
    owner_id: uuid.UUID, media_id: uuid.UUID, variant: str, position: int, offset: int,
    final: bool,
) -> bytes:
    return (
        b"tend:media:v1:"
        + owner_id.bytes
        + media_id.bytes
        + variant.encode()
        + struct.pack(">IQ?", position, offset, final)
    )


def data_key(media: Media) -> bytes:
    return data_key_for(db.session, media.user_id)


def seal(key: bytes, aad: bytes, plaintext: bytes) -> bytes:
    nonce = secrets.token_bytes(NONCE_BYTES)
    return FORMAT + nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def unseal(key: bytes, aad: bytes, blob: bytes) -> bytes:
    blob = bytes(blob)
    if blob[:1] != FORMAT:
        raise DecryptionError("unknown media chunk format")
    nonce, sealed = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
    try:
        return AESGCM(key).decrypt(nonce, sealed, aad)
    except InvalidTag as exc:
        raise DecryptionError("a media chunk failed authentication") from exc


def store_chunk(
    media: Media, key: bytes, variant: str, position: int, offset: int, data: bytes, final: bool
) -> None:
    """Insert one sealed chunk (a plain insert: no ORM object keeps the bytes alive)."""
    db.session.execute(
        insert(MediaChunk).values(
            media_id=media.id,
            variant=variant,
            position=position,
            user_id=media.user_id,
            offset=offset,
            length=len(data),
            data=seal(
                key, chunk_aad(media.user_id, media.id, variant, position, offset, final), data
            ),
        )
    )


def drop_chunks(media: Media, variant: str) -> None:
    db.session.execute(
        delete(MediaChunk).where(MediaChunk.media_id == media.id, MediaChunk.variant == variant)
    )


def chunk_count(media_id: uuid.UUID, variant: str) -> int:
    return db.session.scalar(
        select(func.count()).select_from(MediaChunk).where(
            MediaChunk.media_id == media_id, MediaChunk.variant == variant
        )
    )


class ChunkWriter(io.RawIOBase):
    """A write-only file that seals what is written into chunks as they fill.

    The first chunk stays in memory until ``close()``, and the last ``keep`` chunks until
    more follow, so a writer that goes back to patch what it wrote (the MP4 muxer fixes the
    size of its media box at the start, and of the boxes in its index at the end) can. Any
    other backwards seek is refused.
    """

    def __init__(self, media: Media, variant: str, key: bytes, chunk_size: int = CHUNK_SIZE,
                 commit_every: int = 0, keep: int = 0):
        super().__init__()
        self.keep = keep
        self.media, self.variant, self.key, self.chunk_size = media, variant, key, chunk_size
        # Commit every so many chunks: a long memo then never holds the database's write
        # lock for long (SQLite readers wait for it). The caller keeps the item unready.
        self.commit_every = commit_every
        self.first = bytearray()
        self.buffer = bytearray()  # the chunk being filled (after the first)
        self.flushed = 0  # plaintext bytes already sealed and stored (after the first chunk)
        self.position = 0  # the file position
        self.size = 0
        self.stored = 0  # chunks sealed after the first
        self.count = 0  # every chunk, known at close

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        target = {io.SEEK_SET: offset, io.SEEK_CUR: self.position + offset,
                  io.SEEK_END: self.size + offset}[whence]
        if target < 0:
            raise OSError("negative seek")
        self.position = target
        return target

    def write(self, data) -> int:
        data = bytes(data)
        written = len(data)
        start, end = self.position, self.position + written
        if start < self.chunk_size:  # inside the first chunk, kept in memory until close
            head = data[: self.chunk_size - start]
            if len(self.first) < start:
                self.first.extend(bytes(start - len(self.first)))
            self.first[start : start + len(head)] = head
            data, start = data[len(head) :], start + len(head)
        if data:
            buffer_start = self.chunk_size + self.flushed
            if start < buffer_start:
                raise OSError("cannot rewrite bytes that were already stored")
            relative = start - buffer_start
            if len(self.buffer) < relative:
                self.buffer.extend(bytes(relative - len(self.buffer)))
            self.buffer[relative : relative + len(data)] = data
            # Seal every full chunk but the newest few: the last one is sealed as the last.
            while len(self.buffer) > self.chunk_size * (1 + self.keep):
                self._store(bytes(self.buffer[: self.chunk_size]), final=False)
                del self.buffer[: self.chunk_size]
        self.position = end
        self.size = max(self.size, end)
        return written

    def _store(self, data: bytes, final: bool) -> None:
        self.stored += 1  # the first chunk is position 0, sealed at close
        store_chunk(self.media, self.key, self.variant, self.stored,
                    self.chunk_size + self.flushed, data, final)
        self.flushed += len(data)
        if self.commit_every and self.stored % self.commit_every == 0:
            db.session.commit()

    def close(self) -> None:
        if self.closed:
            return
        rest = bytes(self.buffer)
        store_chunk(self.media, self.key, self.variant, 0, 0, bytes(self.first), final=not rest)
        if rest:
            self._store(rest, final=True)
        self.count = self.stored + 1
        self.first, self.buffer = bytearray(), bytearray()
        super().close()


def write_bytes(media: Media, variant: str, data: bytes) -> tuple[int, int]:
    """Store ``data`` whole (a thumbnail, a re-encoded photo); returns (size, chunks)."""
    writer = ChunkWriter(media, variant, data_key(media))
    writer.write(data)
    writer.close()
    return writer.size, writer.count


class ChunkReader(io.RawIOBase):
    """A read-only, seekable file over a media item's sealed chunks; one chunk in memory.

    ``total`` and ``count`` say how many bytes and chunks there must be: a chunk missing,
    moved or cut off raises DecryptionError rather than returning other bytes.
    """

    def __init__(self, media: Media, variant: str, total: int, count: int, *,
                 final_at: int | None = None, engine=None, chunk_size: int = 0):
        super().__init__()
        self.chunk_size = chunk_size  # when every chunk but the last has this size
        self.owner_id, self.media_id = media.user_id, media.id
        self.variant, self.total, self.count = variant, total, count
        self.key = data_key(media)
        # With an engine, each chunk is read on a connection of its own, so the reader also
        # works while a response streams after the request's session has closed.
        self.engine = engine
        self.final_at = final_at  # for uploads: the declared size, where the last piece ends
        self.position = 0
        self.cached: tuple[int, int, bytes] | None = None  # (offset, position, plaintext)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        target = {io.SEEK_SET: offset, io.SEEK_CUR: self.position + offset,
                  io.SEEK_END: self.total + offset}[whence]
        self.position = max(0, target)
        return self.position

    def _chunk_at(self, offset: int) -> tuple[int, bytes]:
        cached = self.cached
        if cached and cached[0] <= offset < cached[0] + len(cached[2]):
            return cached[0], cached[2]
        row = self._fetch(self._where(offset))
        if (row is None or not row.offset <= offset < row.offset + row.length) and self.chunk_size:
            row = self._fetch(self._where(offset, guess=False))
        if row is None or not row.offset <= offset < row.offset + row.length:
            raise DecryptionError(f"media {self.media_id}: no chunk holds byte {offset}")
        if self.final_at is not None:
            final = row.offset + row.length == self.final_at
        else:
            final = row.position == self.count - 1
        aad = chunk_aad(self.owner_id, self.media_id, self.variant, row.position, row.offset,
                        final)
        plain = unseal(self.key, aad, row.data)
        if len(plain) != row.length:
            raise DecryptionError("a media chunk has the wrong length")
        self.cached = (row.offset, row.position, plain)
        return row.offset, plain

    def _where(self, offset: int, guess: bool = True):
        """Which chunk holds ``offset``: by position where chunks have one size (stored
        files), else the last one starting at or before it (found on the primary key's
        index, without reading any chunk's bytes)."""
        if guess and self.chunk_size:
            return MediaChunk.position == offset // self.chunk_size
        locate = (
            select(MediaChunk.position)
            .where(MediaChunk.media_id == self.media_id, MediaChunk.variant == self.variant,
                   MediaChunk.offset <= offset)
            .order_by(MediaChunk.position.desc())
            .limit(1)
            .scalar_subquery()
        )
        return MediaChunk.position == locate

    def _fetch(self, condition):
        query = select(
            MediaChunk.position, MediaChunk.offset, MediaChunk.length, MediaChunk.data
        ).where(MediaChunk.media_id == self.media_id, MediaChunk.variant == self.variant,
                condition)
        if self.engine is None:
            return db.session.execute(query).one_or_none()
        with self.engine.connect() as connection:
            return connection.execute(query).one_or_none()

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = self.total - self.position
        size = min(size, self.total - self.position)
        pieces = []
        while size > 0:  # whole reads, across chunks: parsers expect what they ask for
            start, plain = self._chunk_at(self.position)
            piece = plain[self.position - start : self.position - start + size]
            self.position += len(piece)
            size -= len(piece)
            pieces.append(piece)
        return b"".join(pieces)

    def readall(self) -> bytes:
        return self.read(-1)


def iter_range(reader: ChunkReader, start: int, end: int) -> Iterator[bytes]:
    """Yield the plaintext bytes start..end (inclusive) a chunk at a time."""
    reader.seek(start)
    left = end - start + 1
    while left > 0:
        piece = reader.read(min(left, CHUNK_SIZE))
        if not piece:
            raise DecryptionError("media ended early")
        left -= len(piece)
        yield piece


def file_reader(media: Media, thumb: bool = False, engine=None) -> ChunkReader:
    if thumb:
        return ChunkReader(media, "thumb", media.thumb_size, media.thumb_chunk_count,
                           engine=engine, chunk_size=CHUNK_SIZE)
    return ChunkReader(media, "file", media.size, media.chunk_count, engine=engine,
                       chunk_size=CHUNK_SIZE)


def upload_reader(media: Media) -> ChunkReader:
    return ChunkReader(media, "upload", media.received, media.pieces,
                       final_at=media.declared_size)
