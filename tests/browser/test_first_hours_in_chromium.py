"""What a new user tripped on, a day after a first session, tried again in Debian's Chromium
on a phone: crisis lines offline, signing out, turning reminders on, right-to-left text, the
one draft model, the counter near an entry's limit, practice cards, device buttons, times,
and one bar of signal."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from tests.arc import log_journey, person
from tests.browser.conftest import (
    cache_names,
    drafts_on_device,
    stored_entries,
    wait_for_server,
    wait_until_controlled,
)
from tests.browser.pages import PASSWORD, sign_up
from webapp.auth.models import DeviceSession
from webapp.extensions import db

pytestmark = pytest.mark.browser

KEPT_PLAN = """() => new Promise((resolve) => {
    const open = indexedDB.open("tend");
    open.onsuccess = () => {
        const db = open.result;
        if (!db.objectStoreNames.contains("kept")) return resolve(null);
        const get = db.transaction("kept").objectStore("kept").get("safety-plan");
        get.onsuccess = () => resolve(get.result ? get.result.value : null);
    };
})"""
REGISTRATIONS = "async () => (await navigator.serviceWorker.getRegistrations()).length"


def signed_in_devices() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(DeviceSession))


def phone_page(installed_phone):
    context, _ = installed_phone
    return context, (context.pages[0] if context.pages else context.new_page())


def test_crisis_lines_open_offline_and_a_kept_safety_plan_only_while_unlocked(installed_phone,
                                                                             tmp_path):
    context, page = phone_page(installed_phone)
    sign_up(page, "harbour@example.org", remember=True)
    wait_until_controlled(page)
    page.goto("/support/safety-plan")
    page.get_by_label("What helps me").fill("Cold water on my wrists. The window.")
    page.get_by_role("button", name="Save safety plan").click()
    expect(page.get_by_text("Your safety plan is saved.")).to_be_visible()
    assert page.evaluate(KEPT_PLAN) is None  # nothing kept until the person asks
    page.get_by_label("Keep a copy on this device").check()
    expect(page.get_by_text("Kept on this device.")).to_be_visible()

    context.set_offline(True)
    page.goto("/support")
    expect(page.get_by_role("heading", name="Support", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Call or text 988")).to_be_visible()
    expect(page.get_by_role("heading", name="No connection just now")).to_have_count(0)
    expect(page.get_by_text("Cold water on my wrists. The window.")).to_be_visible()
    page.screenshot(path=str(tmp_path / "support-offline.png"), full_page=True)
    context.set_offline(False)

    # Tend locks this device: the kept copy goes with it, and offline shows only the lines.
    page.goto("/account")
    page.get_by_label("PIN").fill("2468")
    page.get_by_label("Your password").first.fill(PASSWORD)
    page.get_by_role("button", name="Turn on the lock").click()
    page.get_by_text("The app lock is on").wait_for()
    page.evaluate("""() => {
        sessionStorage.setItem("tend-hidden-at", String(Date.now() - 3600 * 1000));
        document.dispatchEvent(new Event("visibilitychange"));
    }""")
    page.wait_for_url("**/unlock**")
    wait_for_server(page, lambda: page.evaluate(KEPT_PLAN) is None)
    context.set_offline(True)
    page.goto("/support")
    expect(page.get_by_role("link", name="Call or text 988")).to_be_visible()
    expect(page.get_by_text("Cold water on my wrists.")).to_have_count(0)
    context.set_offline(False)
    page.goto("/unlock")
    page.get_by_label("PIN").fill("2468")
    page.get_by_role("button", name="Unlock").click()
    page.wait_for_url("**/")
    wait_for_server(page, lambda: page.evaluate(KEPT_PLAN) is not None)

    # Signing out clears it too.
    page.goto("/more")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")
    assert page.evaluate(KEPT_PLAN) is None
    assert page.evaluate("localStorage.getItem('tend-keep-plan')") is None


def test_signing_out_shows_its_progress_and_finishes_even_if_the_page_is_left(installed_phone,
                                                                              holding):
    context, page = phone_page(installed_phone)
    sign_up(page, "shared-phone@example.org", remember=True)
    wait_until_controlled(page)
    assert signed_in_devices() == 1
    page.goto("/journal")
    page.goto("/more")
    holding.hold("POST", "/logout")  # a slow moment on the way out
    page.get_by_role("button", name="Sign out").click()
    dialog = page.get_by_role("dialog", name="Signing out")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Signing out…")
    wait_for_server(page, lambda: holding.held >= 1)
    page.go_back()  # the person taps Back before it is done
    holding.release.set()
    page.wait_for_url("**/login", timeout=20_000)
    assert signed_in_devices() == 0
    wait_for_server(page, lambda: page.evaluate(REGISTRATIONS) == 0)
    assert cache_names(page) == []
    assert page.evaluate("localStorage.getItem('tend-signing-out')") is None
    page.goto("/journal")
    assert "/login" in page.url


def test_turning_reminders_on_gives_up_kindly_when_the_push_service_is_silent(
    browser, live_server
):
    live_server.app.config["PUSH_SUBSCRIBE_PATIENCE"] = 1.5
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    context.grant_permissions(["notifications"], origin=live_server.url)
    context.add_init_script("PushManager.prototype.subscribe = () => new Promise(() => {});")
    page = context.new_page()
    sign_up(page, "silence@example.org")
    page.goto("/settings/reminders")
    expect(page.get_by_role("button", name="Send a test reminder")).to_have_count(0)
    expect(page.get_by_text("Nothing will arrive until one does")).to_be_visible()
    page.get_by_role("button", name="Turn on reminders on this device").click()
    expect(page.get_by_text("push service did not answer")).to_be_visible(timeout=10_000)
    retry = page.get_by_role("button", name="Try again")
    expect(retry).to_be_enabled()
    context.close()


def test_a_draft_stays_a_draft_until_saved_online_as_offline(installed_phone):
    context, page = phone_page(installed_phone)
    sign_up(page, "reed@example.org", remember=True)
    wait_until_controlled(page)
    page.goto("/write")
    page.get_by_label("What is here for you today?").fill("Only thinking aloud.")
    expect(page.locator("#draft-status")).to_have_text("Draft kept on this device")
    expect(page.get_by_text("It goes to your journal when you press “Save entry”")).to_be_visible()
    page.goto("/journal")  # leaving, coming back, syncing: a draft is not sent
    page.goto("/")
    page.wait_for_timeout(1500)
    assert stored_entries() == []
    page.goto("/write")
    unsaved = page.get_by_role("region", name="Drafts on this device")
    unsaved.get_by_role("link", name="Only thinking aloud.").click()
    page.get_by_role("button", name="Save entry").click()
    expect(page.locator("#draft-status")).to_have_text("Saved to your journal", timeout=15_000)
    assert [e.body for e in stored_entries()] == ["Only thinking aloud."]
    assert drafts_on_device(page) == []


def test_small_things_a_new_user_noticed(browser, live_server, tmp_path):
    context = browser.new_context(base_url=live_server.url, locale="en-US",
                                  viewport={"width": 360, "height": 640}, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    sign_up(page, "fern@example.org")
    user = person("fern@example.org")

    # Right-to-left words are laid out right to left, as typed and as read.
    page.goto("/journal")
    box = page.get_by_label("What is here for you today?")
    box.fill("היום הרגשתי שקט עמוק")
    assert box.evaluate("el => getComputedStyle(el).direction") == "rtl"
    page.get_by_role("button", name="Save entry").click()
    body = page.locator("#entries .entry-body").first
    expect(body).to_have_text("היום הרגשתי שקט עמוק")
    assert body.evaluate("el => getComputedStyle(el).direction") == "rtl"

    # Near an entry's limit, a counter says how much room is left.
    box.fill("x" * 45_100)
    box.press("End")
    box.type("y")
    expect(page.get_by_text("45,101 of 50,000 characters")).to_be_visible()
    box.fill("x" * 50_000)
    box.type("z")
    expect(page.get_by_text("1 too many to save")).to_be_visible()
    box.fill("")

    # The practice page: padding inside its card, and a marker on "How to".
    page.goto("/practices/choose/breathwork")
    page.get_by_role("button", name="Add to my practices").click()
    page.get_by_role("link", name="Soothing breath", exact=True).first.click()
    card = page.locator("ul.ticks.card")
    assert float(card.evaluate("el => getComputedStyle(el).paddingLeft")[:-2]) >= 16
    marker = page.locator(".how-to summary").evaluate(
        "el => getComputedStyle(el, '::before').borderRightWidth")
    assert marker == "2px"
    page.screenshot(path=str(tmp_path / "practice.png"), full_page=True)

    # A device's "Sign out" stays on one line.
    page.goto("/account")
    button = page.locator(".device-sign-out").first
    assert button.bounding_box()["height"] < 50
    assert button.evaluate("el => getComputedStyle(el).whiteSpace") == "nowrap"

    # Times read like the time inputs do, here "10:00 PM".
    journey = log_journey(user, datetime(2026, 3, 14, 22, 0, tzinfo=UTC))
    page.goto(f"/journeys/{journey.id}")
    expect(page.locator("main")).to_contain_text("PM")
    page.goto(f"/journeys/{journey.id}/edit")
    assert page.get_by_label("Time").input_value() == "22:00"
    context.close()


def test_one_bar_of_signal_shows_the_kept_page_then_the_real_one(installed_phone, holding,
                                                                  tmp_path):
    context, page = phone_page(installed_phone)
    sign_up(page, "tunnel@example.org", remember=True)
    wait_until_controlled(page)
    page.goto("/support")
    holding.hold("GET", "/journal")
    holding.hold("GET", "/support")
    started = page.evaluate("Date.now()")
    page.goto("/journal")
    # The editor answers after a few seconds of silence, not when the browser gives up.
    expect(page.locator("#draft-editor")).to_be_visible(timeout=10_000)
    assert page.evaluate("Date.now()") - started < 9_000
    assert holding.held >= 1 and stored_entries() == []
    page.screenshot(path=str(tmp_path / "lie-fi-kept-page.png"))
    # The real page arrives and takes its place.
    holding.release.set()
    expect(page.get_by_role("searchbox", name="Search your entries")).to_be_visible(
        timeout=15_000)
    assert page.url.endswith("/journal")
    # The crisis lines too, from the kept copy, when Support is slow to answer.
    holding.release.clear()
    page.goto("/support")
    expect(page.get_by_role("link", name="Call or text 988")).to_be_visible(timeout=10_000)
    holding.release.set()


def test_after_erasing_the_account_the_device_keeps_nothing_and_says_goodbye(installed_phone):
    context, page = phone_page(installed_phone)
    sign_up(page, "leaving@example.org", remember=True)
    wait_until_controlled(page)
    page.goto("/write")
    page.get_by_label("What is here for you today?").fill("A draft that goes with me.")
    expect(page.locator("#draft-status")).to_have_text("Draft kept on this device")
    page.goto("/account/delete")
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_label("To confirm, type").fill("delete my journal")
    page.get_by_role("button", name="Delete everything").click()
    page.wait_for_url("**/login")
    expect(page.get_by_role("heading", name="Goodbye, and gentle care")).to_be_visible()
    expect(page.get_by_text("Welcome back")).to_have_count(0)
    # The goodbye page clears the device as it opens: the worker goes, then what it kept.
    wait_for_server(page, lambda: page.evaluate(REGISTRATIONS) == 0 and cache_names(page) == []
                    and drafts_on_device(page) == [])
