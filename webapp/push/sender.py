"""Encrypting and posting Web Push messages over one shared aiohttp session.

pywebpush does the aes128gcm encryption (RFC 8188/8291); this module adds what a reliable
sender needs around it: explicit timeouts, VAPID headers signed once per push-service
origin, TTL/Urgency/Topic, only public push services (``webapp.push.endpoints``), and a plain
verdict for every answer, handed back as soon as it arrives.

Whatever a push service answers is untrusted: any status, any bytes, any length, a reset
connection or a slow drip. At most a few kilobytes of a refusal are read, and what is kept
of it is printable text of bounded length (``clean_detail``), so it can always be recorded.
"""

from __future__ import annotations

import asyncio
import json
import logging
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

import aiohttp
from pywebpush import WebPusher

from webapp.push.endpoints import EndpointPolicy, PublicOnlyResolver, UnsafeAddress
from webapp.push.vapid import VapidSigner
from webapp.types import utcnow

log = logging.getLogger(__name__)

# RFC 8291: 4096-byte records minus the 86-byte header, 16-byte tag and 1 padding delimiter.
MAX_PLAINTEXT = 3993
DECLARATIVE_PUSH = 8030
# How much of a refusal's body is read, and how much of it is kept.
MAX_ANSWER_BYTES = 4096
MAX_DETAIL = 240


def clean_detail(text: object, limit: int = MAX_DETAIL) -> str:
    """Printable text of at most ``limit`` characters: no NUL, no control characters, no
    lone surrogates (PostgreSQL refuses the first and UTF-8 the last), runs of space as one."""
    text = text if isinstance(text, str) else str(text or "")
    printable = "".join(ch if ch.isprintable() else " " for ch in text[: limit * 4])
    return " ".join(printable.split())[:limit]


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
    value = value.strip()[:64]
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - utcnow()).total_seconds())


def classify(status: int, retry_after: str | None) -> tuple[str, float | None]:
    if status in (200, 201, 202):
        return "sent", None
    if status in (404, 410):
        return "gone", None
    if status == 413:
        return "too_large", None
    if status == 429:
        return "rate_limited", parse_retry_after(retry_after)
    if 500 <= status < 600:
        return "retry", parse_retry_after(retry_after)
    return "rejected", None  # any other answer, including statuses HTTP does not have


async def _beginning(response: aiohttp.ClientResponse) -> bytes:
    """At most MAX_ANSWER_BYTES of an answer's body (the timeouts bound how long it takes)."""
    answer = b""
    while len(answer) < MAX_ANSWER_BYTES:
        chunk = await response.content.read(MAX_ANSWER_BYTES - len(answer))
        if not chunk:
            break
        answer += chunk
    return answer


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
        policy: EndpointPolicy | None = None,
    ):
        self.signer = signer
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.concurrency = concurrency
        self.policy = policy or EndpointPolicy()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._session: aiohttp.ClientSession | None = None
        self._thread: threading.Thread | None = None

    # The loop lives in its own thread as long as the sender, so connections are kept alive
    # between batches and callers may be anywhere (even inside another event loop).
    def send_batch(self, messages: list[PushMessage], deadline: float) -> list[PushResult]:
        """Send every message; ``deadline`` (time.monotonic()) bounds the whole batch.
        Results come back in the order of ``messages``."""
        results: list[PushResult | None] = [None] * len(messages)
        for group in self.send_stream(messages, deadline):
            for index, result in group:
                results[index] = result
        return results

    def send_stream(
        self, messages: list[PushMessage], deadline: float
    ) -> Iterator[list[tuple[int, PushResult]]]:
        """Send every message and yield ``(index, result)`` pairs as the answers arrive, in
        groups of whatever arrived together, so each can be recorded at once."""
        if not messages:
            return
        arrived: queue.SimpleQueue = queue.SimpleQueue()
        future = asyncio.run_coroutine_threadsafe(
            self._send_all(messages, deadline, arrived.put), self.loop
        )
        waiting = len(messages)
        while waiting:
            try:
                group = [arrived.get(timeout=0.5)]
            except queue.Empty:
                if future.done():
                    future.result()  # raises what stopped the batch, if anything did
                    raise RuntimeError("the push sender stopped before every answer came") from None
                continue
            while True:
                try:
                    group.append(arrived.get_nowait())
                except queue.Empty:
                    break
            waiting -= len(group)
            yield group

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

    async def _send_all(self, messages, deadline, report) -> None:
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self.concurrency, limit_per_host=0, ttl_dns_cache=300,
                resolver=PublicOnlyResolver(allow_loopback=self.policy.allow_loopback),
            )
            # No cookies and no decompression: push services answer with neither.
            self._session = aiohttp.ClientSession(
                connector=connector, cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=False,
            )
        gate = asyncio.Semaphore(self.concurrency)

        async def one(index: int, message: PushMessage) -> None:
            async with gate:
                result = await self._send_one(message, deadline)
            report((index, result))

        await asyncio.gather(*(one(n, m) for n, m in enumerate(messages)))

    async def _send_one(self, message: PushMessage, deadline: float) -> PushResult:
        remaining = deadline - time.monotonic()
        if remaining < 1.0:
            return PushResult(message.subscription_id, "not_sent",
                              detail="no time left under the lease")
        refusal = self.policy.refusal(message.endpoint)
        if refusal:
            return PushResult(message.subscription_id, "rejected", detail=refusal)
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
            headers["TTL"] = str(message.ttl)
            headers["Content-Encoding"] = "aes128gcm"
            pusher = WebPusher(_FreshSubscription(
                endpoint=message.endpoint, keys={"p256dh": message.p256dh, "auth": message.auth}))
            body = pusher.encode(message.payload, "aes128gcm")["body"]
            # Never follow a redirect: it could point anywhere, inside the network too.
            async with self._session.post(message.endpoint, data=body, headers=headers,
                                          timeout=timeout, allow_redirects=False) as response:
                status = response.status
                retry_after = response.headers.get("Retry-After")
                # Only a refusal's text is worth reading, and only its beginning.
                answer = b"" if status < 300 else await _beginning(response)
        except TimeoutError:
            return PushResult(message.subscription_id, "retry", detail="timed out")
        except aiohttp.ClientConnectorError as exc:
            if isinstance(exc.os_error, UnsafeAddress):
                return PushResult(message.subscription_id, "rejected",
                                  detail=clean_detail(exc.os_error))
            return self._connection_error(message, exc)
        except aiohttp.ClientError as exc:
            return self._connection_error(message, exc)
        except Exception as exc:  # a broken key or URL in one subscription must not stop a batch
            log.exception("push to %s failed before sending", message.subscription_id)
            return PushResult(message.subscription_id, "rejected",
                              detail=clean_detail(f"could not send: {type(exc).__name__}: {exc}"))
        outcome, wait = classify(status, retry_after)
        text = answer.decode("utf-8", errors="replace")
        detail = "" if outcome == "sent" else clean_detail(f"{status} {text}")
        return PushResult(message.subscription_id, outcome, status, wait, detail)

    @staticmethod
    def _connection_error(message: PushMessage, exc: Exception) -> PushResult:
        return PushResult(message.subscription_id, "retry",
                          detail=clean_detail(f"connection error: {type(exc).__name__}: {exc}"))
