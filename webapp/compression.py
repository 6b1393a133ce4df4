"""Gzip for the app's own code and styles, so a phone on a weak signal downloads little.

Only static files and the service worker are compressed. Pages are not: they carry the
CSRF token next to text a visitor can influence, which compression would let an attacker
probe (BREACH). Static files are compressed once per version and kept in memory.
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
}
MIN_SIZE = 512
# Generated answers with no secret in them: the service worker and the manifest.
DYNAMIC_ENDPOINTS = {"pwa.service_worker", "pwa.manifest"}


@lru_cache(maxsize=256)
def _gzipped_file(path: str, mtime_ns: int, size: int) -> bytes:
    return gzip.compress(Path(path).read_bytes(), compresslevel=9, mtime=0)


def _accepts_gzip() -> bool:
    return "gzip" in request.headers.get("Accept-Encoding", "").lower()


def compress_response(response: Response) -> Response:
    if (
        request.method != "GET"
        or response.status_code != 200
        or response.mimetype not in COMPRESSIBLE
        or "Content-Encoding" in response.headers
    ):
        return response
    response.vary.add("Accept-Encoding")
    if not _accepts_gzip():
        return response
    if request.endpoint == "static":
        path = Path(current_app.static_folder) / (request.view_args or {}).get("filename", "")
        try:
            stat = path.stat()
        except OSError:
            return response
        if stat.st_size < MIN_SIZE:
            return response
        body = _gzipped_file(str(path), stat.st_mtime_ns, stat.st_size)
        if hasattr(response.response, "close"):
            response.response.close()
        response.direct_passthrough = False
        response.set_data(body)
    elif request.endpoint in DYNAMIC_ENDPOINTS:
        data = response.get_data()
        if len(data) < MIN_SIZE:
            return response
        response.set_data(gzip.compress(data, compresslevel=6, mtime=0))
    else:
        return response
    response.headers["Content-Encoding"] = "gzip"
    etag, weak = response.get_etag()
    if etag:  # another representation, another tag
        response.set_etag(etag + "-gz", weak=weak)
    return response


def init_compression(app: Flask) -> None:
    app.after_request(compress_response)
