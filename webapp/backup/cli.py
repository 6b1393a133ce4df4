"""`flask --app wsgi backup create|verify|restore PATH`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from webapp.backup import services
from webapp.health.services import migration_heads

backup_cli = AppGroup("backup", help="Back up and restore the database (never the keys).")


def _show(report: services.BackupReport) -> None:
    for name, count in report.tables.items():
        click.echo(f"  {name:<24} {count:>8}")
    click.echo(f"Migration: {report.revision or 'not recorded'}")
    if report.key_ids:
        click.echo(f"Needs master key(s): {', '.join(sorted(report.key_ids))}")


def _keys_reminder() -> None:
    click.echo(
        "The master key is NOT in this backup, and must not be. It is in "
        f"{services.master_key_location()}: back it up separately, somewhere else. "
        "Without it, the journals in the backup cannot be read."
    )


@backup_cli.command("create")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def create(path: Path):
    """Write a consistent copy of the database to PATH while Tend runs."""
    keyring = current_app.extensions["tend_keyring"]
    instance = Path(current_app.instance_path).resolve()
    try:
        report = services.create_backup(path)
        services.check_keys_open(report, keyring)
    except services.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Backed up to {path} ({report.kind}):")
    _show(report)
    _keys_reminder()
    if keyring.path is not None and path.resolve().parent == instance:
        click.echo("Careful: this backup sits next to the master key file. Move one of them "
                   "elsewhere, or a single copy of the folder holds both.", err=True)


@backup_cli.command("verify")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def verify(path: Path):
    """Check that PATH opens, count its rows, and say whether its master key is at hand."""
    try:
        report = services.read_backup(path)
    except services.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{path} opens ({report.kind}):")
    _show(report)
    try:
        services.check_keys_open(report, current_app.extensions["tend_keyring"])
    except services.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("The master key at hand opens its journals.")


@backup_cli.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore(path: Path, yes: bool):
    """Restore PATH into the (empty) database DATABASE_URL names."""
    if not yes:
        click.confirm(f"Restore {path} into {services.database_url().render_as_string()}?",
                      abort=True)
    try:
        report = services.restore_backup(path)
    except services.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Restored {path}:")
    _show(report)
    if report.revision and {report.revision} != migration_heads(current_app):
        click.echo("This backup is from an older version: run `flask --app wsgi db upgrade`.")
    _keys_reminder()
