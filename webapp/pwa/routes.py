"""Routes of the installable app. None of these pages shows journal text, so the service
worker may keep them; the editor shell fills itself from the device's own draft store."""

from __future__ import annotations

from flask import Response, current_app, make_response, render_template, request

from webapp.pwa import bp, shell


@bp.get("/manifest.webmanifest")
def manifest():
    response = current_app.json.response(shell.manifest())
    response.mimetype = "application/manifest+json"
    response.headers["Cache-Control"] = "no-cache"
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/sw.js")
def service_worker():
    """Rendered, so the precache list holds the same versioned URLs the pages use."""
    body = render_template(
        "pwa/sw.js", version=shell.cache_version(), precache=shell.precache_urls()
    )
    response = Response(body, mimetype="text/javascript")
    # Always revalidated, so a new version reaches devices on their next visit.
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    response.set_etag(shell.cache_version())
    return response.make_conditional(request)


@bp.get("/write")
def write():
    """The offline-capable editor. It holds no journal text and no account: the script
    asks /api/session who is signed in and reads drafts from the device."""
    return _shell_page("pwa/write.html")


@bp.get("/offline")
def offline():
    return _shell_page("pwa/offline.html")


def _shell_page(template: str):
    response = make_response(render_template(template, shell_page=True))
    # The service worker keeps its own copy; browsers and proxies should not.
    response.headers["Cache-Control"] = "no-store"
    return response
