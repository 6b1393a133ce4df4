"""With email configured, a forgotten password is reset by a link that works once, for 30
minutes; the form tells nobody whether an address has an account."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import select

from webapp.auth.models import DeviceSession, SecurityEvent, User
from webapp.extensions import db
from webapp.recovery.models import PasswordReset

NEW_PASSWORD = "a kinder password now"


def reset_link(message) -> str:
    body = message.get_content()
    match = re.search(r"http://\S+/reset/\S+", body)
    assert match, body
    return urlsplit(match.group(0)).path


def test_forgot_password_emails_a_link_that_sets_a_new_password(app, alice, mailbox):
    alice.submit("/entries", {"body": "the path through the birches"})
    stranger = app.test_client()
    page = stranger.submit("/forgot", {"email": "ALICE@example.org"}).get_data(as_text=True)
    assert "If an account here uses that address" in page

    message = mailbox.wait_for("alice@example.org")
    assert message["Subject"] == "Set a new password for Tend"
    assert "30 minutes" in message.get_content()
    path = reset_link(message)

    # Only a hash is kept: the token in the link is nowhere in the database.
    token = path.rsplit("/", 1)[1]
    stored = db.session.scalar(select(PasswordReset))
    assert stored.token_hash != token and token not in stored.token_hash

    form = stranger.get(path)
    assert form.status_code == 200
    assert "encrypted under its own key" in form.get_data(as_text=True)
    done = stranger.submit(path, {"new_password": NEW_PASSWORD})
    assert done.status_code == 302 and done.location == "/login"

    user = db.session.scalar(select(User).where(User.email == "alice@example.org"))
    assert db.session.scalar(select(DeviceSession).where(DeviceSession.user_id == user.id)) is None
    assert alice.get("/").status_code == 302
    kinds = db.session.scalars(select(SecurityEvent.kind).where(SecurityEvent.user_id == user.id))
    assert "password_reset" in set(kinds)

    assert stranger.submit("/login", {"email": "alice@example.org",
                                      "password": NEW_PASSWORD}).status_code == 302
    assert "the path through the birches" in stranger.get("/journal").get_data(as_text=True)

    # The link works once.
    assert stranger.get(path).status_code in (302, 404)
    again = app.test_client().submit(path, {"new_password": "and yet another one"})
    assert again.status_code == 422
    assert "expired or was already used" in again.get_data(as_text=True)


def test_known_and_unknown_addresses_get_the_same_page_and_only_one_gets_mail(app, alice, mailbox):
    stranger = app.test_client()
    known = stranger.submit("/forgot", {"email": "alice@example.org"})
    unknown = stranger.submit("/forgot", {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 200

    def strip(page: str) -> str:
        return re.sub(r'content="[^"]+"|value="[^"]+"|"X-CSRFToken": "[^"]+"', "", page)

    assert strip(known.get_data(as_text=True)) == strip(unknown.get_data(as_text=True))
    mailbox.wait_for("alice@example.org")
    assert mailbox.to("nobody@example.org") == []


def test_an_opened_link_changes_nothing_until_the_form_is_sent(app, alice, mailbox):
    app.test_client().submit("/forgot", {"email": "alice@example.org"})
    path = reset_link(mailbox.wait_for("alice@example.org"))
    app.test_client().get(path)  # a mail scanner opening the link
    assert db.session.scalar(select(PasswordReset.used_at)) is None
    assert alice.get("/").status_code == 200


def test_a_link_expires_after_thirty_minutes(app, alice, mailbox):
    app.test_client().submit("/forgot", {"email": "alice@example.org"})
    path = reset_link(mailbox.wait_for("alice@example.org"))
    reset = db.session.scalar(select(PasswordReset))
    assert timedelta(minutes=29) < reset.expires_at - reset.created_at <= timedelta(minutes=30)
    reset.expires_at = reset.created_at - timedelta(seconds=1)
    db.session.commit()
    response = app.test_client().submit(path, {"new_password": NEW_PASSWORD})
    assert response.status_code == 422
    assert alice.get("/").status_code == 200


def test_a_new_password_must_still_be_long_enough(app, alice, mailbox):
    app.test_client().submit("/forgot", {"email": "alice@example.org"})
    path = reset_link(mailbox.wait_for("alice@example.org"))
    client = app.test_client()
    short = client.submit(path, {"new_password": "short"})
    assert short.status_code == 422
    assert "at least 10 characters" in short.get_data(as_text=True)
    assert client.submit(path, {"new_password": NEW_PASSWORD}).status_code == 302


def test_a_forged_link_is_not_found(client):
    response = client.get("/reset/not-a-real-token")
    assert response.status_code == 404
    assert "expired or was already used" in response.get_data(as_text=True)
