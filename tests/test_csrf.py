"""Every state-changing request needs the page's CSRF token; without it nothing changes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from webapp.auth.models import User
from webapp.extensions import db
from webapp.journal.models import Entry


def test_register_without_token_is_refused_and_creates_nothing(client):
    response = client.post("/register", data={"email": "a@example.org", "password": "x" * 12})
    assert response.status_code == 400
    assert "Nothing was changed" in response.get_data(as_text=True)
    assert db.session.scalar(select(User)) is None


@pytest.mark.parametrize("token", [None, "", "forged-token", "IjEyMyI.abc.def"])
def test_entry_post_without_a_valid_token_is_refused(alice, token):
    data = {"body": "should not be saved"}
    if token is not None:
        data["csrf_token"] = token
    response = alice.post("/entries", data=data)
    assert response.status_code == 400
    assert db.session.scalar(select(Entry)) is None


def test_htmx_request_with_a_wrong_header_token_gets_a_fragment(alice):
    response = alice.post(
        "/entries",
        data={"body": "nope"},
        headers={"HX-Request": "true", "X-CSRFToken": "wrong"},
    )
    assert response.status_code == 400
    assert response.headers["HX-Retarget"] == "#messages"
    assert db.session.scalar(select(Entry)) is None


def test_a_token_from_another_session_is_refused(alice, bob):
    bobs_token = bob.csrf_token()
    response = alice.post("/entries", data={"body": "x", "csrf_token": bobs_token})
    assert response.status_code == 400
    assert db.session.scalar(select(Entry)) is None


def test_delete_and_sign_out_need_the_token_too(alice):
    alice.submit("/entries", {"body": "stay"})
    entry = db.session.scalar(select(Entry))
    assert alice.post(f"/entries/{entry.id}/delete").status_code == 400
    assert alice.post("/logout").status_code == 400
    db.session.expire_all()
    assert db.session.get(Entry, entry.id).deleted_at is None
    assert alice.get("/").status_code == 200


def test_over_https_a_form_without_a_referer_still_works_with_its_token(client):
    """Tend's pages ask browsers to send no Referer: the token alone must be enough."""
    page = client.get("/register", base_url="https://tend.example").get_data(as_text=True)
    token = page.split('name="csrf-token" content="')[1].split('"')[0]
    response = client.post(
        "/register",
        data={"email": "https@example.org", "password": "x" * 12, "csrf_token": token},
        base_url="https://tend.example",
    )
    assert response.status_code == 302
    assert db.session.scalar(select(User.email)) == "https@example.org"
    forged = client.post(
        "/entries", data={"body": "x", "csrf_token": "forged"}, base_url="https://tend.example"
    )
    assert forged.status_code == 400
