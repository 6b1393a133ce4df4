"""What media does when other capabilities act (see webapp/events.py)."""

from __future__ import annotations

from webapp.archives import ArchiveFile
from webapp.events import export_gathering
from webapp.media import library


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
