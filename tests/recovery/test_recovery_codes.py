"""A person who forgot their password gets back in with a recovery code, and loses nothing."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from tests.conftest import PASSWORD, register
from webapp.auth.models import DeviceSession, SecurityEvent, User
from webapp.extensions import db
from webapp.recovery.models import RecoveryCode

NEW_PASSWORD = "the tide comes back in"
CODE = re.compile(r"<code>([0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4})</code>")


def make_codes(client, password: str | None = None) -> list[str]:
    data = {"password": password} if password else {}
    response = client.submit("/account/recovery-codes", data)
    assert response.status_code == 200, response.status_code
    return CODE.findall(response.get_data(as_text=True))


def alice_user() -> User:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == "alice@example.org"))


def events_of(user: User) -> list[str]:
    return list(db.session.scalars(
        select(SecurityEvent.kind).where(SecurityEvent.user_id == user.id)
        .order_by(SecurityEvent.created_at)
    ))


def test_after_sign_up_today_offers_codes_shown_once_and_stored_as_argon2id(alice):
    today = alice.get("/").get_data(as_text=True)
    assert "A way back in" in today
    page = alice.get("/account/recovery-codes").get_data(as_text=True)
    assert 'name="password"' not in page  # just signed up: no need to type it again

    codes = make_codes(alice)
    assert len(codes) == 10 and len(set(codes)) == 10

    stored = list(db.session.scalars(select(RecoveryCode)))
    assert len(stored) == 10
    for row in stored:
        assert row.code_hash.startswith("$argon2id$")
        assert all(code.replace("-", "") not in row.code_hash for code in codes)
    # Shown once: neither the page nor Today shows them again.
    again = alice.get("/account/recovery-codes").get_data(as_text=True)
    assert not CODE.search(again) and "10 of 10" in again
    assert "A way back in" not in alice.get("/").get_data(as_text=True)
    assert "recovery_codes_created" in events_of(alice_user())


def test_a_code_sets_a_new_password_signs_out_every_device_and_keeps_the_journal(app, alice):
    alice.submit("/entries", {"body": "the willow by the water"})
    codes = make_codes(alice)
    laptop = app.test_client()
    laptop.submit("/login", {"email": "alice@example.org", "password": PASSWORD})
    assert laptop.get("/").status_code == 200

    stranger = app.test_client()
    response = stranger.submit("/recover", {
        "email": "Alice@Example.org", "code": codes[3].upper().replace("-", " "),
        "new_password": NEW_PASSWORD,
    })
    assert response.status_code == 302 and response.location == "/login"

    user = alice_user()
    assert db.session.scalar(select(DeviceSession).where(DeviceSession.user_id == user.id)) is None
    assert alice.get("/").status_code == 302 and laptop.get("/").status_code == 302
    assert events_of(user)[-2:] == ["recovery_code_used", "password_changed"]

    old = stranger.submit("/login", {"email": "alice@example.org", "password": PASSWORD})
    assert old.status_code == 422
    new = stranger.submit("/login", {"email": "alice@example.org", "password": NEW_PASSWORD})
    assert new.status_code == 302
    assert "the willow by the water" in stranger.get("/journal").get_data(as_text=True)
    assert "9 of 10" in stranger.get("/account/recovery-codes").get_data(as_text=True)


def test_a_code_works_only_once(app, alice):
    codes = make_codes(alice)
    person = app.test_client()
    form = {"email": "alice@example.org", "code": codes[0], "new_password": NEW_PASSWORD}
    assert person.submit("/recover", form).status_code == 302
    again = person.submit("/recover", {**form, "new_password": "yet another password"})
    assert again.status_code == 422
    person.submit("/login", {"email": "alice@example.org", "password": NEW_PASSWORD})
    assert person.get("/").status_code == 200


def test_wrong_code_and_unknown_email_get_the_same_answer_and_change_nothing(app, alice):
    codes = make_codes(alice)
    before = alice_user().password_hash
    stranger = app.test_client()
    answers = [
        stranger.submit("/recover", {"email": "alice@example.org", "code": "0000-0000-0000-0000",
                                     "new_password": NEW_PASSWORD}),
        stranger.submit("/recover", {"email": "nobody@example.org", "code": codes[0],
                                     "new_password": NEW_PASSWORD}),
        stranger.submit("/recover", {"email": "alice@example.org", "code": "not a code",
                                     "new_password": NEW_PASSWORD}),
    ]
    texts = set()
    for response in answers:
        assert response.status_code == 422
        page = response.get_data(as_text=True)
        texts.add(re.search(r'role="alert">([^<]+)<', page).group(1))
    assert len(texts) == 1
    assert alice_user().password_hash == before
    assert alice.get("/").status_code == 200


def test_a_short_new_password_is_explained_and_the_code_is_not_spent(app, alice):
    codes = make_codes(alice)
    response = app.test_client().submit(
        "/recover", {"email": "alice@example.org", "code": codes[0], "new_password": "short"}
    )
    assert response.status_code == 422
    assert "at least 10 characters" in response.get_data(as_text=True)
    assert db.session.scalar(select(RecoveryCode).where(RecoveryCode.used_at.is_not(None))) is None


def test_later_new_codes_need_the_password_and_end_the_old_ones(app, alice):
    first = make_codes(alice)
    user = alice_user()
    user.created_at = user.created_at - timedelta(days=2)
    db.session.commit()

    page = alice.get("/account/recovery-codes").get_data(as_text=True)
    assert 'name="password"' in page
    refused = alice.submit("/account/recovery-codes", {"password": "not my password"})
    assert refused.status_code == 422
    assert "not your password" in refused.get_data(as_text=True)

    second = make_codes(alice, PASSWORD)
    assert len(second) == 10 and not set(first) & set(second)
    old = app.test_client().submit(
        "/recover", {"email": "alice@example.org", "code": first[0], "new_password": NEW_PASSWORD}
    )
    assert old.status_code == 422


def test_an_account_made_long_ago_without_codes_still_needs_the_password(app, alice):
    user = alice_user()
    user.created_at = user.created_at - timedelta(hours=2)
    db.session.commit()
    assert alice.submit("/account/recovery-codes", {}).status_code == 422
    assert db.session.scalar(select(RecoveryCode)) is None


def test_signed_in_people_are_sent_from_recover_to_their_codes(alice):
    response = alice.get("/recover")
    assert response.status_code == 302 and response.location == "/account/recovery-codes"


def test_sign_in_page_links_to_forgot_and_forgot_offers_a_code_without_email(client):
    assert "Forgot password?" in client.get("/login").get_data(as_text=True)
    page = client.get("/forgot").get_data(as_text=True)
    assert "does not send email" in page
    assert "encrypted under its own key" in page
    assert 'href="/recover"' in page


def test_account_page_links_to_recovery_codes(alice):
    page = alice.get("/account").get_data(as_text=True)
    assert 'href="/account/recovery-codes"' in page


def test_register_then_codes_in_one_go(client):
    register(client, "new@example.org")
    assert len(make_codes(client)) == 10


def test_guessing_codes_is_slowed_down_per_account_from_any_address(schema):
    from tests.conftest import make_app

    limited = make_app(schema, RATELIMIT_ENABLED=True)
    with limited.app_context():
        answers = []
        for n in range(6):
            guesser = limited.test_client()
            guesser.environ_base["REMOTE_ADDR"] = f"203.0.113.{n}"
            answers.append(guesser.submit("/recover", {
                "email": "alice@example.org", "code": "0000-0000-0000-0000",
                "new_password": NEW_PASSWORD,
            }).status_code)
        assert answers == [422] * 5 + [429]
        db.session.remove()
