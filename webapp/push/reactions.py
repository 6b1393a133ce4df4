"""Reminders follow what happens elsewhere in Tend: journeys, practices and intentions announce
their changes (``webapp.events``) and are planned or cancelled here."""

from __future__ import annotations

from datetime import time, timedelta

from flask import current_app
from sqlalchemy import delete, select

from webapp import events
from webapp.auth.models import User
from webapp.content import PRACTICES_BY_ID, practice_reminder_title
from webapp.extensions import db
from webapp.practices.models import ChosenPractice
from webapp.push import schedules
from webapp.push.models import Delivery
from webapp.types import utcnow


@events.journey_saved.connect
def plan_check_ins(user: User, journey, **_) -> None:
    schedules.plan_journey_arc(user, journey.id, journey.started_at)


@events.journey_removed.connect
def cancel_check_ins(user: User, journey_id, **_) -> None:
    schedules.cancel_journey_arc(journey_id)


@events.practice_scheduled.connect
def plan_practice(user: User, chosen: ChosenPractice, **_) -> None:
    """Remind on the practice's schedule; a practice without a time of day is never nudged."""
    practice = PRACTICES_BY_ID.get(chosen.practice_id)
    schedules.plan_practice_reminders(
        user,
        chosen.practice_id,
        chosen.weekday_list if chosen.time_of_day else [],
        chosen.time_of_day or time(0),
        title=practice_reminder_title(practice.name if practice else None),
        url=f"/practices/{chosen.id}",
    )


@events.practice_removed.connect
def cancel_practice(user: User, practice_id: str, **_) -> None:
    schedules.plan_practice_reminders(user, practice_id, [], time(0))  # nothing left to plan


@events.intention_active.connect
def plan_revisits(user: User, intention, **_) -> None:
    schedules.plan_intention_revisits(user, intention.id, intention.updated_at)


@events.intention_closed.connect
def cancel_revisits(user: User, intention_id, **_) -> None:
    schedules.cancel_intention_revisits(intention_id)


@events.daily_upkeep.connect
def plan_practices_ahead(sender, **_) -> int:
    """Once a day, every scheduled practice is planned two weeks ahead."""
    count = 0
    for chosen in db.session.scalars(
        select(ChosenPractice).where(ChosenPractice.time_of_day.is_not(None))
    ):
        plan_practice(db.session.get(User, chosen.user_id), chosen)
        count += 1
    return count


@events.daily_upkeep.connect
def prune_delivery_records(sender, now=None, **_) -> int:
    """What push services answered is kept ``PUSH_DELIVERY_RETENTION_DAYS`` (30), then goes."""
    days = current_app.config["PUSH_DELIVERY_RETENTION_DAYS"]
    cutoff = (now or utcnow()) - timedelta(days=days)
    result = db.session.execute(delete(Delivery).where(Delivery.attempted_at < cutoff))
    db.session.commit()
    return result.rowcount
