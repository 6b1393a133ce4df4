"""The dispatcher sends what is due to every device, reads each push service's answer the way
it is meant, records every outcome, and never lets a stale claim overwrite a fresh one."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from sqlalchemy import func, select

from tests.push.conftest import LOCAL_PUSH, subscribe
from tests.push.push_double import Answer
from webapp import events
from webapp.calendar import zone_of
from webapp.extensions import db
from webapp.push import planning
from webapp.push.claims import Verdict, claim_due, record_outcomes
from webapp.push.dispatcher import Dispatcher, make_dispatcher
from webapp.push.models import Delivery, PushSubscription, Reminder
from webapp.push.sender import MAX_PLAINTEXT, PushMessage, PushSender, notification_payload
from webapp.push.vapid import VapidSigner, vapid_for
from webapp.types import utcnow


def due_check_in(user, minutes_ago: int = 1, key: str = "journey:j1:24h") -> Reminder:
    """A journey check-in whose time has come (quiet hours off, so the clock never matters)."""
    planning.save_settings(user, quiet_start=datetime.min.time(), quiet_end=datetime.min.time())
    reminder = planning.plan(
        user, kind="journey_checkin", key=key, series="journey:j1",
        ideal_at=utcnow() - timedelta(minutes=minutes_ago),
        title="A day later", body="Any dreams, sensations or pictures still with you today?",
    )
    db.session.commit()
    return reminder


def fresh(reminder: Reminder) -> Reminder:
    db.session.expire_all()
    return db.session.get(Reminder, reminder.id)


def deliveries_of(reminder: Reminder) -> list[Delivery]:
    return list(db.session.scalars(select(Delivery).where(Delivery.reminder_id == reminder.id)))


def test_a_due_reminder_reaches_every_device_encrypted_and_signed(
    push_service, other_push_service, dispatcher, alice_user
):
    phone = push_service.new_subscriber()
    laptop = other_push_service.new_subscriber()
    subscribe(alice_user, phone, "Phone")
    subscribe(alice_user, laptop, "Laptop")
    reminder = due_check_in(alice_user)

    assert dispatcher.run_once() == 1

    assert push_service.problems == [] and other_push_service.problems == []
    [on_phone] = push_service.for_subscriber(phone)
    [on_laptop] = other_push_service.for_subscriber(laptop)
    # Each push service saw a JWT for its own origin: aud is per endpoint, never shared.
    assert on_phone.claims["aud"] == push_service.origin
    assert on_laptop.claims["aud"] == other_push_service.origin
    assert on_phone.claims["sub"] == "mailto:tend@localhost"
    assert on_phone.claims["exp"] - time.time() <= 24 * 3600
    message = on_phone.message
    assert message["web_push"] == 8030
    note = message["notification"]
    assert note["title"] == "A day later"
    assert note["body"] == "Any dreams, sensations or pictures still with you today?"
    assert note["navigate"] == f"https://tend.example.org/reminders/{reminder.id}/write"
    assert note["data"]["url"] == note["navigate"]
    assert [a["title"] for a in note["actions"]] == ["Write now", "Later"]
    assert on_phone.headers["ttl"] == str(24 * 3600)
    assert on_phone.headers["urgency"] == "normal"
    assert on_phone.headers["topic"] == "journey-checkin"
    assert len(on_phone.plaintext) <= MAX_PLAINTEXT

    done = fresh(reminder)
    assert done.status == "sent" and done.sent_at is not None and done.attempts == 1
    assert {d.outcome for d in deliveries_of(done)} == {"sent"}
    devices = db.session.scalars(select(PushSubscription)).all()
    assert {d.last_outcome for d in devices} == {"sent"}
    assert {d.last_status_code for d in devices} == {201}
    assert dispatcher.run_once() == 0, "nothing is sent twice"


def test_journal_text_never_travels_in_a_push(push_service, dispatcher, alice, alice_user):
    alice.submit("/entries", {"body": "a very private sentence"})
    subscribe(alice_user, push_service.new_subscriber())
    due_check_in(alice_user)
    dispatcher.run_once()
    [received] = push_service.received
    assert b"private sentence" not in received.plaintext


@pytest.mark.parametrize("status", [404, 410])
def test_a_subscription_the_push_service_no_longer_knows_is_removed(
    push_service, dispatcher, alice_user, status
):
    gone = push_service.new_subscriber()
    still_here = push_service.new_subscriber()
    subscribe(alice_user, gone, "Old phone")
    subscribe(alice_user, still_here, "New phone")
    push_service.always(gone, Answer(status))
    reminder = due_check_in(alice_user)
    dispatcher.run_once()
    labels = [d.device_label for d in db.session.scalars(select(PushSubscription))]
    assert labels == ["New phone"]
    assert fresh(reminder).status == "sent"
    outcomes = sorted((d.outcome, d.status_code) for d in deliveries_of(reminder))
    assert outcomes == [("gone", status), ("sent", 201)]


def test_when_the_only_device_is_gone_the_reminder_fails_with_the_reason(
    push_service, dispatcher, alice_user
):
    gone = push_service.new_subscriber()
    subscribe(alice_user, gone)
    push_service.always(gone, Answer(410))
    reminder = due_check_in(alice_user)
    dispatcher.run_once()
    done = fresh(reminder)
    assert done.status == "failed" and "gone: 410" in done.last_error
    assert db.session.scalar(select(func.count()).select_from(PushSubscription)) == 0


def test_a_413_is_logged_as_a_payload_bug_and_not_retried(
    push_service, dispatcher, alice_user, caplog
):
    subscriber = push_service.new_subscriber()
    subscribe(alice_user, subscriber)
    push_service.always(subscriber, Answer(413))
    reminder = due_check_in(alice_user)
    dispatcher.run_once()
    done = fresh(reminder)
    assert done.status == "failed" and "too_large: 413" in done.last_error
    assert "payload bug" in caplog.text
    assert db.session.get(PushSubscription, db.session.scalars(
        select(PushSubscription.id)).one()).last_outcome == "too_large"


def test_429_waits_as_long_as_retry_after_asks(push_service, dispatcher, alice_user):
    subscriber = push_service.new_subscriber()
    subscribe(alice_user, subscriber)
    push_service.script(subscriber, Answer(429, retry_after="120"))
    reminder = due_check_in(alice_user)
    before = utcnow()
    dispatcher.run_once()
    waiting = fresh(reminder)
    assert waiting.status == "pending" and "rate_limited" in waiting.last_error
    wait = (waiting.next_attempt_at - before).total_seconds()
    assert 119 <= wait <= 125
    assert dispatcher.run_once() == 0, "not before Retry-After"

    # Retry-After may also be an HTTP date.
    waiting.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    push_service.script(subscriber, Answer(429, retry_after=format_datetime(
        datetime.now(UTC) + timedelta(minutes=10), usegmt=True)))
    dispatcher.run_once()
    wait = (fresh(reminder).next_attempt_at - utcnow()).total_seconds()
    assert 580 <= wait <= 601

    fresh(reminder).next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    dispatcher.run_once()
    done = fresh(reminder)
    assert done.status == "sent" and done.attempts == 3
    assert [d.outcome for d in sorted(deliveries_of(done), key=lambda d: d.id)] == [
        "rate_limited", "rate_limited", "sent"]


def test_server_errors_back_off_exponentially_with_jitter_then_fail(
    push_service, push_app, alice_user
):
    subscriber = push_service.new_subscriber()
    subscribe(alice_user, subscriber)
    push_service.always(subscriber, Answer(500))
    reminder = due_check_in(alice_user)
    dispatcher = make_dispatcher(push_app, retry_base_seconds=60, max_attempts=4)
    waits = []
    try:
        for _ in range(4):
            started = utcnow()
            assert dispatcher.run_once() == 1
            current = fresh(reminder)
            if current.status == "pending":
                waits.append((current.next_attempt_at - started).total_seconds())
                current.next_attempt_at = utcnow() - timedelta(seconds=1)
                db.session.commit()
    finally:
        dispatcher.sender.close()
    # Attempt n waits between half and all of 60 s * 2^(n-1).
    assert len(waits) == 3
    for n, wait in enumerate(waits, start=1):
        ceiling = 60 * 2 ** (n - 1)
        assert ceiling / 2 - 1 <= wait <= ceiling + 1, (n, wait)
    done = fresh(reminder)
    assert done.status == "failed"
    assert done.last_error.startswith("gave up after 4 attempts: retry: 500")
    assert len(deliveries_of(done)) == 4


def test_a_hanging_push_service_times_out_and_is_retried(push_service, push_app, alice_user):
    subscriber = push_service.new_subscriber()
    subscribe(alice_user, subscriber)
    push_service.script(subscriber, Answer(201, hang_seconds=5))
    reminder = due_check_in(alice_user)
    push_app.config["PUSH_READ_TIMEOUT"] = 0.5
    dispatcher = make_dispatcher(push_app)
    try:
        started = time.monotonic()
        dispatcher.run_once()
        assert time.monotonic() - started < 4, "the explicit read timeout applies"
    finally:
        dispatcher.sender.close()
    waiting = fresh(reminder)
    assert waiting.status == "pending" and "timed out" in waiting.last_error
    assert deliveries_of(waiting)[0].outcome == "retry"


def test_a_refused_connection_is_retried(push_app, dispatcher, alice_user, push_service):
    subscriber = push_service.new_subscriber()
    subscribe(alice_user, subscriber)
    push_service.__exit__()  # the push service goes away
    reminder = due_check_in(alice_user)
    dispatcher.run_once()
    waiting = fresh(reminder)
    assert waiting.status == "pending" and "connection error" in waiting.last_error


def test_nobody_subscribed_means_failed_with_a_reason(dispatcher, alice_user):
    reminder = due_check_in(alice_user)
    dispatcher.run_once()
    assert fresh(reminder).status == "failed"
    assert fresh(reminder).last_error == "no device is subscribed"


def test_quiet_hours_and_switches_are_checked_again_when_sending(
    push_service, dispatcher, alice_user
):
    subscribe(alice_user, push_service.new_subscriber())
    reminder = due_check_in(alice_user)
    # Alice now wants quiet all day except one minute: the reminder waits for that minute.
    now_berlin = utcnow().astimezone(zone_of(alice_user))
    start = (now_berlin - timedelta(minutes=5)).time().replace(second=0, microsecond=0)
    end = (now_berlin + timedelta(hours=3)).time().replace(second=0, microsecond=0)
    settings = planning.settings_for(alice_user)
    settings.quiet_start, settings.quiet_end = start, end
    db.session.add(settings)
    db.session.commit()
    dispatcher.run_once()
    waiting = fresh(reminder)
    assert push_service.received == []
    assert waiting.status == "pending" and waiting.attempts == 0
    assert waiting.next_attempt_at.astimezone(zone_of(alice_user)).time() == end

    settings.journey_checkin_on = False
    waiting.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    dispatcher.run_once()
    assert fresh(reminder).status == "cancelled"
    assert push_service.received == []


def test_a_stale_dispatchers_outcome_is_discarded(push_service, push_app, alice_user):
    """Dispatcher A claims, stalls past its lease; B claims the same reminder and sends it.
    When A finally reports, its fencing token is old and nothing it says is recorded."""
    subscribe(alice_user, push_service.new_subscriber())
    reminder = due_check_in(alice_user)
    stale_claims = claim_due(10, lease_seconds=1)
    assert [c.id for c in stale_claims] == [reminder.id]

    time.sleep(1.1)  # A's lease runs out
    b = make_dispatcher(push_app)
    try:
        assert b.run_once() == 1
    finally:
        b.sender.close()
    assert fresh(reminder).status == "sent" and fresh(reminder).fencing_token == 2

    stale = record_outcomes(stale_claims, {reminder.id: Verdict("failed", "A thinks it failed")},
                            {})
    assert stale == 1
    assert fresh(reminder).status == "sent" and fresh(reminder).last_error is None


def test_an_expired_lease_is_claimed_again_and_a_live_one_is_not(alice_user):
    reminder = due_check_in(alice_user)
    first = claim_due(10, lease_seconds=30)
    assert [c.fencing_token for c in first] == [1]
    assert claim_due(10, lease_seconds=30) == [], "a live lease keeps it"
    held = fresh(reminder)
    held.lease_expires_at = held.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    again = claim_due(10, lease_seconds=30)
    assert [c.fencing_token for c in again] == [2]


def test_a_lease_is_never_longer_than_thirty_seconds(alice_user):
    due_check_in(alice_user)
    claim_due(10, lease_seconds=600)
    held = db.session.scalars(select(Reminder)).one()
    assert held.lease_expires_at - utcnow() <= timedelta(seconds=30)


def test_vapid_headers_are_signed_once_per_origin_and_renewed_before_expiry(push_app):
    now = [1_000_000.0]
    signer = VapidSigner(vapid_for(push_app), "mailto:care@example.org", clock=lambda: now[0])
    a1 = signer.headers_for("https://fcm.googleapis.com/fcm/send/abc")
    a2 = signer.headers_for("https://fcm.googleapis.com/fcm/send/def")
    b1 = signer.headers_for("https://updates.push.services.mozilla.com/wpush/v2/x")
    assert a1 == a2 and a1 != b1
    assert signer.signatures_made == 2
    now[0] += 11.5 * 3600  # within the last hour of the 12-hour token
    assert signer.headers_for("https://fcm.googleapis.com/fcm/send/abc") != a1
    assert signer.signatures_made == 3


def test_the_payload_is_declarative_and_never_over_3993_bytes():
    payload = notification_payload(
        title="t", body="ü" * 5000, url="https://tend.example.org/x", tag="tag",
        reminder_id="r", snooze_url="https://tend.example.org/s", snooze_token="tok",
        later_url="https://tend.example.org/l", icon="i", badge="b",
    )
    assert 3900 < len(payload) <= 3993
    message = json.loads(payload)
    assert message["web_push"] == 8030 and message["notification"]["body"].endswith("ü…")


def test_two_dispatchers_on_postgresql_send_each_reminder_exactly_once(
    push_service, push_app, alice_user
):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has a single writer, so two dispatchers cannot race there; "
                    "the race is tested on PostgreSQL (set TEST_DATABASE_URL)")
    push_service.answer_delay = 0.01
    subscribers = [push_service.new_subscriber() for _ in range(5)]
    for n, subscriber in enumerate(subscribers):
        subscribe(alice_user, subscriber, f"Device {n}")
    planning.save_settings(alice_user, quiet_start=datetime.min.time(),
                           quiet_end=datetime.min.time(), daily_cap=10)
    now = utcnow()
    for n in range(60):
        db.session.add(Reminder(
            user_id=alice_user.id, kind="test", key=f"race:{n}", series="race",
            ideal_at=now, due_at=now, next_attempt_at=now, title=f"Race {n}", body="b",
            url="/", status="pending", attempts=0, fencing_token=0))
    db.session.commit()

    handled = []
    barrier = threading.Barrier(2)

    def work():
        with push_app.app_context():
            dispatcher = make_dispatcher(push_app, batch_size=7)
            try:
                barrier.wait()
                handled.append(dispatcher.run_once())
            finally:
                dispatcher.sender.close()
                db.session.remove()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(handled) == 60 and all(handled), handled
    titles = [r.message["notification"]["title"] for r in push_service.received]
    assert len(titles) == 60 * 5
    for n in range(60):
        assert titles.count(f"Race {n}") == 5, "each reminder once per device"
    db.session.expire_all()
    assert {r.status for r in db.session.scalars(select(Reminder))} == {"sent"}


def test_the_dispatcher_stops_gracefully_when_asked(
    push_service, push_app, alice_user
):
    planned = []

    def look_ahead(sender, **_):
        planned.append("ahead")

    subscribe(alice_user, push_service.new_subscriber())
    due_check_in(alice_user)
    stop = threading.Event()
    dispatcher = make_dispatcher(push_app)
    assert isinstance(dispatcher, Dispatcher) and isinstance(dispatcher.sender, PushSender)

    def work():
        with push_app.app_context():
            dispatcher.run(stop, idle_seconds=0.05)
            db.session.remove()

    with events.daily_upkeep.connected_to(look_ahead):
        thread = threading.Thread(target=work)
        thread.start()
        deadline = time.monotonic() + 10
        while not push_service.received and time.monotonic() < deadline:
            time.sleep(0.05)
        stop.set()
        thread.join(timeout=5)
    dispatcher.sender.close()
    assert not thread.is_alive()
    assert len(push_service.received) == 1
    assert planned == ["ahead"], "daily planners run once on start, not on every round"


def test_make_run_sends_from_a_thread_in_the_web_process_but_tests_do_not(
    push_service, push_app, alice_user, monkeypatch
):
    from tests.conftest import make_app

    monkeypatch.setenv("TEND_EMBEDDED_DISPATCHER", "1")
    database = push_app.config["SQLALCHEMY_DATABASE_URI"]
    assert "tend_dispatcher_stop" not in make_app(database).extensions, "never under TESTING"

    subscribe(alice_user, push_service.new_subscriber())
    due_check_in(alice_user)
    served = make_app(database, TESTING=False, REMINDER_IDLE_SECONDS=0.05,
                      PUSH_ALLOW_HTTP_ENDPOINTS=True, PUSH_ALLOW_LOOPBACK_ENDPOINTS=True)
    stop = served.extensions["tend_dispatcher_stop"]
    try:
        deadline = time.monotonic() + 15
        while not push_service.received and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        served.extensions["tend_dispatcher_thread"].join(timeout=10)
    assert len(push_service.received) == 1
    assert push_service.problems == []


def test_the_push_double_catches_a_claims_dict_reused_across_origins(
    push_service, other_push_service, push_app
):
    """Why Tend never shares a claims dict: plain pywebpush writes the first endpoint's
    origin into it as ``aud``, and the second push service rejects the token."""
    from pywebpush import WebPushException, webpush

    claims = {"sub": "mailto:care@example.org"}
    first, second = push_service.new_subscriber(), other_push_service.new_subscriber()
    webpush(first.subscription_json(), data="hello", vapid_private_key=vapid_for(push_app),
            vapid_claims=claims, ttl=60, timeout=5)
    with pytest.raises(WebPushException):
        webpush(second.subscription_json(), data="hello", vapid_private_key=vapid_for(push_app),
                vapid_claims=claims, ttl=60, timeout=5)
    assert push_service.problems == []
    assert other_push_service.problems == [
        f"aud '{push_service.origin}' is not this push service ({other_push_service.origin})"]


def test_array_parameters_keep_awkward_text_intact(push_app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("array parameters are how the dispatcher talks to PostgreSQL only")
    from sqlalchemy import Text
    from sqlalchemy import func as sql

    from webapp.push.sql import pg_array

    values = ['a "quoted", {braced} \\ back', None, "NULL", "", "ü…", "  spaced  "]
    assert db.session.scalars(select(sql.unnest(pg_array(values, Text())))).all() == values


def test_one_broken_subscription_does_not_stop_the_others(push_service, dispatcher, alice_user):
    subscribe(alice_user, push_service.new_subscriber(), "Good phone")
    db.session.add(PushSubscription(user_id=alice_user.id, endpoint="https://push.example/x",
                                    p256dh="not-a-key", auth="AAAA", device_label="Broken"))
    db.session.commit()
    reminder = due_check_in(alice_user)
    dispatcher.run_once()
    assert fresh(reminder).status == "sent"
    outcomes = sorted(d.outcome for d in deliveries_of(reminder))
    assert outcomes == ["rejected", "sent"]
    assert len(push_service.received) == 1


def test_the_sender_keeps_at_most_its_concurrency_in_flight(push_service, push_app):
    push_service.answer_delay = 0.2
    sender = PushSender(VapidSigner(vapid_for(push_app), "mailto:care@example.org"),
                        concurrency=2, policy=LOCAL_PUSH)
    subscribers = [push_service.new_subscriber() for _ in range(4)]
    messages = [PushMessage(n, s.endpoint, s.p256dh, s.auth, b'{"web_push":8030}', 60)
                for n, s in enumerate(subscribers)]
    try:
        started = time.monotonic()
        results = sender.send_batch(messages, time.monotonic() + 20)
        elapsed = time.monotonic() - started
    finally:
        sender.close()
    assert [r.outcome for r in results] == ["sent"] * 4
    assert [r.subscription_id for r in results] == [0, 1, 2, 3]
    assert elapsed >= 0.4, "two rounds of two"
