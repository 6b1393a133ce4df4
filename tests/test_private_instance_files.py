"""On a shared machine, nobody but the user Tend runs as can read its keys or its journal:
the instance folder is 0700, and the SQLite database and the files beside it are 0600."""

from __future__ import annotations

import os
import stat

from sqlalchemy import text

from tests.conftest import make_app
from webapp.extensions import db


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def serve_from(folder, monkeypatch):
    monkeypatch.setenv("TEND_INSTANCE_PATH", str(folder))
    monkeypatch.delenv("TEND_MASTER_KEY", raising=False)
    served = make_app(f"sqlite:///{folder / 'tend.db'}")
    with served.app_context():
        db.create_all()
        with db.engine.begin() as connection:
            connection.execute(text("PRAGMA journal_mode=WAL"))
            connection.execute(text("INSERT INTO users (id, email, password_hash, data_key, "
                                    "timezone, lock_after_minutes, content_version, "
                                    "failed_unlocks, created_at) VALUES ('0'||hex(randomblob(15)),"
                                    " 'a@example.org', 'x', x'00', 'UTC', 5, 0, 0, "
                                    "CURRENT_TIMESTAMP)"))
        assert (folder / "tend.db-wal").exists() and (folder / "tend.db-shm").exists()
        for name in ("tend.db", "tend.db-wal", "tend.db-shm"):
            assert mode(folder / name) == 0o600, name
        db.engine.dispose()


def test_a_new_instance_is_private(tmp_path, monkeypatch):
    folder = tmp_path / "instance"
    old_umask = os.umask(0o022)
    try:
        serve_from(folder, monkeypatch)
    finally:
        os.umask(old_umask)
    assert mode(folder) == 0o700
    assert mode(folder / "master_keys.json") == 0o600


def test_an_instance_made_by_an_older_version_is_made_private_at_start_up(
    tmp_path, monkeypatch
):
    folder = tmp_path / "instance"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)  # noqa: S103 (as an older version left it)
    for name in ("tend.db", "tend.db-wal", "tend.db-shm"):
        (folder / name).touch()
        os.chmod(folder / name, 0o644)
    (folder / "tend.db-wal").unlink()
    (folder / "tend.db-shm").unlink()
    monkeypatch.setenv("TEND_INSTANCE_PATH", str(folder))
    make_app(f"sqlite:///{folder / 'tend.db'}")
    assert mode(folder) == 0o700 and mode(folder / "tend.db") == 0o600
    serve_from(folder, monkeypatch)


def test_a_database_placed_elsewhere_keeps_its_modes(tmp_path, monkeypatch):
    elsewhere = tmp_path / "shared" / "tend.db"
    elsewhere.parent.mkdir()
    elsewhere.touch()
    os.chmod(elsewhere, 0o640)
    monkeypatch.setenv("TEND_INSTANCE_PATH", str(tmp_path / "instance"))
    make_app(f"sqlite:///{elsewhere}")
    assert mode(elsewhere) == 0o640
