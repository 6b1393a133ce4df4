"""Logging a journey, choosing a practice or setting an intention plans gentle reminders;
changing or removing them re-plans or cancels them."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from webapp.auth.models import User
from webapp.calendar import zone_of
from webapp.extensions import db
from webapp.intentions import services as intentions
from webapp.journeys import services as journeys
from webapp.practices import services as practices
from webapp.push.models import Reminder
from webapp.types import utcnow


def pending(kind: str) -> list[Reminder]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Reminder)
            .where(Reminder.kind == kind, Reminder.status == "pending")
            .order_by(Reminder.ideal_at)
        )
    )


def alice_user() -> User:
    return db.session.scalar(select(User).where(User.email == "alice@example.org"))


def log_journey(when: datetime):
    user = alice_user()
    local = when.astimezone(zone_of(user))
    fields = journeys.parse_journey_input(
        user, {"date": local.strftime("%Y-%m-%d"), "time": local.strftime("%H:%M"),
               "intention": "to listen"}
    )
    return journeys.create_journey(user, fields)


def test_a_new_journey_plans_its_seven_check_ins(alice):
    journey = log_journey(utcnow() + timedelta(days=2))
    checkins = pending("journey_checkin")
    assert len(checkins) == 7
    assert all(r.series == f"journey:{journey.id}" for r in checkins)
    assert checkins[0].ideal_at == journey.started_at + timedelta(hours=2)
    assert checkins[-1].ideal_at == journey.started_at + timedelta(days=91)


def test_a_journey_logged_afterwards_gets_only_the_check_ins_still_ahead(alice):
    log_journey(utcnow() - timedelta(days=5))
    ahead = pending("journey_checkin")
    assert [r.ideal_at > utcnow() for r in ahead] == [True] * len(ahead)
    assert len(ahead) == 4  # +1 week, +2 weeks, +1 month, +3 months


def test_moving_a_journey_moves_its_check_ins_and_removing_it_cancels_them(alice):
    journey = log_journey(utcnow() + timedelta(days=2))
    later = utcnow() + timedelta(days=10)
    user = alice_user()
    local = later.astimezone(zone_of(user))
    journeys.update_journey(user, journey, journeys.parse_journey_input(
        user, {"date": local.strftime("%Y-%m-%d"), "time": local.strftime("%H:%M")}
    ))
    checkins = pending("journey_checkin")
    assert len(checkins) == 7  # moved, not duplicated
    assert checkins[0].ideal_at == journey.started_at + timedelta(hours=2)

    journeys.delete_journey(user, journey)
    assert pending("journey_checkin") == []


def test_a_scheduled_practice_is_reminded_and_removing_it_stops_that(alice):
    user = alice_user()
    schedule = practices.parse_schedule({"days": ["0", "2", "4"], "time": "07:30"})
    chosen = practices.choose_practice(user, "integration-session", schedule)
    planned = pending("practice")
    assert planned and all(r.url == f"/practices/{chosen.id}" for r in planned)
    zone = zone_of(user)
    assert {r.ideal_at.astimezone(zone).weekday() for r in planned} <= {0, 2, 4}

    practices.remove_practice(user, chosen)
    assert pending("practice") == []


def test_a_practice_without_a_time_is_never_nudged(alice):
    user = alice_user()
    practices.choose_practice(user, "integration-session", practices.parse_schedule({"days": ["0", "1"]}))
    assert pending("practice") == []


def test_intentions_are_revisited_until_integrated_or_let_go(alice):
    user = alice_user()
    intention = intentions.create_intention(user, "walk slowly")
    assert pending("intention")
    intentions.set_intention_status(user, intention, "let_go")
    assert pending("intention") == []
