"""Once a day, records older than they need to be are pruned: push delivery records after 30
days, the security log after a year (both configurable), and spent or expired links."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from tests.conftest import run_cli
from webapp.auth.models import SecurityEvent, User
from webapp.events import daily_upkeep
from webapp.extensions import db
from webapp.onboarding.models import Invitation
from webapp.push.models import Delivery
from webapp.push.schedules import plan_test_reminder
from webapp.recovery.models import PasswordReset
from webapp.types import utcnow


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def age_records(alice_id, now):
    reminder = plan_test_reminder(db.session.get(User, alice_id))
    for days in (45, 31, 29, 1):
        db.session.add(Delivery(reminder_id=reminder.id, attempted_at=now - timedelta(days=days),
                                outcome="sent", status_code=201))
    for days in (400, 366, 364, 2):
        db.session.add(SecurityEvent(user_id=alice_id, kind="sign_in",
                                     created_at=now - timedelta(days=days)))
    db.session.add_all([
        PasswordReset(user_id=alice_id, token_hash="a" * 64, created_at=now - timedelta(days=9),
                      expires_at=now - timedelta(days=9) + timedelta(minutes=30)),
        PasswordReset(user_id=alice_id, token_hash="b" * 64, created_at=now,
                      expires_at=now + timedelta(minutes=30)),
        Invitation(token_hash="c" * 64, created_at=now - timedelta(days=20),
                   expires_at=now - timedelta(days=13)),
        Invitation(token_hash="d" * 64, created_at=now, expires_at=now + timedelta(days=7)),
    ])
    db.session.commit()


def test_the_daily_upkeep_prunes_what_is_older_than_kept(app, alice):
    alice_id = db.session.scalar(select(User.id))
    now = utcnow()
    db.session.execute(SecurityEvent.__table__.delete())
    db.session.commit()
    age_records(alice_id, now)

    daily_upkeep.send(app, now=now)

    ages = sorted((now - d.attempted_at).days for d in db.session.scalars(select(Delivery)))
    assert ages == [1, 29]
    ages = sorted((now - e.created_at).days for e in db.session.scalars(select(SecurityEvent)))
    assert ages == [2, 364]
    assert count(PasswordReset) == 1 and count(Invitation) == 1


def test_how_long_is_kept_is_configurable(app, alice):
    alice_id = db.session.scalar(select(User.id))
    now = utcnow()
    db.session.execute(SecurityEvent.__table__.delete())
    db.session.commit()
    age_records(alice_id, now)
    app.config.update(RETENTION_DELIVERY_DAYS=7, RETENTION_SECURITY_LOG_DAYS=30)
    result = run_cli(app, "retention", "prune")
    assert result.exit_code == 0, result.output
    assert "3 push deliveries" in result.output and "3 security log" in result.output
    assert count(Delivery) == 1 and count(SecurityEvent) == 1


def test_pruning_leaves_recent_records_and_journals_alone(app, alice):
    alice.submit("/entries", {"body": "still here"})
    daily_upkeep.send(app, now=utcnow())
    assert "still here" in alice.get("/journal").get_data(as_text=True)
    assert count(SecurityEvent) >= 1  # this week's sign-up stays in the log


def test_the_dispatchers_daily_run_prunes(app, alice):
    """`flask reminders plan-ahead` (cron's daily run) sends the same daily upkeep."""
    alice_id = db.session.scalar(select(User.id))
    age_records(alice_id, utcnow())
    result = run_cli(app, "reminders", "plan-ahead")
    assert result.exit_code == 0, result.output
    assert count(Delivery) == 2 and count(PasswordReset) == 1
