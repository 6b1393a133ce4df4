"""Tend on a phone with no signal, in Debian's Chromium: installable, controlled by its
service worker, writing offline, finding drafts after a cold start, syncing when the
network returns, two devices in conflict, and signing out leaving nothing behind."""

from __future__ import annotations

import uuid
from contextlib import contextmanager

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    PHONE,
    Problems,
    cache_names,
    drafts_on_device,
    save_in_the_journal_with_no_signal,
    stored_entries,
    wait_for_server,
    wait_until_controlled,
    wait_until_kept_for_offline,
)

pytestmark = pytest.mark.browser

PASSWORD = "slow breath, long exhale"


def sign_up(page, email: str, password: str = PASSWORD) -> None:
    """Create an account on a device the person keeps (closing the app keeps them in)."""
    page.goto("/register")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_label("Remember this device").check()
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/")
    page.goto("/journal")  # the journal, where these stories write


def sign_in(page, email: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")
    page.goto("/journal")


def end_session(context, page) -> None:
    """The browser drops its cookies, as when a session ends. Requests still under way
    could set them again, so the page is left to settle first."""
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)
    context.clear_cookies()


def test_installable_offline_first_and_synced_when_back_online(installed_phone, tmp_path):
    context, _ = installed_phone
    page = context.pages[0] if context.pages else context.new_page()
    sign_up(page, "meadow@example.org")
    wait_until_controlled(page)

    cdp = context.new_cdp_session(page)
    manifest = cdp.send("Page.getAppManifest")
    assert not manifest.get("errors"), manifest.get("errors")
    assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
    names = cache_names(page)
    assert len(names) == 1 and names[0].startswith("tend-static-")

    # Cold start with no network: a fresh page of the installed app shows the editor.
    page.close()
    context.set_offline(True)
    page = context.new_page()
    page.goto("/?source=home-screen")
    editor = page.locator("#draft-editor").get_by_label("What is here for you today?")
    expect(editor).to_be_visible()
    assert page.evaluate("navigator.onLine") is False
    page.screenshot(path=str(tmp_path / "offline-cold-start.png"))

    # Write offline: kept on the device within a second, as a draft until saved.
    editor.fill("Written on the mountain, far from any signal.")
    status = page.locator("#draft-status")
    expect(status).to_have_text("Draft kept on this device")
    page.get_by_role("button", name="Save entry").click()
    expect(status).to_contain_text("Saved on this device. It will sync")
    waiting = page.get_by_role("region", name="Waiting to sync")
    expect(waiting.get_by_role("link", name="Written on the mountain")).to_be_visible()
    expect(editor).to_have_value("")

    # A second one, left open in the editor: a draft, not saved yet.
    editor.fill("A second thought, still open.")
    expect(status).to_have_text("Draft kept on this device")
    page.screenshot(path=str(tmp_path / "offline-writing.png"))

    # Reload offline: both are still on the device, each where it belongs.
    page.reload()
    waiting = page.get_by_role("region", name="Waiting to sync")
    expect(waiting.get_by_role("listitem")).to_have_count(1)
    unsaved = page.get_by_role("region", name="Drafts on this device")
    expect(unsaved.get_by_role("listitem")).to_have_count(1)
    expect(page.get_by_label("What is here for you today?")).to_have_value(
        "A second thought, still open."
    )
    waiting.get_by_role("link", name="Written on the mountain").click()
    expect(page.get_by_label("What is here for you today?")).to_have_value(
        "Written on the mountain, far from any signal."
    )
    assert stored_entries() == []

    # The network returns: the saved one goes home; the draft stays until it is saved.
    context.set_offline(False)
    expect(page.get_by_role("region", name="Waiting to sync")).to_be_hidden(timeout=15_000)
    assert [e.body for e in stored_entries()] == ["Written on the mountain, far from any signal."]
    assert [d["body"] for d in drafts_on_device(page)] == ["A second thought, still open."]
    page.get_by_role("region", name="Drafts on this device").get_by_role(
        "link", name="A second thought").click()
    page.get_by_role("button", name="Save entry").click()
    expect(page.locator("#draft-status")).to_have_text("Saved to your journal", timeout=15_000)
    assert drafts_on_device(page) == []
    bodies = sorted(e.body for e in stored_entries())
    assert bodies == [
        "A second thought, still open.",
        "Written on the mountain, far from any signal.",
    ]
    assert all(e.user.email == "meadow@example.org" for e in stored_entries())
    page.screenshot(path=str(tmp_path / "synced.png"))

    page.goto("/journal")
    expect(page.get_by_text("Written on the mountain, far from any signal.")).to_be_visible()


