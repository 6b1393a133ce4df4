"""Secrets carried in links (reset, invitation, sign-up confirmation): random, and stored
only as their SHA-256, so a copy of the database holds no usable link."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import update

from webapp.extensions import db
from webapp.types import utcnow


def new_link_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def spend_once(model, row_id) -> bool:
    """Mark a single-use row (a code, a link) used, unless another request already did:
    only one of two racing requests gets True. The caller commits."""
    result = db.session.execute(
        update(model).where(model.id == row_id, model.used_at.is_(None)).values(used_at=utcnow())
    )
    return result.rowcount == 1
