"""Encrypting and posting Web Push messages, many in flight at once, on a private event loop.

Each message is encrypted by pywebpush (``webapp.push.encryption``, RFC 8291 aes128gcm) and
posted over connections kept alive per push service (``webapp.push.http``); around that, this
module adds
what a reliable sender needs: explicit timeouts, VAPID headers signed once per push-service
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
import re
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import NamedTuple

from webapp.push.encryption import MAX_PLAINTEXT, encrypt
from webapp.push.endpoints import EndpointPolicy, PublicOnlyResolver, UnsafeAddress
from webapp.push.http import AnswerError, ConnectionPool, Origin
from webapp.push.vapid import VapidSigner
from webapp.types import utcnow

log = logging.getLogger(__name__)

DECLARATIVE_PUSH = 8030
_json_string = json.encoder.encode_basestring  # a str as JSON, non-ASCII kept (as dumps does)
MAX_DETAIL = 240  # how much of a refusal is kept
# scheme://host[:port], then the request target (a fragment is never sent)
ENDPOINT = re.compile(r"([a-z][a-z0-9+.-]*://[^/?#]*)([^#]*)")
MAX_ROUTES = 1024


def clean_detail(text: object, limit: int = MAX_DETAIL) -> str:
    """Printable text of at most ``limit`` characters: no NUL, no control characters, no
    lone surrogates (PostgreSQL refuses the first and UTF-8 the last), runs of space as one."""
    text = text if isinstance(text, str) else str(text or "")
    printable = "".join(ch if ch.isprintable() else " " for ch in text[: limit * 4])
    return " ".join(printable.split())[:limit]


class PushMessage(NamedTuple):
    """One encrypted message to one device (a tuple: one is made per message sent)."""

    subscription_id: object
    endpoint: str
    p256dh: str
    auth: str
    payload: bytes
    ttl: int
    urgency: str = "normal"
    topic: str | None = None


@dataclass(slots=True)
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
    Tend's service worker everywhere else). Only the prompt and links, never journal text.

    Written as compact JSON straight from its parts (one per reminder sent, so no dict is
    built and walked): the same bytes as ``json.dumps(message, ensure_ascii=False,
    separators=(",", ":"))`` of the message with its keys in this order."""
    q = _json_string
    navigate = q(url)
    head = f'{{"web_push":{DECLARATIVE_PUSH},"notification":{{"title":{q(title)},"body":'
    tail = (
        f',"navigate":{navigate},"tag":{q(tag)},"lang":"en","icon":{q(icon)},'
        f'"badge":{q(badge)},"silent":false,"data":{{"url":{navigate},'
        f'"reminder":{q(reminder_id)},"snooze":{q(snooze_url)},"token":{q(snooze_token)}}},'
        f'"actions":[{{"action":"write","title":"Write now","navigate":{navigate}}},'
        f'{{"action":"later","title":"Later","navigate":{q(later_url)}}}]}}}}'
    )
    payload = (head + q(body) + tail).encode()
    kept = body
    while len(payload) > MAX_PLAINTEXT and kept:
        # A character is at most 6 bytes of JSON, so this never cuts more than needed.
        kept = kept[: len(kept) - max(1, (len(payload) - MAX_PLAINTEXT) // 6)]
        payload = (head + q(kept.rstrip() + "…") + tail).encode()
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


class _Route:
    """One push-service origin: whether Tend posts there, where to connect, and the request
    heads built for it (one per TTL, Urgency and Topic), renewed with its VAPID JWT."""

    __slots__ = ("refusal", "origin", "audience", "authorization", "renew_at", "heads")

    def __init__(self, prefix: str, policy: EndpointPolicy):
        self.refusal = policy.refusal(prefix + "/")
        self.origin = None if self.refusal else Origin.of(prefix)
        self.audience = prefix
        self.authorization = ""
        self.renew_at = 0
        self.heads: dict[tuple, bytes] = {}


class PushSender:
    """Sends batches of messages concurrently on a private event loop in its own thread."""

    def __init__(
        self,
        signer: VapidSigner,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 10.0,
        concurrency: int = 200,
        policy: EndpointPolicy | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ):
        self.signer = signer
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.concurrency = concurrency
        self.policy = policy or EndpointPolicy()
        self.ssl_context = ssl_context
        self._routes: dict[str, _Route] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pool: ConnectionPool | None = None
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
        self, messages: list[PushMessage], deadline: float, idle: float = 0.5
    ) -> Iterator[list[tuple[int, PushResult]]]:
        """Send every message and yield ``(index, result)`` pairs as the answers arrive, in
        groups of whatever arrived together, so each can be recorded at once; an empty group
        after ``idle`` seconds without an answer."""
        if not messages:
            return
        arrived: queue.SimpleQueue = queue.SimpleQueue()
        future = asyncio.run_coroutine_threadsafe(
            self._send_all(messages, deadline, arrived.put), self.loop
        )
        waiting = len(messages)
        while waiting:
            try:
                group = [arrived.get(timeout=idle)]
            except queue.Empty:
                if not future.done():
                    yield []
                    continue
                future.result()  # raises what stopped the batch, if anything did
                try:  # the last answers may have come between the wait and the look
                    group = [arrived.get_nowait()]
                except queue.Empty:
                    raise RuntimeError("the push sender stopped before every answer came") from None
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
        if self._pool is not None:
            pool, self._pool = self._pool, None

            async def close_all():
                pool.close()
                await asyncio.sleep(0)  # let the transports finish closing

            asyncio.run_coroutine_threadsafe(close_all(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()
        self._loop = None

    async def _send_all(self, messages, deadline, report) -> None:
        if self._pool is None:
            context = self.ssl_context
            if context is None:
                context = self.ssl_context = ssl.create_default_context()
            self._pool = ConnectionPool(
                asyncio.get_running_loop(), connect_timeout=self.connect_timeout,
                read_timeout=self.read_timeout, limit=self.concurrency, ssl_context=context,
                resolver=PublicOnlyResolver(allow_loopback=self.policy.allow_loopback))
        todo = iter(enumerate(messages))

        async def worker() -> None:  # at most ``concurrency`` of these: that many in flight
            for index, message in todo:
                report((index, await self._send_one(message, deadline)))

        await asyncio.gather(*(worker() for _ in range(min(self.concurrency, len(messages)))))

    async def _send_one(self, message: PushMessage, deadline: float) -> PushResult:
        now = time.monotonic()
        if deadline - now < 1.0:
            return PushResult(message.subscription_id, "not_sent",
                              detail="no time left under the lease")
        endpoint = message.endpoint
        found = ENDPOINT.match(endpoint) if endpoint.isascii() and endpoint.isprintable() \
            and " " not in endpoint else None
        if found is None:
            return PushResult(message.subscription_id, "rejected",
                              detail="The push address is not a valid URL.")
        route = self._routes.get(found[1]) or self._route(found[1])
        if route.refusal:
            return PushResult(message.subscription_id, "rejected", detail=route.refusal)
        target = found[2] if found[2].startswith("/") else "/" + found[2]
        try:
            body = encrypt(message.payload, message.p256dh, message.auth, endpoint=endpoint)
            request = b"".join((b"POST ", target.encode(), self._head(route, message),
                                b"%d\r\n\r\n" % len(body), body))
            answer = await self._pool.post(
                route.origin, request,
                min(deadline, now + self.connect_timeout + self.read_timeout))
        except TimeoutError:
            return PushResult(message.subscription_id, "retry", detail="timed out")
        except UnsafeAddress as exc:
            return PushResult(message.subscription_id, "rejected", detail=clean_detail(exc))
        except (OSError, AnswerError) as exc:
            return PushResult(message.subscription_id, "retry",
                              detail=clean_detail(f"connection error: {type(exc).__name__}: {exc}"))
        except Exception as exc:  # a broken key or URL in one subscription must not stop a batch
            if isinstance(exc, ValueError):  # the device's keys (BadSubscriptionKeys)
                log.warning("push to %s not sent: %s", message.subscription_id, exc)
            else:
                log.exception("push to %s failed before sending", message.subscription_id)
            return PushResult(message.subscription_id, "rejected",
                              detail=clean_detail(f"could not send: {type(exc).__name__}: {exc}"))
        outcome, wait = classify(answer.status, answer.retry_after)
        if outcome == "sent":
            return PushResult(message.subscription_id, outcome, answer.status)
        text = answer.body.decode("utf-8", errors="replace")
        detail = clean_detail(f"{answer.status} {text}")
        return PushResult(message.subscription_id, outcome, answer.status, wait, detail)

    def _route(self, prefix: str) -> _Route:
        if len(self._routes) >= MAX_ROUTES:
            self._routes.clear()
        route = self._routes[prefix] = _Route(prefix, self.policy)
        return route

    def _head(self, route: _Route, message: PushMessage) -> bytes:
        """Everything of the request from `` HTTP/1.1`` to ``Content-Length: ``, prebuilt."""
        if self.signer.clock() >= route.renew_at:
            headers, route.renew_at = self.signer.signed_for(route.audience)
            route.authorization, route.heads = headers["Authorization"], {}
        key = (message.ttl, message.urgency, message.topic)
        head = route.heads.get(key)
        if head is None:
            lines = [" HTTP/1.1", f"Host: {route.origin.host_header.decode()}",
                     f"Authorization: {route.authorization}", f"TTL: {int(message.ttl)}",
                     f"Urgency: {message.urgency}"]
            if message.topic:
                lines.append(f"Topic: {message.topic}")
            lines += ["Content-Encoding: aes128gcm", "Content-Type: application/octet-stream",
                      "Content-Length: "]
            head = route.heads[key] = "\r\n".join(lines).encode("latin-1")
        return head
