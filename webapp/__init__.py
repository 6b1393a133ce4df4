"""Tend: a gentle, private companion for integrating ketamine-assisted psychotherapy."""

from __future__ import annotations

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from flask.templating import Environment

from webapp.config import (
    PROJECT_ROOT,
    argon2_parameters,
    instance_path,
    load_config,
    make_instance_folder_private,
    make_sqlite_files_private,
)

ONE_YEAR = 365 * 24 * 3600


class TendJSONProvider(DefaultJSONProvider):
    """JSON nested deeper than Python can read (``[[[[…]]]]`` 100,000 deep) is malformed
    input like any other: ``request.get_json(silent=True)`` answers None, never a crash."""

    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError as exc:
            raise ValueError("the JSON is nested too deeply") from exc


class TendTemplates(Environment):
    """Jinja with each template's globals as one plain mapping, taken when it loads (Jinja
    asks that globals not change after that; Tend sets them all while the app is made).
    Every ``{% from … import … %}`` compares the page's globals with the imported
    template's: through a ChainMap that is a lookup in every map per name, on every page."""

    def make_globals(self, d):
        return {**self.globals, **(d or {})}


class TendFlask(Flask):
    """Flask with static files cached forever when their URL names a version, JSON that
    never crashes on what a client sends, and lighter template globals."""

    json_provider_class = TendJSONProvider
    jinja_environment = TendTemplates

    def get_send_file_max_age(self, filename: str | None) -> int | None:
        return ONE_YEAR if request.args.get("v") else None


def _init_ready_pages(app: Flask) -> None:
    """Kept answers to repeated signed-in reads (webapp/web/ready_pages.py), checked against
    the device session with one query of their own."""
    from webapp.auth.devices import unchanged_since
    from webapp.auth.writes import note_writes_of_this_request
    from webapp.extensions import db
    from webapp.monitoring import request_recorder
    from webapp.web.ready_pages import ReadyPagesMiddleware

    with app.app_context():
        engine = db.engine

    def check(token_hash: str, fingerprint: tuple) -> bool:
        with engine.connect() as connection:
            return unchanged_since(connection, token_hash, fingerprint)

    app.wsgi_app = ReadyPagesMiddleware(app.wsgi_app, check, request_recorder(app))
    app.after_request(note_writes_of_this_request)


def create_app(overrides: dict | None = None) -> Flask:
    """Build a configured app; ``overrides`` replace settings (tests use it)."""
    folder = instance_path()
    make_instance_folder_private(folder)
    app = TendFlask(
        __name__,
        instance_path=str(folder),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(load_config(folder))
    if overrides:
        app.config.update(overrides)
    app.config.setdefault("ARGON2", argon2_parameters(app.config["TESTING"]))
    make_sqlite_files_private(app.config["SQLALCHEMY_DATABASE_URI"], folder)

    from webapp import models  # noqa: F401  (registers every table on the metadata)
    from webapp.auth.cli import keys_cli
    from webapp.auth.keys import init_keys
    from webapp.content import SIGN_IN_TO_CONTINUE
    from webapp.extensions import csrf, db, htmx, init_database, limiter, login_manager, migrate
    from webapp.web.compression import init_compression
    from webapp.web.errorpages import init_error_pages
    from webapp.web.security import init_security
    from webapp.web.templating import init_templating

    init_database(app)
    init_keys(app)
    app.cli.add_command(keys_cli)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = SIGN_IN_TO_CONTINUE
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    from webapp.monitoring import init_monitoring

    init_monitoring(app)  # before the blueprints, so their hooks count in a request's time

    # Every capability, in the order of docs/architecture.md; importing a package also
    # connects its reactions to the domain events.
    from webapp.admin import init_admin
    from webapp.auth import bp as auth_bp
    from webapp.backup import init_backup
    from webapp.health import bp as health_bp
    from webapp.importer import bp as importer_bp
    from webapp.insights import bp as insights_bp
    from webapp.intentions import bp as intentions_bp
    from webapp.journal import bp as journal_bp
    from webapp.journeys import bp as journeys_bp
    from webapp.media import bp as media_bp
    from webapp.monitoring import bp as monitoring_bp
    from webapp.onboarding import bp as onboarding_bp
    from webapp.practices import bp as practices_bp
    from webapp.push import bp as push_bp
    from webapp.push import init_push
    from webapp.pwa import bp as pwa_bp
    from webapp.recovery import bp as recovery_bp
    from webapp.recovery import init_recovery
    from webapp.retention import init_retention
    from webapp.shares import bp as shares_bp
    from webapp.support import bp as support_bp
    from webapp.sync import bp as sync_bp
    from webapp.today import bp as today_bp

    for blueprint in (
        auth_bp, journeys_bp, journal_bp, practices_bp, intentions_bp, support_bp,
        insights_bp, today_bp, shares_bp, push_bp, sync_bp, pwa_bp, recovery_bp, onboarding_bp,
        importer_bp, health_bp, monitoring_bp, media_bp,
    ):
        app.register_blueprint(blueprint)
    init_push(app)
    init_recovery(app)
    init_admin(app)
    init_backup(app)
    init_retention(app)

    init_error_pages(app)
    _init_ready_pages(app)  # inside the security and proxy middleware
    init_security(app)
    init_compression(app)
    init_templating(app)
    return app
