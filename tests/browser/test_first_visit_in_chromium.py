"""A person's very first visit on a phone, in Debian's Chromium: light, because the service
worker keeps at once only what the first moment without a connection needs (the editor, the
crisis lines, the offline note), and the rest (capture, the recorder, the drawing pad, htmx)
once the visit has settled; then all of it opens with no signal. Until htmx has come, its
forms and links work as plain ones, and one used meanwhile waits for it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    kept_parts,
    save_in_the_journal_with_no_signal,
    stored_entries,
    wait_until_controlled,
    wait_until_kept_for_offline,
)
from tests.browser.pages import sign_up

pytestmark = pytest.mark.browser

KEPT_URLS = """async () => {
    const kept = [];
    for (const name of await caches.keys()) {
        const cache = await caches.open(name);
        for (const request of await cache.keys()) kept.push(new URL(request.url).pathname);
    }
    return kept.sort();
}"""
FIRST_PAGES = ["/offline", "/support/offline", "/write"]
LATER_PAGES = ["/capture", "/draw", "/record"]
LATER_SCRIPTS = ["/static/js/capture.js", "/static/js/drawing.js", "/static/js/recorder.js",
                 "/static/js/recording.js", "/static/js/sign-out.js", "/static/css/capture.css",
                 "/static/vendor/htmx/htmx-2.0.11.min.js", "/static/js/kept-plan.js"]
HTMX = "/static/vendor/htmx/"


def kept_pages(kept: list[str]) -> list[str]:
    return [path for path in kept if not path.startswith("/static/")]


def test_a_first_visit_keeps_the_editor_at_once_and_the_rest_once_it_has_settled(
    installed_phone, holding, tmp_path
):
    context, _ = installed_phone
    page = context.pages[0] if context.pages else context.new_page()
    # Capture, the recorder and the drawing pad wait until the test lets them come.
    holding.hold("GET", "/kept-pages/later")
    asked = []
    context.on("request", lambda request: asked.append(request.url))
    sign_up(page, "first-light@example.org", remember=True)

    # The worker installs and takes over with the first part alone. Nobody has reached for
    # Today's forms yet: htmx has not come (they work as plain forms meanwhile).
    wait_until_controlled(page)
    assert kept_parts(page) == {"first": True, "later": False}
    assert page.evaluate("() => typeof window.htmx") == "undefined"
    assert not [url for url in asked if HTMX in url or "/js/kept-plan.js" in url]
    kept = page.evaluate(KEPT_URLS)
    assert kept_pages(kept) == FIRST_PAGES
    assert "/static/js/editor.js" in kept and "/static/css/tend.css" in kept
    assert not set(LATER_SCRIPTS) & set(kept)

    # The connection drops at once: the editor, the crisis lines and a kind note are there.
    context.set_offline(True)
    offline = context.new_page()
    offline.goto("/?source=home-screen")
    expect(offline.locator("#draft-editor").get_by_label("What is here for you today?")).to_be_visible()
    offline.goto("/support")
    expect(offline.get_by_role("link", name="Call or text 988")).to_be_visible()
    offline.goto("/record")  # not kept yet: the note says what still works
    expect(offline.get_by_role("heading", name="No connection just now")).to_be_visible()
    expect(offline.get_by_role("link", name="Write on this device")).to_be_visible()
    offline.close()
    context.set_offline(False)

    # The visit settles (the page asked for the rest by now, or does soon): the rest arrives.
    wait_for_the_ask = 30
    for _ in range(wait_for_the_ask * 5):
        if holding.held:
            break
        page.wait_for_timeout(200)
    assert holding.held, "nothing asked for the rest of Tend once the first visit settled"
    holding.release.set()
    wait_until_kept_for_offline(page)
    # Once the rest is kept, the open page takes htmx from it.
    page.wait_for_function("() => Boolean(window.htmx)")
    kept = page.evaluate(KEPT_URLS)
    assert kept_pages(kept) == sorted(FIRST_PAGES + LATER_PAGES)
    assert set(LATER_SCRIPTS) <= set(kept)
    assert len([name for name in page.evaluate("caches.keys()") if name.startswith("tend-")]) == 1

    # And all of it opens with no signal, from the cache alone.
    context.set_offline(True)
    page.goto("/record")
    expect(page.get_by_role("heading", name="Voice memo")).to_be_visible()
    expect(page.get_by_role("button", name="Record")).to_be_visible()
    page.goto("/draw")
    expect(page.get_by_role("heading", name="Draw")).to_be_visible()
    expect(page.get_by_role("img", name="Drawing pad")).to_be_visible()
    page.goto("/capture")
    expect(page.get_by_role("heading", name="Right now")).to_be_visible()
    # Capture's own stylesheet came too: it is dark by default, with large targets.
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(16, 20, 18)"
    page.screenshot(path=str(tmp_path / "capture-kept-later.png"))
    context.set_offline(False)


def test_a_form_used_before_htmx_has_come_waits_for_it_and_answers_in_place(
    installed_phone, holding
):
    context, _ = installed_phone
    page = context.pages[0] if context.pages else context.new_page()
    holding.hold("GET", "/kept-pages/later")  # the visit never settles: only a tap brings htmx
    sign_up(page, "early-tap@example.org", remember=True)
    wait_until_controlled(page)
    assert page.evaluate("() => typeof window.htmx") == "undefined"
    page.evaluate("() => { window.__sameDocument = true; }")

    before = page.locator("#prompt-text").inner_text()
    page.get_by_role("link", name="Another prompt").click()
    expect(page.locator("#prompt-text")).not_to_have_text(before)
    expect(page.locator("#prompt-text")).to_be_focused()  # swapped in place (integration.js)
    page.get_by_label("Your answer").fill("The first thing I wrote here.")
    page.get_by_role("button", name="Save to journal").click()
    expect(page.get_by_role("heading", name="Saved to your journal")).to_be_visible()
    assert page.evaluate("() => window.__sameDocument") is True, "the page was loaded again"
    assert [entry.body for entry in stored_entries()] == ["The first thing I wrote here."]


def test_an_entry_saved_with_no_signal_before_htmx_came_is_kept_on_the_device(installed_phone):
    context, _ = installed_phone
    page = context.pages[0] if context.pages else context.new_page()
    context.route("**/sw.js", lambda route: route.abort())  # no worker: still a first visit
    sign_up(page, "no-signal-yet@example.org", remember=True)
    page.goto("/journal")
    assert page.evaluate("() => typeof window.htmx") == "undefined"

    save_in_the_journal_with_no_signal(
        context, page, "Written as the signal went, before anything else had come."
    )
    assert stored_entries() == []
    context.set_offline(False)


def test_when_htmx_cannot_come_its_forms_are_sent_as_plain_forms(installed_phone):
    context, _ = installed_phone
    page = context.pages[0] if context.pages else context.new_page()
    context.route("**/sw.js", lambda route: route.abort())
    context.route("**/static/vendor/htmx/**", lambda route: route.abort())
    sign_up(page, "plain-forms@example.org", remember=True)
    page.evaluate("() => { window.__sameDocument = true; }")
    page.get_by_label("Your answer").fill("Sent the plain way.")
    page.get_by_role("button", name="Save to journal").click()
    expect(page.locator("#messages")).to_contain_text("Saved to your journal.")
    assert page.evaluate("() => window.__sameDocument") is None  # Today came again, whole
    assert [entry.body for entry in stored_entries()] == ["Sent the plain way."]
