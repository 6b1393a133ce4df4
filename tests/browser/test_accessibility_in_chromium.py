"""axe-core over every page, signed in and signed out, light and dark, in Debian's Chromium
on a phone: no violations. (axe is injected through DevTools, outside the page's CSP.)"""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.browser.conftest import Problems
from tests.browser.pages import SIGNED_OUT_PAGES, live_in, sign_up, signed_in_pages

pytestmark = pytest.mark.browser

AXE = Axe()


def violations(page) -> list[str]:
    results = AXE.run(page)
    return [] if results.violations_count == 0 else [results.generate_report()]


def assert_none_found(found: dict[str, list[str]]) -> None:
    assert found == {}, "\n\n".join(f"{path}:\n{report[0]}" for path, report in found.items())


def phone(browser, live_server, scheme: str):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, base_url=live_server.url,
                                  color_scheme=scheme)
    problems = Problems()
    return context, problems.watch(context.new_page()), problems


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_every_signed_in_page_passes_axe(browser, live_server, theme):
    context, page, problems = phone(browser, live_server, "light")
    sign_up(page, f"axe-{theme}@example.org")
    lived = live_in(f"axe-{theme}@example.org")
    page.goto("/more")
    page.get_by_label({"light": "Light", "dark": "Dark"}[theme], exact=True).check()
    expect(page.locator("html")).to_have_attribute("data-theme", theme)
    page.wait_for_timeout(400)
    found = {}
    for path in signed_in_pages(lived):
        page.goto(path)
        page.wait_for_load_state("load")
        if path == "/capture":
            page.locator("#capture-form").wait_for()
            page.locator("details.family").first.locator("summary").click()
            page.locator("label.chip-toggle").first.click()
            page.get_by_role("checkbox", name="Chest and heart").click()
            expect(page.locator("#qualities")).to_be_visible()
        if report := violations(page):
            found[path] = report
    assert_none_found(found)
    context.close()
    assert not problems, problems


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_signed_out_page_passes_axe(browser, live_server, scheme):
    context, page, problems = phone(browser, live_server, scheme)
    found = {}
    for path in SIGNED_OUT_PAGES:
        page.goto(path)
        if report := violations(page):
            found[path] = report
    assert_none_found(found)
    context.close()
    assert not problems, problems


def test_signing_out_and_capture_on_a_light_phone_pass_axe(browser, live_server):
    context, page, problems = phone(browser, live_server, "light")
    sign_up(page, "axe-moments@example.org")
    page.goto("/capture")  # dark by default on a light phone
    page.locator("#capture-form").wait_for()
    assert violations(page) == []
    page.route("**/logout", lambda route: None)  # never answers: the dialog stays
    page.goto("/more")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("dialog", name="Signing out")).to_be_visible()
    assert violations(page) == []
    context.close()
