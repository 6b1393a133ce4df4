"""What to remind of, and when: the check-ins after a journey, practice schedules, occasional
revisits of an intention, and a test a person asks for. Planning again never duplicates."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select, update

from webapp import events
from webapp.auth.models import User
from webapp.calendar import local_to_utc, zone_of
from webapp.content import (
    INTENTION_REVISIT_COPY,
    INTENTION_REVISITS,
    JOURNEY_ARC,
    PRACTICE_REMINDER_COPY,
    TEST_REMINDER_COPY,
)
from webapp.extensions import db
from webapp.push.models import Reminder
from webapp.push.planning import plan, settings_for
from webapp.types import utcnow

log = logging.getLogger(__name__)

PAST_CHECKIN_GRACE = timedelta(hours=1)


def run_daily_upkeep(now: datetime | None = None) -> int:
    """Let every capability plan ahead and tidy up (the ``daily_upkeep`` event); one that
    fails is logged and the others still run. Returns how many ran."""
    ran = 0
    for receiver in list(events.daily_upkeep.receivers_for(None)):
        try:
            receiver(None, now=now or utcnow())
            ran += 1
        except Exception:
            log.exception("daily upkeep %r failed", receiver)
            db.session.rollback()
    return ran


def plan_journey_arc(
    user: User, journey_id, journey_at: datetime, *, now: datetime | None = None
) -> list[Reminder]:
    """Plan (or move, after an edit) the check-ins that follow a journey.

    A journey logged afterwards only gets the check-ins still ahead: the ones whose moment
    has passed are skipped (or cancelled, after an edit), never sent all at once.
    """
    if journey_at.tzinfo is None:
        raise ValueError("journey_at must be an aware datetime")
    now = now or utcnow()
    settings = settings_for(user)
    planned = []
    for step in JOURNEY_ARC:
        key = f"journey:{journey_id}:{step.name}"
        if journey_at.astimezone(UTC) + step.offset < now - PAST_CHECKIN_GRACE:
            db.session.execute(
                update(Reminder)
                .where(Reminder.key == key, Reminder.status == "pending")
                .values(status="cancelled", last_error="its moment passed before it was planned")
                .execution_options(synchronize_session=False)
            )
            continue
        reminder = plan(
            user,
            kind="journey_checkin",
            key=key,
            series=f"journey:{journey_id}",
            ideal_at=journey_at.astimezone(UTC) + step.offset,
            title=step.title,
            body=step.body,
            settings=settings,
        )
        planned.append(reminder)
    db.session.commit()
    return planned


def cancel_series(series: str) -> int:
    """Cancel whatever of a series has not gone out yet; returns how many."""
    result = db.session.execute(
        update(Reminder)
        .where(Reminder.series == series, Reminder.status.in_(("pending", "leased")))
        .values(status="cancelled", last_error="no longer wanted", lease_expires_at=None,
                updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount


def cancel_journey_arc(journey_id) -> int:
    return cancel_series(f"journey:{journey_id}")


def plan_practice_reminders(
    user: User,
    practice_key: str,
    weekdays: Iterable[int],
    local_time: time,
    *,
    title: str = PRACTICE_REMINDER_COPY.title,
    body: str = PRACTICE_REMINDER_COPY.body,
    url: str | None = None,
    days_ahead: int = 14,
    now: datetime | None = None,
) -> list[Reminder]:
    """Plan the next ``days_ahead`` days of a practice schedule (weekdays 0 = Monday) at a
    wall-clock time in the person's timezone, and cancel waiting ones the new schedule
    no longer has. Call again when the schedule changes, and daily to look further ahead."""
    now = now or utcnow()
    zone = zone_of(user)
    days = {int(d) for d in weekdays if 0 <= int(d) <= 6}
    settings = settings_for(user)
    series = f"practice:{user.id}:{practice_key}"  # practice keys may repeat across people
    today = now.astimezone(zone).date()
    wanted_keys: set[str] = set()
    planned = []
    for offset in range(days_ahead + 1):
        day = today + timedelta(days=offset)
        if day.weekday() not in days:
            continue
        moment = local_to_utc(day, local_time, zone)
        if moment <= now:
            continue
        key = f"{series}:{day.isoformat()}"
        wanted_keys.add(key)
        planned.append(plan(user, kind="practice", key=key, series=series, ideal_at=moment,
                            title=title, body=body, url=url, settings=settings))
    for stale in db.session.scalars(
        select(Reminder).where(Reminder.series == series, Reminder.status == "pending")
    ):
        if stale.key not in wanted_keys:
            stale.status = "cancelled"
            stale.last_error = "no longer in the schedule"
    db.session.commit()
    return planned


def plan_intention_revisits(
    user: User, intention_id, set_at: datetime, *, url: str | None = None
) -> list[Reminder]:
    """An occasional, light revisit of an intention a person set."""
    settings = settings_for(user)
    planned = [
        plan(
            user,
            kind="intention",
            key=f"intention:{intention_id}:{name}",
            series=f"intention:{intention_id}",
            ideal_at=set_at.astimezone(UTC) + offset,
            title=INTENTION_REVISIT_COPY.title,
            body=INTENTION_REVISIT_COPY.body,
            url=url,
            settings=settings,
        )
        for name, offset in INTENTION_REVISITS
    ]
    db.session.commit()
    return planned


def cancel_intention_revisits(intention_id) -> int:
    return cancel_series(f"intention:{intention_id}")


def plan_test_reminder(user: User, now: datetime | None = None) -> Reminder:
    """A reminder right now, so a person can see that their device receives them.
    It ignores quiet hours, pause and the cap: they asked for it."""
    now = now or utcnow()
    reminder_id = uuid.uuid4()
    reminder = Reminder(
        id=reminder_id,
        user_id=user.id,
        kind="test",
        key=f"test:{reminder_id}",
        series=f"test:{user.id}",
        ideal_at=now,
        due_at=now,
        next_attempt_at=now,
        title=TEST_REMINDER_COPY.title,
        body=TEST_REMINDER_COPY.body,
        url="/settings/reminders",
        status="pending",
        attempts=0,
        fencing_token=0,
    )
    db.session.add(reminder)
    db.session.commit()
    return reminder


