"""A small per-process cache of rendered timeline pages.

Opening the journal is the most frequent request. Its plain first page is kept rendered per
person and device until anything they keep changes (User.content_version), their timezone
changes, or a few minutes pass. It lives only in this process's memory, never on disk, and
is dropped when the device signs out or locks, and when the account is erased.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any

from webapp import events


class RenderedPages:
    def __init__(self, max_items: int = 512, ttl_seconds: float = 300.0):
        self.max_items = max_items
        self.ttl = ttl_seconds
        self._items: OrderedDict[tuple, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Any | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            stored_at, html = item
            if time.monotonic() - stored_at > self.ttl:
                del self._items[key]
                return None
            self._items.move_to_end(key)
            return html

    def put(self, key: tuple, html: Any) -> None:
        with self._lock:
            self._items[key] = (time.monotonic(), html)
            self._items.move_to_end(key)
            while len(self._items) > self.max_items:
                self._items.popitem(last=False)

    def forget(self, user_id, device_session_id=None) -> None:
        """Drop what was rendered for one person's device, or for all their devices.
        Keys start with (person id, device session id)."""
        with self._lock:
            for key in [
                k for k in self._items
                if k[0] == user_id and device_session_id in (None, k[1])
            ]:
                del self._items[key]


timeline_pages = RenderedPages()


@events.device_signed_out.connect
@events.device_locked.connect
def _forget_device(user_id, device_session_id=None, **_) -> None:
    timeline_pages.forget(user_id, device_session_id)


@events.account_erased.connect
def _forget_person(user_id, **_) -> None:
    timeline_pages.forget(user_id)
