"""Tend as an app for thumbs, in Debian's Chromium at 390×844 and 360×640: the tab bar at the
bottom of every page, Support at the top, targets large enough, nothing wider than the
screen; a top row on wider screens; and light, dark or like the device, without a flash."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Problems
from tests.browser.pages import SIGNED_OUT_PAGES, live_in, sign_up, signed_in_pages

pytestmark = pytest.mark.browser

SIZES = {"390x844": (390, 844), "360x640": (360, 640)}
SECTION_OF = {"/": "Today", "/journal": "Journal", "/capture": "Capture", "/write": "Capture",
              "/practices": "Practices", "/more": "More", "/account": "More",
              "/journeys": "More", "/settings/reminders": "More"}

SMALL_TARGETS = """([least, root]) => [...document.querySelector(root).querySelectorAll(
    'button, a.button, .tabs a, .support-link, .brand, select, textarea, summary, '
    + 'input:not([type=hidden]):not([type=radio]):not([type=checkbox]), '
    + '.mood-option span, .chip-toggle span, [role=checkbox], .read-more a')]
  .filter((el) => el.getClientRects().length && getComputedStyle(el).visibility !== 'hidden'
    && !el.closest('[hidden], dialog:not([open]), details:not([open]) > :not(summary)'))
  .filter((el) => { const r = el.getBoundingClientRect(); return r.height < least - 0.5 || r.width < least - 0.5; })
  .map((el) => el.outerHTML.slice(0, 90))"""


def overflow(page) -> float:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize("size", list(SIZES))
def test_every_page_has_the_tab_bar_at_the_bottom_and_fits_the_phone(
    browser, live_server, tmp_path, size
):
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height},
                                  device_scale_factor=2, is_mobile=True, has_touch=True,
                                  base_url=live_server.url)
    problems = Problems()
    page = problems.watch(context.new_page())
    for path in SIGNED_OUT_PAGES:  # no tabs before signing in; Support still at the top
        page.goto(path)
        expect(page.get_by_role("navigation", name="Main")).to_have_count(0)
        assert page.get_by_role("link", name="Support", exact=True).bounding_box()["y"] < 80
        assert overflow(page) <= 0, f"{path} is {overflow(page)}px wider than the screen"
        assert page.evaluate(SMALL_TARGETS, [44, "body"]) == [], path
    sign_up(page, f"thumbs-{size}@example.org")
    lived = live_in(f"thumbs-{size}@example.org")
    for path in signed_in_pages(lived):
        page.goto(path)
        page.wait_for_load_state("load")
        tabs = page.get_by_role("navigation", name="Main")
        expect(tabs).to_be_visible()
        box = tabs.bounding_box()
        assert abs(box["y"] + box["height"] - height) <= 1, (path, box)
        assert page.evaluate("getComputedStyle(document.querySelector('.tabs')).position") == "fixed"
        assert [n.strip() for n in tabs.get_by_role("link").all_inner_texts()] == [
            "Today", "Journal", "Capture", "Practices", "More"]
        support = page.get_by_role("link", name="Support", exact=True)
        assert support.bounding_box()["y"] < 80, path  # one tap away, at the top
        if path in SECTION_OF:
            current = tabs.locator("[aria-current]")
            expect(current).to_have_count(1)
            expect(current).to_have_text(SECTION_OF[path])
        assert overflow(page) <= 0, f"{path} is {overflow(page)}px wider than the screen"
        if path == "/capture":  # capture's own targets are larger still
            page.locator("#capture-form").wait_for()
            page.locator("details.family").first.locator("summary").click()
            assert page.evaluate(SMALL_TARGETS, [64, "main"]) == []
        small = page.evaluate(SMALL_TARGETS, [44, "body"])
        assert small == [], (path, small)
        if path in ("/", "/journal", "/capture", "/more", f"/practices/{lived.chosen_id}",
                    "/settings/reminders", "/account", "/support"):
            name = path.strip("/").replace("/", "-")[:24] or "today"
            page.screenshot(path=str(tmp_path / f"{size}-{name}.png"))
        # The last thing on a page can be scrolled clear of the tab bar.
        page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
        last = page.evaluate("""() => { const m = document.querySelector('main');
            const kids = [...m.querySelectorAll('*')].filter((el) => el.getClientRects().length
              && !el.closest('details:not([open]) > :not(summary)'));
            return Math.max(...kids.map((el) => el.getBoundingClientRect().bottom)); }""")
        assert last <= box["y"] + 1, (path, last, box)
    context.close()
    assert not problems, problems


def test_wider_screens_keep_the_same_list_as_a_top_row(browser, live_server, tmp_path):
    context = browser.new_context(viewport={"width": 1100, "height": 800},
                                  base_url=live_server.url)
    page = context.new_page()
    sign_up(page, "desk@example.org")
    tabs = page.get_by_role("navigation", name="Main")
    box = tabs.bounding_box()
    assert box["y"] < 80 and box["height"] < 80
    assert page.evaluate("getComputedStyle(document.querySelector('.tabs')).position") != "fixed"
    expect(tabs.locator("[aria-current=page]")).to_have_text("Today")
    assert page.locator("nav").count() == 1  # written once, drawn two ways
    page.screenshot(path=str(tmp_path / "desk-today.png"))
    context.close()


def background(page) -> str:
    return page.evaluate("getComputedStyle(document.body).backgroundColor")


FIRST_PAINT = """
window.__themeAtFirstBody = null;
new MutationObserver((_, observer) => {
  if (document.body) {
    window.__themeAtFirstBody = document.documentElement.getAttribute("data-theme");
    observer.disconnect();
  }
}).observe(document, { childList: true, subtree: true });
"""


def test_light_dark_or_like_the_device_is_chosen_once_and_never_flashes(
    browser, live_server, tmp_path
):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  base_url=live_server.url, color_scheme="light")
    context.add_init_script(FIRST_PAINT)
    page = context.new_page()
    sign_up(page, "night@example.org")
    light = background(page)
    page.get_by_role("link", name="More", exact=True).click()
    page.get_by_label("Dark", exact=True).check()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    dark = background(page)
    assert dark != light
    page.wait_for_timeout(500)  # the choice reaches the server
    page.goto("/journal")
    assert page.evaluate("window.__themeAtFirstBody") == "dark"  # before anything is drawn
    assert background(page) == dark
    # A page the service worker keeps knows no account: the device remembers the choice.
    page.goto("/write")
    assert page.evaluate("window.__themeAtFirstBody") == "dark"
    page.screenshot(path=str(tmp_path / "write-dark.png"))
    # Capture is dark by default, even on a light phone, unless light was chosen.
    page.goto("/more")
    page.get_by_label("Like this device", exact=True).check()
    expect(page.locator("html")).to_have_attribute("data-theme", "system")
    page.wait_for_timeout(500)
    page.goto("/")
    assert background(page) == light
    page.goto("/capture")
    assert background(page) != light
    page.goto("/more")
    page.get_by_label("Light", exact=True).check()
    page.wait_for_timeout(500)
    page.goto("/capture")
    assert background(page) == light
    context.close()
