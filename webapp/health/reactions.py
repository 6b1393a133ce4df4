"""A dispatcher's every round is its heartbeat."""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError

from webapp.events import dispatcher_round
from webapp.extensions import db
from webapp.health.services import record_heartbeat

log = logging.getLogger(__name__)


@dispatcher_round.connect
def _dispatcher_is_alive(sender, **_) -> None:
    try:
        record_heartbeat()
    except SQLAlchemyError:
        db.session.rollback()
        log.warning("could not record the dispatcher's heartbeat")
