"""Gentle capture on a phone, in Debian's Chromium: offline in the hours after a journey,
feelings and the body in a few large taps, kept on the device at once, synced when the signal
returns, and read back in the journal and the journey's insights. Today's one-tap check-in
takes the same path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.arc import log_journey, person
from tests.browser.conftest import (
    drafts_on_device,
    stored_entries,
    wait_for_server,
    wait_until_controlled,
    wait_until_kept_for_offline,
)
from tests.browser.pages import sign_up

pytestmark = pytest.mark.browser

TARGETS = """() => [...document.querySelectorAll(
    'main button, main a, main summary, main input[type=text], main .chip-toggle span, main [role=checkbox]')]
  .filter((el) => el.getClientRects().length && !el.closest('[hidden]'))
  .map((el) => { const r = el.getBoundingClientRect();
                 return [el.textContent.trim().slice(0, 30) || el.getAttribute('aria-label'),
                         Math.round(r.width), Math.round(r.height)]; })"""


def test_capture_offline_with_large_targets_then_synced_with_its_journey(installed_phone,
                                                                         tmp_path):
    context, _ = installed_phone
    page = context.pages[0] if context.pages else context.new_page()
    sign_up(page, "ember@example.org", remember=True)
    journey = log_journey(person("ember@example.org"), datetime.now(UTC) - timedelta(hours=6))
    page.reload()
    wait_until_kept_for_offline(page)  # capture comes once the first visit has settled
    # From Today in immediate reflection; then, with no signal at all, from the home screen.
    expect(page.get_by_role("link", name="Capture", exact=True).last).to_be_visible()
    context.set_offline(True)
    page.goto("/capture?source=shortcut")
    expect(page.get_by_role("heading", name="Right now")).to_be_visible()
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(16, 20, 18)"

    page.get_by_text("Tender", exact=True).first.click()  # the family opens...
    page.locator("label.chip-toggle", has_text="Raw").click()  # ...and a word in it
    page.locator("label.chip-toggle", has_text="Tender").click()
    page.get_by_text("Awe", exact=True).click()
    page.locator("label.chip-toggle", has_text="Wonder").click()
    intensity = page.get_by_role("group", name="Raw")
    intensity.get_by_role("button", name="Very").click()
    expect(intensity.get_by_role("button", name="Very")).to_have_attribute("aria-pressed", "true")
    page.get_by_role("checkbox", name="Chest and heart").click()
    page.locator("#qualities label.chip-toggle", has_text="Warm").click()
    page.locator("#qualities label.chip-toggle", has_text="Open").click()
    page.get_by_role("button", name="Back", exact=True).click()
    page.get_by_role("checkbox", name="Upper back").click()
    page.locator("#qualities label.chip-toggle", has_text="Tight").click()
    expect(page.get_by_role("checkbox", name="Upper back")).to_have_attribute("aria-checked", "true")
    expect(page.get_by_role("button", name="Upper back: tight")).to_be_visible()
    expect(page.locator("[data-voice-slot]")).to_be_visible()
    page.get_by_role("textbox", name="One line").fill("Everything is very close today.")
    page.wait_for_timeout(600)
    expect(page.locator("#capture-status")).to_have_text("Kept on this device")
    page.screenshot(path=str(tmp_path / "capture-offline.png"), full_page=True)

    # Every target on the capture screen is at least 64 px, and nothing is wider than the phone.
    small = [t for t in page.evaluate(TARGETS) if t[1] < 64 or t[2] < 64]
    assert small == []
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0

    # Kept on the device at once: closing the app loses nothing.
    [draft] = drafts_on_device(page)
    assert draft["ready"] is False and draft["body"] == "Everything is very close today."
    page.reload()
    expect(page.get_by_role("checkbox", name="Chest and heart")).to_have_attribute(
        "aria-checked", "true")
    assert stored_entries() == []

    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("when there is a connection")).to_be_visible()
    page.screenshot(path=str(tmp_path / "capture-kept.png"))
    context.set_offline(False)
    wait_for_server(page, lambda: len(stored_entries()) == 1)
    [entry] = stored_entries()
    assert entry.body == "Everything is very close today."
    assert entry.capture_data == {
        "feelings": [{"feeling": "raw", "intensity": 3}, {"feeling": "tender", "intensity": None},
                     {"feeling": "wonder", "intensity": None}],
        "body": [{"region": "chest", "qualities": ["warm", "open"]},
                 {"region": "upper-back", "qualities": ["tight"]}],
    }
    assert entry.journey_id == journey.id and entry.phase == "reflection"
    wait_for_server(page, lambda: drafts_on_device(page) == [])

    page.goto(f"/journeys/{journey.id}")
    expect(page.get_by_role("heading", name="Feelings and the body")).to_be_visible()
    expect(page.locator(".body-shades .shade-5").first).to_be_attached()
    page.screenshot(path=str(tmp_path / "journey-insights.png"), full_page=True)


def test_one_tap_check_in_from_today_is_kept_offline_and_synced(installed_phone):
    context, _ = installed_phone
    page = context.pages[0] if context.pages else context.new_page()
    sign_up(page, "pebble@example.org", remember=True)
    wait_until_controlled(page)
    context.set_offline(True)
    page.get_by_role("button", name="Calm", exact=True).click()
    expect(page.get_by_text("Noted: calm.")).to_be_visible()
    assert [d["feelings"] for d in drafts_on_device(page)] == [[{"feeling": "calm",
                                                                  "intensity": None}]]
    assert stored_entries() == []
    context.set_offline(False)
    wait_for_server(page, lambda: len(stored_entries()) == 1)
    assert stored_entries()[0].capture_data["feelings"] == [{"feeling": "calm",
                                                             "intensity": None}]


def test_the_home_screen_offers_capture_and_write(installed_phone):
    context, _ = installed_phone
    page = context.pages[0] if context.pages else context.new_page()
    sign_up(page, "shortcut@example.org", remember=True)
    cdp = context.new_cdp_session(page)
    manifest = cdp.send("Page.getAppManifest")
    assert not manifest.get("errors"), manifest.get("errors")
    shortcuts = page.evaluate("async () => (await (await fetch('/manifest.webmanifest')).json()).shortcuts")
    assert [(s["name"], s["url"]) for s in shortcuts] == [("Capture", "/capture"), ("Write", "/write")]
