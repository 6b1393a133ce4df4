"""The server's VAPID identity (RFC 8292) and the signed headers sent to push services."""

from __future__ import annotations

import base64
import os
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from flask import Flask
from py_vapid import Vapid02

# Browsers and push services accept at most 24 h; signing for 12 h and renewing an hour
# before the end keeps every header comfortably valid.
TOKEN_LIFETIME = 12 * 3600
RENEW_BEFORE = 3600


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def load_or_create_vapid(private_key: str | None, key_file: Path) -> Vapid02:
    """The key given in configuration, else the one in ``key_file`` (made on first use)."""
    if private_key:
        text = private_key.strip()
        if "-----BEGIN" in text:
            return Vapid02.from_pem(text.encode())
        return Vapid02.from_string(text)
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        vapid = Vapid02()
        vapid.generate_keys()
        pem = vapid.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first: use theirs
            pass
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
    return Vapid02.from_pem(key_file.read_bytes())


def vapid_for(app: Flask) -> Vapid02:
    """The VAPID key: from VAPID_PRIVATE_KEY, else instance/vapid_private_key.pem (0600)."""
    cached = app.extensions.get("tend_vapid")
    if cached is None:
        cached = load_or_create_vapid(
            app.config.get("VAPID_PRIVATE_KEY"),
            Path(app.instance_path) / "vapid_private_key.pem",
        )
        app.extensions["tend_vapid"] = cached
    return cached


def application_server_key(vapid: Vapid02) -> str:
    """The public key as browsers want it for ``pushManager.subscribe`` (base64url)."""
    raw = vapid.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64url(raw)


def origin_of(endpoint: str) -> str:
    parts = urlsplit(endpoint)
    return f"{parts.scheme}://{parts.netloc}"


class VapidSigner:
    """Signs one VAPID header per push-service origin and reuses it until near its expiry.

    Each origin gets its own fresh claims dict: the JWT's ``aud`` must be that origin, and
    a shared dict would carry one service's ``aud`` to the next.
    """

    def __init__(self, vapid: Vapid02, subject: str, clock=time.time):
        self.vapid = vapid
        self.subject = subject
        self.clock = clock
        self._cache: dict[str, tuple[int, dict[str, str]]] = {}
        self._lock = threading.Lock()
        self.signatures_made = 0

    def headers_for(self, endpoint: str) -> dict[str, str]:
        return dict(self.signed_for(origin_of(endpoint))[0])

    def signed_for(self, origin: str) -> tuple[dict[str, str], int]:
        """The headers for ``origin`` (shared: never change them), and the clock time from
        which they must be asked for again."""
        now = int(self.clock())
        with self._lock:
            cached = self._cache.get(origin)
            if cached and cached[0] - now > RENEW_BEFORE:
                return cached[1], cached[0] - RENEW_BEFORE
            expires = now + TOKEN_LIFETIME
            claims = {"sub": self.subject, "aud": origin, "exp": expires}
            headers = self.vapid.sign(claims)
            self.signatures_made += 1
            self._cache[origin] = (expires, headers)
            return headers, expires - RENEW_BEFORE
