"""Importing a Day One JSON export: ``entries`` with ``uuid``, ``creationDate``,
``modifiedDate``, ``timeZone``, ``text`` (Markdown with punctuation escaped), ``tags`` and
``photos``. Each becomes an ordinary entry. In a zip, each photo (``photos/<md5>.<type>``,
named by the entry's ``photos`` array: ``md5``, ``type``, ``identifier``) is attached to its
entry; the text's ``![](dayone-moment://<identifier>)`` references are taken out."""

from __future__ import annotations

import re
import uuid
from collections import Counter

from sqlalchemy import delete, select

from webapp.auth.models import User, note_content_changed
from webapp.extensions import db
from webapp.importer.attachments import WHAT, attach
from webapp.importer.common import (
    ALREADY_HERE,
    IMPORT_NAMESPACE,
    NOT_READABLE,
    Files,
    ImportSummary,
    as_moment,
)
from webapp.journal.models import BODY_MAX, TITLE_MAX, Entry
from webapp.media.models import Media

DAY_ONE_ESCAPES = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~])")
DAY_ONE_MEDIA = re.compile(r"!\[[^\]]*\]\(dayone-moment:/{1,2}[^)]*\)\n?")


def _day_one_text(text: str) -> tuple[str | None, str, int]:
    """(title, body, pictures left out) from Day One's Markdown."""
    pictures = len(DAY_ONE_MEDIA.findall(text))
    text = DAY_ONE_ESCAPES.sub(r"\1", DAY_ONE_MEDIA.sub("", text)).strip()
    title = None
    first, _, rest = text.partition("\n")
    if first.startswith("# ") and len(first) - 2 <= TITLE_MAX:
        title, text = first[2:].strip() or None, rest.strip()
    return title, text, pictures


def _parts(body: str) -> list[str]:
    """Split a body longer than an entry can hold at paragraph breaks; nothing is lost."""
    if len(body) <= BODY_MAX:
        return [body]
    parts, current = [], ""
    for paragraph in body.split("\n\n"):
        for start in range(0, max(len(paragraph), 1), BODY_MAX):
            piece = paragraph[start : start + BODY_MAX]
            candidate = f"{current}\n\n{piece}" if current else piece
            if len(candidate) <= BODY_MAX:
                current = candidate
            else:
                parts.append(current)
                current = piece
    if current:
        parts.append(current)
    return parts


def _photo_name(photo: object) -> str | None:
    """``<md5>.<type>``, the photo's file name in the zip's ``photos`` folder."""
    if not isinstance(photo, dict) or not all(
        isinstance(photo.get(k), str) and photo[k].isalnum() for k in ("md5", "type")
    ):
        return None
    return f"{photo['md5']}.{photo['type']}"


def _any_photo_file(photos: list, files: Files) -> bool:
    return any(files.has(name, "photos") for name in map(_photo_name, photos) if name)


def _photos(user: User, record: dict, entry_id: uuid.UUID | None, files: Files,
            summary: ImportSummary) -> None:
    for photo in record.get("photos") or []:
        name = _photo_name(photo)
        if name is None:
            summary.skip(WHAT, NOT_READABLE)
            continue
        key = f"{user.id}:dayone-photo:{photo.get('identifier') or photo['md5']}"
        attach(user, summary, entry_id, "photo", uuid.uuid5(IMPORT_NAMESPACE, key),
               lambda limit, name=name: files.find(name, "photos", limit),
               created_at=photo.get("date") or record.get("creationDate"))


def import_day_one(user: User, data: dict, files: Files | None = None) -> ImportSummary:
    summary = ImportSummary("Day One")
    files = files or Files()
    attachments, photo_only = [], []
    for record in data.get("entries") or []:
        if not isinstance(record, dict):
            summary.skip("entries", NOT_READABLE)
            continue
        original = str(record.get("uuid") or "")
        created = as_moment(record.get("creationDate"))
        text = record.get("text")
        if not original or created is None:
            summary.skip("entries", NOT_READABLE)
            continue
        title, body, pictures = _day_one_text(text if isinstance(text, str) else "")
        photos = record.get("photos") if isinstance(record.get("photos"), list) else []
        if pictures > len(photos):  # videos, audio and drawings Tend does not bring in
            summary.skip("pictures", "only photos come in from Day One")
        tags = [t for t in record.get("tags") or [] if isinstance(t, str) and t.strip()]
        if tags:
            body = (body + "\n\n" if body else "") + "Tags: " + ", ".join(tags)
        if not body and not _any_photo_file(photos, files):  # a photo alone is an entry
            summary.skip("entries", "has no text")
            attachments.append((record, None))
            continue
        updated = as_moment(record.get("modifiedDate")) or created
        pieces = _parts(body)
        for number, piece in enumerate(pieces, start=1):
            key = f"{user.id}:dayone:{original}" + (f":{number}" if number > 1 else "")
            entry_id = uuid.uuid5(IMPORT_NAMESPACE, key)
            if number == 1 and photos:
                attachments.append((record, entry_id))
            if db.session.get(Entry, entry_id) is not None:
                summary.skip("entries", ALREADY_HERE)
                continue
            part_title = title
            if len(pieces) > 1:
                part_title = f"{title or 'Day One entry'} ({number} of {len(pieces)})"[:TITLE_MAX]
            db.session.add(Entry(
                id=entry_id, user_id=user.id, title=part_title, body=piece,
                created_at=created, updated_at=max(updated, created),
            ))
            summary.imported["entries"] += 1
            if not piece:
                photo_only.append(entry_id)
        db.session.flush()
    db.session.commit()
    for record, entry_id in attachments:
        _photos(user, record, entry_id, files, summary)
    _drop_empty(user, photo_only, summary)
    return summary


def _drop_empty(user: User, entry_ids: list[uuid.UUID], summary: ImportSummary) -> None:
    """An entry that was only a photo, whose photo could not be stored, is not kept empty."""
    for entry_id in entry_ids:
        if db.session.scalar(select(Media.id).where(Media.entry_id == entry_id).limit(1)):
            continue
        db.session.execute(delete(Entry).where(Entry.id == entry_id))
        note_content_changed(db.session, [user.id])
        summary.imported["entries"] -= 1
        summary.skip("entries", "has no text, and its photo could not be stored")
    db.session.commit()
    summary.imported += Counter()  # forget counts that fell to nothing
