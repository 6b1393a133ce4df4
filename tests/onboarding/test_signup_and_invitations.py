"""Joining Tend: with email, sign-up never says who has an account; with
REGISTRATION_OPEN=invite, only an invitation link opens the door."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import func, select

from tests.conftest import PASSWORD, register, run_cli
from webapp.auth.models import User
from webapp.extensions import db
from webapp.onboarding.models import Invitation, PendingSignup


def link_in(message, path: str) -> str:
    match = re.search(rf"http://\S+{path}\S+", message.get_content())
    assert match, message.get_content()
    return urlsplit(match.group(0)).path


def accounts() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(User))


# -- Sign-up confirmed by email ------------------------------------------------------------------


def test_with_email_sign_up_is_confirmed_by_a_link(app, mailbox):
    browser = app.test_client()
    response = register(browser, "fern@example.org", timezone="Europe/Oslo")
    assert response.status_code == 307 and response.location == "/signup"
    page = browser.submit("/signup", {"email": "Fern@example.org", "password": PASSWORD,
                                      "timezone": "Europe/Oslo"})
    assert "Check your email" in page.get_data(as_text=True)
    assert accounts() == 0  # nothing exists until the link is followed

    message = mailbox.wait_for("fern@example.org")
    assert message["Subject"] == "Confirm your Tend account"
    path = link_in(message, "/signup/confirm/")
    assert browser.get(path).status_code == 200 and accounts() == 0  # opening changes nothing
    done = browser.submit(path)
    assert done.status_code == 302 and done.location == "/"
    assert browser.get("/").status_code == 200
    user = db.session.scalar(select(User))
    assert (user.email, user.timezone) == ("fern@example.org", "Europe/Oslo")
    assert db.session.scalar(select(PendingSignup)) is None
    assert browser.submit(path).status_code in (302, 404, 422)  # used up


def test_with_email_sign_up_answers_alike_for_an_address_that_has_an_account(app, alice, mailbox):
    newcomer, squatter = app.test_client(), app.test_client()
    fresh = newcomer.submit("/signup", {"email": "new@example.org", "password": PASSWORD})
    taken = squatter.submit("/signup", {"email": "alice@example.org", "password": PASSWORD})
    assert fresh.status_code == taken.status_code == 200

    def strip(page: str) -> str:
        return re.sub(r'content="[^"]+"|"X-CSRFToken": "[^"]+"', "", page)

    assert strip(fresh.get_data(as_text=True)) == strip(taken.get_data(as_text=True))
    warning = mailbox.wait_for("alice@example.org")
    assert warning["Subject"] == "Someone tried to sign up to Tend with your address"
    assert "/signup/confirm/" not in warning.get_content()
    assert mailbox.wait_for("new@example.org")["Subject"] == "Confirm your Tend account"
    assert accounts() == 1


def test_with_email_bad_fields_are_still_explained(app, mailbox):
    response = app.test_client().submit("/signup", {"email": "nope", "password": "short"})
    assert response.status_code == 422
    assert "at least 10 characters" in response.get_data(as_text=True)


def test_a_squatter_cannot_block_the_owner_of_an_address(app, mailbox):
    app.test_client().submit("/signup", {"email": "owner@example.org", "password": PASSWORD})
    mailbox.wait_for("owner@example.org")
    mailbox.clear()
    owner = app.test_client()
    owner.submit("/signup", {"email": "owner@example.org", "password": "the owner's password"})
    path = link_in(mailbox.wait_for("owner@example.org"), "/signup/confirm/")
    assert accounts() == 0  # the squatter's sign-up made no account
    assert owner.submit(path).status_code == 302
    signed_in = app.test_client().submit(
        "/login", {"email": "owner@example.org", "password": "the owner's password"}
    )
    assert signed_in.status_code == 302
    assert db.session.scalar(select(PendingSignup)) is None  # the squatter's link is gone too


def test_without_email_sign_up_stays_as_it_was(client):
    assert register(client, "plain@example.org").status_code == 302
    assert client.get("/signup").status_code == 404  # no email: the ordinary form
    assert accounts() == 1


# -- Invitations -------------------------------------------------------------------------------


def invite(app, *args: str) -> str:
    result = run_cli(app, "users", "invite", *args)
    assert result.exit_code == 0, result.output
    return urlsplit(result.stdout.strip().splitlines()[0]).path


def test_invite_only_lets_just_the_invited_in_once(app):
    app.config.update(REGISTRATION_OPEN=False, REGISTRATION_MODE="invite")
    outsider = app.test_client()
    assert outsider.get("/register").status_code == 403

    path = invite(app)
    assert path.startswith("/invite/")
    guest = app.test_client()
    assert guest.get(path).status_code == 200
    response = guest.submit(path, {"email": "client@example.org", "password": PASSWORD})
    assert response.status_code == 302 and guest.get("/").status_code == 200
    invitation = db.session.scalar(select(Invitation))
    assert invitation.used_at is not None and invitation.user_id is not None
    # The token in the link is not stored.
    assert path.rsplit("/", 1)[1] not in invitation.token_hash

    again = app.test_client()
    assert again.get(path).status_code == 404
    assert again.submit(path, {"email": "second@example.org", "password": PASSWORD}).status_code == 404
    assert accounts() == 1


def test_an_invitation_for_an_address_is_only_for_that_address(app):
    app.config.update(REGISTRATION_OPEN=False, REGISTRATION_MODE="invite")
    path = invite(app, "named@example.org")
    guest = app.test_client()
    assert 'value="named@example.org"' in guest.get(path).get_data(as_text=True)
    wrong = guest.submit(path, {"email": "other@example.org", "password": PASSWORD})
    assert wrong.status_code == 422
    assert db.session.scalar(select(Invitation.used_at)) is None  # not spent by a mistake
    assert guest.submit(path, {"email": "named@example.org", "password": PASSWORD}).status_code == 302


def test_an_invitation_expires(app):
    app.config.update(REGISTRATION_OPEN=False, REGISTRATION_MODE="invite")
    path = invite(app, "--days", "2")
    invitation = db.session.scalar(select(Invitation))
    assert invitation.expires_at - invitation.created_at == timedelta(days=2)
    invitation.expires_at = invitation.created_at
    db.session.commit()
    assert app.test_client().get(path).status_code == 404


def test_closed_registration_closes_invitations_too(app):
    path = invite(app)
    app.config.update(REGISTRATION_OPEN=False, REGISTRATION_MODE="closed")
    assert app.test_client().get(path).status_code == 404


def test_an_invitation_can_be_emailed(app, mailbox):
    result = run_cli(app, "users", "invite", "guest@example.org", "--send")
    assert result.exit_code == 0, result.output
    message = mailbox.wait_for("guest@example.org")
    assert message["Subject"] == "You are invited to Tend"
    assert link_in(message, "/invite/") == urlsplit(result.stdout.strip()).path
