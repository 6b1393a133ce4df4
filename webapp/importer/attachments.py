"""Memos, photos and drawings brought in with an export: each placed on its entry under an
id that the same file always gives again, so a second import adds nothing."""

from __future__ import annotations

import uuid

from webapp.auth.models import User
from webapp.extensions import db
from webapp.importer.common import ALREADY_HERE, Files, ImportSummary, as_moment, place
from webapp.media.imports import add_whole_file
from webapp.media.models import KINDS, Media
from webapp.media.uploads import UploadError, max_bytes

WHAT = "memos, photos and drawings"
NOT_IN_UPLOAD = "their files were not in the upload (import the .zip to bring them)"
ENTRY_LEFT_OUT = "their entry was left out"


def attach(user: User, summary: ImportSummary, entry_id: uuid.UUID | None, kind: object,
           media_id: uuid.UUID | None, read, *, created_at=None, in_brief=False) -> None:
    """Store one item on ``entry_id``; ``read(limit)`` gives its bytes (None: not there).
    Whatever cannot be stored is counted, with why, and nothing else is lost."""
    if kind not in KINDS or media_id is None:
        summary.skip(WHAT, "could not be read")
        return
    if entry_id is None:
        summary.skip(WHAT, ENTRY_LEFT_OUT)
        return
    target, here = place(Media, media_id, user)
    if here:
        summary.skip(WHAT, ALREADY_HERE)
        return
    try:
        data = read(max_bytes(kind))
    except ValueError:
        summary.skip(WHAT, "larger than Tend keeps")
        return
    if data is None:
        summary.skip(WHAT, NOT_IN_UPLOAD)
        return
    if target is None:
        summary.skip(WHAT, "could not be read")
        return
    try:
        add_whole_file(user, entry_id, kind, data, media_id=target,
                       created_at=as_moment(created_at), in_brief=bool(in_brief))
    except UploadError as exc:
        summary.skip(WHAT, exc.message)
        return
    db.session.commit()  # one item at a time: a large import never holds everything
    summary.imported[WHAT] += 1


def attach_tend_media(user: User, records, entry_ids: dict, files: Files,
                      summary: ImportSummary) -> None:
    """Each exported entry's ``media``: its file is named relative to the export's JSON."""
    for record in records if isinstance(records, list) else []:
        if not isinstance(record, dict) or not isinstance(record.get("media"), list):
            continue
        entry_id = entry_ids.get(str(record.get("id")))
        for item in record["media"]:
            if not isinstance(item, dict):
                summary.skip(WHAT, "could not be read")
                continue
            try:
                media_id = uuid.UUID(str(item.get("id")))
            except ValueError:
                media_id = None
            name = item.get("file")
            attach(user, summary, entry_id, item.get("kind"), media_id,
                   lambda limit, name=name: files.read(name, limit),
                   created_at=item.get("created_at"), in_brief=item.get("in_brief"))
