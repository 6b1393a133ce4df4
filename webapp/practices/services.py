"""Practice rules: choosing from the catalogue, schedules, logging, gentle weekly counts.

Schedules are days of the week and a wall-clock time in the person's timezone; "today"
and "this week" are their local calendar, so a practice done at 23:30 counts for that day.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import abort
from sqlalchemy import bindparam, case, delete, func, select

from webapp import events
from webapp.auth.models import User, note_content_changed
from webapp.calendar import local_date, week_start, zone_of
from webapp.content import PRACTICES_BY_ID, WEEKDAY_NAMES, Practice
from webapp.errors import ValidationError
from webapp.extensions import db
from webapp.practices.models import EVERY_DAY, ChosenPractice, PracticeLog
from webapp.types import utcnow, whole_number

NOTE_MAX = 5_000


@dataclass(frozen=True)
class Schedule:
    weekdays: int
    time_of_day: time | None


def _values(data: Mapping[str, object], name: str) -> list[object]:
    getlist = getattr(data, "getlist", None)
    if getlist is not None:
        return list(getlist(name))
    value = data.get(name)
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def parse_schedule(data: Mapping[str, object]) -> Schedule:
    """Days ("0" = Monday … "6" = Sunday) and an optional "HH:MM" time."""
    errors: dict[str, str] = {}
    mask = 0
    days = _values(data, "days")
    for value in days:
        day = whole_number(value)
        if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6:
            errors["days"] = "Days are Monday to Sunday; please tick them in the list."
            break
        mask |= 1 << day
    if not days:
        errors["days"] = "Choose at least one day. Every day is fine too."

    raw_time = data.get("time")
    clock = None
    if raw_time not in (None, ""):
        try:
            clock = time.fromisoformat(str(raw_time).strip())
        except ValueError:
            errors["time"] = "Please give the time like 07:30, or leave it empty."
        else:
            if clock.tzinfo is not None or clock.second or clock.microsecond:
                errors["time"] = "Please give the time like 07:30, or leave it empty."
                clock = None
    if errors:
        raise ValidationError(errors)
    return Schedule(mask, clock)


def describe_schedule(chosen: ChosenPractice, clock=lambda t: t.strftime("%H:%M")) -> str:
    """"Weekdays at 08:00"; ``clock`` writes the time as the reader's locale does."""
    if chosen.weekdays == EVERY_DAY:
        days = "Every day"
    elif chosen.weekdays == 0b0011111:
        days = "Weekdays"
    elif chosen.weekdays == 0b1100000:
        days = "Weekends"
    else:
        days = ", ".join(WEEKDAY_NAMES[d] for d in chosen.weekday_list)
    return f"{days} at {clock(chosen.time_of_day)}" if chosen.time_of_day else days


def practice_or_error(practice_id: object) -> Practice:
    practice = PRACTICES_BY_ID.get(practice_id) if isinstance(practice_id, str) else None
    if practice is None:
        raise ValidationError(
            {"practice": "That practice isn’t in the catalogue. Please pick one from the list."}
        )
    return practice


def choose_practice(user: User, practice_id: object, schedule: Schedule) -> ChosenPractice:
    """Add a catalogue practice to the person's own, or reschedule it if already chosen."""
    practice = practice_or_error(practice_id)
    chosen = db.session.scalar(
        select(ChosenPractice).where(
            ChosenPractice.user_id == user.id, ChosenPractice.practice_id == practice.id
        )
    )
    if chosen is None:
        chosen = ChosenPractice(user_id=user.id, practice_id=practice.id, created_at=utcnow())
        db.session.add(chosen)
    return reschedule(user, chosen, schedule)


def reschedule(user: User, chosen: ChosenPractice, schedule: Schedule) -> ChosenPractice:
    chosen.weekdays = schedule.weekdays
    chosen.time_of_day = schedule.time_of_day
    db.session.commit()
    events.practice_scheduled.send(user, chosen=chosen)
    return chosen


def remove_practice(user: User, chosen: ChosenPractice) -> None:
    """Take a practice off the list; its history goes with it (ON DELETE CASCADE)."""
    practice_id = chosen.practice_id
    db.session.delete(chosen)
    db.session.commit()
    events.practice_removed.send(user, practice_id=practice_id)


def get_chosen_or_404(user: User, chosen_id: uuid.UUID) -> ChosenPractice:
    chosen = db.session.scalar(
        select(ChosenPractice).where(
            ChosenPractice.id == chosen_id, ChosenPractice.user_id == user.id
        )
    )
    if chosen is None:
        abort(404)
    return chosen


def _in_order(chosen: ChosenPractice) -> tuple:
    """Practices by the time of day they are planned for (unplanned last), then by name."""
    return (chosen.time_of_day or time.max, name_of(chosen))


def chosen_practices(user: User) -> list[ChosenPractice]:
    items = db.session.scalars(select(ChosenPractice).where(ChosenPractice.user_id == user.id))
    return sorted(items, key=_in_order)


def name_of(chosen: ChosenPractice) -> str:
    practice = PRACTICES_BY_ID.get(chosen.practice_id)
    return practice.name if practice else chosen.practice_id


