"""Backups: a consistent copy of the database while Tend runs, checked and restorable.
The master key is never inside: it is kept, and backed up, apart from the database."""

from flask import Flask


def init_backup(app: Flask) -> None:
    from webapp.backup.cli import backup_cli

    app.cli.add_command(backup_cli)
