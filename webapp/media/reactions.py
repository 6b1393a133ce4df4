"""What media does when other capabilities act (see webapp/events.py)."""

from __future__ import annotations

from datetime import timedelta

from webapp.archives import ArchiveFile
from webapp.events import daily_upkeep, entry_holds_more_than_words, export_gathering
from webapp.media import library

ABANDONED_AFTER = timedelta(days=30)


@export_gathering.connect
def add_media_to_export(user, *, data: dict, files: list) -> None:
    """Each entry names its memos and pictures; their files go into the zip."""
    records = library.export_records(user)
    for entry in data.get("entries", []):
        entry["media"] = records.get(entry["id"], [])
    for media, pieces in library.export_files(user):
        files.append(ArchiveFile(
            name=f"tend/{library.export_name(media)}",
            size=media.size,
            date_time=media.created_at.timetuple()[:6],
            pieces=pieces,
        ))


@entry_holds_more_than_words.connect
def entry_with_media(entry) -> bool:
    """A memo or a picture is reason enough to keep an entry without words."""
    return bool(library.media_of_entry(entry.user, entry.id))


@daily_upkeep.connect
def forget_abandoned_uploads(sender, *, now, **_) -> None:
    """Uploads no device has continued for a month are let go, and their space returned."""
    library.forget_uploads_idle_since(now - ABANDONED_AFTER)