def parse_note(data: Mapping[str, object]) -> str | None:
    note = data.get("note")
    if note is None or note == "":
        return None
    if not isinstance(note, str):
        raise ValidationError({"note": "The note must be text."})
    note = note.replace("\r\n", "\n").strip()
    if len(note) > NOTE_MAX:
        raise ValidationError({"note": f"A note can be up to {NOTE_MAX:,} characters."})
    return note or None


def log_done(
    user: User, chosen: ChosenPractice, note: str | None = None, moment: datetime | None = None
) -> PracticeLog:
    moment = moment or utcnow()
    log = PracticeLog(
        user_id=user.id,
        chosen_practice_id=chosen.id,
        done_on=local_date(moment, zone_of(user)),
        done_at=moment,
        note=note,
    )
    db.session.add(log)
    db.session.commit()
    return log


def undo_today(user: User, chosen: ChosenPractice, moment: datetime | None = None) -> int:
    """Untick: forget today's logs of this practice. Returns how many were removed."""
    today = local_date(moment or utcnow(), zone_of(user))
    result = db.session.execute(
        delete(PracticeLog).where(
            PracticeLog.user_id == user.id,
            PracticeLog.chosen_practice_id == chosen.id,
            PracticeLog.done_on == today,
        )
    )
    note_content_changed(db.session, [user.id])
    db.session.commit()
    return result.rowcount or 0


@dataclass(frozen=True)
class PracticeToday:
    chosen: ChosenPractice
    practice: Practice | None
    scheduled_today: bool
    done_today: bool
    times_this_week: int

    @property
    def name(self) -> str:
        return self.practice.name if self.practice else self.chosen.practice_id

    @property
    def gentle_count(self) -> str:
        n = self.times_this_week
        if n == 0:
            return "Not yet this week, and that’s okay"
        return "Once this week" if n == 1 else f"{n} times this week"


_WEEK = (
    select(
        PracticeLog.chosen_practice_id,
        func.count().label("times"),
        func.max(case((PracticeLog.done_on == bindparam("today"), 1), else_=0)).label("done"),
    )
    .where(
        PracticeLog.user_id == bindparam("user_id"),
        PracticeLog.done_on >= bindparam("monday"),
        PracticeLog.done_on <= bindparam("today"),
    )
    .group_by(PracticeLog.chosen_practice_id)
    .subquery()
)
# Built once: each chosen practice with this week's ticks and whether today's is done.
_CHOSEN_WITH_WEEK = (
    select(ChosenPractice, _WEEK.c.times, _WEEK.c.done)
    .outerjoin(_WEEK, _WEEK.c.chosen_practice_id == ChosenPractice.id)
    .where(ChosenPractice.user_id == bindparam("user_id"))
)


def practices_today(
    user: User, moment: datetime | None = None, *, only_scheduled: bool = False
) -> list[PracticeToday]:
    """Each chosen practice with today's state and this week's count, in local time."""
    today = local_date(moment or utcnow(), zone_of(user))
    rows = db.session.execute(
        _CHOSEN_WITH_WEEK, {"user_id": user.id, "today": today, "monday": week_start(today)}
    ).all()
    items = [
        PracticeToday(
            chosen,
            PRACTICES_BY_ID.get(chosen.practice_id),
            chosen.runs_on(today),
            bool(done_today),
            times or 0,
        )
        for chosen, times, done_today in sorted(rows, key=lambda row: _in_order(row[0]))
    ]
    if only_scheduled:
        items = [i for i in items if i.scheduled_today or i.done_today]
    return items


def practice_today(
    user: User, chosen: ChosenPractice, moment: datetime | None = None
) -> PracticeToday:
    return next(i for i in practices_today(user, moment) if i.chosen.id == chosen.id)


def recent_logs(user: User, chosen: ChosenPractice, limit: int = 10) -> list[PracticeLog]:
    return list(
        db.session.scalars(
            select(PracticeLog)
            .where(PracticeLog.user_id == user.id, PracticeLog.chosen_practice_id == chosen.id)
            .order_by(PracticeLog.done_at.desc())
            .limit(limit)
        )
    )


_DONE_PER_DAY = (
    select(PracticeLog.done_on, func.count())
    .where(PracticeLog.user_id == bindparam("user_id"), PracticeLog.done_on >= bindparam("first"))
    .group_by(PracticeLog.done_on)
)


def weekly_counts(
    user: User, weeks: int = 8, moment: datetime | None = None
) -> list[tuple[date, int]]:
    """(Monday, practices done that week) for the last ``weeks`` weeks, oldest first."""
    today = local_date(moment or utcnow(), zone_of(user))
    first = week_start(today) - timedelta(weeks=weeks - 1)
    days = db.session.execute(_DONE_PER_DAY, {"user_id": user.id, "first": first}).all()
    totals = {first + timedelta(weeks=n): 0 for n in range(weeks)}
    for day, count in days:
        totals[week_start(day)] = totals.get(week_start(day), 0) + count
    return sorted(totals.items())
