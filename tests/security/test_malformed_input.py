"""Malformed input gets a clear 4xx answer, never a crash: NUL bytes in an email, a device's
name or its push address, JSON nested 100,000 deep. And when something does fail on the
server, the person still gets Tend's own error page, never the server's bare one."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD, make_app, register
from tests.push.push_double import Subscriber
from tests.sync.test_sync_api import count_entries, draft, results_of, sync
from webapp.auth.models import User
from webapp.content import ERROR_MESSAGES
from webapp.extensions import db
from webapp.push.models import PushSubscription

DEEP = "[" * 100_000 + "]" * 100_000
NUL_EMAILS = ["alice\x00@example.org", "\x00", "alice@example.org\x00", "a\x00b@example.org"]


def users() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(User))


@pytest.mark.parametrize("email", NUL_EMAILS)
def test_a_nul_byte_in_the_email_is_a_clear_error(client, alice, email):
    before = users()
    signing_up = client.submit("/register", {"email": email, "password": PASSWORD})
    assert signing_up.status_code == 422
    assert "email address" in signing_up.get_data(as_text=True)
    signing_in = client.submit("/login", {"email": email, "password": PASSWORD})
    assert signing_in.status_code == 422
    assert users() == before


@pytest.mark.parametrize("path", ["/settings/reminders/devices", "/reminders/snooze"])
def test_json_nested_too_deeply_is_refused_calmly(alice, path):
    response = alice.post(path, data=DEEP, content_type="application/json",
                          headers={"X-CSRFToken": alice.csrf_token()})
    assert response.status_code == 400
    assert response.is_json and response.get_json()["errors"]


def post_device(client, subscription: dict):
    return client.post("/settings/reminders/devices", json=subscription,
                       headers={"X-CSRFToken": client.csrf_token()})


def test_a_nul_byte_in_a_device_name_is_dropped(alice):
    subscription = Subscriber("https://fcm.googleapis.com/fcm/send/abc").subscription_json(
        "Kitchen\x00 tablet\x07\u2028")
    response = post_device(alice, subscription)
    assert response.status_code == 201
    assert response.get_json()["device_label"] == "Kitchen tablet"
    assert "Kitchen tablet" in alice.get("/settings/reminders").get_data(as_text=True)


@pytest.mark.parametrize("endpoint", [
    "https://fcm.googleapis.com/fcm/send/a\x00b",
    "https://fcm.googleapis.com/fcm/send/a\r\nb",
    "https://fcm.googleapis.com/fcm/send/a b",
])
def test_a_push_address_with_control_characters_is_refused(alice, endpoint):
    subscription = Subscriber("https://fcm.googleapis.com/fcm/send/x").subscription_json()
    response = post_device(alice, {**subscription, "endpoint": endpoint})
    assert response.status_code == 422 and "endpoint" in response.get_json()["errors"]
    assert db.session.scalar(select(PushSubscription)) is None


@pytest.mark.parametrize("stray", ["\x00", "\x00\x00\x00\x00", "=\x00="])
def test_keys_with_stray_characters_never_reach_the_database(alice, stray):
    subscriber = Subscriber("https://fcm.googleapis.com/fcm/send/keys")
    subscription = subscriber.subscription_json()
    subscription["keys"] = {"p256dh": subscriber.p256dh[:10] + stray + subscriber.p256dh[10:],
                            "auth": subscriber.auth}
    response = post_device(alice, subscription)
    assert response.status_code in (201, 422)
    for stored in db.session.scalars(select(PushSubscription)):
        assert stored.p256dh == subscriber.p256dh, "stored as the key's own clean text"


def test_a_failed_flush_still_gets_tends_own_error_page(app):
    """A racing insert of a unique row fails at flush; the error page reads the signed-in
    person, which needs the session rolled back first."""
    served = make_app(app.config["SQLALCHEMY_DATABASE_URI"], PROPAGATE_EXCEPTIONS=False)

    def racing_insert():
        from flask_login import current_user

        person = current_user._get_current_object()
        db.session.commit()  # everything loaded is now expired, as after any commit
        db.session.add(User(email=person.email, password_hash="x"))
        db.session.flush()  # IntegrityError: the email is taken
        return "unreachable"

    served.add_url_rule("/racing-insert", view_func=racing_insert)
    with served.app_context():
        browser = served.test_client()
        assert register(browser, "alice@example.org").status_code == 302
        for headers in ({}, {"HX-Request": "true"}):
            response = browser.get("/racing-insert", headers=headers)
            assert response.status_code == 500
            assert ERROR_MESSAGES[500][0] in response.get_data(as_text=True)
        assert browser.get("/journal").status_code == 200, "the next request is fine"


def test_half_an_emoji_in_a_synced_draft_rejects_that_draft_alone(alice):
    batch = [draft("kept"), draft("half an emoji \ud83d"), draft("x", title="\udfff")]
    results = results_of(sync(alice, batch))
    assert [r["status"] for r in results] == ["created", "rejected", "rejected"]
    assert "broken character" in results[1]["errors"]["body"]
    assert "broken character" in results[2]["errors"]["title"]
    assert count_entries() == 1
