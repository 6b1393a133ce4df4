"""What every import shares: the summary, the ids, and reading loosely typed values."""

from __future__ import annotations

import posixpath
import uuid
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from webapp.auth.models import User
from webapp.extensions import db

# import of the same file lands on the same rows.
IMPORT_NAMESPACE = uuid.UUID("5f0c8e5e-4d0a-4b8e-9b1e-7a3c2d1e0f42")
MAX_UNPACKED_BYTES = 256 * 1024 * 1024

ALREADY_HERE = "already in this journal"
NOT_READABLE = "could not be read"


class ImportError_(ValueError):  # noqa: N801 (ImportError is Python's own)
    """The file as a whole cannot be imported; the message tells the person why."""


@dataclass
class ImportSummary:
    source: str
    imported: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)  # (what, why) -> how many

    def skip(self, what: str, why: str) -> None:
        self.skipped[(what, why)] += 1

    @property
    def total_imported(self) -> int:
        return sum(self.imported.values())


def as_uuid(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None


def place(model, original: uuid.UUID, user: User) -> tuple[uuid.UUID | None, bool]:
    """Where a row with ``original`` id goes: (id, already here). None when nowhere fits."""
    for candidate in (original, uuid.uuid5(IMPORT_NAMESPACE, f"{user.id}:{original}")):
        row = db.session.get(model, candidate)
        if row is None:
            return candidate, False
        if row.user_id == user.id:
            return candidate, True
    return None, False


def as_moment(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def as_text(value, limit: int | None = None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("text expected")
    if limit is not None and len(value) > limit:
        raise ValueError("too long")
    return value


class Files:
    """The files that came beside an export in its zip (none for a bare .json file)."""

    def __init__(self, archive: zipfile.ZipFile | None = None, base: str = ""):
        self.archive, self.base = archive, base
        self.names = {i.filename: i for i in archive.infolist()} if archive else {}

    def _read(self, info: zipfile.ZipInfo | None, limit: int) -> bytes | None:
        if info is None or info.is_dir():
            return None
        if info.file_size > limit:
            raise ValueError("larger than Tend keeps")
        return self.archive.read(info)[: limit + 1]

    def read(self, relative: object, limit: int) -> bytes | None:
        """The file at ``relative`` (beside the export's JSON), or None when it is absent."""
        if not isinstance(relative, str) or not relative or self.archive is None:
            return None
        path = posixpath.normpath(posixpath.join(self.base, relative))
        return self._read(self.names.get(path), limit)

    def _locate(self, file_name: str, folder: str) -> zipfile.ZipInfo | None:
        for name, info in self.names.items():
            parent, _, last = name.rpartition("/")
            if last == file_name and parent.rpartition("/")[2] == folder:
                return info
        return None

    def has(self, file_name: str, folder: str) -> bool:
        return self._locate(file_name, folder) is not None

    def find(self, file_name: str, folder: str, limit: int) -> bytes | None:
        """A file called ``file_name`` in a folder called ``folder``, wherever it is."""
        return self._read(self._locate(file_name, folder), limit)
