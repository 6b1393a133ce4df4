"""Snooze tokens: a notification's "Later" carries a signed token naming its reminder, so the
service worker (or the Later page) can snooze it without a session or a CSRF token.

Signed with itsdangerous under a salt of their own and valid for two weeks, long enough for
a notification left on a phone, short enough that an old one leads nowhere.
"""

from __future__ import annotations

import uuid

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer

from webapp.extensions import db
from webapp.push.models import Reminder

SNOOZE_SALT = "tend-reminder-snooze"
SNOOZE_TOKEN_MAX_AGE = 14 * 24 * 3600


class SnoozeTokens:
    def __init__(self, secret_key: str, max_age: int = SNOOZE_TOKEN_MAX_AGE):
        self._serializer = URLSafeTimedSerializer(secret_key, salt=SNOOZE_SALT)
        self.max_age = max_age

    def dumps(self, reminder_id: uuid.UUID | str) -> str:
        return self._serializer.dumps(str(uuid.UUID(str(reminder_id))))

    def loads(self, token: str) -> uuid.UUID | None:
        """The reminder's id, or None for a forged, altered, expired or malformed token."""
        try:
            return uuid.UUID(self._serializer.loads(token, max_age=self.max_age))
        except (BadData, ValueError, TypeError):
            return None


def reminder_from_snooze_token(token: str) -> Reminder | None:
    reminder_id = SnoozeTokens(current_app.config["SECRET_KEY"]).loads(token)
    return db.session.get(Reminder, reminder_id) if reminder_id else None
