"""`flask keys`: rotating the master key that protects every journal's data key."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from webapp.auth.epochs import retire_erased_epochs
from webapp.auth.keys import rewrap_all_data_keys
from webapp.crypto import Keyring, encode_key, generate_key

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
    click.echo(f"New master key {kid}; re-wrapped {count} keys.")


@keys_cli.command("rewrap")
def rewrap() -> None:
    """Re-wrap every data key with the current primary master key."""
    count = rewrap_all_data_keys(current_app.extensions["tend_keyring"])
    click.echo(f"Re-wrapped {count} keys.")


@keys_cli.command("retire")
def retire() -> None:
    """Retire now the key epochs of erased accounts (the daily upkeep does it too)."""
    count = retire_erased_epochs(current_app.extensions["tend_keyring"])
    click.echo(f"Retired {count} key epoch(s).")


@keys_cli.command("generate")
def generate() -> None:
    """Print a new random master key, for TEND_MASTER_KEY."""
    click.echo(encode_key(generate_key()))
