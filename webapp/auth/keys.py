"""The master keyring that wraps every person's data key: loaded and checked at start-up,
and re-wrapping every data key when the master key is rotated (`flask keys`)."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import OperationalError, ProgrammingError

from webapp.auth.epochs import DatabaseEpochs
from webapp.auth.models import KeyEpoch, User
from webapp.crypto import Keyring, KeyringError
from webapp.extensions import db


def init_keys(app: Flask) -> None:
    keyring = Keyring.from_settings(
        app.config["MASTER_KEY"], app.config["OLD_MASTER_KEYS"], Path(app.instance_path)
    )
    keyring.epochs = DatabaseEpochs()
    app.extensions["tend_keyring"] = keyring
    with app.app_context():
        check_keyring_opens_database(keyring)


def check_keyring_opens_database(keyring: Keyring) -> None:
    """Fail at start-up, clearly, when the master key cannot open this database's data keys."""
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
    """Re-wrap every key sealed under an older master key (the key epochs' keys, and data
    keys of a database not yet migrated to epochs) under the primary one; return how many."""
    epochs = 0
    for epoch in db.session.scalars(select(KeyEpoch)):
        if keyring.needs_rewrap(bytes(epoch.wrapped_key)):
            epoch.wrapped_key = keyring.wrap(keyring.unwrap(bytes(epoch.wrapped_key)))
            epochs += 1
    db.session.commit()
    return epochs + _rewrap_master_wrapped_data_keys(keyring, batch_size)


def _rewrap_master_wrapped_data_keys(keyring: Keyring, batch_size: int) -> int:
    stale = [
        user_id
        for user_id, wrapped in db.session.execute(select(User.id, User.data_key))
        if wrapped and keyring.needs_rewrap(wrapped)
    ]
    for start in range(0, len(stale), batch_size):
        batch = stale[start : start + batch_size]
        for user in db.session.scalars(select(User).where(User.id.in_(batch))):
            user.data_key = keyring.wrap(keyring.unwrap(user.data_key))
        db.session.commit()
    return len(stale)
