"""`flask --app wsgi retention prune`: the daily pruning, on demand or from cron."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from webapp.retention.services import prune

retention_cli = AppGroup("retention", help="Prune records older than they need to be.")


@retention_cli.command("prune")
def prune_now():
    """Delete old delivery records, old security-log rows and spent links now."""
    removed = prune()
    click.echo("Pruned " + ", ".join(f"{n} {what}" for what, n in removed.items()) + ".")