def test_journal_pages_are_never_kept_by_the_service_worker(installed_phone):
    context, _ = installed_phone
    page = context.pages[0] if context.pages else context.new_page()
    sign_up(page, "private@example.org")
    wait_until_controlled(page)
    page.get_by_label("What is here for you today?").fill("Something only I should read.")
    page.get_by_role("button", name="Save entry").click()
    page.locator("li.entry").first.wait_for()
    page.reload()
    wait_until_kept_for_offline(page)
    cached_text = page.evaluate(
        """async () => {
            const texts = [];
            for (const name of await caches.keys()) {
                const cache = await caches.open(name);
                for (const request of await cache.keys()) {
                    const response = await cache.match(request);
                    if ((response.headers.get("Content-Type") || "").includes("html")) {
                        texts.push(request.url + "\\n" + await response.text());
                    }
                }
            }
            return texts;
        }"""
    )
    # The editor, capture, the crisis lines, the offline page, the recorder and the pad.
    assert len(cached_text) == 6
    assert all("Something only I should read." not in text for text in cached_text)
    assert all('name="csrf-token" content=""' in text for text in cached_text)

    # Offline, an entry's page is not there: a kind note and a way to write instead.
    context.set_offline(True)
    page.goto("/entries/" + str(stored_entries()[0].id))
    expect(page.get_by_role("heading", name="No connection just now")).to_be_visible()
    context.set_offline(False)


def test_two_devices_editing_the_same_entry_keep_both_texts(browser, live_server, tmp_path):
    phone = browser.new_context(base_url=live_server.url, **PHONE)
    laptop = browser.new_context(base_url=live_server.url)
    problems = Problems()
    phone_page = problems.watch(phone.new_page())
    laptop_page = problems.watch(laptop.new_page())

    sign_up(phone_page, "tide@example.org")
    wait_until_controlled(phone_page)
    phone_page.goto("/write")
    editor = phone_page.get_by_label("What is here for you today?")
    editor.fill("The wave, as I first wrote it.")
    status = phone_page.locator("#draft-status")
    expect(status).to_have_text("Draft kept on this device")
    # A short drop in signal: a draft is not sent when the signal returns, only once saved.
    phone.set_offline(True)
    phone.set_offline(False)
    phone_page.wait_for_timeout(1000)
    assert stored_entries() == []
    phone_page.get_by_role("button", name="Save entry").click()
    expect(status).to_have_text("Saved to your journal", timeout=15_000)
    [original] = stored_entries()

    # More words on the phone, offline, from the journal; meanwhile the laptop edits it too.
    phone_page.goto("/journal")
    phone_page.locator(f"#entry-{original.id}").get_by_role("link", name="Edit").click()
    phone_page.locator("li.entry.editing textarea").wait_for()  # opened with signal, then none
    phone.set_offline(True)
    phone_page.locator("li.entry.editing textarea").fill(
        "The wave, as I first wrote it, and what it carried.")
    phone_page.locator("li.entry.editing").get_by_role("button", name="Save entry").click()
    expect(phone_page.get_by_text("this entry is saved on this device")).to_be_visible()

    sign_in(laptop_page, "tide@example.org")
    entry = laptop_page.locator(f"#entry-{original.id}")
    entry.get_by_role("link", name="Edit").click()
    laptop_page.locator("li.entry.editing textarea").fill("The wave, rewritten at my desk.")
    laptop_page.locator("li.entry.editing").get_by_role("button", name="Save entry").click()
    expect(laptop_page.get_by_text("The wave, rewritten at my desk.")).to_be_visible()

    phone.set_offline(False)
    expect(phone_page.get_by_text("Both versions are in your journal")).to_be_visible(
        timeout=15_000
    )
    entries = {e.body: e for e in stored_entries()}
    assert set(entries) == {
        "The wave, rewritten at my desk.",
        "The wave, as I first wrote it, and what it carried.",
    }
    kept = entries["The wave, rewritten at my desk."]
    copy = entries["The wave, as I first wrote it, and what it carried."]
    assert (kept.id, kept.version, kept.conflict_of_id) == (original.id, 2, None)
    assert copy.conflict_of_id == original.id

    # The journal shows the copy with a gentle note and a way to the original.
    laptop_page.goto("/journal")
    note = laptop_page.locator(f"#entry-{copy.id}").get_by_text("This is a copy made while offline")
    expect(note).to_be_visible()
    laptop_page.screenshot(path=str(tmp_path / "conflict-copy.png"), full_page=True)
    laptop_page.locator(f"#entry-{copy.id}").get_by_role(
        "link", name="Compare with the original"
    ).click()
    expect(laptop_page.get_by_text("The wave, rewritten at my desk.")).to_be_visible()
    assert laptop_page.url.endswith(f"/entries/{original.id}")

    phone.close()
    laptop.close()
    assert not problems, problems


