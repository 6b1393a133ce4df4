"""On a phone: log a journey, answer Today's prompt, tick a practice, open the integration
brief; in Debian's Chromium driven by Playwright, with screenshots of each page."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from webapp.extensions import db
from webapp.journal.models import Entry
from webapp.journeys.models import Journey
from webapp.practices.models import PracticeLog

pytestmark = pytest.mark.browser


def no_horizontal_overflow(page) -> None:
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the screen"


def test_an_integration_day_on_a_phone(phone, tmp_path):
    page = phone
    page.goto("/register")
    page.get_by_label("Email").fill("meadow@example.org")
    page.get_by_label("Password").fill("slow breath, long exhale")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/")
    expect(page.get_by_role("heading", name="Welcome to Tend")).to_be_visible()

    # Log a journey from two days ago, in the phone's own timezone.
    page.get_by_role("link", name="Log a journey").first.click()
    zone = ZoneInfo(page.evaluate("() => Intl.DateTimeFormat().resolvedOptions().timeZone"))
    two_days_ago = datetime.now(zone) - timedelta(days=2)
    page.get_by_label("Date").fill(two_days_ago.strftime("%Y-%m-%d"))
    page.get_by_label("Time").fill("10:00")
    page.get_by_label("Intention").fill("To meet the tired part of me with kindness.")
    page.get_by_label("Notes on setting").fill("Clinic room, eyeshades, the cello playlist.")
    no_horizontal_overflow(page)
    page.screenshot(path=str(tmp_path / "1-log-journey.png"), full_page=True)
    page.get_by_role("button", name="Log journey").click()
    page.wait_for_url("**/")
    expect(page.locator("#today-heading")).to_contain_text("Day 2 after your journey")
    expect(page.locator("#today-heading")).to_contain_text("Immediate reflection")

    # Another prompt swaps the card in place; then answer it.
    page.evaluate("() => { window.__sameDocument = true; }")
    first_prompt = page.locator("#prompt-text").inner_text()
    page.get_by_role("link", name="Another prompt").click()
    expect(page.locator("#prompt-text")).not_to_have_text(first_prompt)
    prompt = page.locator("#prompt-text").inner_text()
    no_horizontal_overflow(page)
    page.screenshot(path=str(tmp_path / "2-today.png"), full_page=True)
    page.get_by_label("Your answer").fill("My hands felt warm and far away.")
    page.get_by_role("button", name="Save to journal").click()
    expect(page.get_by_role("heading", name="Saved to your journal")).to_be_visible()
    assert page.evaluate("() => window.__sameDocument") is True, "saving reloaded the page"

    # Choose a practice for every day, then tick it off on Today.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Practices").click()
    page.locator("#practice-breathwork").get_by_text("How to").click()
    expect(page.locator("#practice-breathwork")).to_contain_text("count of six")
    page.screenshot(path=str(tmp_path / "3-practices.png"), full_page=True)
    page.screenshot(path=str(tmp_path / "3-practices-top.png"))
    page.get_by_role("link", name="Choose soothing breath").click()
    page.get_by_label("Time of day").fill("08:00")
    page.get_by_role("button", name="Add to my practices").click()
    page.wait_for_url("**/practices")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Today").click()
    page.wait_for_url("**/")
    page.evaluate("() => { window.__sameDocument = true; }")
    tick = page.locator(".today-practices li.tick", has_text="Soothing breath")
    expect(tick).to_contain_text("Not yet this week")
    tick.get_by_text("Add a note").click()
    tick.get_by_label("Note").fill("Three long exhales at the window.")
    tick.get_by_role("button", name="Mark Soothing breath done").click()
    done = page.locator(".today-practices li.tick.is-done")
    expect(done).to_contain_text("Done today")
    expect(done).to_contain_text("Once this week")
    assert page.evaluate("() => window.__sameDocument") is True
    no_horizontal_overflow(page)
    page.screenshot(path=str(tmp_path / "4-today-ticked.png"), full_page=True)

    # Open the integration brief for the journey: Journeys live under More.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="More").click()
    page.get_by_role("link", name="Journeys").click()
    page.locator(".arc h2 a").first.click()
    page.get_by_role("link", name="Integration brief").click()
    brief = page.locator("article.brief")
    expect(brief).to_contain_text("To meet the tired part of me with kindness.")
    expect(brief).to_contain_text("Immediate reflection")
    expect(brief).to_contain_text(prompt)
    expect(brief).to_contain_text("My hands felt warm and far away.")
    expect(brief).to_contain_text("Soothing breath: 1 time")
    expect(brief).to_contain_text("Three long exhales at the window.")
    no_horizontal_overflow(page)
    page.screenshot(path=str(tmp_path / "5-brief.png"), full_page=True)
    page.emulate_media(media="print")
    expect(page.locator(".sections")).to_be_hidden()
    expect(page.get_by_role("button", name="Print")).to_be_hidden()
    page.screenshot(path=str(tmp_path / "6-brief-print.png"), full_page=True)
    page.emulate_media(media="screen")

    # Insights draw their charts inside the strict CSP.
    page.goto("/insights")
    expect(page.locator("svg.chart")).to_have_count(1)  # practices; no moods were given
    no_horizontal_overflow(page)
    page.screenshot(path=str(tmp_path / "8-insights.png"), full_page=True)
    page.emulate_media(color_scheme="dark")
    page.screenshot(path=str(tmp_path / "9-insights-dark.png"), full_page=True)
    page.emulate_media(color_scheme="light")

    # Support is one tap away.
    page.get_by_role("link", name="Support").click()
    expect(page.get_by_text("Nobody monitors what you write in Tend.")).to_be_visible()
    page.screenshot(path=str(tmp_path / "7-support.png"), full_page=True)

    db.session.expire_all()
    journey = db.session.scalar(select(Journey))
    entry = db.session.scalar(select(Entry))
    assert entry.journey_id == journey.id and entry.phase == "reflection"
    assert entry.prompt_id is not None
    assert db.session.scalar(select(PracticeLog)).note == "Three long exhales at the window."
    for name in ["1-log-journey", "2-today", "4-today-ticked", "5-brief", "7-support"]:
        assert (tmp_path / f"{name}.png").stat().st_size > 10_000


SMALL_TARGETS = """() => [...document.querySelectorAll(
    'button, a.button, .sections a, .mood-option span, summary, select, '
    + 'input:not([type=hidden]):not([type=radio]):not([type=checkbox]), textarea')]
  .filter(el => el.offsetParent !== null)
  .filter(el => el.getBoundingClientRect().height < 44)
  .map(el => el.outerHTML.slice(0, 80))"""


def test_integration_pages_fit_a_360px_screen_with_comfortable_targets(
    browser, live_server, tmp_path
):
    context = browser.new_context(viewport={"width": 360, "height": 740}, base_url=live_server.url)
    page = context.new_page()
    page.goto("/register")
    page.get_by_label("Email").fill("narrow-arc@example.org")
    page.get_by_label("Password").fill("a narrow screen is fine")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/")
    page.goto("/journeys/new")
    page.get_by_label("Intention").fill("A long intention " * 20)
    page.get_by_role("button", name="Log journey").click()
    page.wait_for_url("**/")
    page.goto("/practices/choose/sit-spot")
    page.get_by_role("button", name="Add to my practices").click()
    page.wait_for_url("**/practices")
    for path in [
        "/",
        "/practices",
        "/journeys",
        "/intentions",
        "/settings",
        "/support",
        "/support/safety-plan",
        "/insights",
        "/more",
        "/journeys/prepare",
    ]:
        page.goto(path)
        no_horizontal_overflow(page)
        assert page.evaluate(SMALL_TARGETS) == [], path
        assert page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)") >= 16
    page.goto("/")
    page.screenshot(path=str(tmp_path / "today-360.png"), full_page=True)
    context.close()


def test_another_prompt_moves_focus_to_the_new_prompt(phone):
    page = phone
    page.goto("/register")
    page.get_by_label("Email").fill("focus@example.org")
    page.get_by_label("Password").fill("slow breath, long exhale")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/")
    before = page.locator("#prompt-text").inner_text()
    page.get_by_role("link", name="Another prompt").click()
    expect(page.locator("#prompt-text")).not_to_have_text(before)
    expect(page.locator("#prompt-text")).to_be_focused()
    page.get_by_label("Your answer").fill("Quiet.")
    page.get_by_role("button", name="Save to journal").click()
    expect(page.locator("#prompt-saved-heading")).to_be_visible()
    expect(page.locator("#today-prompt")).to_be_focused()
