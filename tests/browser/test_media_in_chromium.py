"""Speaking instead of typing, on a phone, in Debian's Chromium: a real recording through the
page's own buttons from a fake microphone playing a tone the test made; the same offline,
kept and playable on the device until the network returns; a drawing drawn with a pointer."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.accessibility import accessibility_problems
from tests.browser.conftest import wait_until_kept_for_offline
from tests.browser.test_offline_in_chromium import PHONE, Problems, sign_up
from webapp.extensions import db
from webapp.journal.models import Entry
from webapp.media import storage
from webapp.media.models import Media

pytestmark = pytest.mark.browser


def stored_media() -> list[Media]:
    db.session.expire_all()
    return list(db.session.scalars(select(Media).order_by(Media.created_at)))


def wait_for(page, check, seconds: float = 30) -> None:
    for _ in range(int(seconds * 5)):
        if check():
            return
        page.wait_for_timeout(200)
    assert check()


def record(page, milliseconds: int) -> None:
    page.get_by_role("button", name="Record").click()
    expect(page.locator("#record-status")).to_contain_text("Recording")
    page.wait_for_timeout(milliseconds)
    page.get_by_role("button", name="Stop").click()
    expect(page.get_by_role("button", name="Save memo")).to_be_visible(timeout=15_000)


def metadata_of(page, selector: str) -> dict:
    """Wait until the <audio> knows its duration, then report it."""
    page.wait_for_function(
        """(selector) => { const a = document.querySelector(selector);
            return a && a.readyState >= 1 && Number.isFinite(a.duration) && a.duration > 0; }""",
        arg=selector, timeout=20_000,
    )
    return page.evaluate(
        "(s) => { const a = document.querySelector(s); return {ready: a.readyState, duration: a.duration}; }",
        selector,
    )


def test_a_voice_memo_recorded_in_the_page_plays_from_the_journal(phone_with_microphone, tmp_path):
    context = phone_with_microphone
    page = context.pages[0] if context.pages else context.new_page()
    sign_up(page, "river@example.org")
    page.goto("/record")
    permissions = page.evaluate("() => document.featurePolicy ? document.featurePolicy.allowsFeature('microphone') : true")
    assert permissions
    expect(page.get_by_role("timer")).to_have_text("0:00")
    record(page, 3_000)
    elapsed = page.get_by_role("timer").inner_text()
    assert elapsed in ("0:02", "0:03", "0:04"), elapsed
    page.get_by_label("Title").fill("After, lying down")
    page.get_by_label("A note").fill("It was like a warm tide.")
    page.screenshot(path=str(tmp_path / "memo-recorded.png"), full_page=True)
    assert accessibility_problems(page) == []
    page.get_by_role("button", name="Save memo").click()
    expect(page.locator("#record-status")).to_contain_text("Synced", timeout=30_000)
    [memo] = stored_media()
    assert memo.status == "ready" and memo.content_type == "audio/mp4"
    assert 2_500 <= memo.duration_ms <= 4_500, memo.duration_ms
    entry = db.session.get(Entry, memo.entry_id)
    assert (entry.title, entry.body) == ("After, lying down", "It was like a warm tide.")

    page.goto("/journal")
    page.reload()
    played = metadata_of(page, f'audio[src="/media/{memo.id}"]')
    assert abs(played["duration"] - memo.duration_ms / 1000) < 0.3
    assert 2.5 <= played["duration"] <= 4.5
    expect(page.locator(".memo-duration").first).to_have_text(memo.duration_label)
    page.screenshot(path=str(tmp_path / "memo-in-journal.png"), full_page=True)
    assert accessibility_problems(page) == []
    page.goto(f"/entries/{entry.id}")
    assert accessibility_problems(page) == []
    page.goto("/media")
    assert accessibility_problems(page) == []
    # Searching by its title finds it, player and all.
    page.goto("/journal?q=lying+down")
    expect(page.locator(f'audio[src="/media/{memo.id}"]')).to_have_count(1)


def test_a_memo_recorded_offline_waits_plays_from_the_device_and_syncs_once(
    phone_with_microphone, tmp_path
):
    context = phone_with_microphone
    page = context.pages[0] if context.pages else context.new_page()
    sign_up(page, "fern@example.org")
    wait_until_kept_for_offline(page)  # the recorder opens again below, offline
    page.goto("/record")
    expect(page.get_by_role("button", name="Record")).to_be_visible()

    context.set_offline(True)
    record(page, 2_000)
    page.get_by_label("Title").fill("Offline in the hills")
    page.get_by_role("button", name="Save memo").click()
    expect(page.locator("#record-status")).to_contain_text("Saved on this device")
    waiting = page.get_by_role("region", name="Waiting to sync")
    expect(waiting.get_by_text("Offline in the hills")).to_be_visible()
    assert stored_media() == []

    # The app is closed and opened again, still offline: the memo is there, and plays.
    page.reload()
    waiting = page.get_by_role("region", name="Waiting to sync")
    expect(waiting.get_by_text("Offline in the hills")).to_be_visible()
    expect(waiting.locator(".memo-duration")).to_have_text("0:02")
    ready = page.evaluate(
        """async () => { const a = document.querySelector('#memos-waiting-list audio');
            if (a.readyState < 1) await new Promise((r) => a.addEventListener('loadedmetadata', r, {once: true}));
            await a.play(); await new Promise((r) => setTimeout(r, 300)); a.pause();
            return {ready: a.readyState, played: a.currentTime}; }"""
    )
    assert ready["ready"] >= 1 and ready["played"] > 0
    page.screenshot(path=str(tmp_path / "memo-waiting-offline.png"), full_page=True)
    assert accessibility_problems(page) == []

    context.set_offline(False)
    expect(page.locator("#record-status")).to_contain_text("Synced", timeout=30_000)
    expect(page.get_by_role("region", name="Waiting to sync")).to_be_hidden()
    page.wait_for_timeout(1_000)  # any second sync would have happened by now
    [memo] = stored_media()
    assert 1_500 <= memo.duration_ms <= 3_500
    page.get_by_role("link", name="Open it in your journal").click()
    played = metadata_of(page, f'audio[src="/media/{memo.id}"]')
    assert abs(played["duration"] - memo.duration_ms / 1000) < 0.3
    assert len(stored_media()) == 1
    assert page.evaluate("async () => (await self.tendMedia.all()).length") == 0


def test_the_microphone_refused_says_so_kindly(browser, live_server):
    context = browser.new_context(base_url=live_server.url, **PHONE)
    page = Problems().watch(context.new_page())
    sign_up(page, "quiet@example.org")
    page.goto("/record")
    page.evaluate("""() => { navigator.mediaDevices.getUserMedia = () =>
        Promise.reject(new DOMException('denied', 'NotAllowedError')); }""")
    page.get_by_role("button", name="Record").click()
    expect(page.get_by_role("alert")).to_contain_text("may not use the microphone")
    assert page.evaluate("async () => (await self.tendMedia.all()).length") == 0
    assert accessibility_problems(page) == []
    # (The checker does look: an input without a label is found at once.)
    page.evaluate("() => document.querySelector('main').append(document.createElement('input'))")
    assert [p["id"] for p in accessibility_problems(page)] == ["label"]
    context.close()


def test_a_drawing_drawn_with_a_pointer_reaches_the_journal(browser, live_server, tmp_path):
    context = browser.new_context(base_url=live_server.url, **PHONE)
    page = Problems().watch(context.new_page())
    sign_up(page, "brush@example.org")
    page.goto("/draw")
    page.get_by_label("Violet").check()
    page.get_by_label("Broad").check()
    pad = page.get_by_role("img", name="Drawing pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 40, box["y"] + 40)
    page.mouse.down()
    for step in range(1, 20):
        page.mouse.move(box["x"] + 40 + step * 12, box["y"] + 40 + step * 15)
    page.mouse.up()
    page.mouse.move(box["x"] + 30, box["y"] + 300)
    page.mouse.down()
    page.mouse.move(box["x"] + 250, box["y"] + 310)
    page.mouse.up()
    page.get_by_role("button", name="Undo").click()  # the second line goes again
    page.get_by_label("Title").fill("The shape of it")
    page.screenshot(path=str(tmp_path / "drawing.png"), full_page=True)
    assert accessibility_problems(page) == []
    page.get_by_role("button", name="Save drawing").click()
    expect(page.locator("#drawing-status")).to_contain_text("Synced", timeout=30_000)
    [drawing] = stored_media()
    assert drawing.kind == "drawing" and drawing.content_type == "image/png"
    entry = db.session.get(Entry, drawing.entry_id)
    assert entry.title == "The shape of it"
    png = Image.open(io.BytesIO(storage.file_reader(drawing).read()))
    def at(x, y):  # a point given in page pixels on the pad, in the stored picture
        return png.getpixel((int(x / box["width"] * png.width), int(y / box["height"] * png.height)))
    assert at(40 + 9 * 12, 40 + 9 * 15)[:3] == (0x7A, 0x4F, 0xB0)  # on the violet stroke
    assert at(140, 305)[:3] == (255, 255, 255)  # where the undone line was
    page.get_by_role("link", name="Open it in your journal").click()
    image = page.get_by_role("img", name="A drawing from this entry")
    expect(image).to_be_visible()
    # Shown and really decoded (a lazy picture may have its box before its pixels).
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0",
                           arg=image.element_handle())
    context.close()


def test_a_photo_chosen_as_the_connection_drops_is_added_when_it_returns(
    browser, live_server, tmp_path
):
    from tests.media.helpers import photo_bytes
    from tests.media.test_pictures import camera_exif

    context = browser.new_context(base_url=live_server.url, **PHONE)
    page = Problems().watch(context.new_page())
    sign_up(page, "lens@example.org")
    page.get_by_label("What is here for you today?").fill("The light on the water.")
    page.get_by_role("button", name="Save entry").click()
    page.locator("li.entry").first.wait_for()
    [entry] = db.session.scalars(select(Entry)).all()
    page.goto(f"/entries/{entry.id}")
    photo = tmp_path / "IMG_0042.JPG"
    photo.write_bytes(photo_bytes((1600, 1200), exif=camera_exif(orientation=6)))
    page.get_by_label("Add a photo").set_input_files(str(photo))
    context.set_offline(True)
    page.get_by_role("button", name="Add photo").click()
    expect(page.get_by_text("The photo is kept on this device")).to_be_visible()
    assert stored_media() == []
    context.set_offline(False)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    expect(page.get_by_role("img", name="A photo from this entry")).to_be_visible(timeout=30_000)
    [stored] = stored_media()
    assert (stored.kind, stored.entry_id, stored.width, stored.height) == ("photo", entry.id, 1200, 1600)
    assert b"Phone 15" not in storage.file_reader(stored).read()
    assert accessibility_problems(page) == []
    context.close()
