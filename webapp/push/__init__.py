"""Gentle reminders: Web Push subscriptions, planning, and the dispatcher that sends them."""

from flask import Blueprint, Flask

bp = Blueprint("push", __name__)

from webapp.push import cli, reactions, routes  # noqa: E402,F401


def init_push(app: Flask) -> None:
    """CLI commands, and (for ``make run``) a dispatcher in this process."""
    app.cli.add_command(cli.push_cli)
    app.cli.add_command(cli.reminders_cli)
    if app.config["EMBEDDED_DISPATCHER"] and not app.config.get("TESTING"):
        from webapp.push.dispatcher import start_embedded_dispatcher

        app.extensions["tend_dispatcher_stop"] = start_embedded_dispatcher(app)
