"""Opening the journal, Today, Practices or Insights again from the same device is answered
with the page already made, byte for byte, without running the app, but only while the
person, the device and what the person keeps read exactly as they did: a new entry, a tick,
a journey logged by a script, a lock, a sign-out elsewhere, a disabled account, a new
timezone or another kind of request each go the full way again, and so does a page whose
day ended or whose planned journey began."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from datetime import time as dt_time
from zoneinfo import ZoneInfo

import pytest
from flask import request_started
from sqlalchemy import select, update

from tests.arc import log_journey, person
from tests.conftest import PASSWORD
from webapp.auth import devices
from webapp.auth.models import DeviceSession, User
from webapp.extensions import db
from webapp.monitoring.requestlog import request_log
from webapp.practices import services as practices
from webapp.practices.models import ChosenPractice
from webapp.types import utcnow
from webapp.web.ready_pages import KEEP_SECONDS, Offer, ReadyPage, ReadyPages, ready_pages

KEPT_PAGES = ["/journal", "/", "/practices", "/insights"]
EVERY_DAY = ["0", "1", "2", "3", "4", "5", "6"]


@pytest.fixture
def app_runs(app):
    """How many requests the Flask app itself handled."""
    handled = []

    def count(sender, **_):
        handled.append(1)

    request_started.connect(count, app)
    yield handled
    request_started.disconnect(count, app)


def settled(client, path: str) -> bytes:
    """Open a page until the answer no longer changes the session (the first read after
    signing in makes the page's CSRF token), so the next one may be kept."""
    for _ in range(3):
        response = client.get(path)
        assert response.status_code == 200
        if "Set-Cookie" not in response.headers:
            return response.get_data()
    raise AssertionError(f"every read of {path} wrote a cookie")


def settled_timeline(client) -> bytes:
    return settled(client, "/journal")


def kept_offer(path: str) -> Offer:
    [page] = [page for page in ready_pages._items.values() if page.offer.route == path]
    return page.offer


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


@pytest.mark.parametrize("path", KEPT_PAGES)
def test_each_signed_in_home_page_is_answered_again_without_the_app(alice, app_runs, path):
    first = settled(alice, path)
    handled = len(app_runs)
    again = alice.get(path)
    assert len(app_runs) == handled
    assert again.status_code == 200 and again.get_data() == first


def test_a_tick_and_an_untick_show_at_once_on_practices_and_today(alice):
    alice.submit("/practices", {"practice": "nature-walk", "days": EVERY_DAY})
    chosen = db.session.scalar(select(ChosenPractice))
    settled(alice, "/practices")
    settled(alice, "/")
    alice.submit(f"/practices/{chosen.id}/done", {})
    assert "is-done" in alice.get("/practices").get_data(as_text=True)
    assert "is-done" in alice.get("/").get_data(as_text=True)
    settled(alice, "/practices")
    settled(alice, "/")
    alice.submit(f"/practices/{chosen.id}/undo", {})  # a DELETE statement, not the ORM
    assert "is-done" not in alice.get("/practices").get_data(as_text=True)
    assert "is-done" not in alice.get("/").get_data(as_text=True)


def test_a_journey_logged_by_a_script_shows_on_today_and_insights(alice):
    """Another process (a script, another app server) writing through the services."""
    settled(alice, "/")
    settled(alice, "/insights")
    assert b"current-journey-captures" not in settled(alice, "/insights")
    journey = log_journey(person("alice@example.org"), utcnow() - timedelta(days=2))
    assert "Day 2 after your journey" in alice.get("/").get_data(as_text=True)
    insights = alice.get("/insights").get_data(as_text=True)
    assert "current-journey-captures" in insights and f"/journeys/{journey.id}" in insights


def test_an_untick_by_a_script_is_seen_too(alice):
    alice.submit("/practices", {"practice": "breathwork", "days": EVERY_DAY})
    chosen = db.session.scalar(select(ChosenPractice))
    alice.submit(f"/practices/{chosen.id}/done", {})
    assert "is-done" in settled(alice, "/practices").decode()
    practices.undo_today(person("alice@example.org"), chosen)
    assert "is-done" not in alice.get("/practices").get_data(as_text=True)


def test_every_write_request_of_a_person_counts_as_a_change_and_a_read_never_does(alice):
    """Even a write whose statements the ORM never saw (or one that wrote nothing) makes the
    person's content version grow, so no page made before it is sent again."""
    version = person("alice@example.org").content_version
    alice.get("/")
    alice.get("/practices")
    assert person("alice@example.org").content_version == version
    refused = alice.submit("/today/check-in", {"feeling": "not-a-feeling"})
    assert refused.status_code == 303
    assert person("alice@example.org").content_version == version + 1


def test_todays_page_is_kept_no_longer_than_until_a_planned_journey_begins(alice):
    log_journey(person("alice@example.org"), utcnow() + timedelta(seconds=90))
    settled(alice, "/")
    settled(alice, "/practices")
    assert 0 < kept_offer("/").seconds <= 90
    berlin = ZoneInfo("Europe/Berlin")
    now = utcnow()
    midnight = datetime.combine(now.astimezone(berlin).date() + timedelta(days=1), dt_time(0),
                                berlin)
    until_midnight = (midnight - now).total_seconds()
    assert kept_offer("/practices").seconds == pytest.approx(
        min(KEEP_SECONDS, until_midnight), abs=5
    )


def test_a_message_a_query_or_a_swap_is_never_kept(alice):
    alice.submit("/today/write", {"body": "A few words.", "prompt_id": ""})  # a flash waits
    alice.get("/")
    alice.get("/?after=x")
    alice.get("/", headers={"HX-Request": "true", "HX-Target": "today-prompt"})
    assert not [page for page in ready_pages._items.values() if page.offer.route == "/"]


def test_with_the_page_cache_off_nothing_is_kept(app, alice):
    app.config["PAGE_CACHE"] = False
    try:
        for path in KEPT_PAGES:
            settled(alice, path)
            settled(alice, path)
        assert len(ready_pages) == 0
    finally:
        app.config["PAGE_CACHE"] = True
