"""Draft ids a device made that another person's entry already holds."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db


class DraftAlias(db.Model):
    """This person's entry for a draft id that was already another person's entry's id.

    Sync answers an id someone else holds exactly as it answers an unused one (``created``),
    so nobody can learn which ids exist by syncing them. The entry is made under a fresh id,
    and this row leads later syncs of the device's id (edits, replays, deletion) to it.
    """

    __tablename__ = "sync_draft_aliases"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    draft_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    entry_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("entries.id", ondelete="CASCADE"), index=True
    )
