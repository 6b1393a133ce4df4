"""The export archive with every memo, photo and drawing in it, streamed.

A person's media can reach their whole quota (2 GB by default), so the archive is never
built in memory: the journal's text files come first, then each media file is decrypted a
chunk at a time and written straight into the response.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

from webapp.auth.models import User
from webapp.extensions import db
from webapp.media import storage
from webapp.media.library import export_name, ready_media
from webapp.media.models import Media


class _Pipe(io.RawIOBase):
    """An unseekable file that hands on whatever is written to it."""

    def __init__(self):
        super().__init__()
        self.parts: list[bytes] = []
        self.position = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position

    def drain(self) -> Iterator[bytes]:
        parts, self.parts = self.parts, []
        yield from parts


def archive_with_media(user: User, text_archive: bytes, root: str = "tend") -> Iterator[bytes]:
    """The files of ``text_archive`` (a zip), then every ready media file under
    ``<root>/media/``, as one zip, a piece at a time."""
    readers = [
        (f"{root}/{export_name(media)}", storage.file_reader(media, engine=db.engine), media.size,
         media.created_at.timetuple()[:6])
        for media in db.session.scalars(ready_media(user).order_by(Media.created_at, Media.id))
    ]

    def stream() -> Iterator[bytes]:
        pipe = _Pipe()
        with zipfile.ZipFile(pipe, "w", zipfile.ZIP_DEFLATED) as archive:
            with zipfile.ZipFile(io.BytesIO(text_archive)) as source:
                for info in source.infolist():
                    archive.writestr(info, source.read(info))
                    yield from pipe.drain()
            for name, reader, size, when in readers:
                # Audio and pictures are compressed already: store them as they are.
                info = zipfile.ZipInfo(name, date_time=when)
                with archive.open(info, "w", force_zip64=size > 2**31) as target:
                    for piece in storage.iter_range(reader, 0, size - 1):
                        target.write(piece)
                        yield from pipe.drain()
        yield from pipe.drain()

    return stream()
