"""The installable app: the manifest, the service worker, and the pages it keeps.

Only the app itself is kept on the device: styles, scripts, icons and the pages that carry
no journal text (the editor, capture, the crisis lines and the offline page), which fill
themselves from the device's own store. Journal pages are never stored.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from flask import Response, current_app, render_template, request, url_for

from webapp.content import (
    BODY_QUALITIES,
    BODY_REGIONS,
    BODY_SIDES,
    CAPTURE_VOICE_HINT,
    FEELING_FAMILIES,
    INTENSITIES,
)
from webapp.pwa import bp
from webapp.web.templating import asset_url
from webapp.web.views import shell_page

THEME_COLOUR = "#2e6a4e"
BACKGROUND_COLOUR = "#f6f4ee"

# Static files every page may need, by path under static/.
SHELL_ASSETS = [
    "css/tend.css",
    "js/theme.js",
    "js/capture.js",
    "js/kept-plan.js",
    "js/device.js",
    "vendor/htmx/htmx-2.0.11.min.js",
    "js/app.js",
    "js/drafts.js",
    "js/sync-core.js",
    "js/pwa.js",
    "js/editor.js",
    "js/integration.js",
    "js/lock.js",
    "js/media-store.js",
    "js/media-sync.js",
    "js/recording.js",
    "js/recorder.js",
    "js/drawing.js",
    "icons/icon-192.png",
    "icons/favicon-32.png",
]
# The pages offline people land on; their templates feed the cache version.
SHELL_PAGES = [
    "pwa.write", "pwa.capture", "pwa.offline", "support.offline", "media.record", "media.draw",
]
SHELL_TEMPLATES = [
    "base.html", "_icons.html", "_forms.html", "_flashes.html", "pwa/write.html",
    "pwa/capture.html", "_body_map.html", "pwa/offline.html", "pwa/sw.js",
    "support/offline.html", "support/_resources.html",
    "media/record.html", "media/draw.html", "media/_details.html",
]
# How long a page may keep the network silent before the offline shell answers instead
# (one bar of signal: the request neither fails nor finishes). The real page follows.
NAVIGATION_PATIENCE_MS = 4000


def precache_urls() -> list[str]:
    """Everything the service worker stores on install, with the URLs pages really use."""
    return [asset_url(name) for name in SHELL_ASSETS] + [url_for(name) for name in SHELL_PAGES]


def cache_version() -> str:
    """Changes whenever any cached file or shell template changes, so devices update."""
    return _cache_version(tuple(precache_urls()), current_app.template_folder)


@cache
def _cache_version(urls: tuple[str, ...], template_folder: str) -> str:
    digest = hashlib.sha256("\n".join(urls).encode())
    for name in SHELL_TEMPLATES:
        digest.update((Path(template_folder) / name).read_bytes())
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
    """Rendered, so the precache list holds the same versioned URLs the pages use."""
    body = render_template(
        "pwa/sw.js", version=cache_version(), precache=precache_urls(),
        patience_ms=NAVIGATION_PATIENCE_MS,
    )
    response = Response(body, mimetype="text/javascript")
    # Always revalidated, so a new version reaches devices on their next visit.
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    response.set_etag(cache_version())
    return response.make_conditional(request)


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
