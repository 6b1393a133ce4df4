"""Snooze tokens: a notification's "Later" carries a signed token naming its reminder, so the
service worker (or the Later page) can snooze it without a session or a CSRF token.

Signed with itsdangerous under a salt of their own and valid for two weeks, long enough for
a notification left on a phone, short enough that an old one leads nowhere.

The dispatcher makes one for every reminder it sends, so ``dumps`` writes itsdangerous's
format itself (the same bytes its ``URLSafeTimedSerializer`` writes for an id, with the key
derived once instead of per token); reading goes through itsdangerous.
"""

from __future__ import annotations

import hmac
import time
import uuid

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode, int_to_bytes

from webapp.extensions import db
from webapp.push.models import Reminder

SNOOZE_SALT = "tend-reminder-snooze"
SNOOZE_TOKEN_MAX_AGE = 14 * 24 * 3600


class SnoozeTokens:
    def __init__(self, secret_key: str, max_age: int = SNOOZE_TOKEN_MAX_AGE, clock=time.time):
        self._serializer = URLSafeTimedSerializer(secret_key, salt=SNOOZE_SALT)
        signer = self._serializer.make_signer()
        self._key = signer.derive_key()
        self._digest = signer.digest_method().name
        self.max_age = max_age
        self.clock = clock
        self._stamped = (-1, b"")  # (second, its base64 timestamp)

    def dumps(self, reminder_id: uuid.UUID | str) -> str:
        """A token for the reminder (a UUID, or its text as the database writes it)."""
        text = str(reminder_id)
        if len(text) != 36 or not text.isascii() or text != text.lower():
            text = str(uuid.UUID(text))  # written the way the database writes it
        # The payload is the JSON string of the id, never compressed (it would not shrink).
        value = base64_encode(b'"%s"' % text.encode())
        second = int(self.clock())
        if self._stamped[0] != second:
            self._stamped = (second, base64_encode(int_to_bytes(second)))
        value += b"." + self._stamped[1]
        signature = base64_encode(hmac.digest(self._key, value, self._digest))
        return (value + b"." + signature).decode()

    def loads(self, token: str) -> uuid.UUID | None:
        """The reminder's id, or None for a forged, altered, expired or malformed token."""
        try:
            return uuid.UUID(self._serializer.loads(token, max_age=self.max_age))
        except (BadData, ValueError, TypeError):
            return None


def reminder_from_snooze_token(token: str) -> Reminder | None:
    reminder_id = SnoozeTokens(current_app.config["SECRET_KEY"]).loads(token)
    return db.session.get(Reminder, reminder_id) if reminder_id else None
