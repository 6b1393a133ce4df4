"""`flask push public-key` and `flask reminders run [--once]`."""

from __future__ import annotations

import logging
import signal
import threading

import click
from flask import current_app
from flask.cli import AppGroup

from webapp.push.dispatcher import make_dispatcher, settle_dispatcher_process
from webapp.push.schedules import run_daily_upkeep
from webapp.push.vapid import application_server_key, vapid_for

push_cli = AppGroup("push", help="Web Push identity.")
reminders_cli = AppGroup("reminders", help="Send gentle reminders.")


@push_cli.command("public-key")
def public_key():
    """Print the VAPID public key (the application server key, base64url)."""
    click.echo(application_server_key(vapid_for(current_app)))


@reminders_cli.command("plan-ahead")
def plan_ahead():
    """Run the daily upkeep (plan practices ahead and the like); for cron with --once."""
    click.echo(f"{run_daily_upkeep()} planner(s) ran.")


@reminders_cli.command("run")
@click.option("--once", is_flag=True, help="Send what is due now, then exit (for cron).")
@click.option("--batch-size", type=int, default=None, help="Reminders claimed per round.")
def run(once: bool, batch_size: int | None):
    """Send due reminders until stopped (SIGTERM or Ctrl-C finish the current batch first)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    overrides = {"batch_size": batch_size} if batch_size else {}
    dispatcher = make_dispatcher(current_app, **overrides)
    settle_dispatcher_process()
    try:
        if once:
            handled = dispatcher.run_once()
            click.echo(f"{handled} reminder(s) handled.")
            return
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        click.echo("Sending reminders; stop with Ctrl-C or SIGTERM.")
        dispatcher.run(stop, idle_seconds=current_app.config["REMINDER_IDLE_SECONDS"])
        click.echo("Stopped after finishing the current batch.")
    finally:
        dispatcher.sender.close()