def test_sign_out_warns_about_unsynced_drafts_then_clears_the_device(installed_phone, tmp_path):
    context, _ = installed_phone
    page = context.pages[0] if context.pages else context.new_page()
    sign_up(page, "harbour@example.org")
    wait_until_controlled(page)
    assert cache_names(page)

    # Tend cannot be reached for a while: the draft stays on the device.
    context.route("**/api/sync", lambda route: route.fulfill(status=503, body="down"))
    page.goto("/write")
    page.get_by_label("What is here for you today?").fill("Not home yet.")
    expect(page.locator("#draft-status")).to_have_text("Draft kept on this device")
    page.get_by_role("button", name="Save entry").click()
    expect(page.locator("#draft-status")).to_contain_text("Saved on this device.")

    questions = []

    def decline(dialog):
        questions.append(dialog.message)
        dialog.dismiss()

    page.goto("/more")
    page.once("dialog", decline)
    page.get_by_role("button", name="Sign out").click()
    wait_for_server(page, lambda: questions)
    expect(page.get_by_role("dialog", name="Signing out")).to_be_hidden()
    expect(page.get_by_role("button", name="Sign out")).to_be_enabled()
    assert "not reached your journal yet" in questions[0]
    assert "/more" in page.url
    assert [d["body"] for d in drafts_on_device(page)] == ["Not home yet."]

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")
    expect(page.get_by_text("signed out")).to_be_visible()
    assert cache_names(page) == []
    assert drafts_on_device(page) == []
    registrations = "async () => (await navigator.serviceWorker.getRegistrations()).length"
    assert page.evaluate(registrations) == 0
    assert stored_entries() == []


def test_an_expired_session_keeps_drafts_until_the_person_signs_in(installed_phone, tmp_path):
    context, _ = installed_phone
    page = context.pages[0] if context.pages else context.new_page()
    sign_up(page, "fern@example.org")
    wait_until_controlled(page)
    page.goto("/write")
    expect(page.locator("#draft-editor")).to_be_visible()

    # The session ends while the phone is offline (the browser dropped its cookie).
    end_session(context, page)
    context.set_offline(True)
    page.get_by_label("What is here for you today?").fill("Written after the session ended.")
    expect(page.locator("#draft-status")).to_have_text("Draft kept on this device")
    context.set_offline(False)
    page.get_by_role("button", name="Save entry").click()
    expect(page.locator("#draft-status")).to_contain_text("Sign in to sync")
    expect(page.get_by_role("link", name="Sign in to sync").first).to_be_visible()
    assert stored_entries() == []
    assert len(drafts_on_device(page)) == 1

    page.get_by_role("link", name="Sign in to sync").first.click()
    page.get_by_label("Email").fill("fern@example.org")
    page.get_by_label("Password").fill("slow breath, long exhale")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/write")
    expect(page.get_by_role("region", name="Waiting to sync")).to_be_hidden(timeout=15_000)
    assert [e.body for e in stored_entries()] == ["Written after the session ended."]


