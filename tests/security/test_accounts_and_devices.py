"""A person sees and ends their sessions, changes their password, reads their security log,
and can erase everything."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from tests.conftest import PASSWORD, make_app, register
from webapp.auth import devices, services
from webapp.auth.models import DeviceSession, SecurityEvent, User
from webapp.extensions import db
from webapp.journal.models import Entry
from webapp.types import utcnow

PHONE_UA = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36"
LAPTOP_UA = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) Gecko/20100101 Firefox/132.0"


def sign_in(app, user_agent=LAPTOP_UA, remember=False):
    device = app.test_client()
    device.environ_base["HTTP_USER_AGENT"] = user_agent
    data = {"email": "alice@example.org", "password": PASSWORD}
    if remember:
        data["remember"] = "1"
    assert device.submit("/login", data).status_code == 302
    return device


def sessions_of(email="alice@example.org"):
    db.session.expire_all()
    return list(
        db.session.scalars(select(DeviceSession).join(User).where(User.email == email))
    )


def test_the_cookie_holds_a_device_token_and_the_database_only_its_hash(app, alice):
    laptop = sign_in(app)
    cookie = laptop.get_cookie("tend_session")
    assert cookie is not None
    (stored,) = [s for s in sessions_of() if s.device == "Firefox on macOS"]
    assert len(stored.token_hash) == 64
    user = db.session.scalar(select(User))
    assert str(user.id) not in cookie.value


def test_account_page_lists_devices_and_one_can_be_signed_out(app, alice):
    phone = sign_in(app, PHONE_UA)
    page = phone.get("/account").get_data(as_text=True)
    assert "Chrome on Android" in page and "This device" in page
    laptop = sign_in(app, LAPTOP_UA)
    laptop_session = next(s for s in sessions_of() if s.device == "Firefox on macOS")

    response = phone.submit(f"/account/sessions/{laptop_session.id}/revoke")
    assert response.status_code == 302
    assert laptop.get("/journal").status_code == 302  # the laptop is signed out
    assert phone.get("/journal").status_code == 200  # the phone is not


def test_nobody_can_sign_out_another_persons_device(app, alice, bob):
    alices = sessions_of()[0]
    assert bob.submit(f"/account/sessions/{alices.id}/revoke").status_code == 404
    assert alice.get("/journal").status_code == 200


def test_signing_out_this_device_from_the_list(app, alice):
    (mine,) = sessions_of()
    response = alice.submit(f"/account/sessions/{mine.id}/revoke")
    assert response.location.startswith("/login")
    assert alice.get("/journal").status_code == 302


def test_changing_the_password_signs_out_every_other_device(app, alice):
    laptop = sign_in(app)
    response = alice.submit(
        "/account/password", {"current_password": PASSWORD, "new_password": "a brand new phrase"}
    )
    assert response.status_code == 302
    assert alice.get("/journal").status_code == 200
    assert laptop.get("/journal").status_code == 302
    assert services.authenticate("alice@example.org", "a brand new phrase") is not None
    assert services.authenticate("alice@example.org", PASSWORD) is None


def test_password_change_needs_the_current_password(alice):
    response = alice.submit(
        "/account/password", {"current_password": "wrong", "new_password": "another new phrase"}
    )
    assert response.status_code == 422
    assert "not your current password" in response.get_data(as_text=True)
    assert services.authenticate("alice@example.org", PASSWORD) is not None


def test_a_browser_session_idles_out_and_a_remembered_one_lasts_but_not_forever(app, alice):
    remembered = sign_in(app, remember=True)
    sessions = {s.remember: s for s in sessions_of() if s.device == "Firefox on macOS"}
    token_owner = sessions[True]
    assert token_owner.expires_at - token_owner.created_at == devices.REMEMBERED_IDLE
    (browser,) = [s for s in sessions_of() if not s.remember and s.device != "Firefox on macOS"]
    assert browser.expires_at - browser.created_at == devices.BROWSER_IDLE

    # Use slides a remembered session forward, up to 90 days after sign-in.
    token_owner.last_seen_at -= timedelta(days=29)
    token_owner.created_at -= timedelta(days=80)
    db.session.commit()
    assert remembered.get("/journal").status_code == 200
    (slid,) = [s for s in sessions_of() if s.remember]
    assert slid.expires_at == slid.created_at + devices.REMEMBERED_MAX

    slid.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    response = remembered.get("/journal")
    assert response.status_code == 302 and response.location.startswith("/login")
    assert all(not s.remember for s in sessions_of())  # the expired one is gone


def test_the_security_log_shows_sign_ins_failures_and_password_changes(app, alice):
    stranger = app.test_client()
    stranger.environ_base["HTTP_USER_AGENT"] = PHONE_UA
    stranger.submit("/login", {"email": "alice@example.org", "password": "guessing wrong"})
    sign_in(app)
    alice.submit(
        "/account/password", {"current_password": PASSWORD, "new_password": "a brand new phrase"}
    )
    kinds = [e.kind for e in db.session.scalars(select(SecurityEvent))]
    assert sorted(kinds) == sorted(
        ["account_created", "sign_in_failed", "sign_in", "password_changed"]
    )
    page = alice.get("/account").get_data(as_text=True)
    for label in ["Failed sign-in attempt", "Signed in", "Password changed", "Account created"]:
        assert label in page
    assert "Chrome on Android" in page


def test_ten_failed_sign_ins_per_hour_lock_the_account_from_any_address(schema):
    limited = make_app(schema, RATELIMIT_ENABLED=True)
    with limited.app_context():
        register(limited.test_client(), "target@example.org")
        codes = []
        for n in range(12):
            attacker = limited.test_client()
            attacker.environ_base["REMOTE_ADDR"] = f"203.0.113.{n}"
            codes.append(
                attacker.submit("/login", {"email": "TARGET@example.org", "password": "wrong!"})
                .status_code
            )
        assert codes[:10] == [422] * 10
        assert codes[10:] == [429, 429]
        # Other accounts are not affected.
        other = limited.test_client()
        other.environ_base["REMOTE_ADDR"] = "198.51.100.1"
        assert other.submit("/login", {"email": "x@example.org", "password": "y"}).status_code == 422


def test_erasing_the_account_needs_the_phrase_and_the_password(alice):
    alice.submit("/entries", {"body": "still here"})
    wrong = alice.submit("/account/delete", {"confirmation": "delete", "password": PASSWORD})
    assert wrong.status_code == 422
    assert "Nothing was deleted" in wrong.get_data(as_text=True)
    wrong = alice.submit(
        "/account/delete", {"confirmation": "delete my journal", "password": "not it"}
    )
    assert wrong.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Entry)) == 1


def test_erasing_leaves_no_row_and_no_key_of_that_person(app, alice, bob):
    alice.submit("/entries", {"body": "alice's"})
    bob.submit("/entries", {"body": "bob's"})
    alice_id = db.session.scalar(select(User.id).where(User.email == "alice@example.org"))
    from webapp.push.models import PushSubscription, Reminder
    from webapp.push.schedules import plan_test_reminder

    db.session.add(PushSubscription(user_id=alice_id, endpoint="https://push.example/a",
                                    p256dh="k", auth="a", device_label="phone"))
    db.session.commit()
    plan_test_reminder(db.session.get(User, alice_id))
    assert db.session.scalar(select(func.count()).select_from(Reminder)) == 1
    response = alice.submit(
        "/account/delete", {"confirmation": "Delete my journal", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert alice.get("/journal").status_code == 302
    db.session.expire_all()
    for table in db.metadata.sorted_tables:
        for column in ("user_id", "id") if table.name == "users" else ("user_id",):
            if column in table.c:
                count = db.session.scalar(
                    select(func.count()).select_from(table).where(table.c[column] == alice_id)
                )
                assert count == 0, table.name
    assert db.session.scalar(select(User.email)) == "bob@example.org"
    assert [e.body for e in db.session.scalars(select(Entry))] == ["bob's"]
    assert services.authenticate("alice@example.org", PASSWORD) is None


@pytest.mark.parametrize(
    ("agent", "expected"),
    [
        (PHONE_UA, "Chrome on Android"),
        (LAPTOP_UA, "Firefox on macOS"),
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Version/18.0 Mobile Safari/604.1", "Safari on iOS"),
        ("", "A browser"),
    ],
)
def test_devices_are_described_briefly(agent, expected):
    assert devices.describe_device(agent) == expected


def test_sqlite_enforces_cascades_too(app, alice):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL always enforces foreign keys")
    assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_exports_appear_in_the_security_log(alice):
    assert alice.get("/export/tend.json").status_code == 200
    assert alice.get("/export/tend-markdown.zip").status_code == 200
    kinds = [e.kind for e in db.session.scalars(select(SecurityEvent))]
    assert kinds.count("export") == 2
    assert "Journal exported" in alice.get("/account").get_data(as_text=True)


def test_a_closed_browser_that_was_not_remembered_leaves_the_devices_list(app, alice):
    sign_in(app, PHONE_UA)  # a phone's browser, not remembered, then closed: never seen again
    kept = sign_in(app, LAPTOP_UA, remember=True)
    phone = db.session.scalars(
        select(DeviceSession).where(DeviceSession.device == "Chrome on Android")
    ).one()
    def devices_listed() -> str:
        html = alice.get("/account").get_data(as_text=True)
        return html[html.index('id="devices-heading"'):html.index('id="password-heading"')]

    assert "Chrome on Android" in devices_listed()
    # Its cookie died with the browser; its time runs out with no visit.
    phone.expires_at = utcnow() - timedelta(minutes=1)
    phone_id = phone.id
    db.session.commit()
    html = devices_listed()
    assert "Chrome on Android" not in html and "Firefox on macOS" in html
    db.session.expire_all()
    assert db.session.get(DeviceSession, phone_id) is None
    assert kept.get("/account").status_code == 200
    # The device's button names it, for a screen reader, and never wraps (tend.css).
    assert 'aria-label="Sign out Firefox on macOS"' in html
