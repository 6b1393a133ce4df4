"""Sharing in a real browser: a person picks what to share on their phone and hands the link
over (share sheet, copy, QR code); someone with no account opens it in a fresh browser, reads
exactly what was chosen, and prints it. Debian's Chromium, driven by Playwright."""

from __future__ import annotations

import io
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest
import zxingcpp
from axe_playwright_python.sync_playwright import Axe
from PIL import Image
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.shares.story import make_link, write_arc

pytestmark = pytest.mark.browser

SHARE_STUB = """
Object.defineProperty(Navigator.prototype, "share", {
  configurable: true,
  value: async function (data) { window.__shared = data; },
});
"""
NO_SHARE_SHEET = "delete Navigator.prototype.share;"


def sign_up(page, email: str) -> None:
    page.goto("/register")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("slow breath, long exhale")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/")


@contextmanager
def fresh_browser(browser, live_server, **options):
    """A browser that has never seen Tend: no cookies, no storage. Yields the page, every
    request it made, and every CSP violation or script error it reported."""
    context = browser.new_context(base_url=live_server.url, **options)
    page = context.new_page()
    seen: list[str] = []
    problems: list[str] = []
    page.on("request", lambda request: seen.append(request.url))
    page.on("console", lambda msg: problems.append(msg.text)
            if msg.type == "error" and "Content Security Policy" in msg.text else None)
    page.on("pageerror", lambda err: problems.append(f"page error: {err}"))
    try:
        yield page, seen, problems
        assert context.cookies() == [], "opening a share left a cookie"
    finally:
        context.close()


def relative(link: str) -> str:
    """A link made by the test client (host "localhost"), as a path on the live server."""
    parts = urlsplit(link)
    return f"{parts.path}#{parts.fragment}"


def open_as_recipient(page, link: str) -> None:
    page.goto(relative(link))
    page.locator(".shared").wait_for()


def assert_only_tend(seen: list[str], live_server) -> None:
    assert seen, "no request was recorded"
    foreign = [url for url in seen if not url.startswith((live_server.url, "data:"))]
    assert foreign == []


def assert_accessible(page) -> None:
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def decode_qr(page) -> str:
    code = page.locator("[data-share-qr]")
    code.evaluate("el => el.scrollIntoView({block: 'center'})")  # clear of the tab bar
    png = code.screenshot()
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert found, "no QR code could be read from the page"
    return found[0].text


