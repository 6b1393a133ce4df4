"""What an uploaded file is: a Tend export or a Day One export, as JSON or in a zip."""

from __future__ import annotations

import io
import json
import posixpath
import zipfile

from webapp.importer.common import MAX_UNPACKED_BYTES, Files, ImportError_
from webapp.insights.export import EXPORT_FORMAT


def read_upload(filename: str, payload: bytes) -> tuple[str, dict, Files]:
    """Decide what the file is: ``("tend", data, files)`` or ``("dayone", data, files)``;
    ``files`` are the memos and pictures beside the export in a zip."""
    if payload[:2] == b"PK":
        return _read_zip(payload)
    try:
        data = json.loads(payload)
    except (ValueError, RecursionError):
        raise ImportError_(
            f"{filename or 'The file'} is neither JSON nor a zip. Choose the .json (or .zip) "
            "file your export made."
        ) from None
    return (*_recognise(data), Files())


def _recognise(data) -> tuple[str, dict]:
    if isinstance(data, dict) and data.get("format") == EXPORT_FORMAT:
        if data.get("version") != 1:
            raise ImportError_("This Tend export is from a newer version of Tend.")
        return "tend", data
    if isinstance(data, dict) and isinstance(data.get("entries"), list) and (
        "metadata" in data or all(isinstance(e, dict) and "creationDate" in e
                                  for e in data["entries"][:5])
    ):
        return "dayone", data
    raise ImportError_("This file is not a Tend or Day One export.")


def _read_zip(payload: bytes) -> tuple[str, dict, Files]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(payload))
    except zipfile.BadZipFile:
        raise ImportError_("The zip file is damaged.") from None
    # The archive stays open: its memos and pictures are read while importing.
    members = [i for i in archive.infolist()
               if i.filename.lower().endswith(".json") and not i.is_dir()]
    if not members:
        raise ImportError_("The zip holds no .json export.")
    if sum(i.file_size for i in members) > MAX_UNPACKED_BYTES:
        raise ImportError_("The export inside the zip is too large to import at once.")
    entries, kind, tend = [], None, None
    for member in members:
        try:
            data = json.loads(archive.read(member))
        except (ValueError, RecursionError):
            continue
        try:
            found, data = _recognise(data)
        except ImportError_:
            continue
        if found == "tend":
            tend, base = data, posixpath.dirname(member.filename)
        else:
            kind = "dayone"
            entries.extend(data["entries"])  # one file per Day One journal
    if tend is not None:
        return "tend", tend, Files(archive, base)
    if kind == "dayone":
        return "dayone", {"entries": entries}, Files(archive)
    raise ImportError_("The zip holds no Tend or Day One export.")
