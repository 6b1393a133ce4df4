"""A wrong DATABASE_URL stops Tend at start-up with a message naming it (never its password),
instead of starting and failing every request with a generic error."""

from __future__ import annotations

import pytest

from webapp import create_app
from webapp.extensions import DatabaseUnreachable

WRONG = [
    "postgresql+psycopg://tend:s3cret-pass@127.0.0.1:1/tend",
    "sqlite:////nonexistent-folder-for-tend/deeper/tend.db",
    "mysql://tend:s3cret-pass@127.0.0.1/tend",
    "not a url at all",
]


@pytest.mark.parametrize("url", WRONG)
def test_a_wrong_database_url_stops_start_up_with_a_clear_message(url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("TEND_EMBEDDED_DISPATCHER", raising=False)
    with pytest.raises(DatabaseUnreachable) as stopped:
        create_app({"SECRET_KEY": "test secret"})
    message = str(stopped.value)
    assert message.startswith("Tend cannot start") and "DATABASE_URL" in message
    assert "s3cret-pass" not in message


def test_a_reachable_database_starts(database_url, schema, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("TEND_EMBEDDED_DISPATCHER", raising=False)
    assert create_app({"SECRET_KEY": "test secret"}).config["TESTING"] is False
