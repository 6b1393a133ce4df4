"""Nothing a push service answers can hold up anyone's reminders; every reminder is recorded as
its answers arrive; the attempt cap and the daily cap hold when sending; each device is
retried on its own; old delivery records are pruned."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from tests.push.conftest import subscribe
from tests.push.push_double import Answer
from tests.push.test_dispatcher import deliveries_of, due_check_in, fresh
from webapp.calendar import zone_of
from webapp.extensions import db
from webapp.push import claims, planning, sender
from webapp.push.claims import claim_due
from webapp.push.dispatcher import make_dispatcher
from webapp.push.models import Delivery, Reminder
from webapp.push.schedules import run_daily_upkeep
from webapp.push.sender import MAX_DETAIL
from webapp.types import utcnow

HOSTILE_BODY = b"\x00bad\x00 request\r\n\x1b[31m" + "ü".encode() * 1000 + b"x" * 500_000


def due_test(user, key: str, minutes_ago: int = 1) -> Reminder:
    """A due reminder of any person, straight into the table (as a crashed planner left it)."""
    now = utcnow() - timedelta(minutes=minutes_ago)
    reminder = Reminder(user_id=user.id, kind="journey_checkin", key=key, series="s",
                        ideal_at=now, due_at=now, next_attempt_at=now, title=key,
                        body="b", url="/", status="pending", attempts=0, fencing_token=0)
    db.session.add(reminder)
    db.session.commit()
    return reminder


def quiet_hours_off(*users) -> None:
    for user in users:
        planning.save_settings(user, quiet_start=datetime.min.time(),
                               quiet_end=datetime.min.time(), daily_cap=10)


def test_nul_bytes_from_one_push_service_cannot_stall_anyone_elses_reminders(
    push_service, dispatcher, alice_user, bob_user
):
    hostile, kind = push_service.new_subscriber(), push_service.new_subscriber()
    subscribe(alice_user, hostile, "Alice's phone")
    subscribe(bob_user, kind, "Bob's phone")
    push_service.always(hostile, Answer(400, body=HOSTILE_BODY))
    quiet_hours_off(alice_user, bob_user)
    alices, bobs = due_test(alice_user, "alice:1"), due_test(bob_user, "bob:1")

    assert dispatcher.run_once() == 2
    assert dispatcher.run_once() == 0, "nothing is left leased to be sent again"

    assert fresh(bobs).status == "sent"
    assert len(push_service.for_subscriber(kind)) == 1, "Bob hears it exactly once"
    refused = fresh(alices)
    assert refused.status == "failed" and refused.attempts == 1
    [record] = deliveries_of(refused)
    for text in (record.detail, refused.last_error):
        assert "\x00" not in text and "\x1b" not in text and "\r" not in text
        assert text.isprintable() and len(text) <= 255
    assert record.detail.startswith("400 bad request") and len(record.detail) <= MAX_DETAIL


@pytest.mark.parametrize(
    "answer, outcome",
    [
        (Answer(500, body=b"\x00" * 10_000), "retry"),
        (Answer(400, body="ünïcödé \ud800".encode("utf-8", "surrogatepass")), "rejected"),
        (Answer(201, reset=True), "retry"),
        (Answer(400, body=b"slow" * 20, drip_seconds=0.2), "retry"),
        (Answer(307, location="/push/elsewhere"), "rejected"),
        (Answer(999, body=b"?"), "rejected"),
    ],
    ids=["nul-500", "bad-utf8", "reset", "slow-drip", "redirect", "odd-status"],
)
def test_any_answer_is_recorded_printable_and_bounded(
    push_service, push_app, alice_user, answer, outcome
):
    subscriber = push_service.new_subscriber()
    subscribe(alice_user, subscriber)
    push_service.script(subscriber, answer)
    reminder = due_check_in(alice_user)
    push_app.config.update(PUSH_CONNECT_TIMEOUT=1, PUSH_READ_TIMEOUT=1)
    dispatcher = make_dispatcher(push_app)
    try:
        started = time.monotonic()
        assert dispatcher.run_once() == 1
        assert time.monotonic() - started < 10
    finally:
        dispatcher.sender.close()
    [record] = deliveries_of(fresh(reminder))
    assert record.outcome == outcome
    assert record.detail.isprintable() and len(record.detail) <= MAX_DETAIL
    assert push_service.requests_seen == 1, "a redirect is never followed"


def test_an_outcome_postgresql_refuses_is_recorded_without_it_and_others_still_are(
    push_service, dispatcher, alice_user, bob_user, monkeypatch
):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("only PostgreSQL refuses NUL in text; SQLite stores it")
    for module in (claims, sender):  # as if sanitising had missed something
        monkeypatch.setattr(module, "clean_detail", lambda text, limit=0: str(text))
    hostile, kind = push_service.new_subscriber(), push_service.new_subscriber()
    subscribe(alice_user, hostile)
    subscribe(bob_user, kind)
    push_service.always(hostile, Answer(400, body=b"\x00"))
    push_service.answer_delay = 0.2  # both answers arrive together, as one group
    quiet_hours_off(alice_user, bob_user)
    alices, bobs = due_test(alice_user, "alice:2"), due_test(bob_user, "bob:2")
    assert dispatcher.run_once() == 2
    assert fresh(bobs).status == "sent" and len(deliveries_of(bobs)) == 1
    assert fresh(alices).status == "failed"
    assert fresh(alices).last_error == "the push service's answer could not be recorded"
    assert dispatcher.run_once() == 0


def test_the_attempt_cap_holds_when_claiming(alice_user, push_app):
    """A dispatcher died holding this reminder on its last attempt: it is not sent again."""
    exhausted = due_check_in(alice_user, key="journey:j1:24h")
    spare = due_check_in(alice_user, key="journey:j1:72h")
    held = fresh(exhausted)
    held.status, held.attempts = "leased", push_app.config["REMINDER_MAX_ATTEMPTS"]
    held.lease_expires_at = held.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()

    claimed = claim_due(10, 30, max_attempts=push_app.config["REMINDER_MAX_ATTEMPTS"])

    assert [c.id for c in claimed] == [spare.id]
    ended = fresh(exhausted)
    assert ended.status == "failed" and ended.attempts == 5
    assert ended.last_error == "gave up after 5 attempts"


def test_each_reminder_is_recorded_as_soon_as_its_answer_arrives(
    push_service, push_app, alice_user, bob_user
):
    """A dispatcher killed now would send again only what is still waiting for an answer."""
    quick, slow = push_service.new_subscriber(), push_service.new_subscriber()
    subscribe(alice_user, quick)
    subscribe(bob_user, slow)
    push_service.script(slow, Answer(201, hang_seconds=8))
    quiet_hours_off(alice_user, bob_user)
    alices, bobs = due_test(alice_user, "alice:3"), due_test(bob_user, "bob:3")

    def work():
        with push_app.app_context():
            dispatcher = make_dispatcher(push_app)
            try:
                dispatcher.run_once()
            finally:
                dispatcher.sender.close()
                db.session.remove()

    thread = threading.Thread(target=work)
    thread.start()
    try:
        deadline = time.monotonic() + 6
        while fresh(alices).status != "sent" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert fresh(alices).status == "sent", "recorded while another answer is awaited"
        assert fresh(bobs).status == "leased"
    finally:
        push_service.release.set()
        thread.join(timeout=20)
    assert fresh(bobs).status == "sent"


def test_a_repeat_of_one_reminder_carries_the_same_notification_tag(
    push_service, dispatcher, alice_user
):
    subscriber = push_service.new_subscriber()
    subscribe(alice_user, subscriber)
    reminder = due_check_in(alice_user)
    dispatcher.run_once()
    lost = fresh(reminder)  # as if the dispatcher died before recording it
    lost.status, lost.attempts = "pending", 0
    lost.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.add(lost)
    db.session.execute(Delivery.__table__.delete())
    db.session.commit()
    dispatcher.run_once()
    tags = [r.message["notification"]["tag"] for r in push_service.for_subscriber(subscriber)]
    assert tags == [f"tend-journey_checkin-{reminder.id}"] * 2


def test_the_daily_cap_is_checked_again_when_sending(push_service, dispatcher, alice_user):
    subscriber = push_service.new_subscriber()
    subscribe(alice_user, subscriber)
    quiet_hours_off(alice_user)
    first, second = due_test(alice_user, "cap:1", 3), due_test(alice_user, "cap:2", 2)
    planning.settings_for(alice_user).daily_cap = 1  # lowered after both were planned
    db.session.commit()

    assert dispatcher.run_once() == 2
    assert len(push_service.received) == 1
    assert fresh(first).status == "sent"
    moved = fresh(second)
    assert moved.status == "pending" and moved.attempts == 0
    zone = zone_of(alice_user)
    assert moved.next_attempt_at.astimezone(zone).date() == (
        utcnow().astimezone(zone).date() + timedelta(days=1))
    assert "daily cap" in moved.last_error
    assert dispatcher.run_once() == 0


def test_a_device_that_failed_is_retried_on_its_own(push_service, dispatcher, alice_user):
    phone, laptop = push_service.new_subscriber(), push_service.new_subscriber()
    subscribe(alice_user, phone, "Phone")
    subscribe(alice_user, laptop, "Laptop")
    push_service.script(laptop, Answer(500))
    reminder = due_check_in(alice_user)

    dispatcher.run_once()
    waiting = fresh(reminder)
    assert waiting.status == "pending" and "retry: 500" in waiting.last_error
    waiting.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    dispatcher.run_once()

    assert fresh(reminder).status == "sent"
    assert [r.status for r in push_service.for_subscriber(phone)] == [201], "not twice"
    assert [r.status for r in push_service.for_subscriber(laptop)] == [500, 201]


def test_delivery_records_are_pruned_after_the_retention_period(push_app, alice_user):
    reminder = due_check_in(alice_user)
    now = utcnow()
    for days in (31, 29, 1):
        db.session.add(Delivery(reminder_id=reminder.id, attempted_at=now - timedelta(days=days),
                                outcome="sent", status_code=201))
    db.session.commit()
    run_daily_upkeep(now)
    ages = sorted((now - d.attempted_at).days for d in db.session.scalars(select(Delivery)))
    assert ages == [1, 29]

    push_app.config["RETENTION_DELIVERY_DAYS"] = 7
    run_daily_upkeep(now)
    assert [(now - d.attempted_at).days for d in db.session.scalars(select(Delivery))] == [1]
