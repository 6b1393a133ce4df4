"""Helpers available in every template."""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Flask, current_app, g, url_for
from flask_login import current_user

from webapp.calendar import in_zone, zone_of
from webapp.content import ALL_PROMPTS, MOODS, PHASES
from webapp.types import utcnow


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
    return in_zone(value, _viewer_zone()).strftime(fmt)


def prompt_text(prompt_id: str | None) -> str | None:
    prompt = ALL_PROMPTS.get(prompt_id or "")
    return prompt.text if prompt else None


def now_local(fmt: str = "%-d %B %Y") -> str:
    return local_time(utcnow(), fmt)


def phase_name(phase: str | None) -> str | None:
    return PHASES[phase].name if phase in PHASES else None


def init_templating(app: Flask) -> None:
    app.jinja_env.globals.update(
        asset_url=asset_url, prompt_text=prompt_text, now_local=now_local, phase_name=phase_name,
        moods=MOODS,
    )
    app.jinja_env.filters["local_time"] = local_time
