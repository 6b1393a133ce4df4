"""At rest and in logs: a shared text is ciphertext in every table, share tables included;
a link's secret is nowhere on the server, not in the database, not in any log."""

from __future__ import annotations

import base64
import logging
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select
from sqlalchemy.engine import make_url

from tests.conftest import CSRF_META, IN_CI, PASSWORD, LiveServer, make_app
from tests.shares.story import LINK, make_link, open_link, split, write_arc
from webapp.auth.models import User
from webapp.encrypted_fields import data_key_for
from webapp.extensions import db
from webapp.journal.models import Entry
from webapp.shares.models import Share

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def share_everything(alice, app, marker: str) -> list[str]:
    """The marker in entries, a brief and a safety plan, each shared (one with a passphrase,
    one that opens once) and opened; returns the links."""
    arc = write_arc(marker=marker)
    alice.submit("/support/safety-plan", {"warning_signs": f"Signs {marker}"})
    made = [
        make_link(alice, kind="entries", entry=arc.ids("heron", "river")),
        make_link(alice, kind="brief", journey=str(arc.journey.id), entry=arc.ids("lantern"),
                  passphrase="quiet harbour"),
        make_link(alice, kind="safety_plan", once="1"),
        make_link(alice, kind="entries", entry=arc.ids("garden")),  # never opened
    ]
    recipient = app.test_client()
    for link in made[:3]:
        response = open_link(recipient, link, passphrase="quiet harbour")
        assert response.status_code == 200 and marker in response.get_data(as_text=True)
    return made


def secret_forms(link: str) -> list[bytes]:
    """Every way a link's secret could have been written down."""
    secret = split(link)[1]
    raw = base64.urlsafe_b64decode(secret + "=")
    return [secret.encode(), raw, raw.hex().encode(), base64.b64encode(raw).rstrip(b"=")]


def assert_nowhere(data: bytes, marker: str, made: list[str]) -> None:
    assert marker.encode() not in data
    assert marker.encode("utf-16-le") not in data
    for link in made:
        for form in secret_forms(link):
            assert form not in data, "a link's secret is stored"


def test_the_sqlite_file_holds_no_shared_text_and_no_secret(app, alice, database_url):
    if make_url(database_url).get_backend_name() != "sqlite":
        pytest.skip("this run is on PostgreSQL: see the pg_dump test")
    marker = f"shared-marker-{uuid.uuid4().hex}"
    made = share_everything(alice, app, marker)
    ciphertexts = [s.ciphertext for s in db.session.scalars(select(Share)) if s.ciphertext]
    assert len(ciphertexts) == 3  # the one that opened once is gone already
    db.engine.dispose()
    data = Path(make_url(database_url).database).read_bytes()
    assert ciphertexts[0] in data  # the file is the right one, with the share tables in it
    assert_nowhere(data, marker, made)


def test_a_pg_dump_with_the_share_tables_holds_no_shared_text_and_no_secret(
    app, alice, database_url
):
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        pytest.skip("this run is on SQLite: see the SQLite file test")
    if not shutil.which("pg_dump"):
        if IN_CI:
            pytest.fail("pg_dump is needed to check the PostgreSQL dump")
        pytest.skip("pg_dump is not installed")
    marker = f"shared-marker-{uuid.uuid4().hex}"
    made = share_everything(alice, app, marker)
    dump = subprocess.run(
        ["pg_dump", "--data-only", url.set(drivername="postgresql").render_as_string(False)],
        capture_output=True,
        check=True,
    ).stdout
    assert b"COPY public.shares " in dump and b"COPY public.share_openings " in dump
    hashes = [s.secret_hash.encode() for s in db.session.scalars(select(Share))]
    assert len(hashes) == 4 and all(h in dump for h in hashes)
    assert_nowhere(dump, marker, made)


def test_the_database_with_its_master_key_still_opens_no_share(app, alice):
    """Someone holding the database and the master key reads the journal, but no share."""
    marker = f"shared-marker-{uuid.uuid4().hex}"
    share_everything(alice, app, marker)
    owner = db.session.scalar(select(User))
    data_key = data_key_for(db.session, owner.id)  # what the master key unlocks
    for share in db.session.scalars(select(Share)):
        readable = [str(getattr(share, column.key)) for column in Share.__table__.columns]
        assert not any(marker in value for value in readable + [share.sharer_name])
        for blob in filter(None, [share.ciphertext, share.wrapped_key]):
            with pytest.raises(InvalidTag):
                AESGCM(data_key).decrypt(blob[1:13], blob[13:], None)


def test_the_secret_never_reaches_the_apps_log(app, alice, caplog):
    caplog.set_level(logging.DEBUG)
    with LiveServer(make_app(app.config["SQLALCHEMY_DATABASE_URI"])) as server:
        marker = f"shared-marker-{uuid.uuid4().hex}"
        made = share_everything(alice, app, marker)
        for link in made:  # and over real HTTP, as a browser would: the door, then the post
            path, secret = split(link)
            requests.get(server.url + path, timeout=10)
            requests.post(server.url + path, data={"secret": secret,
                                                   "passphrase": "quiet harbour"}, timeout=10)
    logged = "\n".join(
        f"{record.name} {record.getMessage()}" for record in caplog.records
    ).encode()
    share_ids = [split(link)[0].rsplit("/", 1)[1] for link in made]
    assert all(share_id.encode() in logged for share_id in share_ids)  # the id is logged
    assert b"werkzeug" in logged  # the access log was captured
    assert_nowhere(logged, marker, made)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_gunicorns_access_log_names_the_share_but_never_its_secret(app, tmp_path):
    """Served the production way, with an access log: the path holds the share id only."""
    port, access_log = _free_port(), tmp_path / "access.log"
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "SECRET_KEY": "production-like secret", "TEND_INSTANCE_PATH": str(tmp_path)}
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "--workers", "1", "--bind",
         f"127.0.0.1:{port}", "--access-logfile", str(access_log), "wsgi:app"],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        owner = requests.Session()
        deadline = time.monotonic() + 30
        while True:
            try:
                page = owner.get(url + "/register", timeout=10).text
                break
            except (requests.ConnectionError, requests.Timeout):
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(process.stdout.read().decode())
                time.sleep(0.1)
        token = CSRF_META.search(page).group(1)
        owner.post(url + "/register", data={"email": "sam@example.org", "password": PASSWORD,
                                            "csrf_token": token}, timeout=10)
        token = CSRF_META.search(owner.get(url + "/journal", timeout=10).text).group(1)
        owner.post(url + "/entries", data={"body": "For my therapist.", "csrf_token": token},
                   timeout=10)
        entry_id = db.session.scalar(select(Entry.id))
        made = owner.post(url + "/shares/new/link", timeout=10, data={
            "kind": "entries", "entry": str(entry_id), "sharer_name": "Sam",
            "expires_days": "7", "csrf_token": token})
        assert made.status_code == 200
        link = LINK.search(made.text).group(1)
        path, secret = split(link)
        stranger = requests.Session()
        assert stranger.get(url + path, timeout=10).status_code == 200
        opened = stranger.post(url + path, data={"secret": secret}, timeout=10)
        assert opened.status_code == 200 and "For my therapist." in opened.text
        assert not stranger.cookies
    finally:
        process.terminate()
        process.wait(timeout=10)
    log = access_log.read_bytes()
    assert f"POST {path} ".encode() in log and f"GET {path} ".encode() in log
    assert_nowhere(log, "For my therapist.", [link])

