"""Readiness checks, each answering without personal data: is the database reachable, are its
migrations at head, does the master key open its data keys, is a dispatcher alive."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

import click
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, current_app
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from webapp.auth.models import User
from webapp.crypto import KeyringError
from webapp.extensions import db
from webapp.health.models import Heartbeat
from webapp.types import utcnow

log = logging.getLogger(__name__)

HEARTBEAT_MAX_AGE = timedelta(minutes=1)
BEAT_EVERY = timedelta(seconds=10)  # a dispatcher writes its heartbeat at most this often
DISPATCHER = "dispatcher"


class StartupError(RuntimeError):
    """Tend should not serve: the message says why and what to do."""


@dataclass
class Check:
    ok: bool
    detail: str = ""
    facts: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        data = asdict(self)
        data.update(data.pop("facts"))
        return data


def database_check() -> Check:
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
    except SQLAlchemyError as exc:
        db.session.rollback()
        return Check(False, f"the database cannot be reached ({_reason(exc)})")
    return Check(True)


def _reason(exc: Exception) -> str:
    original = getattr(exc, "orig", None) or exc
    return str(original).strip().splitlines()[0][:200] if str(original).strip() else (
        type(original).__name__
    )


def migration_heads(app: Flask) -> set[str]:
    config = app.extensions["migrate"].migrate.get_config()
    return set(ScriptDirectory.from_config(config).get_heads())


def migrations_check() -> Check:
    wanted = migration_heads(current_app)
    try:
        with db.engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    except SQLAlchemyError as exc:
        return Check(False, f"the migration state cannot be read ({_reason(exc)})")
    facts = {"current": sorted(current), "head": sorted(wanted)}
    if current == wanted:
        return Check(True, facts=facts)
    if not current:
        return Check(False, "the database has no migrations applied: run "
                            "`flask --app wsgi db upgrade`", facts)
    return Check(False, "the database is behind (or ahead of) this version of Tend: run "
                        "`flask --app wsgi db upgrade`", facts)


def keyring_check() -> Check:
    keyring = current_app.extensions["tend_keyring"]
    try:
        wrapped = db.session.scalar(
            select(User.data_key).where(func.length(User.data_key) > 0).limit(1)
        )
        db.session.rollback()
        if wrapped:
            keyring.unwrap(wrapped)
    except SQLAlchemyError as exc:
        db.session.rollback()
        return Check(False, f"data keys cannot be read ({_reason(exc)})")
    except KeyringError:
        return Check(False, "the master key does not open this database's data keys")
    return Check(True)


def dispatcher_check(now: datetime | None = None) -> Check:
    expected = bool(current_app.config.get("HEALTH_EXPECT_DISPATCHER"))
    try:
        beat = db.session.get(Heartbeat, DISPATCHER)
        db.session.rollback()
    except SQLAlchemyError as exc:
        db.session.rollback()
        return Check(not expected, f"the heartbeat cannot be read ({_reason(exc)})",
                     {"expected": expected})
    age = ((now or utcnow()) - beat.beat_at).total_seconds() if beat else None
    facts = {"expected": expected, "age_seconds": round(age, 1) if age is not None else None}
    if not expected:
        return Check(True, facts=facts)
    if age is None:
        return Check(False, "no dispatcher has sent reminders yet", facts)
    if age > HEARTBEAT_MAX_AGE.total_seconds():
        return Check(False, "the dispatcher's heartbeat is older than a minute", facts)
    return Check(True, facts=facts)


def readiness() -> tuple[bool, dict[str, Check]]:
    checks = {"database": database_check()}
    if checks["database"].ok:
        checks["migrations"] = migrations_check()
        checks["keyring"] = keyring_check()
        checks["dispatcher"] = dispatcher_check()
    return all(check.ok for check in checks.values()), checks


# -- Heartbeat -----------------------------------------------------------------------------------

def record_heartbeat(name: str = DISPATCHER, now: datetime | None = None) -> bool:
    """Note that a worker is alive (at most every few seconds per process and app, so a new app
    on a new database always writes its first beat)."""
    now = now or utcnow()
    last_beats = current_app.extensions.setdefault("tend.last_heartbeats", {})
    last = last_beats.get(name)
    if last is not None and now - last < BEAT_EVERY:
        return False
    try:
        beat = db.session.get(Heartbeat, name)
        if beat is None:
            db.session.add(Heartbeat(name=name, beat_at=now))
        else:
            beat.beat_at = now
        db.session.commit()
    except IntegrityError:  # another worker wrote the first beat at the same moment
        db.session.rollback()
    last_beats[name] = now
    return True


# -- Start-up ------------------------------------------------------------------------------------


def _serving() -> bool:
    """True for a server (gunicorn, `flask run`), false for other `flask` commands: `db upgrade`
    must work on a database that is behind, and `backup restore` on an empty one."""
    context = click.get_current_context(silent=True)
    if context is None:
        return True
    return context.info_name == "run" and context.parent is not None and (
        context.parent.parent is None
    )


def startup_problems(app: Flask) -> list[str]:
    with app.app_context():
        database = database_check()
        if not database.ok:
            url = db.engine.url.render_as_string(hide_password=True)
            return [f"{database.detail}. DATABASE_URL is {url}; is the server running?"]
        migrations = migrations_check()
        unmanaged = not migrations.ok and not migrations.facts.get("current") and (
            inspect(db.engine).has_table("users")
        )
        db.session.remove()
        if unmanaged:
            # Built by create_all (tests, benchmarks), not by migrations: say so, and serve.
            log.warning("the database schema was not made by migrations; `flask --app wsgi "
                        "db stamp head` marks it as current if it is")
            return []
        return [] if migrations.ok else [
            f"{migrations.detail} (database at {', '.join(migrations.facts['current']) or 'none'}, "
            f"this Tend needs {', '.join(migrations.facts['head'])})."
        ]


def check_startup(app: Flask) -> None:
    if app.config.get("TESTING") or not app.config.get("STARTUP_CHECKS") or not _serving():
        return
    problems = startup_problems(app)
    if problems:
        raise StartupError("Tend cannot start: " + " ".join(problems))