def test_drafts_are_never_uploaded_under_another_account(installed_phone):
    context, _ = installed_phone
    page = context.pages[0] if context.pages else context.new_page()
    sign_up(page, "first@example.org")
    wait_until_controlled(page)
    first_id = page.evaluate("document.body.dataset.account")
    # A draft of the first person's, left on the device when their session ended.
    page.evaluate(
        """async (account) => {
            await self.tendDrafts.put({id: self.tendDrafts.newId(), account, base_version: null,
                title: null, body: "first person's words", mood: null, revision: 1,
                client_updated_at: new Date().toISOString(), deleted: false});
        }""",
        first_id,
    )
    end_session(context, page)
    sign_up(page, "second@example.org")
    page.goto("/write")
    expect(page.get_by_label("What is here for you today?")).to_be_visible()
    expect(page.get_by_text("written under another account")).to_be_visible()
    page.wait_for_timeout(1500)
    assert stored_entries() == []
    assert [d["account"] for d in drafts_on_device(page)] == [first_id]
    assert str(uuid.UUID(first_id)) == first_id


def test_a_journal_entry_that_cannot_be_sent_is_kept_on_the_device(installed_phone, tmp_path):
    context, _ = installed_phone
    page = context.pages[0] if context.pages else context.new_page()
    sign_up(page, "brook@example.org")
    wait_until_controlled(page)

    # The signal drops between opening the journal and pressing "Save entry".
    words = "Typed in the journal as the signal went."
    save_in_the_journal_with_no_signal(context, page, words)
    page.screenshot(path=str(tmp_path / "kept-on-device.png"))
    assert stored_entries() == []

    context.set_offline(False)
    wait_for_server(page, lambda: len(stored_entries()) == 1)
    page.reload()
    expect(page.locator("#entries").get_by_text(words)).to_be_visible()
    assert [e.body for e in stored_entries()] == [words]
    assert drafts_on_device(page) == []


def test_an_edit_that_cannot_be_sent_updates_the_entry_later(installed_phone):
    context, _ = installed_phone
    page = context.pages[0] if context.pages else context.new_page()
    sign_up(page, "reed@example.org")
    wait_until_controlled(page)
    page.get_by_label("What is here for you today?").fill("First version.")
    page.get_by_role("button", name="Save entry").click()
    entry = page.locator("li.entry").first
    entry.get_by_role("link", name="Edit").click()
    entry.get_by_role("button", name="Save entry").wait_for()
    page.locator("li.entry.editing textarea").fill("First version, then again.")
    page.locator("li.entry.editing").get_by_role("button", name="Save entry").click()
    expect(page.get_by_text("First version, then again.")).to_be_visible()

    page.locator("li.entry").first.get_by_role("link", name="Edit").click()
    page.locator("li.entry.editing textarea").fill("Third version, written offline.")
    context.set_offline(True)
    page.locator("li.entry.editing").get_by_role("button", name="Save entry").click()
    expect(page.get_by_text("this entry is saved on this device")).to_be_visible()
    [draft] = drafts_on_device(page)
    assert draft["base_version"] == 2

    # Still offline, a few more words; the copy on the device follows.
    page.locator("li.entry.editing textarea").fill("Third version, written offline!")
    page.locator("li.entry.editing").get_by_role("button", name="Save entry").click()
    page.wait_for_timeout(300)
    [draft] = drafts_on_device(page)
    assert (draft["body"], draft["base_version"]) == ("Third version, written offline!", 2)
    page.locator("li.entry.editing textarea").fill("Third version, written offline.")
    page.locator("li.entry.editing").get_by_role("button", name="Save entry").click()
    page.wait_for_timeout(300)
    context.set_offline(False)
    wait_for_server(page, lambda: stored_entries()[0].version == 3)
    page.reload()
    expect(page.locator("#entries").get_by_text("Third version, written offline.")).to_be_visible()
    [stored] = stored_entries()
    assert (stored.body, stored.version) == ("Third version, written offline.", 3)


