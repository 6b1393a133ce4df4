"""Importing a Day One JSON export: ``entries`` with ``uuid``, ``creationDate``,
``modifiedDate``, ``timeZone``, ``text`` (Markdown with punctuation escaped), ``tags`` and
``photos``. Each becomes an ordinary entry; pictures are counted as left out."""

from __future__ import annotations

import re
import uuid

from webapp.auth.models import User
from webapp.extensions import db
from webapp.importer.common import (
    ALREADY_HERE,
    IMPORT_NAMESPACE,
    NOT_READABLE,
    ImportSummary,
    as_moment,
)
from webapp.journal.models import BODY_MAX, TITLE_MAX, Entry

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


def import_day_one(user: User, data: dict) -> ImportSummary:
    summary = ImportSummary("Day One")
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
        pictures = max(pictures, len(record.get("photos") or []))
        if pictures:
            summary.skip("pictures", "Tend does not keep pictures yet")
        tags = [t for t in record.get("tags") or [] if isinstance(t, str) and t.strip()]
        if tags:
            body = (body + "\n\n" if body else "") + "Tags: " + ", ".join(tags)
        if not body:
            summary.skip("entries", "has no text")
            continue
        updated = as_moment(record.get("modifiedDate")) or created
        pieces = _parts(body)
        for number, piece in enumerate(pieces, start=1):
            key = f"{user.id}:dayone:{original}" + (f":{number}" if number > 1 else "")
            entry_id = uuid.uuid5(IMPORT_NAMESPACE, key)
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
        db.session.flush()
    db.session.commit()
    return summary
