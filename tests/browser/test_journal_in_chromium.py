"""A person on a phone signs up, writes, edits, searches, deletes with undo and signs out,
in Debian's Chromium driven by Playwright."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from webapp.extensions import db
from webapp.journal.models import Entry

pytestmark = pytest.mark.browser


def test_journal_day_on_a_phone(phone, tmp_path):
    page = phone
    page.goto("/")
    assert "/login" in page.url
    page.get_by_role("link", name="Create an account").click()

    page.get_by_label("Email").fill("river@example.org")
    page.get_by_label("Password").fill("slow breath, long exhale")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/")
    assert page.get_by_role("heading", name="Welcome to Tend").is_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Journal").click()
    page.wait_for_url("**/journal")
    assert page.get_by_text("Your journal is waiting").is_visible()

    # Write: the entry appears at the top of the timeline without a page load.
    page.evaluate("window.__sameDocument = true")
    page.get_by_label("What is here for you today?").fill("I saw a field of blue light.")
    page.get_by_text("Title and mood").click()
    page.get_by_label("Title").fill("After the journey")
    page.locator(".mood-option", has_text="Open").click()
    page.get_by_role("button", name="Save entry").click()
    first = page.locator("#entries > li.entry").first
    first.get_by_text("I saw a field of blue light.").wait_for()
    assert page.evaluate("window.__sameDocument") is True, "saving reloaded the page"
    assert first.get_by_text("Mood: Open").is_visible()
    assert not page.get_by_text("Your journal is waiting").is_visible()
    assert page.get_by_label("What is here for you today?").input_value() == ""
    page.screenshot(path=str(tmp_path / "timeline.png"), full_page=True)

    # Edit inline.
    first.get_by_role("link", name="Edit").click()
    editor = page.locator("li.entry.editing textarea")
    editor.wait_for()
    editor.fill("I saw a field of blue light, and it was calm.")
    page.locator("li.entry.editing").get_by_role("button", name="Save entry").click()
    page.get_by_text("and it was calm.").wait_for()
    expect(page.locator("li.entry.editing")).to_have_count(0)

    # Search live, as the person types.
    page.get_by_label("What is here for you today?").fill("A second, unrelated note.")
    page.get_by_role("button", name="Save entry").first.click()
    page.get_by_text("A second, unrelated note.").wait_for()
    page.get_by_role("searchbox", name="Search your entries").type("blue", delay=30)
    expect(page.locator("#entries > li.entry")).to_have_count(1)
    assert "q=blue" in page.url
    assert page.locator("#entries").get_by_text("and it was calm.").is_visible()
    page.get_by_role("searchbox", name="Search your entries").fill("")
    page.get_by_role("searchbox", name="Search your entries").dispatch_event("search")
    expect(page.locator("#entries > li.entry")).to_have_count(2)

    # Delete, then change one's mind.
    entry = page.locator("li.entry", has_text="A second, unrelated note.")
    entry.get_by_role("button", name="Delete").click()
    page.get_by_text("Entry deleted.").wait_for()
    page.get_by_role("button", name="Undo").click()
    page.get_by_text("A second, unrelated note.").wait_for()
    assert page.evaluate("window.__sameDocument") is True

    page.screenshot(path=str(tmp_path / "timeline-after-edits.png"), full_page=True)
    db.session.expire_all()
    stored = {e.body: e for e in db.session.scalars(select(Entry))}
    assert stored["I saw a field of blue light, and it was calm."].mood == 5
    assert stored["A second, unrelated note."].deleted_at is None

    # Sign out, from More (away from Support).
    page.get_by_role("navigation", name="Main").get_by_role("link", name="More").click()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")
    assert page.get_by_text("You’re signed out").is_visible() or page.get_by_text(
        "You're signed out"
    ).is_visible()
    page.goto("/")
    assert "/login" in page.url


def test_the_timeline_fits_a_360px_screen(browser, live_server, tmp_path):
    context = browser.new_context(viewport={"width": 360, "height": 740}, base_url=live_server.url)
    page = context.new_page()
    page.goto("/register")
    page.get_by_label("Email").fill("narrow@example.org")
    page.get_by_label("Password").fill("a narrow screen is fine")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/")
    page.goto("/journal")
    page.get_by_label("What is here for you today?").fill("x" * 300)
    page.get_by_role("button", name="Save entry").click()
    page.locator("li.entry").first.wait_for()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"page is {overflow}px wider than the screen"
    small_targets = page.evaluate(
        """[...document.querySelectorAll('button, a.button, .mood-option span, '
                + 'input:not([type=hidden]):not([type=radio]), textarea')]
            .filter(el => el.offsetParent !== null)
            .filter(el => { const r = el.getBoundingClientRect(); return r.height < 44; })
            .map(el => el.outerHTML.slice(0, 80))"""
    )
    assert small_targets == []
    font_size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert font_size >= 16
    page.screenshot(path=str(tmp_path / "narrow.png"), full_page=True)
    context.close()
