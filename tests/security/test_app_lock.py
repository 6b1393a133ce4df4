"""On a shared phone, a PIN guards the journal after some minutes away."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD, make_app, register
from webapp.auth.models import DeviceSession, SecurityEvent, User
from webapp.extensions import db


def turn_on_lock(client, pin="2468", minutes="5"):
    return client.submit(
        "/account/lock", {"pin": pin, "lock_after": minutes, "lock_password": PASSWORD}
    )


def away_for(minutes: float) -> None:
    """Pretend every device was last seen this long ago."""
    for device in db.session.scalars(select(DeviceSession)):
        device.last_seen_at -= timedelta(minutes=minutes)
    db.session.commit()


def test_turning_the_lock_on_needs_the_password_and_a_pin_of_digits(alice):
    refused = alice.submit(
        "/account/lock", {"pin": "12a4", "lock_after": "7", "lock_password": "wrong"}
    )
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "4 to 12 digits" in page and "not your password" in page and "times offered" in page
    assert db.session.scalar(select(User.lock_pin_hash)) is None

    assert turn_on_lock(alice).status_code == 302
    user = db.session.scalar(select(User))
    assert user.lock_pin_hash.startswith("tend-pin-v1$") and user.lock_after_minutes == 5
    assert "App lock turned on" in alice.get("/account").get_data(as_text=True)


def test_coming_back_after_the_minutes_asks_for_the_pin_before_any_text(alice):
    alice.submit("/entries", {"body": "only after the PIN"})
    turn_on_lock(alice)
    assert "only after the PIN" in alice.get("/journal").get_data(as_text=True)  # still here

    away_for(6)
    response = alice.get("/journal")
    assert response.status_code == 302
    assert response.location.startswith("/unlock")
    for path in ["/", "/journal", "/entries", "/export/tend.json", "/account"]:
        blocked = alice.get(path)
        assert blocked.status_code in (302, 405)
        assert "only after the PIN" not in blocked.get_data(as_text=True)
    htmx = alice.get("/journal", headers={"HX-Request": "true"})
    assert htmx.headers["HX-Redirect"] == "/unlock"
    assert alice.get("/support").status_code == 200  # help stays one tap away

    wrong = alice.submit("/unlock", {"pin": "0000", "next": "/journal"})
    assert wrong.status_code == 422
    assert "only after the PIN" not in wrong.get_data(as_text=True)
    right = alice.submit("/unlock", {"pin": "2468", "next": "/journal"})
    assert right.status_code == 302 and right.location == "/journal"
    assert "only after the PIN" in alice.get("/journal").get_data(as_text=True)
    assert "unlock_failed" in [e.kind for e in db.session.scalars(select(SecurityEvent))]


def test_a_short_absence_does_not_lock(alice):
    turn_on_lock(alice, minutes="15")
    away_for(10)
    assert alice.get("/journal").status_code == 200


def test_the_page_can_lock_at_once_and_other_devices_stay_open(app, alice):
    turn_on_lock(alice)
    laptop = app.test_client()
    laptop.submit("/login", {"email": "alice@example.org", "password": PASSWORD})
    assert alice.post("/lock", headers={"X-CSRFToken": alice.csrf_token()}, json={}).status_code == 204
    assert alice.get("/journal").location.startswith("/unlock")
    assert laptop.get("/journal").status_code == 200


def test_forgetting_the_pin_means_signing_in_again(alice):
    turn_on_lock(alice)
    alice.submit("/lock")
    assert alice.submit("/logout").status_code == 302
    alice.submit("/login", {"email": "alice@example.org", "password": PASSWORD})
    assert alice.get("/journal").status_code == 200


def test_turning_the_lock_off_needs_the_password(alice):
    turn_on_lock(alice)
    refused = alice.submit("/account/lock/remove", {"unlock_password": "nope"})
    assert refused.status_code == 422
    assert alice.submit("/account/lock/remove", {"unlock_password": PASSWORD}).status_code == 302
    away_for(120)
    assert alice.get("/journal").status_code == 200


def test_without_a_lock_nothing_is_ever_locked(alice):
    away_for(600)
    assert alice.get("/journal").status_code == 200
    assert alice.get("/unlock").status_code == 302


def test_guessing_the_pin_is_limited(schema):
    limited = make_app(schema, RATELIMIT_ENABLED=True)
    with limited.app_context():
        phone = limited.test_client()
        register(phone, "pin@example.org")
        turn_on_lock(phone)
        phone.submit("/lock")
        codes = [phone.submit("/unlock", {"pin": "1111"}).status_code for _ in range(6)]
        assert codes == [422] * 5 + [429]


@pytest.mark.browser
def test_the_installed_app_locks_itself_when_it_comes_back(phone, live_server, tmp_path):
    page = phone
    page.goto("/register")
    page.get_by_label("Email").fill("shared@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/")
    page.goto("/account")
    page.get_by_label("PIN").fill("2468")
    page.get_by_label("Lock after").select_option("1")
    page.get_by_label("Your password").first.fill(PASSWORD)
    page.get_by_role("button", name="Turn on the lock").click()
    page.get_by_text("The app lock is on").wait_for()
    page.goto("/journal")

    # The phone was put away two minutes ago and is picked up again.
    page.evaluate(
        """() => {
            sessionStorage.setItem("tend-hidden-at", String(Date.now() - 120000));
            document.dispatchEvent(new Event("visibilitychange"));
        }"""
    )
    page.wait_for_url("**/unlock?next=%2Fjournal")
    page.screenshot(path=str(tmp_path / "locked.png"))
    page.get_by_label("PIN").fill("2468")
    page.get_by_role("button", name="Unlock").click()
    page.wait_for_url("**/journal")
    assert page.get_by_label("What is here for you today?").is_visible()
