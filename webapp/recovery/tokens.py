"""Secrets carried in links (reset, invitation, sign-up confirmation): random, and stored
only as their SHA-256, so a copy of the database holds no usable link."""

from __future__ import annotations

import hashlib
import secrets


def new_link_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