def test_a_brief_without_some_entries_handed_over_and_read_in_a_fresh_browser(
    browser, live_server, tmp_path
):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844},
        device_scale_factor=2, is_mobile=True, has_touch=True,
    )
    context.add_init_script(SHARE_STUB)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text)
            if msg.type == "error" and "Content Security Policy" in msg.text else None)
    page.on("pageerror", lambda err: problems.append(f"page error: {err}"))

    sign_up(page, "meadow@example.org")
    arc = write_arc("meadow@example.org", marker="(meadow)")

    # From the brief, choose its entries: everything starts ticked; leave out the
    # meaning-making phase by unticking all, then ticking the reflection phase in place.
    page.goto(f"/journeys/{arc.journey.id}/brief")
    page.get_by_role("link", name="Choose entries · Share").click()
    boxes = page.locator('input[name="entry"]')
    expect(boxes).to_have_count(4)
    page.get_by_role("button", name="Untick all").click()
    page.get_by_label("Every entry of a phase").select_option(label="Immediate reflection")
    page.get_by_role("button", name="Tick these").click()
    expect(page.locator("#quick-pick-status")).to_have_text("2 more ticked below.")
    page.get_by_label("The garden", exact=False).check()
    page.screenshot(path=str(tmp_path / "1-pick.png"), full_page=True)
    page.get_by_role("button", name="Continue").click()

    # Before the link is made, the page says what a link means.
    expect(page.get_by_text("Anyone who has this link can read what you chose")).to_be_visible()
    expect(page.locator(".share-preview-entries li")).to_have_count(3)
    page.get_by_label("Your first name, as they will see it").fill("Meadow")
    page.get_by_label("30 days").check()
    page.get_by_role("button", name="Make the link").click()
    expect(page.get_by_role("heading", name="Your private link is ready")).to_be_visible()
    link = page.get_by_label("The link").input_value()
    assert urlsplit(link).path.startswith("/s/") and len(urlsplit(link).fragment) == 43
    page.screenshot(path=str(tmp_path / "2-made.png"), full_page=True)

    # The phone's share sheet (stubbed here) receives the link.
    page.get_by_role("button", name="Share…").click()
    shared = page.evaluate("() => window.__shared")
    assert shared["url"] == link and "Meadow" in shared["text"]
    # The QR code, drawn on the server, decodes to the very same link.
    assert decode_qr(page) == link
    assert_accessible(page)
    context.close()
    assert not problems, problems

    # Someone with no account opens it: the brief, with exactly the chosen entries.
    with fresh_browser(browser, live_server) as (reader, seen, reader_problems):
        open_as_recipient(reader, link)
        shared_page = reader.locator(".shared")
        expect(shared_page).to_contain_text("Shared privately by Meadow")
        expect(shared_page).to_contain_text("To listen (meadow)")
        for word in ["heron", "river", "garden"]:
            expect(shared_page).to_contain_text(f"I wrote about the {word}. (meadow)")
        expect(shared_page).not_to_contain_text("lantern")
        expect(shared_page).not_to_contain_text("outsider")
        assert "#" not in reader.url, "the secret stays in the address bar"
        reader.screenshot(path=str(tmp_path / "3-shared.png"), full_page=True)
        assert_accessible(reader)
        pdf = reader.pdf(path=str(tmp_path / "shared.pdf"), format="A4")
        printed = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
        assert "I wrote about the heron. (meadow)" in printed.replace("\n", " ")
        assert "Print" not in printed and "lantern" not in printed
        assert_only_tend(seen, live_server)
        assert reader_problems == []


def test_copy_link_where_there_is_no_share_sheet(browser, live_server):
    context = browser.new_context(base_url=live_server.url)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    context.add_init_script(NO_SHARE_SHEET)
    page = context.new_page()
    sign_up(page, "willow@example.org")
    willow = write_arc("willow@example.org")
    page.goto(f"/entries/{willow.entries['river'].id}")
    page.get_by_role("link", name="Share this entry").click()
    page.get_by_label("Your first name, as they will see it").fill("Willow")
    page.get_by_role("button", name="Make the link").click()
    link = page.get_by_label("The link").input_value()
    expect(page.get_by_role("button", name="Share…")).to_be_hidden()
    page.get_by_role("button", name="Copy link").click()
    expect(page.get_by_text("Link copied.")).to_be_visible()
    assert page.evaluate("() => navigator.clipboard.readText()") == link
    context.close()


@pytest.mark.parametrize("kind", ["entries", "one entry", "safety plan"])
def test_each_kind_of_share_opens_in_a_fresh_browser_with_only_what_was_chosen(
    browser, live_server, alice, kind
):
    arc = write_arc()
    if kind == "entries":
        link = make_link(alice, kind="entries", entry=arc.ids("heron", "lantern"))
        shown, hidden = ["I wrote about the heron.", "I wrote about the lantern."], ["river",
                                                                                  "garden"]
    elif kind == "one entry":
        link = make_link(alice, kind="entries", entry=arc.ids("garden"))
        shown, hidden = ["I wrote about the garden."], ["heron", "river", "lantern"]
    else:
        alice.submit("/support/safety-plan", {"what_helps": "Cold water on my wrists."})
        link = make_link(alice, kind="safety_plan", crisis_lines="1")
        shown, hidden = ["Cold water on my wrists.", "Crisis lines"], ["heron", "To listen"]
    with fresh_browser(browser, live_server) as (reader, seen, problems):
        open_as_recipient(reader, link)
        body = reader.locator("main")
        for text in shown:
            expect(body).to_contain_text(text)
        for text in hidden + ["outsider"]:
            expect(body).not_to_contain_text(text)
        assert_only_tend(seen, live_server)
        assert problems == []


