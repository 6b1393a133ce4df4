"""Whoever runs Tend can ask whether it is well, and a broken set-up stops it at start-up."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from flask_migrate import stamp, upgrade

from tests.conftest import make_app
from tests.test_migrations import empty_database_url  # noqa: F401  (a fixture)
from webapp.config import PROJECT_ROOT
from webapp.extensions import db
from webapp.health.models import Heartbeat
from webapp.health.services import HEARTBEAT_MAX_AGE, migrations_check, startup_problems
from webapp.push.dispatcher import Dispatcher
from webapp.types import utcnow


def test_healthz_answers_without_an_account_or_a_cookie(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"
    assert not response.headers.getlist("Set-Cookie")


def test_readyz_says_a_database_behind_the_migrations_is_not_ready(app, client, alice):
    assert client.get("/readyz").status_code == 200
    stamp(revision="0004")
    try:
        response = client.get("/readyz")
    finally:
        stamp()
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "not ready"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["keyring"]["ok"] is True
    assert body["checks"]["migrations"]["ok"] is False
    assert "db upgrade" in body["checks"]["migrations"]["detail"]
    assert body["checks"]["migrations"]["current"] == ["0004"]
    assert "alice" not in response.get_data(as_text=True)


def test_readyz_on_a_migrated_database_is_ready_and_names_no_one(empty_database_url):  # noqa: F811
    migrated = make_app(empty_database_url)
    with migrated.app_context():
        upgrade()
        client = migrated.test_client()
        client.submit("/register", {"email": "wren@example.org", "password": "x" * 12})
        response = client.get("/readyz")
        body = response.get_json()
        assert response.status_code == 200, body
        assert body["status"] == "ready"
        assert set(body["checks"]) == {"database", "migrations", "keyring", "dispatcher"}
        assert body["checks"]["migrations"]["current"] == body["checks"]["migrations"]["head"]
        assert "wren" not in response.get_data(as_text=True)
        db.session.remove()
        db.engine.dispose()


def test_an_expected_dispatcher_must_have_a_fresh_heartbeat(app, client):
    app.config["HEALTH_EXPECT_DISPATCHER"] = True
    dispatcher_check = lambda: client.get("/readyz").get_json()["checks"]["dispatcher"]  # noqa: E731
    assert dispatcher_check()["ok"] is False

    idle = Dispatcher(sender=None, public_url="http://127.0.0.1:5000", secret_key="s")
    assert idle.dispatch_batch() == 0  # an empty round still beats
    beat = dispatcher_check()
    assert beat["ok"] is True and beat["age_seconds"] < 60

    row = db.session.get(Heartbeat, "dispatcher")
    row.beat_at = utcnow() - HEARTBEAT_MAX_AGE - timedelta(seconds=5)
    db.session.commit()
    stale = dispatcher_check()
    assert stale["ok"] is False and "older than a minute" in stale["detail"]


def test_a_dispatcher_is_not_asked_for_unless_expected(client):
    assert client.get("/readyz").get_json()["checks"]["dispatcher"]["ok"] is True


def _start_server(database_url: str) -> subprocess.CompletedProcess:
    """Import wsgi.py as gunicorn does, on the given database."""
    env = {**os.environ, "DATABASE_URL": database_url}
    env.pop("TEST_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-c", "import wsgi"], cwd=PROJECT_ROOT, env=env,
        capture_output=True, text=True, timeout=60,
    )


@pytest.mark.slow
def test_a_server_refuses_to_start_on_a_database_behind_the_migrations(empty_database_url):  # noqa: F811
    behind = make_app(empty_database_url)
    with behind.app_context():
        upgrade(revision="0004")
        assert migrations_check().ok is False
        db.engine.dispose()
    started = _start_server(empty_database_url)
    assert started.returncode != 0
    assert "Tend cannot start" in started.stderr
    assert "db upgrade" in started.stderr and "0004" in started.stderr

    with behind.app_context():
        upgrade()
        db.engine.dispose()
    assert _start_server(empty_database_url).returncode == 0


@pytest.mark.slow
def test_a_server_refuses_to_start_when_the_database_cannot_be_reached():
    started = _start_server("postgresql+psycopg://tend:secret@127.0.0.1:1/tend")
    assert started.returncode != 0
    # The app factory stops first, naming the setting (webapp.extensions.check_database).
    assert "Tend cannot start" in started.stderr and "DATABASE_URL" in started.stderr
    assert "secret" not in started.stderr  # the password is not printed


def test_checks_are_skipped_for_tests_but_can_be_asked_for(app):
    assert startup_problems(app) == []
    stamp(revision="0004")
    try:
        problems = startup_problems(app)
    finally:
        stamp()
    assert problems and "db upgrade" in problems[0]


def test_a_schema_made_without_migrations_starts_with_a_warning_but_is_not_ready(
    empty_database_url, caplog  # noqa: F811
):
    unmanaged = make_app(empty_database_url)
    with unmanaged.app_context():
        db.create_all()
        assert startup_problems(unmanaged) == []
        assert "not made by migrations" in caplog.text
        assert unmanaged.test_client().get("/readyz").status_code == 503
        db.drop_all()
        problems = startup_problems(unmanaged)  # an empty database is simply behind
        assert problems and "db upgrade" in problems[0]
        db.engine.dispose()