def test_an_edit_sent_again_once_online_leaves_no_copy_behind(installed_phone):
    context, _ = installed_phone
    page = context.pages[0] if context.pages else context.new_page()
    sign_up(page, "sedge@example.org")
    wait_until_controlled(page)
    page.get_by_label("What is here for you today?").fill("Before.")
    page.get_by_role("button", name="Save entry").click()
    page.locator("li.entry").first.get_by_role("link", name="Edit").click()
    editing = page.locator("li.entry.editing")
    editing.locator("textarea").wait_for()  # opened with signal
    # Blocked from syncing on its own, the kept copy waits while the person tries again.
    context.route("**/api/sync", lambda route: route.fulfill(status=503, body="down"))
    context.set_offline(True)
    editing.locator("textarea").fill("After, first try.")
    editing.get_by_role("button", name="Save entry").click()
    expect(page.get_by_text("this entry is saved on this device")).to_be_visible()
    context.set_offline(False)
    editing.locator("textarea").fill("After, second try.")
    editing.get_by_role("button", name="Save entry").click()
    expect(page.locator("#entries").get_by_text("After, second try.")).to_be_visible()
    expect(page.get_by_text("this entry is saved on this device")).to_have_count(0)
    assert drafts_on_device(page) == []
    context.unroute("**/api/sync")
    page.reload()
    page.wait_for_timeout(500)
    [stored] = stored_entries()
    assert (stored.body, stored.version) == ("After, second try.", 2)


def an_update_waiting_for_the_next_visit(
    context, monkeypatch, email: str, leave: bool = True
) -> str:
    """Tend installed and used, then a new version found while the page is open: it waits.
    The person leaves the app, unless ``leave`` is false. Returns the old version's cache."""
    from webapp.pwa import routes as shell

    page = context.pages[0] if context.pages else context.new_page()
    sign_up(page, email)
    wait_until_controlled(page)
    page.wait_for_load_state("networkidle")
    remembered = "() => localStorage.getItem('tend-version')"
    wait_for_server(page, lambda: page.evaluate(remembered) is not None)
    [old_cache] = cache_names(page)
    assert old_cache == f"tend-static-{page.evaluate(remembered)}"
    expect(page.get_by_text("Tend was updated")).to_have_count(0)

    monkeypatch.setattr(shell, "cache_version", lambda: "0123456789ab")
    waiting = page.evaluate(
        """async () => {
            const registration = await navigator.serviceWorker.getRegistration();
            await registration.update();
            const worker = registration.installing || registration.waiting;
            if (worker && worker.state !== "installed") {
                await new Promise((resolve) => worker.addEventListener("statechange", () => {
                    if (worker.state === "installed" || worker.state === "redundant") resolve();
                }));
            }
            return Boolean(registration.waiting);
        }"""
    )
    assert waiting, "the new version should wait for the next visit"
    expect(page.get_by_text("Tend was updated")).to_have_count(0)
    if leave:
        page.close()  # the person leaves the app...
    return old_cache


def test_an_update_of_tend_is_picked_up_on_the_next_visit_with_a_gentle_note(
    installed_phone, monkeypatch
):
    context, _ = installed_phone
    old_cache = an_update_waiting_for_the_next_visit(context, monkeypatch, "dune@example.org")
    page = context.new_page()  # ...and comes back later
    page.goto("/")
    # The new version activates, then answers the page: allow a busy machine some time.
    expect(page.get_by_text("Tend was updated")).to_be_visible(timeout=20000)
    # The old version's cache goes once the new one is active.
    wait_for_server(page, lambda: cache_names(page) == ["tend-static-0123456789ab"], seconds=5)
    assert old_cache != "tend-static-0123456789ab"
    page.reload()
    expect(page.get_by_text("Tend was updated")).to_have_count(0)