def test_a_guarded_link_asks_for_its_passphrase_and_a_once_link_waits_to_be_opened(
    browser, live_server, alice
):
    arc = write_arc()
    guarded = make_link(alice, kind="entries", entry=arc.ids("heron"), passphrase="quiet harbour")
    once = make_link(alice, kind="entries", entry=arc.ids("river"), once="1")
    plain = make_link(alice, kind="entries", entry=arc.ids("garden"))
    with fresh_browser(browser, live_server) as (reader, seen, problems):
        reader.goto(relative(guarded))
        reader.get_by_label("Passphrase").fill("quiet harbor")
        reader.get_by_role("button", name="Open").click()
        expect(reader.get_by_role("alert")).to_contain_text("That passphrase doesn’t open it")
        reader.get_by_label("Passphrase").fill("quiet harbour")
        reader.get_by_role("button", name="Open").click()
        expect(reader.locator(".shared")).to_contain_text("I wrote about the heron.")

        reader.goto(relative(once))
        expect(reader.get_by_text("This can be opened only once")).to_be_visible()
        reader.wait_for_timeout(300)
        expect(reader.locator(".shared")).to_have_count(0)  # nothing opened by itself
        reader.get_by_role("button", name="Open").click()
        expect(reader.locator(".shared")).to_contain_text("I wrote about the river.")
        reader.goto("about:blank")  # (the same address again would only move within the page)
        reader.goto(relative(once))
        expect(reader.get_by_role("heading", name="This was shared for a while")).to_be_visible()

        reader.goto(urlsplit(plain).path + "#" + "A" * 43)  # a changed secret
        expect(reader.get_by_role("heading", name="This link doesn’t open anything")).to_be_visible()
        reader.goto(urlsplit(plain).path)  # the secret cut off
        expect(reader.get_by_text("This link seems incomplete")).to_be_visible()
        assert_only_tend(seen, live_server)
        assert problems == []


def test_a_once_link_shows_its_pictures_and_plays_its_memo_in_the_browser_that_opened_it(
    browser, live_server, alice
):
    import uuid

    from sqlalchemy import select

    from tests.media.helpers import Uploader, photo_bytes, tone_encoded
    from webapp.auth.services import find_user_by_email
    from webapp.extensions import db
    from webapp.journal.models import Entry
    from webapp.media.library import add_picture

    arc = write_arc()
    owner = find_user_by_email("alice@example.org")
    heron = db.session.scalar(select(Entry).where(Entry.id == arc.entries["heron"].id))
    add_picture(owner, heron, photo_bytes((800, 600)))
    Uploader(alice).upload(tone_encoded(2.0), "memo", {"entry_id": str(heron.id)})
    link = make_link(alice, kind="entries", entry=arc.ids("heron"), once="1", media="1")
    path = urlsplit(link).path
    context = browser.new_context(base_url=live_server.url)
    reader = context.new_page()
    problems: list[str] = []
    reader.on("console", lambda msg: problems.append(msg.text)
              if msg.type == "error" and "Content Security Policy" in msg.text else None)
    try:
        reader.goto(relative(link))
        reader.get_by_role("button", name="Open").click()
        picture = reader.get_by_role("img", name="Photo with the entry “The heron”, shared by "
                                                  "its writer")
        expect(picture).to_be_visible()
        reader.wait_for_function(
            "() => { const i = document.querySelector('.shared-picture img');"
            " return i && i.complete && i.naturalWidth === 800; }")
        reader.wait_for_function(
            "() => { const a = document.querySelector('.shared-memo audio');"
            " return a && a.readyState >= 1 && Math.abs(a.duration - 2) < 0.3; }")
        expect(reader.locator(".shared")).to_contain_text("Voice memo")
        [cookie] = context.cookies()
        assert cookie["path"] == f"{path}/media/" and cookie["httpOnly"]
        assert cookie["sameSite"] == "Strict"
        assert problems == []
        assert_accessible(reader)
        stranger = browser.new_context(base_url=live_server.url).new_page()
        # The address alone opens nothing: for everyone else the used link is over.
        assert stranger.goto(f"{path}/media/0").status == 410
        assert stranger.goto(f"/s/{uuid.uuid4()}/media/0").status == 404
        stranger.context.close()
        assert reader.request.get(f"{path}/media/0").status == 200  # its viewing goes on
    finally:
        context.close()
