"""Planning one reminder: a person's reminder settings (quiet hours, pause, daily cap,
per-kind switches), placing a reminder in their day, creating or moving it by its key,
re-placing waiting ones when settings change, and snoozing.

Every reminder has a unique key, so planning the same thing again updates it in place.
Times are stored in UTC and reasoned about in the person's own timezone; where a reminder
may go in a day is decided by ``webapp.push.placement``; what to plan, by
``webapp.push.schedules``.
"""

from __future__ import annotations

import logging
import uuid
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError

from webapp.auth.models import User
from webapp.calendar import local_day_bounds, zone_of
from webapp.errors import ValidationError
from webapp.extensions import db
from webapp.push.models import Reminder, ReminderSettings
from webapp.push.placement import end_of_quiet_hours, first_moment_with_room
from webapp.types import utcnow

log = logging.getLogger(__name__)

DEFAULT_QUIET_START = time(21, 0)
DEFAULT_QUIET_END = time(8, 0)
DEFAULT_DAILY_CAP = 3
PAUSE_LENGTH = timedelta(days=7)
SNOOZE_LENGTH = timedelta(hours=1)
# Reminders still waiting in these states count towards a day's cap.
COUNTED = ("pending", "leased", "sent")


CAP_CHOICES = range(1, 11)


# --- Settings -----------------------------------------------------------------------------


def settings_for(user_or_id) -> ReminderSettings:
    """The person's settings, or unsaved defaults when they never changed anything."""
    user_id = getattr(user_or_id, "id", user_or_id)
    found = db.session.get(ReminderSettings, user_id)
    if found is not None:
        return found
    return default_settings(user_id)


def default_settings(user_id) -> ReminderSettings:
    """The gentle defaults of someone who never changed anything (not saved)."""
    return ReminderSettings(
        user_id=user_id,
        quiet_start=DEFAULT_QUIET_START,
        quiet_end=DEFAULT_QUIET_END,
        daily_cap=DEFAULT_DAILY_CAP,
        paused_until=None,
        journey_checkin_on=True,
        practice_on=True,
        intention_on=True,
    )


def save_settings(user: User, **changes) -> ReminderSettings:
    """Store new settings and move every waiting reminder to fit them."""
    settings = settings_for(user)
    for name, value in changes.items():
        setattr(settings, name, value)
    db.session.add(settings)
    db.session.flush()
    replace_pending(user)
    db.session.commit()
    return settings


def _parse_time(value: str | None, field: str, errors: dict) -> time | None:
    try:
        return time.fromisoformat((value or "").strip()[:5])
    except ValueError:
        errors[field] = "Please give a time like 21:00."
        return None


def parse_settings_form(form) -> dict:
    """The settings form's fields, checked; raises ValidationError per field."""
    errors: dict[str, str] = {}
    quiet_start = _parse_time(form.get("quiet_start"), "quiet_start", errors)
    quiet_end = _parse_time(form.get("quiet_end"), "quiet_end", errors)
    try:
        daily_cap = int(form.get("daily_cap", ""))
        if daily_cap not in CAP_CHOICES:
            raise ValueError
    except ValueError:
        errors["daily_cap"] = "Please choose between 1 and 10 reminders a day."
        daily_cap = None
    if errors:
        raise ValidationError(errors)
    return {
        "quiet_start": quiet_start,
        "quiet_end": quiet_end,
        "daily_cap": daily_cap,
        "journey_checkin_on": bool(form.get("journey_checkin_on")),
        "practice_on": bool(form.get("practice_on")),
        "intention_on": bool(form.get("intention_on")),
    }


def upcoming(user: User, limit: int = 5) -> list[Reminder]:
    """The next reminders waiting for the person (not tests), soonest first."""
    return list(db.session.scalars(
        select(Reminder)
        .where(Reminder.user_id == user.id, Reminder.status == "pending", Reminder.kind != "test")
        .order_by(Reminder.due_at)
        .limit(limit)
    ))


def pause_for_a_week(user: User, now: datetime | None = None) -> ReminderSettings:
    return save_settings(user, paused_until=(now or utcnow()) + PAUSE_LENGTH)


def resume(user: User) -> ReminderSettings:
    return save_settings(user, paused_until=None)


# --- Placing a reminder in the person's day ------------------------------------------------


def _count_on_day(user_id, day: date, zone, exclude_key: str | None) -> int:
    start, end = local_day_bounds(day, zone)
    query = select(func.count()).select_from(Reminder).where(
        Reminder.user_id == user_id,
        Reminder.kind != "test",
        Reminder.status.in_(COUNTED),
        Reminder.due_at >= start,
        Reminder.due_at < end,
    )
    if exclude_key:
        query = query.where(Reminder.key != exclude_key)
    return db.session.scalar(query) or 0


