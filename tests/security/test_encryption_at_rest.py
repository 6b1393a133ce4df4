"""A copy of the database alone reveals no journal text; keys rotate without losing any."""

from __future__ import annotations

import shutil
import subprocess
import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from tests.conftest import IN_CI, make_app, run_cli
from webapp.auth.models import User
from webapp.crypto import (
    DecryptionError,
    Keyring,
    KeyringError,
    decrypt_text,
    encode_key,
    generate_key,
)
from webapp.extensions import db
from webapp.journal.models import Entry


def write(client, body: str, title: str = ""):
    response = client.submit("/entries", {"body": body, "title": title})
    assert response.status_code == 302


def test_stored_title_and_body_are_ciphertext(alice):
    marker = f"marker-{uuid.uuid4().hex}"
    write(alice, f"My body remembers {marker}", title=f"Title {marker}")
    raw = db.session.execute(db.text("SELECT title, body FROM entries")).one()
    for value in raw:
        assert isinstance(value, bytes | memoryview)
        assert marker.encode() not in bytes(value)
    assert marker in alice.get("/journal").get_data(as_text=True)


def write_everywhere(alice, marker: str) -> None:
    """The marker in every kind of free text a person writes."""
    write(alice, f"A heron stood still. {marker}", title=marker)
    alice.submit("/journeys/new", {"date": "2026-11-20", "time": "10:00", "intention": marker,
                                   "setting_notes": marker})
    alice.submit("/intentions", {"text": marker})
    alice.submit("/settings", {"timezone": "UTC", "reflection_days": "3", "meaning_days": "14",
                               "therapist_contact": marker})
    alice.submit("/support/safety-plan", {"warning_signs": marker, "what_helps": marker,
                                          "people_places": marker, "professionals": marker})
    owner = db.session.scalar(select(User.id))
    from webapp.intentions.models import Intention
    from webapp.journeys.models import IntegrationSettings, Journey
    from webapp.support.models import SafetyPlan

    db.session.expire_all()
    assert db.session.scalar(select(Journey)).intention == marker
    assert db.session.scalar(select(Intention)).text == marker
    assert db.session.get(IntegrationSettings, owner).therapist_contact == marker
    assert db.session.scalar(select(SafetyPlan)).professionals == marker


def test_the_sqlite_file_holds_no_journal_text(app, alice, database_url):
    if make_url(database_url).get_backend_name() != "sqlite":
        pytest.skip("this run is on PostgreSQL: see the pg_dump test")
    marker = f"sqlite-marker-{uuid.uuid4().hex}"
    write_everywhere(alice, marker)
    db.engine.dispose()
    path = make_url(database_url).database
    with open(path, "rb") as database_file:
        data = database_file.read()
    assert b"alice@example.org" in data  # the file is the right one, and was written
    assert marker.encode() not in data
    assert marker.encode("utf-16-le") not in data


def test_a_pg_dump_holds_no_journal_text(app, alice, database_url):
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        pytest.skip("this run is on SQLite: see the SQLite file test")
    if not shutil.which("pg_dump"):
        if IN_CI:
            pytest.fail("pg_dump is needed to check the PostgreSQL dump")
        pytest.skip("pg_dump is not installed")
    marker = f"pg-marker-{uuid.uuid4().hex}"
    write_everywhere(alice, marker)
    dump = subprocess.run(
        ["pg_dump", "--data-only", url.set(drivername="postgresql").render_as_string(False)],
        capture_output=True,
        check=True,
    ).stdout
    assert b"alice@example.org" in dump
    assert marker.encode() not in dump


def test_search_still_finds_text_by_decrypting_the_persons_own_entries(alice, bob):
    write(alice, "Velvet dark, then light.")
    write(alice, "Nothing to see.")
    write(bob, "velvet is bob's word too")
    page = alice.get("/journal?q=VELVET").get_data(as_text=True)
    assert "Velvet dark" in page and "Nothing to see" not in page and "bob" not in page