def test_the_update_note_waits_for_the_real_page_when_the_network_is_slow(
    installed_phone, monkeypatch, holding
):
    context, _ = installed_phone
    an_update_waiting_for_the_next_visit(context, monkeypatch, "sorrel@example.org")
    # One bar of signal on the way back: Today takes longer than Tend waits, so a kept page
    # stands in until it comes, then makes way for it.
    holding.hold("GET", "/")
    page = context.new_page()
    page.goto("/")  # the kept page, standing in
    holding.release.set()
    expect(page.locator("body[data-shell]")).to_have_count(0, timeout=20000)
    expect(page.locator("#today-heading")).to_be_visible()
    expect(page.get_by_text("Tend was updated")).to_be_visible(timeout=10000)


def test_the_real_page_follows_even_when_the_old_version_stood_in_for_it(
    installed_phone, monkeypatch, holding
):
    """Tend is still open in another tab, so the old version answers a slow visit with a kept
    page: the real page follows all the same, and then the new version takes over."""
    context, _ = installed_phone
    old_cache = an_update_waiting_for_the_next_visit(
        context, monkeypatch, "heather@example.org", leave=False
    )
    holding.hold("GET", "/")
    page = context.new_page()
    page.goto("/")  # the kept page, standing in
    version = """() => new Promise((resolve) => {
        const channel = new MessageChannel();
        channel.port1.onmessage = (event) => resolve(event.data.version);
        navigator.serviceWorker.controller.postMessage({ type: "version" }, [channel.port2]);
    })"""
    assert f"tend-static-{page.evaluate(version)}" == old_cache
    holding.release.set()
    expect(page.locator("body[data-shell]")).to_have_count(0, timeout=20000)
    expect(page.locator("#today-heading")).to_be_visible()
    # The new version takes over as soon as the old one has nothing left to do, and one of
    # the two open pages says so.
    wait_for_server(page, lambda: page.evaluate(version) == "0123456789ab", seconds=20)

    def told() -> int:
        return sum(tab.get_by_text("Tend was updated").count() for tab in context.pages)

    wait_for_server(page, lambda: told() == 1, seconds=10)


def test_an_update_takes_over_even_while_the_old_version_is_still_keeping_things(
    installed_phone, monkeypatch, live_server, holding
):
    """The old version was still downloading what it keeps for offline use (a slow
    connection) when the new one was found: it stops, so the new one can take over at the
    next visit instead of waiting for a download that may take minutes."""
    from webapp.pwa.routes import cache_version

    with live_server.app.test_request_context():
        holding.hold("GET", f"/kept-pages/later?v={cache_version()}")
    context, _ = installed_phone
    an_update_waiting_for_the_next_visit(context, monkeypatch, "bracken@example.org")
    page = context.new_page()
    page.goto("/")
    expect(page.get_by_text("Tend was updated")).to_be_visible(timeout=20000)
    wait_for_server(page, lambda: cache_names(page) == ["tend-static-0123456789ab"])


@contextmanager
def server_refusing_sync(live_server):
    """Tend's server answers every sync with 503 meanwhile. (Taking the phone offline holds
    back its pages, but the browser may wake the service worker for a sync it asked for at
    any moment, and the worker's own requests can get past a page's offline state.)"""
    views = live_server.app.view_functions
    sync = views["sync.sync"]
    views["sync.sync"] = lambda: ("Tend is down for a moment.", 503)
    try:
        yield
    finally:
        views["sync.sync"] = sync