def place(
    user: User,
    ideal: datetime,
    settings: ReminderSettings | None = None,
    exclude_key: str | None = None,
) -> datetime | None:
    """Where a reminder wanted at ``ideal`` goes (see ``placement.first_moment_with_room``),
    counting the person's reminders already on each day. None if no day has room."""
    settings = settings or settings_for(user)
    zone = zone_of(user)
    return first_moment_with_room(
        ideal, settings, zone, lambda day: _count_on_day(user.id, day, zone, exclude_key)
    )


# --- Planning -----------------------------------------------------------------------------


def plan(
    user: User,
    *,
    kind: str,
    key: str,
    series: str,
    ideal_at: datetime,
    title: str,
    body: str,
    url: str | None = None,
    settings: ReminderSettings | None = None,
) -> Reminder | None:
    """Create or move the reminder with ``key``. Already sent (or sending) ones stay as they
    are; one the person switched off, or that finds no room, is kept as cancelled."""
    settings = settings or settings_for(user)
    reminder = db.session.scalar(select(Reminder).where(Reminder.key == key))
    if reminder is not None and reminder.status not in ("pending", "cancelled"):
        return reminder
    due = place(user, ideal_at, settings, exclude_key=key) if settings.allows(kind) else None
    if reminder is None:
        reminder_id = uuid.uuid4()
        reminder = Reminder(id=reminder_id, user_id=user.id, kind=kind, key=key, attempts=0,
                            fencing_token=0)
        reminder.url = url or f"/reminders/{reminder_id}/write"
        if not _insert(reminder, _fields(kind, series, ideal_at, due, title, body)):
            return plan(user, kind=kind, key=key, series=series, ideal_at=ideal_at,
                        title=title, body=body, url=url, settings=settings)
        return reminder
    if url:
        reminder.url = url
    for name, value in _fields(kind, series, ideal_at, due, title, body).items():
        setattr(reminder, name, value)
    reminder.attempts = 0
    db.session.flush()
    return reminder


def _fields(kind, series, ideal_at, due, title, body) -> dict:
    if due is None:
        status, reason = "cancelled", "switched off, paused past it, or every day was full"
    else:
        status, reason = "pending", None
    return {
        "kind": kind,
        "series": series,
        "ideal_at": ideal_at,
        "due_at": due or ideal_at,
        "next_attempt_at": due or ideal_at,
        "title": title[:120],
        "body": body[:500],
        "status": status,
        "last_error": reason,
        "lease_expires_at": None,
    }


def _insert(reminder: Reminder, fields: dict) -> bool:
    """Insert; False when another request inserted the same key first."""
    for name, value in fields.items():
        setattr(reminder, name, value)
    try:
        with db.session.begin_nested():
            db.session.add(reminder)
    except IntegrityError:
        return False
    return True


def replace_pending(user: User) -> None:
    """Re-place every waiting reminder from the moment it was wanted, in time order, so new
    quiet hours, cap, pause or switches apply to them too."""
    settings = settings_for(user)
    waiting = db.session.scalars(
        select(Reminder)
        .where(
            Reminder.user_id == user.id,
            Reminder.kind != "test",
            or_(
                Reminder.status == "pending",
                and_(Reminder.status == "cancelled", Reminder.ideal_at > utcnow()),
            ),
        )
        .order_by(Reminder.ideal_at)
    ).all()
    for reminder in waiting:  # free their places first, then hand them out again in order
        if reminder.status == "cancelled" and reminder.last_error == "no longer wanted":
            continue
        if reminder.status == "cancelled" and reminder.last_error == "no longer in the schedule":
            continue
        reminder.status = "cancelled"
        reminder.last_error = "being re-placed"
    db.session.flush()
    for reminder in waiting:
        if reminder.last_error != "being re-placed":
            continue
        due = place(user, reminder.ideal_at, settings, exclude_key=reminder.key) \
            if settings.allows(reminder.kind) else None
        fields = _fields(reminder.kind, reminder.series, reminder.ideal_at, due,
                         reminder.title, reminder.body)
        for name, value in fields.items():
            setattr(reminder, name, value)
        db.session.flush()


def snooze(reminder: Reminder, now: datetime | None = None) -> Reminder:
    """"Later": the same reminder again in an hour (outside quiet hours)."""
    now = now or utcnow()
    user = db.session.get(User, reminder.user_id)
    settings = settings_for(user)
    moment = end_of_quiet_hours(now + SNOOZE_LENGTH, settings, zone_of(user))
    reminder.status = "pending"
    reminder.due_at = moment
    reminder.next_attempt_at = moment
    reminder.attempts = 0
    reminder.lease_expires_at = None
    reminder.last_error = None
    db.session.commit()
    return reminder
