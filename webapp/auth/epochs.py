"""Key epochs: why an erased journal cannot be recovered, even from a copy of the database
files together with the master key, one day after it was erased, on SQLite and PostgreSQL.

Deleting rows does not remove their bytes at once: PostgreSQL keeps dead rows in its table
files until the space is reused (VACUUM only marks it free), and SQLite does the same unless
``secure_delete`` is on. So an erased person's wrapped data key would stay in the files, and
with the master key it would open their journal's ciphertext, which stays there too.

Instead, every data key is wrapped under a key epoch (``KeyEpoch``), whose own key is
wrapped by the master key and stored in the small ``key_epochs`` table. Erasing an account
marks its epoch and moves new sign-ups to a fresh one at once. The daily upkeep then retires
marked epochs: everyone else's data key is wrapped anew under the fresh epoch, the retired
epoch's row is deleted, and ``key_epochs`` is rewritten (PostgreSQL: ``VACUUM FULL``, after
the transactions that could still see the row have ended; SQLite: ``secure_delete`` zeroes
deleted rows as they go). From then on no file of the database holds a key that opens the
erased person's data key. ``users`` is rewritten as well, so their email address goes from
its files too (best effort: if its lock cannot be had in ten seconds, the next erasure's
upkeep tries again).

What this cannot reach: PostgreSQL's write-ahead log until its segments are reused, replicas'
own files, and backups until they expire (docs/security.md).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import OperationalError

from webapp.auth.models import KeyEpoch, User
from webapp.crypto import Keyring, epoch_of, generate_key
from webapp.extensions import db
from webapp.types import utcnow

log = logging.getLogger(__name__)

# A sign-up that read the previous epoch just before a fresh one was made has long finished
# after this: only then is an older epoch retired, so no new account is left without a key.
RETIRE_GRACE = timedelta(minutes=2)
# How long the purge waits for transactions older than the deletion (which could still see
# the retired row, and so keep it through VACUUM FULL).
PURGE_WAIT_SECONDS = 30.0
REWRAP_BATCH = 500


class DatabaseEpochs:
    """The keyring's epoch store: the ``key_epochs`` table, through the app's session."""

    def current(self, keyring: Keyring) -> tuple[uuid.UUID, bytes]:
        with db.session.no_autoflush:
            row = db.session.execute(
                select(KeyEpoch.id, KeyEpoch.wrapped_key)
                .order_by(KeyEpoch.created_at.desc()).limit(1)
            ).first()
        if row is not None:
            return row.id, bytes(row.wrapped_key)
        return start_epoch(keyring)

    def wrapped(self, epoch_id: uuid.UUID) -> bytes | None:
        with db.session.no_autoflush:
            found = db.session.scalar(
                select(KeyEpoch.wrapped_key).where(KeyEpoch.id == epoch_id)
            )
        return bytes(found) if found is not None else None


def start_epoch(keyring: Keyring) -> tuple[uuid.UUID, bytes]:
    """A fresh epoch, in the current transaction; new data keys are wrapped under it."""
    epoch = KeyEpoch(id=uuid.uuid4(), wrapped_key=keyring.wrap(generate_key()),
                     created_at=utcnow())
    db.session.add(epoch)
    db.session.flush()
    return epoch.id, epoch.wrapped_key


def note_erasure(keyring: Keyring, wrapped_data_key: bytes) -> None:
    """In the erasing transaction: mark the person's epoch for retirement and, if it is the
    one new sign-ups use, start a fresh one for them."""
    epoch_id = epoch_of(wrapped_data_key)
    if epoch_id is None:
        return
    db.session.execute(
        update(KeyEpoch).where(KeyEpoch.id == epoch_id, KeyEpoch.erased_at.is_(None))
        .values(erased_at=utcnow())
    )
    newest = db.session.scalar(select(KeyEpoch.id).order_by(KeyEpoch.created_at.desc()))
    if newest == epoch_id:
        start_epoch(keyring)


def retire_erased_epochs(
    keyring: Keyring, now: datetime | None = None, wait: Callable[[float], None] = time.sleep
) -> int:
    """Retire every epoch marked by an erasure (the daily upkeep; ``flask keys retire``).
    Returns how many were retired. The table of epochs is rewritten every time, so a row an
    old transaction kept alive through an earlier rewrite goes now."""
    erased = list(db.session.scalars(
        select(KeyEpoch).where(KeyEpoch.erased_at.is_not(None)).order_by(KeyEpoch.created_at)
    ))
    if not erased:
        db.session.commit()
        purge_deleted_rows(("key_epochs",), wait_first=False)
        return 0
    newest = db.session.scalar(select(KeyEpoch).order_by(KeyEpoch.created_at.desc()).limit(1))
    if newest.erased_at is not None:  # (an erasure normally starts a fresh epoch itself)
        start_epoch(keyring)
        db.session.commit()
        newest = db.session.scalar(select(KeyEpoch).order_by(KeyEpoch.created_at.desc()))
    young = (newest.created_at + RETIRE_GRACE - (now or utcnow())).total_seconds()
    if young > 0:
        wait(young)
    target_id, target_key = newest.id, keyring.unwrap(bytes(newest.wrapped_key))
    for epoch in erased:
        moved = _rewrap_epoch(keyring, epoch.id, target_id, target_key)
        db.session.execute(delete(KeyEpoch).where(KeyEpoch.id == epoch.id))
        db.session.commit()
        keyring.forget_epoch(epoch.id)
        log.info("retired key epoch %s; %d data key(s) now in epoch %s", epoch.id, moved,
                 target_id)
    purge_deleted_rows(("key_epochs", "users"))
    return len(erased)


def _rewrap_epoch(keyring: Keyring, old: uuid.UUID, new: uuid.UUID, new_key: bytes) -> int:
    stale = [(user_id, bytes(wrapped))
             for user_id, wrapped in db.session.execute(select(User.id, User.data_key))
             if wrapped and epoch_of(bytes(wrapped)) == old]
    for start in range(0, len(stale), REWRAP_BATCH):
        for user_id, wrapped in stale[start : start + REWRAP_BATCH]:
            fresh = keyring.wrap_in_epoch(keyring.unwrap(wrapped), new, new_key)
            db.session.execute(update(User).where(User.id == user_id).values(data_key=fresh))
        db.session.commit()
    return len(stale)


def purge_deleted_rows(tables: tuple[str, ...], wait_first: bool = True) -> None:
    """Make deleted rows' bytes leave the database files. SQLite zeroes them on delete
    (``secure_delete``, set for every connection in ``webapp.extensions``); its write-ahead
    log, if used, is checkpointed and emptied. PostgreSQL rewrites each of ``tables``."""
    engine = db.engine
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        return
    if engine.dialect.name != "postgresql" or not tables:
        return
    if wait_first:
        _wait_for_older_transactions(utcnow())
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("SET lock_timeout = '10s'"))
        for table in tables:
            try:
                connection.execute(text(f"VACUUM FULL {table}"))
            except OperationalError:
                log.warning("could not rewrite %s now (busy); the next upkeep tries again", table)


_OLDER_HERE = text(
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
    "AND pid <> pg_backend_pid() AND xact_start < :since"
)
_NEW_TRANSACTION_ID = text("SELECT pg_current_xact_id()::text")
_OLDER_ANYWHERE = text("SELECT pg_snapshot_xmin(pg_current_snapshot()) <= CAST(:marker AS xid8)")


def _wait_for_older_transactions(since: datetime) -> None:
    """Wait until no transaction could make ``VACUUM FULL`` keep the deleted rows.

    Two kinds can: any transaction of this database that began before the deletion (its
    snapshot may still see the row), and a writing transaction of *any* database on the
    server that is older than the deletion, since the rewrite's own snapshot then counts
    the row as possibly visible. The first is read from ``pg_stat_activity`` (Tend's own
    sessions are always visible to its role); the second from the oldest transaction id still
    running, which needs no privilege: once it is newer than a transaction id taken now,
    everything that began before has ended.
    """
    deadline = time.monotonic() + PURGE_WAIT_SECONDS
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        marker = connection.execute(_NEW_TRANSACTION_ID).scalar()
        while time.monotonic() < deadline:
            if (not connection.execute(_OLDER_HERE, {"since": since}).scalar()
                    and not connection.execute(_OLDER_ANYWHERE, {"marker": marker}).scalar()):
                return
            time.sleep(0.5)
    log.warning("a transaction older than the retirement is still open; the next upkeep "
                "rewrites the table of key epochs again")
