"""Shared fixtures: an app on SQLite (or on PostgreSQL when TEST_DATABASE_URL is set),
clients that carry a CSRF token like a browser does, and signed-in people.

Under pytest-xdist (`make test` runs one worker per core) each worker has its own database:
its own SQLite file in its temporary folder, or on PostgreSQL the database named in
TEST_DATABASE_URL with ``_gw0``, ``_gw1``, … appended, created on first use.
"""

from __future__ import annotations

import contextvars
import os
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError
from werkzeug.serving import make_server

from webapp import create_app
from webapp.config import normalise_database_url
from webapp.extensions import db, limiter
from webapp.web.ready_pages import ready_pages

IN_CI = os.environ.get("CI", "").lower() == "true"
# Property-based tests: CI tries every example they ask for; day-to-day runs try a quarter.
settings.register_profile("ci", max_examples=100, deadline=None, print_blob=True)
settings.register_profile("dev", max_examples=25, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if IN_CI else "dev"))
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
PASSWORD = "a quiet lake at dawn"


def examples(full: int) -> int:
    """How many examples a property-based test tries: ``full`` under the ``ci`` profile, a
    quarter of it (at least ten) under the lighter ``dev`` profile."""
    return max(10, full * settings.default.max_examples // 100)


def pytest_report_header(config):
    engine = "PostgreSQL" if os.environ.get("TEST_DATABASE_URL") else "SQLite"
    profile = settings.get_current_profile_name()
    return f"tend: database engine under test: {engine}; Hypothesis profile: {profile}"


BROWSER_FIXTURES = {"playwright_instance", "chromium_path", "browser"}


def pytest_collection_modifyitems(config, items):
    """Whatever drives Chromium is a browser test, wherever it lives, so that
    ``-m "not browser"`` (`make test-quick`) leaves out every one of them."""
    for item in items:
        if BROWSER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.browser)


def worker_database(url: str, worker: str) -> str:
    """The PostgreSQL database of one xdist worker: TEST_DATABASE_URL's database with
    ``_<worker>`` appended, created next to it (from there, or from ``postgres``) if missing."""
    base = make_url(url)
    name = f"{base.database}_{worker}"
    problem: Exception | None = None
    for maintenance in (base.database, "postgres"):
        admin = create_engine(base.set(database=maintenance), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                found = connection.scalar(
                    text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
                )
                if not found:
                    connection.execute(text(f'CREATE DATABASE "{name}"'))
            return base.set(database=name).render_as_string(hide_password=False)
        except (OperationalError, ProgrammingError) as exc:  # no such database to ask from
            problem = exc
        finally:
            admin.dispose()
    raise RuntimeError(f"cannot create the test database {name}: {problem}")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """SQLite in this run's (this worker's) temporary folder, or TEST_DATABASE_URL."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'tend.db'}"
    url = normalise_database_url(url)
    worker = os.environ.get("PYTEST_XDIST_WORKER")  # gw0, gw1, … under pytest-xdist
    return worker_database(url, worker) if worker else url


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> Iterator[None]:
    """Every test starts with nobody rate-limited. Flask-Limiter keeps one state for every
    app (its counts, and whether it is on, which the latest app built decides): a test that
    builds a rate-limited app must not leave the limits on, or counted, for the next."""
    enabled = limiter.enabled
    yield
    limiter.enabled = enabled
    if limiter._storage is not None:  # storage appears with the first rate-limited app
        limiter.reset()


@pytest.fixture(scope="session", autouse=True)
def instance_folder(tmp_path_factory) -> Path:
    """Keep generated keys out of the working tree's instance/ folder."""
    folder = tmp_path_factory.mktemp("instance")
    os.environ["TEND_INSTANCE_PATH"] = str(folder)
    return folder


def make_app(database_url: str, **overrides) -> Flask:
    settings = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "RATELIMIT_ENABLED": False,
        "SECRET_KEY": "test secret",
    }
    settings.update(overrides)
    flask_app = create_app(settings)
    flask_app.test_client_class = TendClient
    return flask_app


def wipe(database_url: str) -> None:
    """Nothing a run that was stopped half-way left behind: its rows would be sealed under
    that run's master key, which this run does not have, and Tend would rightly not start."""
    engine = create_engine(database_url)
    try:
        if engine.dialect.name == "postgresql":
            with engine.begin() as connection:
                connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def migrated_database(database_url) -> str:
    """Create the tables once per run, from an empty database, and stamp them as migrated
    (tests/test_migrations.py shows the migrations build the very same schema)."""
    from flask_migrate import stamp

    wipe(database_url)
    flask_app = make_app(database_url)
    with flask_app.app_context():
        db.drop_all()
        db.create_all()
        stamp()
        db.engine.dispose()
    return database_url


