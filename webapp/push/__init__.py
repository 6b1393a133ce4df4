"""Gentle reminders: Web Push subscriptions, planning, and the dispatcher that sends them."""

import os

from flask import Blueprint, Flask

bp = Blueprint("push", __name__)

from webapp.push import cli, routes  # noqa: E402,F401


def init_push(app: Flask) -> None:
    """Reminder settings, CLI commands, and (for ``make run``) a dispatcher in this process."""
    from webapp.push.settings import push_defaults

    push_defaults(app)
    app.cli.add_command(cli.push_cli)
    app.cli.add_command(cli.reminders_cli)
    embedded = os.environ.get("TEND_EMBEDDED_DISPATCHER", "").lower() in {"1", "true", "on"}
    if embedded and not app.config.get("TESTING"):
        from webapp.push.dispatcher import start_embedded_dispatcher

        app.extensions["tend_dispatcher_stop"] = start_embedded_dispatcher(app)
