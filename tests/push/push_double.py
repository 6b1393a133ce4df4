"""A stand-in for a Web Push service (FCM, Mozilla autopush, Apple) on 127.0.0.1.

It checks what a real push service checks (the VAPID JWT: ES256 signature by the served
public key, ``aud`` equal to its own origin, ``exp`` within 24 hours, ``sub`` present), then
decrypts the aes128gcm body with the subscriber's private key, exactly as the browser would,
and answers 201, or whatever a test scripted: 404, 410, 413, 429 with Retry-After, 500, a
hang, any body (NUL bytes, invalid UTF-8, megabytes), a body dripped a byte at a time, or a
connection reset without an answer.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import threading
import time
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64url_decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Subscriber:
    """A browser's side of a subscription: a P-256 key pair and a 16-byte auth secret."""

    def __init__(self, endpoint: str):
        self.id = endpoint.rsplit("/", 1)[-1]
        self.endpoint = endpoint
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.auth_secret = os.urandom(16)
        raw = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        self.p256dh = b64url(raw)
        self.auth = b64url(self.auth_secret)

    def subscription_json(self, device_label: str = "Test phone") -> dict:
        """What ``PushSubscription.toJSON()`` gives, plus the device label Tend asks for."""
        return {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {"p256dh": self.p256dh, "auth": self.auth},
            "device_label": device_label,
        }

    def decrypt(self, body: bytes) -> bytes:
        return http_ece.decrypt(body, private_key=self.private_key,
                                auth_secret=self.auth_secret, version="aes128gcm")


@dataclass
class Received:
    subscriber_id: str
    headers: dict  # names in lower case
    claims: dict
    plaintext: bytes
    status: int

    @property
    def message(self) -> dict:
        return json.loads(self.plaintext)


@dataclass
class Answer:
    status: int
    retry_after: str | None = None
    hang_seconds: float = 0.0
    body: bytes = b""
    drip_seconds: float = 0.0  # pause before each byte of the body
    reset: bool = False  # close the connection instead of answering
    location: str | None = None  # a Location header (a redirect)


@dataclass
class PushDouble:
    vapid_public_key: str  # base64url, as the server publishes it
    answer_delay: float = 0.0
    received: list[Received] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def __post_init__(self):
        self.subscribers: dict[str, Subscriber] = {}
        self.scripts: dict[str, deque[Answer]] = defaultdict(deque)
        self.default_answer: dict[str, Answer] = {}
        self.lock = threading.Lock()
        self.release = threading.Event()
        self.requests_seen = 0
        double = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                double._handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # --- set-up -----------------------------------------------------------------------------

    def __enter__(self) -> PushDouble:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def new_subscriber(self) -> Subscriber:
        subscriber = Subscriber(f"{self.origin}/push/{uuid.uuid4().hex}")
        self.subscribers[subscriber.id] = subscriber
        return subscriber

    def script(self, subscriber: Subscriber, *answers: Answer) -> None:
        """Answer the next requests for ``subscriber`` like this, in order, then 201."""
        self.scripts[subscriber.id].extend(answers)

    def always(self, subscriber: Subscriber, answer: Answer) -> None:
        self.default_answer[subscriber.id] = answer

    def for_subscriber(self, subscriber: Subscriber) -> list[Received]:
        return [r for r in self.received if r.subscriber_id == subscriber.id]

    # --- serving ----------------------------------------------------------------------------

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length)
        subscriber_id = request.path.rsplit("/", 1)[-1]
        with self.lock:
            self.requests_seen += 1
        problem, claims, plaintext = self._verify(request, subscriber_id, body)
        if problem:
            with self.lock:
                self.problems.append(problem)
            self._reply(request, 400 if "decrypt" in problem else 403, None)
            return
        with self.lock:
            script = self.scripts.get(subscriber_id)
            answer = (script.popleft() if script else None) or self.default_answer.get(
                subscriber_id, Answer(201)
            )
        if answer.hang_seconds:
            self.release.wait(answer.hang_seconds)
        elif self.answer_delay:
            time.sleep(self.answer_delay)
        with self.lock:
            self.received.append(
                Received(subscriber_id, {k.lower(): v for k, v in request.headers.items()},
                         claims, plaintext, answer.status)
            )
        with contextlib.suppress(OSError):  # the sender may have given up waiting
            if answer.reset:
                request.close_connection = True
                request.connection.shutdown(2)
                return
            self._reply(request, answer.status, answer.retry_after, answer.body,
                        answer.drip_seconds, answer.location)

    def _reply(self, request, status: int, retry_after: str | None, body: bytes = b"",
               drip_seconds: float = 0.0, location: str | None = None) -> None:
        request.send_response(status)
        if location is not None:
            request.send_header("Location", location)
        if status == 201:
            request.send_header("Location", f"{self.origin}/message/{uuid.uuid4().hex}")
        if retry_after is not None:
            request.send_header("Retry-After", retry_after)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        if not drip_seconds:
            request.wfile.write(body)
            return
        for byte in body:
            request.wfile.write(bytes([byte]))
            request.wfile.flush()
            if self.release.wait(drip_seconds):
                return

    def _verify(self, request, subscriber_id, body) -> tuple[str | None, dict, bytes]:
        subscriber = self.subscribers.get(subscriber_id)
        if subscriber is None:
            return f"unknown subscription {subscriber_id}", {}, b""
        return verify_push(request.headers, body, origin=self.origin,
                           vapid_public_key=self.vapid_public_key, subscriber=subscriber)


