"""Settings come from the environment; secrets are made once, privately, on first run."""

from __future__ import annotations

import stat

from argon2.low_level import Type, hash_secret_raw

from webapp import create_app
from webapp.auth import passwords
from webapp.config import normalise_database_url, read_or_create_secret
from webapp.shares import sealing


def test_secret_is_created_once_with_private_permissions(tmp_path):
    path = tmp_path / "instance" / "secret_key"
    first = read_or_create_secret(path)
    assert len(first) >= 40
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_or_create_secret(path) == first


def test_first_start_makes_a_secret_key_and_a_sqlite_database_in_instance(tmp_path, monkeypatch):
    monkeypatch.setenv("TEND_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'tend.db'}"
    assert app.config["SECRET_KEY"] == (tmp_path / "secret_key").read_text().strip()
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert create_app().config["SECRET_KEY"] == app.config["SECRET_KEY"]


def test_environment_overrides(tmp_path, monkeypatch):
    monkeypatch.setenv("TEND_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "from-env")
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db/tend")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("TRUST_PROXY", "1")
    app = create_app({"TESTING": True})  # settings only: no database "db" to reach here
    assert app.config["SECRET_KEY"] == "from-env"
    assert not (tmp_path / "secret_key").exists()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db/tend"
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"
    assert app.config["TRUST_PROXY"] is True


def test_database_url_spellings():
    assert normalise_database_url("postgresql://a/b") == "postgresql+psycopg://a/b"
    assert normalise_database_url("postgresql+psycopg://a/b") == "postgresql+psycopg://a/b"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_outside_tests_secrets_are_hashed_at_owasps_argon2id_cost(tmp_path, monkeypatch):
    """The suite hashes with a cheap Argon2 cost to stay quick; a real instance never does."""
    monkeypatch.setenv("TEND_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    served = create_app({"SECRET_KEY": "test secret"})
    assert served.config["TESTING"] is False
    assert served.config["ARGON2"] == {"time_cost": 2, "memory_cost": 19 * 1024, "parallelism": 1}
    with served.app_context():
        stored = passwords.hash_secret("a quiet lake at dawn")
        assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
        assert passwords.verify(stored, "a quiet lake at dawn")
        salt = bytes(16)
        assert sealing.passphrase_key("quiet harbour", salt) == hash_secret_raw(
            b"quiet harbour", salt, time_cost=2, memory_cost=19456, parallelism=1,
            hash_len=32, type=Type.ID,
        )
    tested = create_app({"SECRET_KEY": "test secret", "TESTING": True})
    assert tested.config["ARGON2"]["memory_cost"] < 19 * 1024
    with tested.app_context():  # a strong hash made earlier still opens under any cost
        assert passwords.verify(stored, "a quiet lake at dawn")
