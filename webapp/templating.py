"""Helpers available in every template."""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app, g, url_for
from flask_login import current_user

from webapp.timezones import zone_of


@cache
def _file_digest(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def asset_url(filename: str) -> str:
    """A static file's URL carrying its content hash, so caches can keep it forever."""
    path = Path(current_app.static_folder) / filename
    return url_for("static", filename=filename, v=_file_digest(str(path)))


def _viewer_zone() -> ZoneInfo:
    zone = g.get("_viewer_zone")
    if zone is None:
        zone = g._viewer_zone = zone_of(current_user)
    return zone


def local_time(value: datetime, fmt: str = "%a %-d %b %Y, %H:%M") -> str:
    """Show a UTC datetime in the signed-in person's timezone."""
    return value.astimezone(_viewer_zone()).strftime(fmt)
