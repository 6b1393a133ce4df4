"""Zip archives written as a stream, for exports too large to build in memory."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class ArchiveFile:
    """A file to add to an archive: its bytes come piece by piece when it is written."""

    name: str
    size: int
    date_time: tuple[int, int, int, int, int, int]
    pieces: Callable[[], Iterable[bytes]]


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


def stream_zip(base: bytes, files: list[ArchiveFile]) -> Iterator[bytes]:
    """Everything in the zip ``base``, then ``files`` (stored as they are: audio and pictures
    are compressed already), as one zip, a piece at a time."""
    pipe = _Pipe()
    with zipfile.ZipFile(pipe, "w", zipfile.ZIP_DEFLATED) as archive:
        with zipfile.ZipFile(io.BytesIO(base)) as source:
            for info in source.infolist():
                archive.writestr(info, source.read(info))
                yield from pipe.drain()
        for file in files:
            info = zipfile.ZipInfo(file.name, date_time=file.date_time)
            with archive.open(info, "w", force_zip64=file.size > 2**31) as target:
                for piece in file.pieces():
                    target.write(piece)
                    yield from pipe.drain()
    yield from pipe.drain()
