"""The installable app: the manifest, the service worker, and the pages it keeps.

Only the app itself is kept on the device: styles, scripts, icons and the pages that carry
no journal text (the editor, capture, the recorder, the drawing pad, the crisis lines and the
offline page), which fill themselves from the device's own store. Journal pages are never
stored. A first visit stays light: the worker keeps the first part while it installs and the
later part once the visit has settled (see ``KEPT_PARTS``).
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from flask import current_app, render_template, request, url_for

from webapp.content import (
    BODY_QUALITIES,
    BODY_REGIONS,
    BODY_SIDES,
    CAPTURE_VOICE_HINT,
    FEELING_FAMILIES,
    INTENSITIES,
)
from webapp.monitoring.metrics import INNER_REQUEST
from webapp.pwa import bp
from webapp.web.compression import packed_response
from webapp.web.templating import asset_url
from webapp.web.views import shell_page

THEME_COLOUR = "#2e6a4e"
BACKGROUND_COLOUR = "#f6f4ee"

# What the service worker keeps, in two parts, by path under static/ and by endpoint.
# The first part is stored while the worker installs, during a person's first visit: the
# pages the first moment without a connection needs (the editor, the crisis lines, the
# offline note) and everything they load. The later part is stored once that first visit
# is over (static/js/pwa.js asks for it): capture, the recorder and the drawing pad, and the
# files only pages online use. A new version of an installed Tend stores both at once.
# The kept safety plan's script is in the later part: the offline Support page loads it only
# on a device where someone chose to keep the plan, on a page online that loaded it then (and
# the worker keeps every versioned file a page loads through it).
FIRST_ASSETS = [
    "css/tend.css",
    "js/theme.js",
    "js/app.js",
    "js/drafts.js",
    "js/media-store.js",
    "js/media-sync.js",
    "js/device.js",
    "js/sync-core.js",
    "js/pwa.js",
    "js/editor.js",
    "icons/favicon-32.png",
]
FIRST_PAGES = ["pwa.write", "support.offline", "pwa.offline"]
LATER_ASSETS = [
    "css/capture.css",
    "js/capture.js",
    "js/recording.js",
    "js/recorder.js",
    "js/drawing.js",
    "js/sign-out.js",
    "vendor/htmx/htmx-2.0.11.min.js",
    "js/integration.js",
    "js/lock.js",
    "js/kept-plan.js",
    "icons/icon-192.png",
]
LATER_PAGES = ["pwa.capture", "media.record", "media.draw"]
KEPT_PARTS = {"first": (FIRST_ASSETS, FIRST_PAGES), "later": (LATER_ASSETS, LATER_PAGES)}
# The kept pages' templates feed the cache version.
SHELL_TEMPLATES = [
    "base.html", "_icons.html", "_forms.html", "_flashes.html", "pwa/write.html",
    "pwa/capture.html", "_body_map.html", "pwa/offline.html", "pwa/sw.js",
    "support/offline.html", "support/_resources.html",
    "media/record.html", "media/draw.html", "media/_details.html",
]
# How long a page may keep the network silent before the offline shell answers instead
# (one bar of signal: the request neither fails nor finishes). The real page follows.
NAVIGATION_PATIENCE_MS = 4000
# What a kept page's own answer carries that its stored copy must not: sizes and encodings
# of that one answer, and what a cache would key it by.
PACK_HEADERS_LEFT_OUT = {"Content-Length", "Content-Encoding", "Vary", "Set-Cookie", "Date"}


def precache_urls() -> list[str]:
    """Everything the service worker keeps, both parts, with the URLs pages really use."""
    return [url for part in KEPT_PARTS for url in kept_urls(part)]


def kept_urls(part: str) -> list[str]:
    assets, pages = KEPT_PARTS[part]
    return [asset_url(name) for name in assets] + [url_for(name) for name in pages]


def kept_part(part: str) -> dict:
    """One part as the service worker reads it: its files, its pages, and the one answer
    that brings the pages (see ``kept_pages``)."""
    assets, pages = KEPT_PARTS[part]
    return {
        "assets": [asset_url(name) for name in assets],
        "pages": [url_for(name) for name in pages],
        "pack": url_for("pwa.kept_pages", part=part, v=cache_version()),
    }


def cache_version() -> str:
    """Changes whenever any cached file or shell template changes, so devices update; and
    when the host's crisis lines change (the kept Support page shows them offline)."""
    crisis_lines = repr(current_app.extensions.get("tend_support_resources"))
    return _cache_version(tuple(precache_urls()), current_app.template_folder, crisis_lines)


@cache
def _cache_version(urls: tuple[str, ...], template_folder: str, crisis_lines: str = "") -> str:
    digest = hashlib.sha256("\n".join(urls).encode())
    for name in SHELL_TEMPLATES:
        digest.update((Path(template_folder) / name).read_bytes())
    digest.update(crisis_lines.encode())
    return digest.hexdigest()[:12]


