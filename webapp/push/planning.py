"""What is sent when: journey arcs, practice schedules, intention revisits, and the person's
quiet hours, pause, daily cap and per-kind switches.

Every reminder has a unique key, so planning the same thing again updates it in place.
Times are stored in UTC and reasoned about in the person's own timezone.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from webapp.auth.models import User
from webapp.extensions import db
from webapp.push.models import Reminder, ReminderSettings
from webapp.timezones import zone_of
from webapp.types import utcnow

log = logging.getLogger(__name__)

DEFAULT_QUIET_START = time(21, 0)
DEFAULT_QUIET_END = time(8, 0)
DEFAULT_DAILY_CAP = 3
PAUSE_LENGTH = timedelta(days=7)
SNOOZE_LENGTH = timedelta(hours=1)
# A reminder that finds every day full this far ahead is not sent at all.
CAP_SEARCH_DAYS = 14
# Reminders still waiting in these states count towards a day's cap.
COUNTED = ("pending", "leased", "sent")


@dataclass(frozen=True)
class ArcStep:
    """One check-in after a journey: when, and what to gently ask."""

    name: str
    offset: timedelta
    phase: str
    title: str
    body: str


JOURNEY_ARC: tuple[ArcStep, ...] = (
    ArcStep("2h", timedelta(hours=2), "reflection", "A soft landing",
            "What did you feel or see? A few words or a single image is plenty."),
    ArcStep("24h", timedelta(hours=24), "reflection", "A day later",
            "Any dreams, sensations or pictures still with you today?"),
    ArcStep("72h", timedelta(hours=72), "reflection", "Three days on",
            "What part of yourself did you meet or remember?"),
    ArcStep("1w", timedelta(weeks=1), "meaning", "One week on",
            "Which thread from your journey keeps returning? What might it mean to you?"),
    ArcStep("2w", timedelta(weeks=2), "meaning", "Two weeks on",
            "Has an old belief about yourself begun to soften or shift?"),
    ArcStep("1m", timedelta(days=30), "embodiment", "A month on",
            "What's asking to shift in your life, now that you know this?"),
    ArcStep("3m", timedelta(days=91), "embodiment", "Three months on",
            "What have you carried forward from your journey, and what would you like "
            "to tend next?"),
)

INTENTION_REVISITS: tuple[tuple[str, timedelta], ...] = (
    ("3d", timedelta(days=3)),
    ("2w", timedelta(weeks=2)),
    ("6w", timedelta(weeks=6)),
)


# --- Looking ahead ------------------------------------------------------------------------

# Functions that plan what lies ahead (say, every chosen practice's next two weeks). Each
# long-running dispatcher calls them once a day; `flask reminders plan-ahead` does it from
# cron. Planning is idempotent, so several dispatchers calling them is harmless.
DAILY_PLANNERS: list[Callable[[], object]] = []


def register_daily_planner(planner: Callable[[], object]) -> Callable[[], object]:
    if planner not in DAILY_PLANNERS:
        DAILY_PLANNERS.append(planner)
    return planner


def run_daily_planners() -> int:
    """Run every registered planner; one that fails is logged and the others still run."""
    ran = 0
    for planner in list(DAILY_PLANNERS):
        try:
            planner()
            ran += 1
        except Exception:
            log.exception("daily reminder planner %r failed", planner)
            db.session.rollback()
    return ran


# --- Settings -----------------------------------------------------------------------------


def settings_for(user_or_id) -> ReminderSettings:
    """The person's settings, or unsaved defaults when they never changed anything."""
    user_id = getattr(user_or_id, "id", user_or_id)
    found = db.session.get(ReminderSettings, user_id)
    if found is not None:
        return found
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


def pause_for_a_week(user: User, now: datetime | None = None) -> ReminderSettings:
    return save_settings(user, paused_until=(now or utcnow()) + PAUSE_LENGTH)


def resume(user: User) -> ReminderSettings:
    return save_settings(user, paused_until=None)


# --- Placing a moment in the person's day -------------------------------------------------


def local_to_utc(day: date, at: time, zone: ZoneInfo) -> datetime:
    """A wall-clock time on a day in ``zone`` as UTC.

    In a spring-forward gap the clock time does not exist; the result is the same distance
    past the gap (02:30 becomes 03:30), never earlier. In the autumn overlap the first
    occurrence is used.
    """
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def in_quiet_hours(local: time, start: time, end: time) -> bool:
    if start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end  # the quiet hours cross midnight


def end_of_quiet_hours(moment: datetime, settings: ReminderSettings, zone: ZoneInfo) -> datetime:
    """``moment`` if it is outside quiet hours, else the moment they end (UTC)."""
    local = moment.astimezone(zone)
    start, end = settings.quiet_start, settings.quiet_end
    if not in_quiet_hours(local.time().replace(tzinfo=None), start, end):
        return moment
    day = local.date()
    if start > end and local.time().replace(tzinfo=None) >= start:
        day += timedelta(days=1)
    return local_to_utc(day, end, zone)


def allowed_moment(moment: datetime, settings: ReminderSettings, zone: ZoneInfo) -> datetime:
    """The first moment at or after ``moment`` outside a pause and outside quiet hours."""
    if settings.paused_until is not None and moment < settings.paused_until:
        moment = settings.paused_until
    return end_of_quiet_hours(moment, settings, zone)


def _local_day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    return local_to_utc(day, time(0), zone), local_to_utc(day + timedelta(days=1), time(0), zone)


def _count_on_day(user_id, day: date, zone: ZoneInfo, exclude_key: str | None) -> int:
    start, end = _local_day_bounds(day, zone)
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
    """Where a reminder wanted at ``ideal`` goes: after any pause, out of quiet hours, and
    onto the first day that still has room under the daily cap. None if no day has room."""
    settings = settings or settings_for(user)
    zone = zone_of(user)
    moment = allowed_moment(ideal, settings, zone)
    for _ in range(CAP_SEARCH_DAYS):
        day = moment.astimezone(zone).date()
        if _count_on_day(user.id, day, zone, exclude_key) < settings.daily_cap:
            return moment
        # That day is full: the next day, as soon as it is not quiet any more.
        next_day_start = local_to_utc(day + timedelta(days=1), time(0), zone)
        moment = allowed_moment(next_day_start, settings, zone)
    return None


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


PAST_CHECKIN_GRACE = timedelta(hours=1)


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
    title: str = "A moment for your practice",
    body: str = "Your practice is here whenever you are ready. Even a few breaths count.",
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
            title="Revisiting an intention",
            body="How is the intention you set sitting with you now? Has it changed shape?",
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
        title="Tend is with you",
        body="This is how a gentle reminder will look. Nothing else to do.",
        url="/settings/reminders",
        status="pending",
        attempts=0,
        fencing_token=0,
    )
    db.session.add(reminder)
    db.session.commit()
    return reminder


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