def test_ciphertext_moved_to_another_person_does_not_decrypt(alice, bob):
    write(alice, "alice's words")
    write(bob, "bob's words")
    alices = db.session.scalar(select(Entry).join(User).where(User.email == "alice@example.org"))
    bobs = db.session.scalar(select(Entry).join(User).where(User.email == "bob@example.org"))
    bobs._body = alices._body
    db.session.commit()
    db.session.expire_all()
    with pytest.raises(DecryptionError):
        _ = db.session.get(Entry, bobs.id).body


def test_field_ciphertext_is_bound_to_its_field():
    key, owner = generate_key(), uuid.uuid4()
    from webapp.crypto import encrypt_text

    blob = encrypt_text(key, owner, "title", "hello")
    assert decrypt_text(key, owner, "title", blob) == "hello"
    with pytest.raises(DecryptionError):
        decrypt_text(key, owner, "body", blob)
    assert encrypt_text(key, owner, "title", "hello") != blob  # a fresh nonce every time


def test_a_wrong_master_key_stops_start_up_with_a_clear_message(app, alice, monkeypatch, schema):
    monkeypatch.setenv("TEND_MASTER_KEY", encode_key(generate_key()))
    with pytest.raises(KeyringError) as caught:
        make_app(schema)
    message = str(caught.value)
    assert "Tend cannot start" in message and "TEND_MASTER_KEY" in message


def test_a_damaged_master_key_setting_is_refused(monkeypatch, schema):
    monkeypatch.setenv("TEND_MASTER_KEY", "not-a-key")
    with pytest.raises(KeyringError, match="base64url|bytes"):
        make_app(schema)


def test_rotating_the_file_keyring_keeps_every_entry_readable(app, alice, bob, instance_folder):
    write(alice, "before rotation, alice")
    write(bob, "before rotation, bob")
    old_primary = app.extensions["tend_keyring"].primary

    result = run_cli(app, "keys", "rotate")
    assert result.exit_code == 0, result.output
    # Both journals' data keys are wrapped in one key epoch: its key is what the master key wraps.
    assert "re-wrapped 1 keys" in result.output

    keyring = Keyring.from_file(instance_folder / "master_keys.json")
    assert keyring.primary != old_primary and old_primary in keyring.keys
    for wrapped in db.session.scalars(select(User.data_key)):
        assert not keyring.needs_rewrap(wrapped)

    # A server that started before the rotation still reads everything (it re-reads the file).
    assert "before rotation, alice" in alice.get("/journal").get_data(as_text=True)
    # And one started after it too.
    fresh = make_app(app.config["SQLALCHEMY_DATABASE_URI"])
    with fresh.app_context():
        bodies = {entry.body for entry in db.session.scalars(select(Entry))}
    assert bodies == {"before rotation, alice", "before rotation, bob"}


def test_rotating_keys_given_in_the_environment(app, alice, monkeypatch, schema):
    write(alice, "kept through an environment rotation")
    keyring = app.extensions["tend_keyring"]
    old_key = keyring.keys[keyring.primary]
    new_key = generate_key()
    monkeypatch.setenv("TEND_MASTER_KEY", encode_key(new_key))
    monkeypatch.setenv("TEND_OLD_MASTER_KEYS", encode_key(old_key))
    rotated = make_app(schema)
    result = run_cli(rotated, "keys", "rewrap")
    assert "Re-wrapped 1 keys." in result.output

    monkeypatch.delenv("TEND_OLD_MASTER_KEYS")
    only_new = make_app(schema)  # the old key is gone and start-up still succeeds
    with only_new.app_context():
        assert db.session.scalar(select(Entry)).body == "kept through an environment rotation"
    refused = run_cli(only_new, "keys", "rotate")
    assert refused.exit_code != 0 and "TEND_OLD_MASTER_KEYS" in refused.output


def test_a_new_master_key_file_is_private(tmp_path):
    import stat

    keyring = Keyring.from_settings(None, [], tmp_path)
    path = tmp_path / "master_keys.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert Keyring.from_file(path).primary == keyring.primary