def manifest_data() -> dict:
    """The web app manifest: what a phone needs to install Tend to its home screen."""
    icons = [
        {"src": asset_url("icons/icon-192.png"), "sizes": "192x192", "type": "image/png",
         "purpose": "any"},
        {"src": asset_url("icons/icon-512.png"), "sizes": "512x512", "type": "image/png",
         "purpose": "any"},
        {"src": asset_url("icons/maskable-512.png"), "sizes": "512x512", "type": "image/png",
         "purpose": "maskable"},
    ]
    return {
        "id": "/",
        "name": "Tend: journal for integration",
        "short_name": "Tend",
        "description": (
            "A gentle, private journal for the weeks after a ketamine-assisted therapy "
            "session. Works offline."
        ),
        "start_url": "/?source=home-screen",
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "lang": "en",
        "dir": "ltr",
        "categories": ["health", "lifestyle"],
        "icons": icons,
        "screenshots": [
            {
                "src": asset_url("icons/screenshot-narrow.png"),
                "sizes": "540x1080",
                "type": "image/png",
                "form_factor": "narrow",
                "label": "Writing an entry in Tend, online or offline",
            }
        ],
        "shortcuts": [
            {"name": "Capture", "short_name": "Capture", "url": url_for("pwa.capture"),
             "description": "Feelings and the body, in a few taps",
             "icons": [{"src": asset_url("icons/icon-192.png"), "sizes": "192x192"}]},
            {"name": "Write", "short_name": "Write", "url": url_for("pwa.write"),
             "description": "A new entry",
             "icons": [{"src": asset_url("icons/icon-192.png"), "sizes": "192x192"}]},
        ],
    }




@bp.get("/manifest.webmanifest")
def manifest():
    response = current_app.json.response(manifest_data())
    response.mimetype = "application/manifest+json"
    response.headers["Cache-Control"] = "no-cache"
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/sw.js")
def service_worker():
    """Rendered, so the lists of what it keeps hold the same versioned URLs the pages use;
    once per version, and compressed then at the highest quality."""
    data = _once_per_version("sw.js", lambda: render_template(
        "pwa/sw.js", version=cache_version(),
        kept={part: kept_part(part) for part in KEPT_PARTS},
        patience_ms=NAVIGATION_PATIENCE_MS,
    ).encode())
    response = packed_response(data, "text/javascript", etag=cache_version())
    # Always revalidated, so a new version reaches devices on their next visit.
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.get("/kept-pages/<any(first, later):part>")
def kept_pages(part: str):
    """The pages of one kept part in one answer, each with the headers its own address sends
    (its Content-Security-Policy, its Permissions-Policy): the service worker stores each
    under its own URL. One answer instead of three, compressed together, is less than half
    the bytes, since the pages share their frame. The same for everyone, like the pages."""
    data = _once_per_version(f"kept-pages/{part}", lambda: json.dumps(
        {"pages": [_kept_page(endpoint) for endpoint in KEPT_PARTS[part][1]]},
        separators=(",", ":"),
    ).encode())
    response = packed_response(data, "application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


def _once_per_version(name: str, make) -> bytes:
    """What the service worker reads is the same for everyone until the version changes."""
    made = current_app.extensions.setdefault("tend_pwa_made", {})
    key = (name, cache_version(), request.script_root)
    if key not in made:
        made[key] = make()
    return made[key]


def _kept_page(endpoint: str) -> dict:
    """A kept page exactly as its own address answers it (rendered, with its headers), in a
    request of its own: nobody's session, nothing of the request that asked for it."""
    url, root = url_for(endpoint), request.script_root
    app = current_app._get_current_object()
    with app.app_context(), app.test_request_context(
        url[len(root):], base_url=request.host_url + root.lstrip("/"),
        environ_overrides={INNER_REQUEST: True},
    ):
        response = app.full_dispatch_request()
    if response.status_code != 200:
        raise RuntimeError(f"the kept page {url} answered {response.status_code}")
    headers = {
        name: value for name, value in response.headers.items()
        if name not in PACK_HEADERS_LEFT_OUT
    }
    return {"url": url, "headers": headers, "body": response.get_data(as_text=True)}


@bp.get("/write")
def write():
    """The offline-capable editor. It holds no journal text and no account: the script
    asks /api/session who is signed in and reads drafts from the device."""
    return shell_page("pwa/write.html")


@bp.get("/capture")
def capture():
    """Gentle capture: feelings, the body, a voice note, one line. Like the editor, it holds
    nothing personal and saves on the device first (static/js/capture.js)."""
    return shell_page("pwa/capture.html", microphone=True, **capture_vocabulary())


def capture_vocabulary() -> dict:
    return {
        "families": FEELING_FAMILIES, "intensities": INTENSITIES, "regions": BODY_REGIONS,
        "sides": BODY_SIDES, "qualities": BODY_QUALITIES, "voice_hint": CAPTURE_VOICE_HINT,
    }


@bp.get("/offline")
def offline():
    return shell_page("pwa/offline.html")
