"""An erased account cannot be recovered from the database's own files, even together with the
master key: on SQLite at once (deleted rows are zeroed, the write-ahead log emptied), on
PostgreSQL once the daily upkeep has retired the person's key epoch and rewritten the tables
that held their keys and email. Everyone else's journal stays readable."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from tests.conftest import PASSWORD
from tests.test_migrations import empty_database_url  # noqa: F401 (a fixture)
from webapp.auth import epochs
from webapp.auth.models import KeyEpoch, User
from webapp.crypto import KeyringError, epoch_of
from webapp.extensions import db
from webapp.journal.models import Entry
from webapp.push.schedules import run_daily_upkeep


def write(client, body: str) -> None:
    assert client.submit("/entries", {"body": body}).status_code == 302


def erase(client) -> None:
    response = client.submit("/account/delete", {"password": PASSWORD,
                                                  "confirmation": "delete my journal"})
    assert response.status_code == 302


def secrets_of(email: str) -> dict[str, bytes]:
    """What would let someone read this person's journal, as stored bytes."""
    person = db.session.scalar(select(User).where(User.email == email))
    entry = db.session.scalar(select(Entry).where(Entry.user_id == person.id))
    epoch = db.session.get(KeyEpoch, epoch_of(person.data_key))
    return {"email": email.encode(), "wrapped data key": bytes(person.data_key),
            "epoch key": bytes(epoch.wrapped_key), "entry": bytes(entry._body)}


@pytest.fixture
def no_grace(monkeypatch):
    """The upkeep may retire an epoch made a moment ago (tests do not wait two minutes)."""
    monkeypatch.setattr(epochs, "RETIRE_GRACE", epochs.timedelta(0))


def test_erasing_marks_the_epoch_and_new_sign_ups_get_a_fresh_one(app, alice, bob):
    alices_epoch = epoch_of(db.session.scalar(select(User.data_key).where(
        User.email == "alice@example.org")))
    erase(alice)
    newcomer = app.test_client()
    assert newcomer.submit("/register", {"email": "wren@example.org",
                                         "password": PASSWORD}).status_code == 302
    db.session.expire_all()
    assert db.session.get(KeyEpoch, alices_epoch).erased_at is not None
    wrens = db.session.scalar(select(User.data_key).where(User.email == "wren@example.org"))
    assert epoch_of(wrens) != alices_epoch


def test_the_upkeep_retires_the_epoch_and_everyone_else_still_reads(app, alice, bob, no_grace):
    write(alice, "alice's words")
    write(bob, "bob's words, kept")
    old = secrets_of("alice@example.org")["wrapped data key"]
    erase(alice)
    run_daily_upkeep()
    db.session.expire_all()
    assert db.session.scalar(select(KeyEpoch.erased_at)) is None, "only the fresh epoch is left"
    with pytest.raises(KeyringError):
        app.extensions["tend_keyring"].unwrap(old)
    assert "bob&#39;s words, kept" in bob.get("/journal").get_data(as_text=True)


def test_the_sqlite_file_keeps_nothing_of_an_erased_account(app, alice, bob, database_url):
    if make_url(database_url).get_backend_name() != "sqlite":
        pytest.skip("this run is on PostgreSQL: see the data files test")
    with db.engine.begin() as connection:  # as a host might run it, for concurrency
        connection.exec_driver_sql("PRAGMA journal_mode=WAL")
    write(alice, f"marker {uuid.uuid4().hex}")
    write(bob, "bob stays")
    secrets = secrets_of("alice@example.org")
    erase(alice)

    path = Path(make_url(database_url).database)
    files = [path, path.with_name(path.name + "-wal")]
    stored = b"".join(name.read_bytes() for name in files if name.exists())
    db.session.remove()
    db.engine.dispose()
    with db.engine.begin() as connection:  # back as the other tests expect it
        connection.exec_driver_sql("PRAGMA journal_mode=DELETE")
    assert b"bob@example.org" in stored, "the files read are the right ones"
    for what, value in secrets.items():
        if what != "epoch key":  # the epoch is everyone's until retired: see the next test
            assert value not in stored, what


def relation_files(*names: str) -> bytes:
    """The raw pages of tables (and their indexes and TOAST), as on disk after a checkpoint:
    what a copy of the data directory holds. Read as the superuser with pg_read_binary_file."""
    db.session.execute(text("CHECKPOINT"))
    query = text(
        "SELECT pg_relation_filepath(c.oid) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' "
        "AND c.relkind IN ('r', 'i', 't') AND c.relfilenode <> 0 "
        "AND (:all OR c.relname = ANY(:names) OR c.oid IN (SELECT reltoastrelid FROM pg_class "
        "WHERE relname = ANY(:names)) OR c.oid IN (SELECT indexrelid FROM pg_index i JOIN "
        "pg_class t ON t.oid = i.indrelid WHERE t.relname = ANY(:names)))"
    )
    paths = db.session.scalars(query, {"all": not names, "names": list(names)}).all()
    pages = b"".join(db.session.scalar(text("SELECT pg_read_binary_file(:p)"), {"p": path})
                     for path in paths)
    db.session.commit()
    return pages


