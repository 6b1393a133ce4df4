"""Import rules, independent of HTTP.

Importing is idempotent: every imported row keeps its original id when that id is free, or
gets an id derived from (person, original id) when another account already uses it, so
importing the same file again finds everything already there and changes nothing. Each row
that is not imported is counted with the reason why.
"""

from __future__ import annotations

from webapp.auth.models import User
from webapp.importer.common import ImportError_, ImportSummary
from webapp.importer.dayone import import_day_one
from webapp.importer.reading import read_upload
from webapp.importer.tend import import_tend_export

__all__ = ["ImportError_", "ImportSummary", "import_day_one", "import_file",
           "import_tend_export", "read_upload"]


def import_file(user: User, filename: str, payload: bytes) -> ImportSummary:
    kind, data, files = read_upload(filename, payload)
    if kind == "tend":
        return import_tend_export(user, data, files)
    return import_day_one(user, data, files)
