"""Ready pages: a signed-in read answered again, byte for byte, without running Flask.

Opening the journal, Today, Practices or Insights is usually a repeat: the same device, the
same cookie, the same headers, nothing changed since. A view that renders such a page may
offer it (``offer_page()``); the middleware then keeps the whole answer (status, headers,
body, as sent) in this process's memory for that device. When exactly the same request
comes again, one indexed query reads the device session and its person, and only if they
read as they did when the page was made (same columns, no lock, no expiry, no touch due:
``unchanged_since``) is the kept answer sent. Anything else, or any doubt, goes the full way
through Flask. The request is still logged and counted.

What a page shows that is not in those two rows is covered by the person's
``content_version``, one of their columns: it grows with any change to what they keep, made
through the ORM anywhere (``webapp.auth.models``) or by any write request of theirs
(``webapp.auth.writes``), so Core statements in views are covered too. What changes
with time alone is covered by the page's own limit: local midnight, the next journey's
start, and never more than ``KEEP_SECONDS``.

Bounded (``MAX_ITEMS``), for minutes at most, never on disk; dropped when the device signs
out or locks and when the account is erased (docs/security.md).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from flask import current_app, request, session
from flask_login import current_user

from webapp import events
from webapp.calendar import local_date, local_day_bounds, zone_of
from webapp.types import utcnow
from webapp.web.views import wants_fragment

MAX_ITEMS = 256
KEEP_SECONDS = 300.0  # a kept page is made again after five minutes at most
ENVIRON_KEY = "tend.ready_page"


@dataclass(frozen=True, slots=True)
class Offer:
    """What a view says about the page it made: whose it is and what it was made from."""

    user_id: object
    device_session_id: object
    token_hash: str
    fingerprint: tuple
    route: str
    seconds: float  # how long it may be sent again at most (the page's own limit)


@dataclass(frozen=True, slots=True)
class ReadyPage:
    offer: Offer
    status: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    until: float  # time.monotonic()


def offer_page(*, changes_at: datetime | None = None) -> None:
    """Let this signed-in page be sent again while the person and this device read the same,
    for ``KEEP_SECONDS`` at most, never past local midnight (the day's prompt, practices and
    phase move on) or ``changes_at`` (when time alone changes it). Only a whole page asked
    for plainly: no query, no htmx swap, no message waiting to be shown."""
    device = current_user.device_session
    if (
        not current_app.config["PAGE_CACHE"] or request.args or wants_fragment()
        or "_flashes" in session or request.url_rule is None
        or device.fingerprint is None  # the request wrote to its device session: read anew
    ):
        return
    now = utcnow()
    zone = zone_of(current_user)
    _, until = local_day_bounds(local_date(now, zone), zone)
    if changes_at is not None and changes_at > now:
        until = min(until, changes_at)
    request.environ[ENVIRON_KEY] = Offer(
        current_user.id, device.id, device.token_hash, device.fingerprint,
        request.url_rule.rule, min(KEEP_SECONDS, (until - now).total_seconds()),
    )


def request_key(environ) -> tuple:
    """Everything an answer may depend on: the address and every request header (the
    cookie, the encodings accepted, htmx's headers …)."""
    return (
        environ.get("wsgi.url_scheme"), environ.get("SCRIPT_NAME", ""),
        environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""),
        tuple(sorted(item for item in environ.items() if item[0].startswith("HTTP_"))),
    )


class ReadyPages:
    """The kept answers, least recently used first."""

    def __init__(self, max_items: int = MAX_ITEMS):
        self.max_items = max_items
        self._items: OrderedDict[tuple, ReadyPage] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: tuple) -> ReadyPage | None:
        with self._lock:
            page = self._items.get(key)
            if page is None:
                return None
            if time.monotonic() >= page.until:
                del self._items[key]
                return None
            self._items.move_to_end(key)
            return page

    def put(self, key: tuple, page: ReadyPage) -> None:
        with self._lock:
            self._items[key] = page
            self._items.move_to_end(key)
            while len(self._items) > self.max_items:
                self._items.popitem(last=False)

    def drop(self, key: tuple) -> None:
        with self._lock:
            self._items.pop(key, None)

    def forget(self, user_id, device_session_id=None) -> None:
        """Drop every page kept for one person's device, or for all their devices."""
        with self._lock:
            for key in [
                key for key, page in self._items.items()
                if page.offer.user_id == user_id
                and device_session_id in (None, page.offer.device_session_id)
            ]:
                del self._items[key]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


ready_pages = ReadyPages()


@events.device_signed_out.connect
@events.device_locked.connect
def _forget_device(user_id, device_session_id=None, **_) -> None:
    ready_pages.forget(user_id, device_session_id)


@events.account_erased.connect
def _forget_person(user_id, **_) -> None:
    ready_pages.forget(user_id)

# (token hash, fingerprint) -> whether the device session and person still read the same.
Check = Callable[[str, tuple], bool]
# (method, route, status code, seconds, bytes): the request log and metrics.
Served = Callable[[str, str, int, float, int], None]


class ReadyPagesMiddleware:
    """WSGI middleware in front of Flask: sends a kept answer when it is still right, and
    keeps the answers views offer."""

    def __init__(self, wsgi_app, check: Check, served: Served, pages: ReadyPages = ready_pages):
        self.wsgi_app = wsgi_app
        self.check = check
        self.served = served
        self.pages = pages

    def __call__(self, environ, start_response) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "GET":
            return self.wsgi_app(environ, start_response)
        key = request_key(environ)
        page = self.pages.get(key) if len(self.pages) else None
        if page is not None:
            started = time.perf_counter()
            if self.check(page.offer.token_hash, page.offer.fingerprint):
                start_response(page.status, list(page.headers))
                self.served("GET", page.offer.route, int(page.status[:3]),
                            time.perf_counter() - started, len(page.body))
                return [page.body]
            self.pages.drop(key)
        return self._keep_if_offered(key, environ, start_response)

    def _keep_if_offered(self, key, environ, start_response) -> Iterable[bytes]:
        answer: dict = {}

        def remembering_start_response(status, headers, exc_info=None):
            answer["status"], answer["headers"] = status, headers
            return start_response(status, headers, exc_info)

        body = self.wsgi_app(environ, remembering_start_response)
        offered: Offer | None = environ.get(ENVIRON_KEY)
        if offered is None or not answer.get("status", "").startswith("200"):
            return body
        headers = tuple(
            (name, value) for name, value in answer["headers"] if name.lower() != "date"
        )
        if any(name.lower() == "set-cookie" for name, _ in headers):
            return body  # the answer changed the session: never send it twice
        try:
            content = b"".join(body)
        finally:
            if hasattr(body, "close"):
                body.close()
        self.pages.put(key, ReadyPage(offered, answer["status"], headers, content,
                                      time.monotonic() + offered.seconds))
        return [content]