def test_postgresql_data_files_keep_no_key_to_an_erased_account(app, alice, bob, database_url,
                                                                no_grace):
    if make_url(database_url).get_backend_name() != "postgresql":
        pytest.skip("this run is on SQLite: see the SQLite file test")
    write(alice, f"marker {uuid.uuid4().hex}")
    write(bob, "bob's words, kept")
    secrets = secrets_of("alice@example.org")
    before = relation_files("users", "key_epochs")
    for what in ("email", "wrapped data key", "epoch key"):
        assert secrets[what] in before, f"the test can see the {what} before"

    erase(alice)
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM users"))  # as autovacuum would: marks, keeps bytes
    run_daily_upkeep()

    everything = relation_files()
    assert b"bob@example.org" in everything
    assert secrets["epoch key"] not in everything, "the key that opened alice's key is gone"
    assert secrets["wrapped data key"] not in everything
    assert secrets["email"] not in everything
    # Her entry's ciphertext may linger in free space until reused; nothing left opens it.
    with pytest.raises(KeyringError):
        app.extensions["tend_keyring"].unwrap(secrets["wrapped data key"])
    assert "bob&#39;s words, kept" in bob.get("/journal").get_data(as_text=True)


def test_a_busy_neighbour_database_delays_the_rewrite_rather_than_keeping_the_key(
    app, alice, bob, database_url, no_grace
):
    """Another database on the same server (another app, a reporting job) may be writing
    when the upkeep runs. PostgreSQL then counts the retired row as possibly visible, and a
    rewrite at that moment would copy it into the new file. The upkeep waits for that
    transaction to end instead."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        pytest.skip("this run is on SQLite: a PostgreSQL server's other databases")
    write(alice, f"marker {uuid.uuid4().hex}")
    secrets = secrets_of("alice@example.org")
    db.session.commit()
    neighbour = create_engine(url.set(database="postgres"))
    with neighbour.connect() as other:
        other.execute(text("SELECT pg_current_xact_id()"))  # a writing transaction, held
        erase(alice)
        db.session.commit()
        threading.Timer(1.5, other.rollback).start()
        run_daily_upkeep()
    neighbour.dispose()

    everything = relation_files()
    assert b"bob@example.org" in everything
    assert secrets["epoch key"] not in everything, "the retired epoch's key was kept"
    assert secrets["email"] not in everything


def test_the_migration_moves_existing_data_keys_into_an_epoch_and_back(
    empty_database_url,  # noqa: F811
):
    from flask_migrate import downgrade, upgrade

    from tests.conftest import make_app
    from webapp.crypto import encrypt_text

    migrated = make_app(empty_database_url)
    with migrated.app_context():
        upgrade(revision="0005")
        keyring = migrated.extensions["tend_keyring"]
        user_id, entry_id = uuid.uuid4(), uuid.uuid4()
        wrapped = keyring.wrap(data_key := __import__("os").urandom(32))  # format 1
        as_text = str if db.engine.dialect.name == "postgresql" else (lambda u: u.hex)
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO users (id, email, password_hash, data_key, timezone, "
                "lock_after_minutes, journal_version, created_at) VALUES "
                "(:id, 'old@example.org', 'x', :key, 'UTC', 5, 0, CURRENT_TIMESTAMP)"),
                {"id": as_text(user_id), "key": wrapped})
            connection.execute(text(
                "INSERT INTO entries (id, user_id, body, created_at, updated_at, version) "
                "VALUES (:entry, :id, :body, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1)"),
                {"entry": as_text(entry_id), "id": as_text(user_id),
                 "body": encrypt_text(data_key, user_id, "body", "written long ago")})

        upgrade()
        stored = bytes(db.session.scalar(select(User.data_key)))
        assert epoch_of(stored) == db.session.scalar(select(KeyEpoch.id))
        assert db.session.get(Entry, entry_id).body == "written long ago"
        db.session.remove()

        downgrade(revision="0005")
        back = bytes(db.session.execute(text("SELECT data_key FROM users")).scalar())
        assert back[:1] == b"\x01" and keyring.unwrap(back) == data_key
        db.session.remove()
        db.engine.dispose()
