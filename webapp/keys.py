"""Loading the master keyring at start-up, and `flask keys` for rotating it."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import event, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, ProgrammingError

from webapp.crypto import Keyring, KeyringError, encode_key, generate_key
from webapp.extensions import db


def init_keys(app: Flask) -> None:
    keyring = Keyring.from_environment(Path(app.instance_path))
    app.extensions["tend_keyring"] = keyring
    with app.app_context():
        check_keyring_opens_database(keyring)
    app.cli.add_command(keys_cli)


def check_keyring_opens_database(keyring: Keyring) -> None:
    """Fail at start-up, clearly, when the master key cannot open this database's data keys."""
    from webapp.auth.models import User

    try:
        wrapped = db.session.scalar(select(User.data_key).limit(1))
    except (OperationalError, ProgrammingError):
        db.session.rollback()  # no schema yet: `flask db upgrade` comes first
        return
    finally:
        db.session.remove()
    if wrapped:
        try:
            keyring.unwrap(wrapped)
        except KeyringError as exc:
            raise KeyringError(
                f"Tend cannot start: {exc} (TEND_MASTER_KEY or instance/master_keys.json)"
            ) from None


def rewrap_all_data_keys(keyring: Keyring, batch_size: int = 500) -> int:
    """Re-wrap every data key not yet under the primary master key; return how many."""
    from webapp.auth.models import User

    stale = [
        user_id
        for user_id, wrapped in db.session.execute(select(User.id, User.data_key))
        if keyring.needs_rewrap(wrapped)
    ]
    for start in range(0, len(stale), batch_size):
        batch = stale[start : start + batch_size]
        for user in db.session.scalars(select(User).where(User.id.in_(batch))):
            user.data_key = keyring.wrap(keyring.unwrap(user.data_key))
        db.session.commit()
    return len(stale)


@event.listens_for(Engine, "connect")
def _sqlite_enforces_foreign_keys(dbapi_connection, connection_record) -> None:
    """SQLite ignores ON DELETE CASCADE unless asked; PostgreSQL always honours it."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


keys_cli = AppGroup("keys", help="Master keys that protect every journal's data key.")


@keys_cli.command("rotate")
def rotate() -> None:
    """Make a new master key (instance keyring file) and re-wrap every data key with it.

    Running servers keep working: they read the keyring file again when they meet the new
    key's id. The old key stays in the file until you remove it.
    """
    keyring: Keyring = current_app.extensions["tend_keyring"]
    if keyring.path is None:
        raise click.ClickException(
            "The master key comes from TEND_MASTER_KEY. To rotate it: set the new key in "
            "TEND_MASTER_KEY and the old one in TEND_OLD_MASTER_KEYS on every server, then "
            "run `flask keys rewrap`, then drop TEND_OLD_MASTER_KEYS."
        )
    kid = keyring.add_primary(generate_key())
    keyring.save()
    count = rewrap_all_data_keys(keyring)
    click.echo(f"New master key {kid}; re-wrapped {count} data keys.")


@keys_cli.command("rewrap")
def rewrap() -> None:
    """Re-wrap every data key with the current primary master key."""
    count = rewrap_all_data_keys(current_app.extensions["tend_keyring"])
    click.echo(f"Re-wrapped {count} data keys.")


@keys_cli.command("generate")
def generate() -> None:
    """Print a new random master key, for TEND_MASTER_KEY."""
    click.echo(encode_key(generate_key()))
