"""Signing out of a phone with no signal, in Debian's Chromium: the person is told what has not
reached the journal, then nothing of theirs stays on the device (drafts, a recording waiting
to sync, the kept pages, the offline copy of the safety plan), and the sign-in itself ends
the moment Tend can be reached again."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.accessibility import accessibility_problems
from tests.browser.conftest import (
    cache_names,
    drafts_on_device,
    wait_for_server,
    wait_until_controlled,
)
from tests.browser.pages import sign_up
from tests.browser.test_first_hours_in_chromium import KEPT_PLAN, REGISTRATIONS, signed_in_devices

pytestmark = pytest.mark.browser

MEDIA_ON_DEVICE = "async () => (await self.tendMedia.all()).length"
A_RECORDING_WAITING = """async () => {
    const account = document.body.dataset.account;
    const id = self.tendDrafts.newId();
    await self.tendMedia.put({id, account, kind: "memo", state: "ready", mime: "audio/webm",
        size: 0, pieces: 0, duration_ms: 2000, created_at: new Date().toISOString(),
        entry: {entry_id: self.tendDrafts.newId()}});
    await self.tendMedia.addPiece(id, 0, new Blob([new Uint8Array(2048)]), {});
}"""


def test_signing_out_offline_clears_the_device_and_ends_the_session_when_back(installed_phone,
                                                                              tmp_path):
    context, _ = installed_phone
    page = context.pages[0] if context.pages else context.new_page()
    sign_up(page, "lantern@example.org", remember=True)
    wait_until_controlled(page)
    # The safety plan, kept on this device to open with no connection.
    page.goto("/support/safety-plan")
    page.get_by_label("What helps me").fill("Warm tea. The blue blanket.")
    page.get_by_role("button", name="Save safety plan").click()
    page.get_by_label("Keep a copy on this device").check()
    expect(page.get_by_text("Kept on this device.")).to_be_visible()
    assert page.evaluate(KEPT_PLAN) is not None
    # An entry that could not reach Tend, still on the device.
    context.route("**/api/sync", lambda route: route.fulfill(status=503, body="down"))
    page.goto("/write")
    page.get_by_label("What is here for you today?").fill("Written on the train.")
    page.get_by_role("button", name="Save entry").click()
    expect(page.locator("#draft-status")).to_contain_text("Saved on this device.")

    page.goto("/more")
    context.set_offline(True)
    page.evaluate(A_RECORDING_WAITING)  # and a voice memo, recorded in a tunnel
    assert len(drafts_on_device(page)) == 1 and page.evaluate(MEDIA_ON_DEVICE) == 1

    questions = []

    def accept(dialog):
        questions.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    page.get_by_role("button", name="Sign out").click()
    heading = page.get_by_role("heading", name="This device is cleared")
    expect(heading).to_be_visible(timeout=20_000)
    assert questions == [
        "One entry and one recording or drawing on this device have not reached your journal "
        "yet (there is no connection just now). Signing out deletes them from this device. "
        "Sign out anyway?"
    ]
    expect(page.get_by_text("your sign-in ends the moment there is a connection")).to_be_visible()
    expect(page.get_by_role("dialog", name="Signing out")).to_be_hidden()
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    expect(page.get_by_text("kept on this device and will sync")).to_have_count(0)
    # Nothing of this person is left on the device...
    assert drafts_on_device(page) == []
    assert page.evaluate(MEDIA_ON_DEVICE) == 0
    assert page.evaluate(KEPT_PLAN) is None
    assert page.evaluate("localStorage.getItem('tend-keep-plan')") is None
    assert cache_names(page) == []
    assert page.evaluate(REGISTRATIONS) == 0
    page.screenshot(path=str(tmp_path / "signed-out-offline.png"), full_page=True)
    assert accessibility_problems(page) == []
    # ...though Tend, out of reach, still counts the sign-in: it ends with the connection.
    assert signed_in_devices() == 1
    context.set_offline(False)
    page.wait_for_url("**/login", timeout=20_000)
    wait_for_server(page, lambda: signed_in_devices() == 0)
    assert page.evaluate("localStorage.getItem('tend-signing-out')") is None
    assert page.evaluate(REGISTRATIONS) == 0 and cache_names(page) == []
    page.goto("/journal")
    assert "/login" in page.url


def test_a_sign_out_left_unfinished_offline_ends_when_tend_next_opens(installed_phone):
    context, _ = installed_phone
    page = context.pages[0] if context.pages else context.new_page()
    sign_up(page, "harbour-light@example.org", remember=True)
    wait_until_controlled(page)
    page.goto("/more")
    context.set_offline(True)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="This device is cleared")).to_be_visible(timeout=20_000)
    page.close()  # the app is closed while still offline

    context.set_offline(False)
    page = context.new_page()
    page.goto("/journal")  # opened again, with a connection: the sign-out finishes
    page.wait_for_url("**/login", timeout=20_000)
    wait_for_server(page, lambda: signed_in_devices() == 0)
    assert page.evaluate(REGISTRATIONS) == 0 and cache_names(page) == []
