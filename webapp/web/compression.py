"""Gzip for text answers, so a phone on a weak signal downloads little.

Static files are compressed once per version and kept in memory; the service worker, the
manifest and pages are compressed as they are sent (a fraction of a millisecond).

Pages carry the CSRF token beside text a visitor can influence (a search term), which
compression could let an eavesdropper probe (BREACH) if another site made the browser load
them. So pages are compressed only when the browser says the request came from Tend
itself or from the person (``Sec-Fetch-Site: same-origin`` or ``none``), never for a
request another site started.
"""

from __future__ import annotations

import gzip
from functools import lru_cache
from pathlib import Path

from flask import Flask, Response, current_app, request

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
DYNAMIC_ENDPOINTS = {"pwa.service_worker", "pwa.manifest"}
PAGE_LEVEL = 5


@lru_cache(maxsize=256)
def _gzipped_file(path: str, mtime_ns: int, size: int) -> bytes:
    return gzip.compress(Path(path).read_bytes(), compresslevel=9, mtime=0)


def _accepts_gzip() -> bool:
    return "gzip" in request.headers.get("Accept-Encoding", "").lower()


def _started_by_tend_or_the_person() -> bool:
    return request.headers.get("Sec-Fetch-Site") in {"same-origin", "none"}


def _compressed_body(response: Response) -> bytes | None:
    """The gzipped body, or None when this answer is better sent as it is."""
    if request.endpoint == "static":
        path = Path(current_app.static_folder) / (request.view_args or {}).get("filename", "")
        try:
            stat = path.stat()
        except OSError:
            return None
        if stat.st_size < MIN_SIZE:
            return None
        body = _gzipped_file(str(path), stat.st_mtime_ns, stat.st_size)
        if hasattr(response.response, "close"):
            response.response.close()
        response.direct_passthrough = False
        return body
    if response.mimetype == "text/html":
        if not _started_by_tend_or_the_person():
            return None
    elif request.endpoint not in DYNAMIC_ENDPOINTS:
        return None
    data = response.get_data()
    if len(data) < MIN_SIZE:
        return None
    level = PAGE_LEVEL if response.mimetype == "text/html" else 9
    return gzip.compress(data, compresslevel=level, mtime=0)


def compress_response(response: Response) -> Response:
    if (
        request.method != "GET"
        or response.status_code != 200
        or response.mimetype not in COMPRESSIBLE
        or "Content-Encoding" in response.headers
    ):
        return response
    response.vary.add("Accept-Encoding")
    if response.mimetype == "text/html":
        response.vary.add("Sec-Fetch-Site")
    if not _accepts_gzip():
        return response
    body = _compressed_body(response)
    if body is None:
        return response
    response.set_data(body)
    response.headers["Content-Encoding"] = "gzip"
    etag, weak = response.get_etag()
    if etag:
        # Another representation, another tag; and answer revalidations with 304.
        response.set_etag(etag + "-gz", weak=weak)
        response = response.make_conditional(request)
    return response


def init_compression(app: Flask) -> None:
    app.after_request(compress_response)
