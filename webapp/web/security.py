"""HTTP hardening: security headers, caching rules for private pages, secure cookies."""

from __future__ import annotations

from flask import Flask, Response, request
from flask_login import current_user

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        # Memos recorded on the device play from it (blob:) until they have synced.
        "media-src 'self' blob:",
        "connect-src 'self'",
        "font-src 'self'",
        "manifest-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ]
)
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
)
# The pages that record (the recorder, capture's voice slot) ask for the microphone, on this
# origin only; no other page may.
MICROPHONE_PERMISSIONS_POLICY = PERMISSIONS_POLICY.replace("microphone=()", "microphone=(self)")


# Answers that are files, the same for everyone, never a document or a worker: static files,
# the web app manifest, and the kept pages as the service worker fetches them (JSON).
FILE_ENDPOINTS = {"static", "pwa.manifest", "pwa.kept_pages"}
# The service worker's script: its Content-Security-Policy and Referrer-Policy govern it.
WORKER_ENDPOINTS = {"pwa.service_worker"}


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    if request.endpoint not in FILE_ENDPOINTS:
        # Policies that govern documents and workers; a stylesheet, an icon or the manifest
        # ignores them, so files go without (a phone's first visit stays small).
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("Referrer-Policy", "no-referrer")
        if request.endpoint not in WORKER_ENDPOINTS:
            # A document's alone: what it may use, and who may frame it or keep a handle on it.
            headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
            headers.setdefault("X-Frame-Options", "DENY")
            headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if response.mimetype == "text/html":
        # The same URL answers a whole page or an htmx fragment: caches must keep them apart.
        response.vary.add("HX-Request")
        if current_user and current_user.is_authenticated:
            # Pages of a signed-in person may hold journal text: never keep a copy.
            headers["Cache-Control"] = "no-store"
    return response


class SecureCookiesOverHttps:
    """WSGI middleware marking every cookie ``Secure`` when the request came over HTTPS.

    Flask's cookie settings are fixed at start-up; this lets one instance serve plain
    http://127.0.0.1 during set-up and HTTPS behind a proxy without a config change.
    """

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        if environ.get("wsgi.url_scheme") != "https":
            return self.wsgi_app(environ, start_response)

        def secure_start_response(status, headers, exc_info=None):
            fixed = []
            for name, value in headers:
                if name.lower() == "set-cookie" and "; secure" not in value.lower():
                    value += "; Secure"
                fixed.append((name, value))
            return start_response(status, fixed, exc_info)

        return self.wsgi_app(environ, secure_start_response)


def init_security(app: Flask) -> None:
    app.after_request(add_security_headers)
    app.wsgi_app = SecureCookiesOverHttps(app.wsgi_app)
    if app.config["TRUST_PROXY"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Outermost, so the scheme it restores is what the cookie middleware sees.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1, x_prefix=1)
