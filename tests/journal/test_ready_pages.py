"""Opening the journal again from the same device is answered with the page already made,
byte for byte, without running the app, but only while the person and the device read
exactly as they did: a new entry, a lock, a sign-out elsewhere, a disabled account, a new
timezone or another kind of request each go the full way again."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import pytest
from flask import request_started
from sqlalchemy import select, update

from tests.conftest import PASSWORD
from webapp.auth import devices
from webapp.auth.models import DeviceSession, User
from webapp.extensions import db
from webapp.monitoring.requestlog import request_log
from webapp.types import utcnow
from webapp.web.ready_pages import Offer, ReadyPage, ReadyPages, ready_pages


@pytest.fixture
def app_runs(app):
    """How many requests the Flask app itself handled."""
    handled = []

    def count(sender, **_):
        handled.append(1)

    request_started.connect(count, app)
    yield handled
    request_started.disconnect(count, app)


def settled_timeline(client) -> bytes:
    """Open the journal until the answer no longer changes the session (the first read after
    signing in makes the page's CSRF token), so the next one may be kept."""
    for _ in range(3):
        response = client.get("/journal")
        assert response.status_code == 200
        if "Set-Cookie" not in response.headers:
            return response.get_data()
    raise AssertionError("every read of the journal wrote a cookie")


def test_the_same_read_again_is_answered_with_the_page_already_made(alice, app_runs, caplog):
    alice.submit("/entries", {"body": "The heron stood still."})
    first = settled_timeline(alice)  # made by the app, and kept
    handled = len(app_runs)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger=request_log.name):
        again = alice.get("/journal")
    assert len(app_runs) == handled  # the app did not run
    assert again.status_code == 200 and again.get_data() == first
    assert again.headers["Cache-Control"] == "no-store"
    assert "Content-Security-Policy" in again.headers and "Set-Cookie" not in again.headers
    assert [r.getMessage().split()[:3] for r in caplog.records] == [["GET", "/journal", "200"]]


def test_a_new_entry_is_shown_at_once(alice, app_runs):
    settled_timeline(alice)
    alice.submit("/entries", {"body": "Written just now."})
    handled = len(app_runs)
    page = alice.get("/journal").get_data(as_text=True)
    assert "Written just now." in page and len(app_runs) == handled + 1


def test_a_change_made_by_another_process_is_seen_too(alice, app_runs):
    """What another app server wrote reaches this one through the database alone."""
    settled_timeline(alice)
    db.session.execute(update(User).values(timezone="Pacific/Kiritimati"))
    db.session.commit()
    handled = len(app_runs)
    assert alice.get("/journal").status_code == 200
    assert len(app_runs) == handled + 1


def test_a_device_signed_out_elsewhere_gets_the_sign_in_page(alice):
    settled_timeline(alice)
    db.session.execute(DeviceSession.__table__.delete())  # "sign out everywhere", elsewhere
    db.session.commit()
    response = alice.get("/journal")
    assert response.status_code == 302 and "/login" in response.location


def test_a_locked_device_gets_the_lock(alice):
    alice.submit("/account/lock", {"pin": "2468", "lock_after": "5", "lock_password": PASSWORD})
    settled_timeline(alice)
    db.session.execute(update(DeviceSession).values(locked_at=utcnow()))
    db.session.commit()
    response = alice.get("/journal")
    assert response.status_code == 302 and "/unlock" in response.location


def test_a_disabled_account_is_not_served(alice):
    settled_timeline(alice)
    db.session.execute(update(User).values(disabled_at=utcnow()))
    db.session.commit()
    assert alice.get("/journal").status_code == 302


def test_another_device_or_person_never_gets_a_page_kept_for_someone_else(app, alice, bob):
    alice.submit("/entries", {"body": "Words only Alice wrote."})
    settled_timeline(alice)
    settled_timeline(alice)
    page = bob.get("/journal").get_data(as_text=True)
    assert "Words only Alice wrote." not in page
    other_device = app.test_client()
    other_device.submit("/login", {"email": "alice@example.org", "password": PASSWORD})
    assert "Words only Alice wrote." in other_device.get("/journal").get_data(as_text=True)


def test_another_kind_of_request_is_made_anew(alice, app_runs):
    settled_timeline(alice)
    handled = len(app_runs)
    fragment = alice.get("/journal", headers={"HX-Request": "true", "HX-Target": "timeline"})
    compressed = alice.get("/journal", headers={"Accept-Encoding": "br",
                                                "Sec-Fetch-Site": "same-origin"})
    searched = alice.get("/journal?q=heron")
    assert len(app_runs) == handled + 3
    assert b"<html" not in fragment.get_data()
    assert compressed.headers.get("Content-Encoding") == "br"
    assert searched.status_code == 200


def test_a_touch_or_a_lock_that_is_due_goes_through_the_app(alice):
    """The device session's sliding expiry and the app lock are written by the full way."""
    alice.submit("/account/lock", {"pin": "2468", "lock_after": "5", "lock_password": PASSWORD})
    settled_timeline(alice)
    [device] = db.session.scalars(select(DeviceSession))
    row = db.session.connection().execute(devices._LOOKUP, {"token_hash": device.token_hash}).first()
    fingerprint = devices._fingerprint(row)
    now = device.last_seen_at
    connection = db.session.connection()
    assert devices.unchanged_since(connection, device.token_hash, fingerprint, now=now)
    # Two and a half minutes away with a five-minute lock: the touch is due.
    later = now + timedelta(minutes=2, seconds=30)
    assert not devices.unchanged_since(connection, device.token_hash, fingerprint, now=later)
    assert not devices.unchanged_since(connection, device.token_hash, fingerprint,
                                       now=device.expires_at)
    assert not devices.unchanged_since(connection, "no such token", fingerprint, now=now)


def test_the_kept_pages_are_bounded_expire_and_are_forgotten_per_device():
    pages = ReadyPages(max_items=2)

    def page(user, device, seconds=60.0):
        offer = Offer(user, device, "hash", (), "/journal", seconds)
        return ReadyPage(offer, "200 OK", (), b"page", time.monotonic() + seconds)

    pages.put(("a",), page("alice", "phone"))
    pages.put(("b",), page("alice", "laptop"))
    assert pages.get(("a",)) is not None  # a is now the most recent
    pages.put(("c",), page("bob", "phone"))
    assert pages.get(("b",)) is None and len(pages) == 2
    pages.forget("alice", "phone")
    assert pages.get(("a",)) is None and pages.get(("c",)) is not None
    pages.put(("d",), page("bob", "tablet", seconds=-1))
    assert pages.get(("d",)) is None
    pages.forget("bob")
    assert len(pages) == 0


def test_signing_out_and_locking_drop_the_kept_pages_at_once(alice):
    alice.submit("/account/lock", {"pin": "2468", "lock_after": "5", "lock_password": PASSWORD})
    settled_timeline(alice)
    user_id = db.session.scalar(select(User.id))
    assert any(p.offer.user_id == user_id for p in ready_pages._items.values())
    alice.submit("/lock")
    assert not any(p.offer.user_id == user_id for p in ready_pages._items.values())
