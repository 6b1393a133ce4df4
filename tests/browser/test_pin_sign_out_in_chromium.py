"""A phone signed out after too many wrong PINs keeps what it has not synced yet: the words
written on it wait there, and reach the journal once the person signs in with the password."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import drafts_on_device, stored_entries, wait_until_controlled
from tests.browser.test_offline_in_chromium import sign_in, sign_up
from webapp.auth.lock import PIN_TRIES_PER_DEVICE
from webapp.auth.models import DeviceSession
from webapp.extensions import db
from webapp.types import utcnow

pytestmark = pytest.mark.browser


def test_too_many_wrong_pins_sign_out_but_keep_unsynced_drafts(installed_phone):  # noqa: F811
    context, _ = installed_phone
    page = context.pages[0] if context.pages else context.new_page()
    sign_up(page, "moss@example.org")
    wait_until_controlled(page)
    page.goto("/account")
    page.get_by_label("PIN").fill("2468")
    page.get_by_label("Your password").first.fill("slow breath, long exhale")
    page.get_by_role("button", name="Turn on the lock").click()
    page.get_by_text("The app lock is on").wait_for()

    # The phone locks itself; written while locked, the entry cannot sync (423) and waits.
    db.session.expire_all()
    for device in db.session.scalars(select(DeviceSession)):
        device.locked_at = utcnow()
    db.session.commit()
    page.goto("/write")
    page.get_by_label("What is here for you today?").fill("Kept through a forced sign-out.")
    expect(page.locator("#draft-status")).to_have_text("Draft kept on this device")
    page.get_by_role("button", name="Save entry").click()
    page.wait_for_timeout(500)
    assert stored_entries() == []
    assert len(drafts_on_device(page)) == 1

    page.goto("/unlock")
    for _ in range(PIN_TRIES_PER_DEVICE):
        page.get_by_label("PIN").fill("0000")
        page.get_by_role("button", name="Unlock").click()
        page.wait_for_load_state()
    page.wait_for_url("**/login")
    expect(page.get_by_text("still on this device")).to_be_visible()
    assert [d["body"] for d in drafts_on_device(page)] == ["Kept through a forced sign-out."]

    sign_in(page, "moss@example.org")
    for _ in range(75):
        if stored_entries():
            break
        page.wait_for_timeout(200)
    assert [e.body for e in stored_entries()] == ["Kept through a forced sign-out."]