def verify_push(headers, body: bytes, *, origin: str, vapid_public_key: str,
                subscriber: Subscriber) -> tuple[str | None, dict, bytes]:
    """Check a push request the way a push service and then the browser would.

    Returns (problem or None, JWT claims, decrypted plaintext)."""
    authorization = headers.get("Authorization", "")
    scheme, _, params = authorization.partition(" ")
    if scheme.lower() != "vapid":
        return f"Authorization scheme is {scheme!r}, not vapid", {}, b""
    parts = dict(p.strip().split("=", 1) for p in params.split(",") if "=" in p)
    if parts.get("k") != vapid_public_key:
        return "the VAPID key is not the one the application server published", {}, b""
    token = parts.get("t", "")
    try:
        header_b64, claims_b64, signature_b64 = token.split(".")
        header = json.loads(b64url_decode(header_b64))
        claims = json.loads(b64url_decode(claims_b64))
        signature = b64url_decode(signature_b64)
    except ValueError:
        return "the VAPID JWT is malformed", {}, b""
    if header.get("alg") != "ES256" or len(signature) != 64:
        return "the VAPID JWT is not ES256", claims, b""
    public_key = ec.EllipticCurvePublicKey.from_encoded_point(
        ec.SECP256R1(), b64url_decode(vapid_public_key)
    )
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"),
                               int.from_bytes(signature[32:], "big"))
    try:
        public_key.verify(der, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return "the VAPID JWT signature does not verify", claims, b""
    if claims.get("aud") != origin:
        return f"aud {claims.get('aud')!r} is not this push service ({origin})", claims, b""
    now = time.time()
    exp = claims.get("exp")
    if not isinstance(exp, int) or not now < exp <= now + 24 * 3600:
        return f"exp {exp!r} is not within the next 24 hours", claims, b""
    if not claims.get("sub"):
        return "the VAPID JWT has no sub", claims, b""
    if headers.get("Content-Encoding") != "aes128gcm":
        return "the body is not aes128gcm", claims, b""
    if headers.get("TTL") is None:
        return "no TTL header", claims, b""
    try:
        plaintext = subscriber.decrypt(body)
    except Exception as exc:  # noqa: BLE001 - any failure means the browser could not read it
        return f"cannot decrypt the body: {exc!r}", claims, b""
    return None, claims, plaintext
