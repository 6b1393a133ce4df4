"""Encrypting and posting Web Push messages with pywebpush over one shared aiohttp session.

pywebpush does the aes128gcm encryption (RFC 8188/8291); this module adds what a reliable
sender needs around it: explicit timeouts (pywebpush would otherwise wait for minutes),
VAPID headers signed once per push-service origin, TTL/Urgency/Topic, and a plain verdict
for every answer.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

import aiohttp
from pywebpush import WebPusher

from webapp.push.vapid import VapidSigner
from webapp.types import utcnow

log = logging.getLogger(__name__)

# RFC 8291: 4096-byte records minus the 86-byte header, 16-byte tag and 1 padding delimiter.
MAX_PLAINTEXT = 3993
DECLARATIVE_PUSH = 8030


@dataclass(frozen=True)
class PushMessage:
    """One encrypted message to one device."""

    subscription_id: object
    endpoint: str
    p256dh: str
    auth: str
    payload: bytes
    ttl: int
    urgency: str = "normal"
    topic: str | None = None


@dataclass
class PushResult:
    """What became of one message.

    ``outcome`` is one of: sent, gone (404/410: the subscription no longer exists),
    too_large (413), rate_limited (429), retry (5xx, timeout, connection error),
    rejected (any other answer), not_sent (no time left under the lease).
    """

    subscription_id: object
    outcome: str
    status_code: int | None = None
    retry_after: float | None = None
    detail: str = ""
    extra: dict = field(default_factory=dict)


def notification_payload(
    *, title: str, body: str, url: str, tag: str, reminder_id: str, snooze_url: str,
    snooze_token: str, later_url: str, icon: str, badge: str,
) -> bytes:
    """A declarative Web Push message (shown by Safari 18.4+ without a service worker; read by
    Tend's service worker everywhere else). Only the prompt and links, never journal text."""

    def encode(body_text: str) -> bytes:
        message = {
            "web_push": DECLARATIVE_PUSH,
            "notification": {
                "title": title,
                "body": body_text,
                "navigate": url,
                "tag": tag,
                "lang": "en",
                "icon": icon,
                "badge": badge,
                "silent": False,
                "data": {"url": url, "reminder": reminder_id, "snooze": snooze_url,
                         "token": snooze_token},
                "actions": [
                    {"action": "write", "title": "Write now", "navigate": url},
                    {"action": "later", "title": "Later", "navigate": later_url},
                ],
            },
        }
        return json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode()

    payload = encode(body)
    kept = body
    while len(payload) > MAX_PLAINTEXT and kept:
        # A character is at most 6 bytes of JSON, so this never cuts more than needed.
        kept = kept[: len(kept) - max(1, (len(payload) - MAX_PLAINTEXT) // 6)]
        payload = encode(kept.rstrip() + "…")
    if len(payload) > MAX_PLAINTEXT:
        raise ValueError("push payload cannot be made small enough")
    return payload


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (a number, or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - utcnow()).total_seconds())


def classify(status: int, retry_after: str | None, text: str) -> tuple[str, float | None]:
    if status in (200, 201, 202):
        return "sent", None
    if status in (404, 410):
        return "gone", None
    if status == 413:
        return "too_large", None
    if status == 429:
        return "rate_limited", parse_retry_after(retry_after)
    if status >= 500:
        return "retry", parse_retry_after(retry_after)
    return "rejected", None


class _FreshSubscription(dict):
    """A subscription dict made for one message: pywebpush's defensive deep copy of it would
    only cost time (a tenth of the sending CPU), so copying returns it as it is."""

    def __deepcopy__(self, memo):
        return self


class PushSender:
    """Sends batches of messages concurrently on a private event loop and aiohttp session."""

    def __init__(
        self,
        signer: VapidSigner,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 10.0,
        concurrency: int = 200,
    ):
        self.signer = signer
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.concurrency = concurrency
        self._loop: asyncio.AbstractEventLoop | None = None
        self._session: aiohttp.ClientSession | None = None
        self._thread: threading.Thread | None = None

    # The loop lives in its own thread as long as the sender, so connections are kept alive
    # between batches and callers may be anywhere (even inside another event loop).
    def send_batch(self, messages: list[PushMessage], deadline: float) -> list[PushResult]:
        """Send every message; ``deadline`` (time.monotonic()) bounds the whole batch."""
        if not messages:
            return []
        future = asyncio.run_coroutine_threadsafe(self._send_all(messages, deadline), self.loop)
        return future.result()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
            self._thread = threading.Thread(target=self._loop.run_forever,
                                            name="tend-push-sender", daemon=True)
            self._thread.start()
        return self._loop

    def close(self) -> None:
        if self._loop is None:
            return
        if self._session is not None:
            asyncio.run_coroutine_threadsafe(self._session.close(), self._loop).result()
            self._session = None
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()
        self._loop = None

    async def _send_all(self, messages, deadline) -> list[PushResult]:
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=self.concurrency, limit_per_host=0,
                                             ttl_dns_cache=300)
            # No cookies and no decompression: push services answer with neither.
            self._session = aiohttp.ClientSession(
                connector=connector, cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=False,
            )
        if len(messages) <= self.concurrency:
            return await asyncio.gather(*(self._send_one(m, deadline) for m in messages))
        gate = asyncio.Semaphore(self.concurrency)

        async def one(message: PushMessage) -> PushResult:
            async with gate:
                return await self._send_one(message, deadline)

        return await asyncio.gather(*(one(m) for m in messages))

    async def _send_one(self, message: PushMessage, deadline: float) -> PushResult:
        remaining = deadline - time.monotonic()
        if remaining < 1.0:
            return PushResult(message.subscription_id, "not_sent",
                              detail="no time left under the lease")
        timeout = aiohttp.ClientTimeout(
            total=min(self.connect_timeout + self.read_timeout, remaining),
            connect=self.connect_timeout,
            sock_read=self.read_timeout,
        )
        try:
            headers = self.signer.headers_for(message.endpoint)
            headers["Urgency"] = message.urgency
            if message.topic:
                headers["Topic"] = message.topic
            pusher = WebPusher(
                _FreshSubscription(endpoint=message.endpoint,
                                   keys={"p256dh": message.p256dh, "auth": message.auth}),
                aiohttp_session=self._session,
            )
            response = await pusher.send_async(
                message.payload, headers, ttl=message.ttl, content_encoding="aes128gcm",
                timeout=timeout,
            )
            # pywebpush has read the body already; only a refusal's text is worth decoding.
            text = "" if response.status < 300 else await response.text()
        except TimeoutError:
            return PushResult(message.subscription_id, "retry", detail="timed out")
        except aiohttp.ClientError as exc:
            return PushResult(message.subscription_id, "retry",
                              detail=f"connection error: {type(exc).__name__}: {exc}"[:240])
        except Exception as exc:  # a broken key or URL in one subscription must not stop a batch
            log.exception("push to %s failed before sending", message.subscription_id)
            return PushResult(message.subscription_id, "rejected",
                              detail=f"could not send: {type(exc).__name__}: {exc}"[:240])
        outcome, retry_after = classify(response.status, response.headers.get("Retry-After"),
                                        text)
        detail = "" if outcome == "sent" else f"{response.status} {text[:200]}".strip()
        return PushResult(message.subscription_id, outcome, response.status, retry_after, detail)
