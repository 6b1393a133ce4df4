"""Tend: a gentle, private companion for integrating ketamine-assisted psychotherapy."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, request

from webapp.config import PROJECT_ROOT, load_config

ONE_YEAR = 365 * 24 * 3600


class TendFlask(Flask):
    """Flask with static files cached forever when their URL names a version."""

    def get_send_file_max_age(self, filename: str | None) -> int | None:
        return ONE_YEAR if request.args.get("v") else None


def create_app(overrides: dict | None = None) -> Flask:
    """Build a configured app; ``overrides`` replace settings (tests use it)."""
    instance_path = Path(os.environ.get("TEND_INSTANCE_PATH", PROJECT_ROOT / "instance"))
    app = TendFlask(
        __name__,
        instance_path=str(instance_path.resolve()),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(load_config(Path(app.instance_path)))
    if overrides:
        app.config.update(overrides)

    from webapp import models  # noqa: F401  (registers every table on the metadata)
    from webapp.compression import init_compression
    from webapp.errorpages import init_error_pages
    from webapp.extensions import csrf, db, htmx, limiter, login_manager, migrate
    from webapp.keys import init_keys
    from webapp.security import init_security

    db.init_app(app)
    init_keys(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    from webapp.auth import bp as auth_bp
    from webapp.insights import bp as insights_bp
    from webapp.journal import bp as journal_bp
    from webapp.journeys import bp as journeys_bp
    from webapp.media import bp as media_bp
    from webapp.practices import bp as practices_bp
    from webapp.push import bp as push_bp
    from webapp.push import init_push
    from webapp.pwa import bp as pwa_bp
    from webapp.support import bp as support_bp
    from webapp.sync import bp as sync_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(journal_bp)
    app.register_blueprint(journeys_bp)
    app.register_blueprint(practices_bp)
    app.register_blueprint(support_bp)
    app.register_blueprint(insights_bp)
    app.register_blueprint(push_bp)
    app.register_blueprint(pwa_bp)
    app.register_blueprint(sync_bp)
    app.register_blueprint(media_bp)
    init_push(app)

    init_error_pages(app)
    init_security(app)
    init_compression(app)
    _register_template_helpers(app)
    return app


def _register_template_helpers(app: Flask) -> None:
    from webapp.templating import asset_url, local_time

    app.jinja_env.globals["asset_url"] = asset_url
    app.jinja_env.filters["local_time"] = local_time
