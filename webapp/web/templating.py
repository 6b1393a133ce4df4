"""Helpers available in every template."""

from __future__ import annotations

import hashlib
from datetime import datetime, time
from functools import cache, lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_time
from flask import Flask, current_app, g, has_request_context, request, url_for
from flask_login import current_user
from markupsafe import Markup

from webapp.calendar import in_zone, zone_of
from webapp.content import (
    ALL_PROMPTS,
    BODY_QUALITIES,
    BODY_REGIONS,
    FEELINGS,
    INTENSITIES,
    MOODS,
    PHASES,
)
from webapp.types import utcnow


@cache
def _file_digest(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


class AssetUrls(dict):
    """File name -> URL, for one address root: each built once (every page names a dozen)."""

    def __missing__(self, filename: str) -> str:
        path = Path(current_app.static_folder) / filename
        url = self[filename] = url_for("static", filename=filename, v=_file_digest(str(path)))
        return url


def asset_urls() -> AssetUrls:
    """The asset URLs of this request's address root, for a template to look up by name."""
    known = current_app.extensions.setdefault("tend_asset_urls", {})
    root = request.script_root if has_request_context() else None
    urls = known.get(root)
    if urls is None:
        urls = known[root] = AssetUrls()
    return urls


def asset_url(filename: str) -> str:
    """A static file's URL carrying its content hash, so caches can keep it forever."""
    return asset_urls()[filename]


def page_header(with_tabs: bool) -> Markup:
    """The top bar and tabs (templates/_header.html). They depend only on the page's section
    and the address root, not on who reads: made once per section, then reused."""
    known = current_app.extensions.setdefault("tend_page_headers", {})
    key = (request.script_root, request.endpoint, with_tabs)
    html = known.get(key)
    if html is None:
        template = current_app.jinja_env.get_template("_header.html")
        rendered = template.render(with_tabs=with_tabs, request=request)  # autoescaped
        html = known[key] = Markup(rendered)  # noqa: S704
    return html


def _viewer_zone() -> ZoneInfo:
    """Asked for every time on a page: found once per request."""
    try:
        return g._viewer_zone
    except AttributeError:
        zone = g._viewer_zone = zone_of(current_user)
        return zone


def _reader_locale() -> Locale | None:
    """The reader's locale, from the languages their browser asks for (which also decide how
    the browser shows time inputs), so every time on a page reads the same way."""
    if not has_request_context():
        return None
    try:
        return g._reader_locale
    except AttributeError:
        pass
    locale = None
    for tag, _quality in request.accept_languages:
        try:
            locale = Locale.parse(tag, sep="-")
            break
        except (UnknownLocaleError, ValueError):
            continue
    g._reader_locale = locale
    return locale


@lru_cache(maxsize=4096)
def _clock_in(locale: Locale | None, hour: int, minute: int) -> str:
    at = time(hour, minute)
    return format_time(at, "short", locale=locale) if locale else at.strftime("%H:%M")


def clock(value: time | datetime) -> str:
    """A wall-clock time as the reader's locale writes it: "10:00 PM" or "22:00"."""
    return _clock_in(_reader_locale(), value.hour, value.minute)


def local_time(value: datetime, fmt: str = "%a %-d %b %Y, {clock}") -> str:
    """Show a UTC datetime in the signed-in person's timezone. ``{clock}`` in ``fmt`` is the
    time as the reader's locale writes it (see ``clock``); strftime's own codes, such as
    "%H:%M" for a form's value, stay as they are."""
    local = in_zone(value, _viewer_zone())
    text = local.strftime(fmt.replace("{clock}", "\ue000"))
    return text.replace("\ue000", clock(local)) if "{clock}" in fmt else text


def prompt_text(prompt_id: str | None) -> str | None:
    prompt = ALL_PROMPTS.get(prompt_id or "")
    return prompt.text if prompt else None


def now_local(fmt: str = "%-d %B %Y") -> str:
    return local_time(utcnow(), fmt)


def phase_name(phase: str | None) -> str | None:
    return PHASES[phase].name if phase in PHASES else None


def init_templating(app: Flask) -> None:
    app.jinja_env.globals.update(
        asset_url=asset_url, asset_urls=asset_urls, page_header=page_header,
        prompt_text=prompt_text, now_local=now_local, phase_name=phase_name, clock=clock,
        moods=MOODS, feeling_words=FEELINGS, intensity_words=INTENSITIES,
        body_regions=BODY_REGIONS, body_qualities=BODY_QUALITIES,
    )
    app.jinja_env.filters["local_time"] = local_time
