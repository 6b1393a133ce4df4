"""Pruning rides on the dispatcher's daily upkeep."""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError

from webapp.events import daily_upkeep
from webapp.extensions import db
from webapp.retention.services import prune

log = logging.getLogger(__name__)


@daily_upkeep.connect
def _prune_old_records(sender, now=None, **_) -> None:
    try:
        removed = prune(now)
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("pruning old records failed; trying again tomorrow")
        return
    log.info("pruned old records: %s", ", ".join(f"{n} {what}" for what, n in removed.items()))
