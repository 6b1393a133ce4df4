"""Brotli (or gzip) for text answers, so a phone on a weak signal downloads little.

Pages and the manifest are compressed as they are sent by Flask-Compress (Brotli quality 4,
gzip 5: a fraction of a millisecond). Static files, and what the service worker reads (its
script and the pages it keeps), are compressed once per version at the highest quality and
kept in memory.

Pages carry the CSRF token beside text a visitor can influence (a search term), which
compression could let an eavesdropper probe (BREACH) if another site made the browser load
them. So pages are compressed only when the browser says the request came from Tend
itself or from the person (``Sec-Fetch-Site: same-origin`` or ``none``), never for a
request another site started. Flask-Compress is therefore not registered for every answer:
``compress_response`` decides, and hands it the answers it may compress.
"""

from __future__ import annotations

import gzip
from functools import lru_cache
from pathlib import Path

import brotli
from flask import Flask, Response, current_app, request
from flask.sessions import SecureCookieSessionInterface
from flask_compress import Compress

from webapp.web.security import FILE_ENDPOINTS

COMPRESSIBLE = {
    "text/css",
    "text/javascript",
    "application/javascript",
    "application/json",
    "application/manifest+json",
    "image/svg+xml",
    "text/plain",
    "text/html",
}
MIN_SIZE = 512
# Generated answers with no secret in them.
DYNAMIC_ENDPOINTS = {"pwa.manifest"}
ALGORITHMS = ["br", "gzip"]
ETAG_SUFFIX = {"br": "-br", "gzip": "-gz"}

compress = Compress()


def _pack(data: bytes, algorithm: str) -> bytes:
    if algorithm == "br":
        return brotli.compress(data, quality=11)
    return gzip.compress(data, compresslevel=9, mtime=0)


@lru_cache(maxsize=256)
def _packed_file(path: str, mtime_ns: int, size: int, algorithm: str) -> bytes:
    return _pack(Path(path).read_bytes(), algorithm)


@lru_cache(maxsize=8)
def _packed_bytes(data: bytes, algorithm: str) -> bytes:
    return _pack(data, algorithm)


def packed_response(data: bytes, mimetype: str, etag: str | None = None) -> Response:
    """An answer generated once and then the same for everyone, with no secret in it:
    compressed at the highest quality once, like a static file. With ``etag``, a
    revalidation of the same version is answered with 304."""
    response = Response(data, mimetype=mimetype)
    response.vary.add("Accept-Encoding")
    algorithm = request.accept_encodings.best_match(ALGORITHMS)
    if algorithm is not None and len(data) >= MIN_SIZE:
        response.set_data(_packed_bytes(data, algorithm))
        response.headers["Content-Encoding"] = algorithm
        if etag:
            etag += ETAG_SUFFIX[algorithm]
    if etag:
        response.set_etag(etag)
        response = response.make_conditional(request)
    return response


def _started_by_tend_or_the_person() -> bool:
    return request.headers.get("Sec-Fetch-Site") in {"same-origin", "none"}


# What a static file's answer carries that a phone does not need: the file name (it is in the
# URL), a second expiry (Cache-Control says it), a second validator (the ETag), and ranges
# (text is sent whole).
STATIC_HEADERS_LEFT_OUT = ("Content-Disposition", "Expires", "Last-Modified", "Accept-Ranges")


def _lighter_static_headers(response: Response) -> None:
    for name in STATIC_HEADERS_LEFT_OUT:
        response.headers.pop(name, None)
    version = request.args.get("v")
    if version and response.get_etag()[0]:
        response.set_etag(version)  # the content's hash already: short and exact


def _static_file(response: Response) -> Response:
    """A static file, compressed once per version, answering revalidations with 304."""
    algorithm = request.accept_encodings.best_match(ALGORITHMS)
    if algorithm is None:
        return response
    path = Path(current_app.static_folder) / (request.view_args or {}).get("filename", "")
    try:
        stat = path.stat()
    except OSError:
        return response
    if stat.st_size < MIN_SIZE:
        return response
    body = _packed_file(str(path), stat.st_mtime_ns, stat.st_size, algorithm)
    if hasattr(response.response, "close"):
        response.response.close()
    response.direct_passthrough = False
    response.set_data(body)
    response.headers["Content-Encoding"] = algorithm
    etag, weak = response.get_etag()
    if etag:
        # Another representation, another tag; and answer revalidations with 304.
        response.set_etag(etag + ETAG_SUFFIX[algorithm], weak=weak)
        response = response.make_conditional(request)
    return response


def compress_response(response: Response) -> Response:
    if request.endpoint == "static" and response.status_code in (200, 304):
        _lighter_static_headers(response)
    if (
        request.method != "GET"
        or response.status_code != 200
        or response.mimetype not in COMPRESSIBLE
        or "Content-Encoding" in response.headers
    ):
        return response
    response.vary.add("Accept-Encoding")
    if request.endpoint == "static":
        return _static_file(response)
    if response.mimetype == "text/html":
        response.vary.add("Sec-Fetch-Site")
        if not _started_by_tend_or_the_person():
            return response
    elif request.endpoint not in DYNAMIC_ENDPOINTS:
        return response
    return compress.after_request(response)


# Answers that never depend on who asks: files, and the service worker's script.
SAME_FOR_EVERYONE = FILE_ENDPOINTS | {"pwa.service_worker"}


class FileAwareSessions(SecureCookieSessionInterface):
    """Flask adds ``Vary: Cookie`` to every answer whose request looked at the session, and
    Flask-Login looks after every request; but a file never depends on who asks."""

    def save_session(self, app, session, response) -> None:
        super().save_session(app, session, response)
        if request.endpoint in SAME_FOR_EVERYONE and not session.modified:
            others = [name for name in response.vary if name.lower() != "cookie"]
            response.headers.pop("Vary", None)
            if others:
                response.headers["Vary"] = ", ".join(others)


def init_compression(app: Flask) -> None:
    app.config.update(
        COMPRESS_REGISTER=False,  # compress_response chooses what may be compressed
        COMPRESS_ALGORITHM=ALGORITHMS,
        COMPRESS_STREAMS=False,
        COMPRESS_BR_LEVEL=4,
        COMPRESS_LEVEL=5,
        COMPRESS_MIN_SIZE=MIN_SIZE,
    )
    compress.init_app(app)
    app.after_request(compress_response)
    app.session_interface = FileAwareSessions()
