"""`flask reminders run` as its own process: killed mid-batch with SIGKILL, a restarted
dispatcher still delivers every reminder; SIGTERM lets it finish and exit cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.push.conftest import subscribe
from webapp.extensions import db
from webapp.push.models import Reminder
from webapp.types import utcnow

# Each starts `flask reminders run` as a process, and waits for it.
pytestmark = pytest.mark.slow
PROJECT = Path(__file__).resolve().parents[2]


def start_dispatcher(app, *args: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": app.config["SECRET_KEY"],
        "PUBLIC_URL": "https://tend.example.org",
        "REMINDER_LEASE_SECONDS": "3",
        "REMINDER_IDLE_SECONDS": "0.2",
        "PYTHONUNBUFFERED": "1",
        "TEND_TESTS_LOCAL_PUSH_SERVICE": "1",  # the push service double on 127.0.0.1
    }
    env.pop("TEND_EMBEDDED_DISPATCHER", None)
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "reminders", "run", *args],
        cwd=PROJECT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def statuses() -> Counter:
    db.session.expire_all()
    return Counter(db.session.scalars(select(Reminder.status)))


def test_a_dispatcher_killed_mid_batch_loses_nothing(push_service, push_app, alice_user):
    subscriber = push_service.new_subscriber()
    subscribe(alice_user, subscriber)
    now = utcnow()
    for n in range(30):
        db.session.add(Reminder(
            user_id=alice_user.id, kind="test", key=f"kill:{n}", series="kill", ideal_at=now,
            due_at=now, next_attempt_at=now, title=f"Reminder {n}", body="b", url="/",
            status="pending", attempts=0, fencing_token=0))
    db.session.commit()
    push_service.answer_delay = 2.0  # slow answers: the first batch is still in flight

    first = start_dispatcher(push_app, "--batch-size", "10")
    try:
        wait_for(lambda: push_service.requests_seen >= 10, 30, "the first batch to go out")
        assert statuses()["leased"] == 10
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    assert first.returncode == -signal.SIGKILL
    assert statuses()["sent"] == 0, "killed before recording anything"

    push_service.answer_delay = 0.0
    second = start_dispatcher(push_app, "--batch-size", "10")
    try:
        wait_for(lambda: statuses()["sent"] == 30, 60, "every reminder to be sent")
    finally:
        second.send_signal(signal.SIGTERM)
        output, _ = second.communicate(timeout=20)
    assert second.returncode == 0, output
    assert "Stopped after finishing the current batch." in output

    titles = Counter(r.message["notification"]["title"] for r in push_service.received)
    assert set(titles) == {f"Reminder {n}" for n in range(30)}, "every reminder arrived"
    # Only the ten in flight when the first dispatcher died can have arrived twice.
    assert sum(count - 1 for count in titles.values()) <= 10
    db.session.expire_all()
    tokens = {r.key: r.fencing_token for r in db.session.scalars(select(Reminder))}
    assert sorted(Counter(tokens.values()).items()) == [(1, 20), (2, 10)]


def test_once_sends_what_is_due_and_exits(push_service, push_app, alice_user):
    subscribe(alice_user, push_service.new_subscriber())
    now = utcnow()
    for n in range(3):
        db.session.add(Reminder(
            user_id=alice_user.id, kind="test", key=f"once:{n}", series="once", ideal_at=now,
            due_at=now, next_attempt_at=now, title=f"Once {n}", body="b", url="/",
            status="pending", attempts=0, fencing_token=0))
    db.session.commit()
    process = start_dispatcher(push_app, "--once")
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
    assert "3 reminder(s) handled." in output
    assert statuses() == Counter({"sent": 3})