def empty_all_tables() -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(t.name for t in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture(scope="session")
def shared_app(migrated_database) -> Flask:
    """The app of every test that takes ``app``: built once per run (building one compiles
    every URL rule, which took a good part of a small test's time); ``app`` gives each test
    it with the database empty and puts back the settings and extensions a test changed."""
    return make_app(migrated_database)


def _emptied() -> None:
    ready_pages.clear()
    db.session.remove()
    empty_all_tables()
    db.session.remove()
    db.engine.dispose()


@pytest.fixture
def app(shared_app) -> Iterator[Flask]:
    config, extensions = dict(shared_app.config), dict(shared_app.extensions)
    wsgi_app = shared_app.wsgi_app
    try:
        with shared_app.app_context():
            yield shared_app
            _emptied()
    finally:
        shared_app.config.clear()
        shared_app.config.update(config)
        shared_app.extensions.clear()
        shared_app.extensions.update(extensions)
        shared_app.wsgi_app = wsgi_app


@pytest.fixture
def schema(migrated_database, shared_app) -> Iterator[str]:
    """The migrated database, for a test that builds its own app (make_app(schema, …));
    emptied afterwards, as ``app`` empties it."""
    yield migrated_database
    with shared_app.app_context():
        _emptied()


class TendClient(FlaskClient):
    """A test client that sends the CSRF token the way Tend's pages do.

    Each request runs in its own app context, as in production. (Flask would otherwise
    reuse the test's app context, sharing ``g`` and so the signed-in user between clients.)
    """

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)

    def csrf_token(self) -> str:
        page = self.get("/login")
        if page.status_code == 302:
            page = self.get(page.location)
        match = CSRF_META.search(page.get_data(as_text=True))
        assert match, "page carries no csrf-token meta tag"
        return match.group(1)

    def submit(self, url: str, data: dict | None = None, *, htmx: bool = False, **kwargs):
        """POST a form with a valid CSRF token, optionally as htmx would."""
        data = dict(data or {})
        headers = kwargs.pop("headers", {})
        if htmx:
            headers = {"HX-Request": "true", "X-CSRFToken": self.csrf_token(), **headers}
        else:
            data.setdefault("csrf_token", self.csrf_token())
        return self.post(url, data=data, headers=headers, **kwargs)


def register(client: TendClient, email: str, password: str = PASSWORD, **extra):
    return client.submit("/register", {"email": email, "password": password, **extra})


@pytest.fixture
def client(app) -> TendClient:
    return app.test_client()


@pytest.fixture
def alice(app) -> TendClient:
    """A client signed in as Alice."""
    browser = app.test_client()
    response = register(browser, "alice@example.org", timezone="Europe/Berlin")
    assert response.status_code == 302
    return browser


@pytest.fixture
def bob(app) -> TendClient:
    """A second person, signed in on another device."""
    browser = app.test_client()
    assert register(browser, "bob@example.org").status_code == 302
    return browser


# --- Real browser -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        reason = (
            f"Chromium not found at {CHROMIUM} "
            "(install Debian's package: apt-get install chromium)"
        )
        if IN_CI:
            pytest.fail(reason + "; CI must not pass by skipping browser tests")
        pytest.skip(reason)
    return CHROMIUM


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-gpu",
]


@pytest.fixture(scope="session")
def playwright_instance():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(chromium_path, playwright_instance):
    launched = playwright_instance.chromium.launch(
        executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
    )
    yield launched
    launched.close()


class LiveServer:
    """Tend served by a real HTTP server on a free local port, in a background thread."""

    def __init__(self, flask_app: Flask):
        self.app = flask_app
        self.server = make_server("127.0.0.1", 0, flask_app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)


@pytest.fixture
def live_server(app) -> Iterator[LiveServer]:
    served = make_app(app.config["SQLALCHEMY_DATABASE_URI"])
    with LiveServer(served) as server:
        yield server
    with served.app_context():  # its connections go back to the database, not left open
        db.engine.dispose()


class Problems(list):
    """Console errors about the CSP and uncaught page errors, from every page of a context."""

    def watch(self, page):
        page.on(
            "console",
            lambda msg: self.append(msg.text)
            if msg.type == "error" and "Content Security Policy" in msg.text
            else None,
        )
        page.on("pageerror", lambda err: self.append(f"page error: {err}"))
        return page


@pytest.fixture
def phone(browser, live_server, tmp_path):
    """A phone-sized browser page on the live server; fails the test on any CSP violation."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        base_url=live_server.url,
    )
    problems = Problems()
    page = problems.watch(context.new_page())
    yield page
    context.close()
    assert not problems, f"the browser reported: {problems}"


def run_cli(flask_app: Flask, *args: str):
    """Run a `flask` command against ``flask_app``, as from a shell (no outer app context)."""
    return contextvars.Context().run(flask_app.test_cli_runner().invoke, args=list(args))


# --- A real SMTP server -------------------------------------------------------------------


class Mailbox:
    """Messages received by an SMTP server (aiosmtpd) on a free local port."""

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        import email
        from email import policy

        message = email.message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()

    def wait_for(self, to: str, timeout: float = 10.0):
        """The newest message to ``to``, waiting for it to arrive (mail is sent in the
        background)."""
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                found = [m for m in self.messages if to in m["To"]]
            if found:
                return found[-1]
            time.sleep(0.05)
        raise AssertionError(f"no message to {to} within {timeout} s")

    def to(self, address: str) -> list:
        with self.lock:
            return [m for m in self.messages if address in m["To"]]


@pytest.fixture(scope="session")
def smtp_server():
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield mailbox, port
    controller.stop()


@pytest.fixture
def mailbox(app, smtp_server) -> Mailbox:
    """Tend configured to send email to a real SMTP server started for the tests."""
    box, port = smtp_server
    box.clear()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False,
                      MAIL_USE_SSL=False, MAIL_USERNAME=None, MAIL_DEFAULT_SENDER="Tend <tend@example.org>")
    yield box
    box.clear()
