"""Accounts."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.types import UTCDateTime, utcnow


def new_login_token() -> str:
    return secrets.token_urlsafe(24)


class User(UserMixin, db.Model):
    """A person with a journal. ``login_token`` identifies their sessions; rotating it ends them."""

    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    login_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_login_token)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # Grows whenever any of their entries changes; keys the rendered-timeline cache.
    journal_version: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def get_id(self) -> str:
        """Sessions carry the login token, not the id, so a password change can end them all."""
        return self.login_token

    def __repr__(self) -> str:
        return f"<User {self.id}>"
