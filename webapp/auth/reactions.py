"""Accounts follow the daily upkeep (``webapp.events.daily_upkeep``): the key epochs of
erased accounts are retired, so what they wrote cannot be recovered (``webapp.auth.epochs``)."""

from __future__ import annotations

from webapp import events
from webapp.auth.epochs import retire_erased_epochs
from webapp.crypto import current_keyring


@events.daily_upkeep.connect
def retire_erased_key_epochs(sender, now=None, **_) -> int:
    return retire_erased_epochs(current_keyring(), now)