def test_background_sync_sends_drafts_after_tend_was_closed(installed_phone, live_server):
    context, _ = installed_phone
    page = context.pages[0] if context.pages else context.new_page()
    sign_up(page, "lark@example.org")
    wait_until_controlled(page)

    # No signal while the person writes, then they leave the app; nothing reaches Tend.
    with server_refusing_sync(live_server):
        page.goto("/write")
        context.set_offline(True)
        page.get_by_label("What is here for you today?").fill("Sent by the worker, later.")
        page.get_by_role("button", name="Save entry").click()
        expect(page.locator("#draft-status")).to_contain_text("Saved on this device.")
        page.goto("about:blank")
        context.set_offline(False)
        page.wait_for_timeout(500)  # whatever the worker tries now is refused
        assert stored_entries() == []

    # The browser wakes the service worker when the network is back.
    cdp = context.new_cdp_session(page)
    registrations = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda event: registrations.extend(event["registrations"]),
    )
    cdp.send("ServiceWorker.enable")
    page.wait_for_timeout(300)
    [registration] = [r for r in registrations if not r.get("isDeleted")]
    cdp.send(
        "ServiceWorker.dispatchSyncEvent",
        {
            "origin": registration["scopeURL"].rstrip("/"),
            "registrationId": registration["registrationId"],
            "tag": "tend-sync",
            "lastChance": False,
        },
    )
    wait_for_server(page, lambda: bool(stored_entries()))
    assert [e.body for e in stored_entries()] == ["Sent by the worker, later."]


def test_the_journal_says_when_entries_wait_on_the_device(installed_phone):
    context, _ = installed_phone
    page = context.pages[0] if context.pages else context.new_page()
    sign_up(page, "moss@example.org")
    wait_until_controlled(page)
    context.route("**/api/sync", lambda route: route.fulfill(status=503, body="down"))
    page.goto("/write")
    page.get_by_label("What is here for you today?").fill("Waiting for a better moment.")
    page.get_by_role("button", name="Save entry").click()
    expect(page.locator("#draft-status")).to_contain_text("Saved on this device.")

    page.goto("/journal")
    expect(page.get_by_text("One entry is kept on this device")).to_be_visible()
    page.get_by_role("link", name="See what is waiting").click()
    waiting = page.get_by_role("region", name="Waiting to sync")
    expect(waiting.get_by_role("link", name="Waiting for a better moment.")).to_be_visible()


def test_signing_out_from_a_kept_page_after_the_session_ended_still_clears_the_device(
    installed_phone,
):
    context, _ = installed_phone
    page = context.pages[0] if context.pages else context.new_page()
    sign_up(page, "wren@example.org")
    wait_until_controlled(page)
    end_session(context, page)
    page.goto("/write")
    expect(page.get_by_role("link", name="Sign in to sync")).to_be_visible()
    page.get_by_role("button", name="Clear this device").click()
    page.wait_for_url("**/login")
    expect(page.get_by_role("heading", name="Welcome back")).to_be_visible()
    assert cache_names(page) == []
    registrations = "async () => (await navigator.serviceWorker.getRegistrations()).length"
    assert page.evaluate(registrations) == 0


def test_the_editor_fits_a_360px_screen_with_large_targets(browser, live_server, tmp_path):
    context = browser.new_context(viewport={"width": 360, "height": 740}, base_url=live_server.url)
    page = Problems().watch(context.new_page())
    sign_up(page, "narrow-writer@example.org")
    page.goto("/write")
    editor = page.locator("#draft-editor").get_by_label("What is here for you today?")
    editor.fill("x" * 400)
    expect(page.locator("#draft-status")).to_have_text("Draft kept on this device")
    page.get_by_role("button", name="New entry").click()
    expect(page.get_by_role("region", name="Drafts on this device")).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"page is {overflow}px wider than the screen"
    small_targets = page.evaluate(
        """() => [...document.querySelectorAll(
                'button, a.button, .mood-option span, .waiting-list a, .topbar a, textarea')]
            .filter((el) => el.offsetParent !== null)
            .filter((el) => el.getBoundingClientRect().height < 44)
            .map((el) => el.outerHTML.slice(0, 80))"""
    )
    assert small_targets == []
    page.screenshot(path=str(tmp_path / "write-narrow.png"), full_page=True)
    context.close()


def test_the_editor_keeps_words_within_a_second_even_while_typing_on(browser, live_server):
    context = browser.new_context(base_url=live_server.url, **PHONE)
    problems = Problems()
    page = problems.watch(context.new_page())
    sign_up(page, "steady@example.org")
    page.goto("/write")
    editor = page.locator("#draft-editor").get_by_label("What is here for you today?")
    editor.click()
    # 30 characters, one every 100 ms: never a pause long enough for a plain debounce.
    page.keyboard.type("breathing in, breathing out...", delay=100)
    [draft] = drafts_on_device(page)
    assert len(draft["body"]) >= 15, draft["body"]
    expect(page.locator("#draft-status")).to_have_text("Draft kept on this device")
    for _ in range(10):  # and the last words follow within a second
        page.wait_for_timeout(200)
        if drafts_on_device(page)[0]["body"] == "breathing in, breathing out...":
            break
    assert drafts_on_device(page)[0]["body"] == "breathing in, breathing out..."

    # Letting go of a draft asks first, then it leaves the device.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Discard").click()
    expect(page.locator("#draft-status")).to_have_text("Draft discarded")
    expect(editor).to_have_value("")
    assert drafts_on_device(page) == []
    assert stored_entries() == []
    context.close()
    assert not problems, problems


def test_a_locked_device_offline_can_write_but_not_read_earlier_drafts(installed_phone, tmp_path):
    context, _ = installed_phone
    page = context.pages[0] if context.pages else context.new_page()
    sign_up(page, "shared-phone@example.org")
    page.goto("/account")
    page.get_by_label("PIN").fill("2468")
    page.get_by_label("Lock after").select_option("5")
    page.get_by_label("Your password").first.fill(PASSWORD)
    page.get_by_role("button", name="Turn on the lock").click()
    page.get_by_text("The app lock is on").wait_for()
    # lock.js, a module of the page, tells the device its lock time once it has run.
    page.wait_for_function("() => localStorage.getItem('tend-lock-after')")
    wait_until_controlled(page)

    context.set_offline(True)
    page.goto("/write")
    page.get_by_label("What is here for you today?").fill("An earlier, private draft.")
    expect(page.locator("#draft-status")).to_contain_text("kept on this device")
    page.get_by_role("button", name="New entry").click()
    waiting = page.get_by_role("region", name="Drafts on this device")
    expect(waiting.get_by_role("link", name="An earlier, private draft.")).to_be_visible()

    # The phone was put down an hour ago and someone else picks it up, still offline.
    page.evaluate(
        """() => {
            localStorage.setItem("tend-last-seen", String(Date.now() - 3600000));
            document.dispatchEvent(new Event("visibilitychange"));
        }"""
    )
    expect(page.get_by_text("Tend is locked on this device")).to_be_visible()
    expect(page.get_by_text("An earlier, private draft.")).to_have_count(0)
    expect(page.get_by_role("region", name="Drafts on this device")).to_be_hidden()
    page.goto("/write")  # opened again, still offline and locked
    expect(page.get_by_text("Tend is locked on this device")).to_be_visible()
    expect(page.get_by_text("An earlier, private draft.")).to_have_count(0)
    page.get_by_label("What is here for you today?").fill("A new note, written while locked.")
    expect(page.locator("#draft-status")).to_contain_text("kept on this device")
    page.screenshot(path=str(tmp_path / "locked-offline.png"))
    drafts = page.evaluate(
        """() => new Promise((resolve, reject) => {
            setTimeout(() => reject(new Error("the draft store did not answer")), 10000);
            const open = indexedDB.open("tend");
            open.onerror = () => reject(open.error);
            open.onblocked = () => reject(new Error("the draft store is blocked"));
            open.onsuccess = () => {
                const db = open.result;
                const all = db.transaction("drafts", "readonly").objectStore("drafts").getAll();
                all.onerror = () => reject(all.error);
                all.onsuccess = () => {
                    db.close();
                    resolve(all.result.map((d) => d.body).filter(Boolean));
                };
            };
        })"""
    )
    assert "An earlier, private draft." in drafts  # kept, only hidden
    assert "A new note, written while locked." in drafts
