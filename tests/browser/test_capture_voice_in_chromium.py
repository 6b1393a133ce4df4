"""Capture's voice slot on a phone, in Debian's Chromium, from a fake microphone playing a tone
the test made: one big tap to record and one to stop, listen back, record again or let it
go; saved with the feelings it came with, or on its own, online or with no signal at all,
and played back from the journal entry it became part of."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.accessibility import accessibility_problems
from tests.browser.conftest import drafts_on_device, stored_entries, wait_until_kept_for_offline
from tests.browser.pages import sign_up
from tests.browser.test_capture_in_chromium import TARGETS
from tests.browser.test_media_in_chromium import metadata_of, stored_media, wait_for
from webapp.extensions import db
from webapp.journal.models import Entry

pytestmark = pytest.mark.browser

MEDIA_ON_DEVICE = "async () => (await self.tendMedia.all()).map((m) => [m.state, m.capture === true])"


def speak(page, milliseconds: int) -> None:
    """One tap to record, a moment of speaking, one tap to stop."""
    voice = page.get_by_role("region", name="Voice")
    voice.get_by_role("button", name="Record", exact=True).click()
    expect(voice.get_by_role("button", name="Stop")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#capture-status")).to_contain_text("Recording")
    page.wait_for_timeout(milliseconds)
    voice.get_by_role("button", name="Stop").click()
    expect(voice.get_by_label("Your voice note")).to_be_visible()
    expect(page.locator("#capture-status")).to_have_text("Voice note kept on this device")
    # One note at a time: now it can be heard, recorded again or let go.
    expect(voice.get_by_role("button", name="Record", exact=True)).to_be_hidden()
    expect(voice.get_by_role("button", name="Record again")).to_be_visible()


def offline_on_capture(context, email: str):
    """Signed up on this phone, everything kept for offline use, then no signal, on capture."""
    page = context.pages[0] if context.pages else context.new_page()
    sign_up(page, email)
    wait_until_kept_for_offline(page)
    context.set_offline(True)
    page.goto("/capture")
    return page


def test_a_voice_note_recorded_in_capture_plays_from_its_entry(phone_with_microphone, tmp_path):
    context = phone_with_microphone
    page = context.pages[0] if context.pages else context.new_page()
    sign_up(page, "willow@example.org")
    page.goto("/capture")
    page.get_by_text("Tender", exact=True).first.click()
    page.locator("label.chip-toggle", has_text="Raw").click()

    voice = page.get_by_role("region", name="Voice")
    record = voice.get_by_role("button", name="Record", exact=True)
    box = record.bounding_box()
    assert box["height"] >= 64 and box["width"] >= 64  # one big tap
    speak(page, 2_500)
    assert page.evaluate(MEDIA_ON_DEVICE) == [["stopped", True]]
    preview = metadata_of(page, "[data-voice-preview]")
    assert preview["ready"] >= 1
    # Every target is still at least 64 px; nothing wider than the phone; no axe problems.
    assert [t for t in page.evaluate(TARGETS) if t[1] < 64 or t[2] < 64] == []
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    page.screenshot(path=str(tmp_path / "capture-voice.png"), full_page=True)
    assert accessibility_problems(page) == []

    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("It is in your journal.")).to_be_visible(timeout=30_000)
    [entry] = stored_entries()
    assert entry.capture_data["feelings"] == [{"feeling": "raw", "intensity": None}]
    [memo] = stored_media()
    assert memo.entry_id == entry.id and memo.status == "ready"
    assert memo.content_type == "audio/mp4" and 1_500 <= memo.duration_ms <= 4_000
    assert page.evaluate("async () => (await self.tendMedia.all()).length") == 0
    assert drafts_on_device(page) == []

    page.goto(f"/entries/{entry.id}")
    played = metadata_of(page, f'audio[src="/media/{memo.id}"]')
    assert abs(played["duration"] - memo.duration_ms / 1000) < 0.3
    assert accessibility_problems(page) == []


def test_a_voice_note_alone_recorded_offline_again_becomes_an_entry_when_online(
    phone_with_microphone, tmp_path
):
    context = phone_with_microphone
    page = offline_on_capture(context, "moss@example.org")
    expect(page.get_by_role("heading", name="Right now")).to_be_visible()
    save = page.get_by_role("button", name="Save")
    expect(save).to_be_disabled()

    speak(page, 1_200)
    expect(save).to_be_enabled()
    # Recording again replaces the note (after asking); only the new one stays on the device.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Record again").click()
    expect(page.get_by_role("button", name="Stop")).to_be_visible()
    page.wait_for_timeout(2_500)
    page.get_by_role("button", name="Stop").click()
    expect(page.get_by_label("Your voice note")).to_be_visible()
    assert page.evaluate(MEDIA_ON_DEVICE) == [["stopped", True]]

    # The app is closed and opened again, still offline: the note is still there, and plays.
    page.reload()
    expect(page.get_by_label("Your voice note")).to_be_visible()
    expect(page.get_by_role("timer")).to_have_text("0:02")
    assert metadata_of(page, "[data-voice-preview]")["ready"] >= 1
    assert accessibility_problems(page) == []

    save.click()
    expect(page.get_by_text("when there is a connection")).to_be_visible()
    assert page.evaluate(MEDIA_ON_DEVICE) == [["ready", True]]
    assert drafts_on_device(page) == []  # nothing but a voice note: the note is the entry
    page.screenshot(path=str(tmp_path / "capture-voice-kept.png"))
    assert stored_media() == []

    context.set_offline(False)
    wait_for(page, lambda: len(stored_media()) == 1 and stored_media()[0].status == "ready")
    [memo] = stored_media()
    entry = db.session.get(Entry, memo.entry_id)
    assert entry is not None and entry.body == "" and 1_500 <= memo.duration_ms <= 3_500
    wait_for(page, lambda: page.evaluate("async () => (await self.tendMedia.all()).length") == 0)
    page.goto(f"/entries/{entry.id}")
    played = metadata_of(page, f'audio[src="/media/{memo.id}"]')
    assert abs(played["duration"] - memo.duration_ms / 1000) < 0.3


def test_a_voice_note_let_go_leaves_nothing_on_the_device(phone_with_microphone):
    context = phone_with_microphone
    page = context.pages[0] if context.pages else context.new_page()
    sign_up(page, "reed@example.org")
    page.goto("/capture")
    speak(page, 1_000)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Discard").click()
    expect(page.locator("#capture-status")).to_have_text("Voice note deleted")
    expect(page.get_by_role("button", name="Record", exact=True)).to_be_focused()
    expect(page.get_by_role("button", name="Record again")).to_be_hidden()
    expect(page.get_by_role("button", name="Save")).to_be_disabled()
    assert page.evaluate("async () => (await self.tendMedia.all()).length") == 0
    # The recorder's own page does not list a capture's unsaved note either.
    page.goto("/record")
    expect(page.get_by_role("region", name="Waiting to sync")).to_be_hidden()


def test_a_voice_note_whose_refused_draft_is_discarded_still_reaches_the_journal(
    phone_with_microphone,
):
    context = phone_with_microphone
    page = offline_on_capture(context, "fern@example.org")
    page.get_by_text("Tender", exact=True).first.click()
    page.locator("label.chip-toggle", has_text="Raw").click()
    speak(page, 1_500)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("when there is a connection")).to_be_visible()
    [draft] = drafts_on_device(page)
    # Something on the device spoiled the draft: Tend will refuse it.
    page.evaluate(
        """async (id) => { await self.tendDrafts.update(id, (d) => d && ({ ...d, mood: 99 })); }""",
        draft["id"],
    )

    context.set_offline(False)
    wait_for(page, lambda: [d.get("rejected") is not None for d in drafts_on_device(page)] == [True])
    page.evaluate("() => document.dispatchEvent(new CustomEvent('tend:sync-now'))")
    page.wait_for_timeout(1_000)
    # While the draft may still be put right, its voice note waits for it: its bytes have
    # arrived, but it belongs to no entry yet, and the device keeps its copy.
    assert [m.status for m in stored_media()] == ["uploading"] and stored_entries() == []
    assert page.evaluate(MEDIA_ON_DEVICE) == [["ready", True]]

    # The person lets the refused draft go; the voice note does not go with it.
    page.evaluate("async (id) => { await self.tendDrafts.remove(id); }", draft["id"])
    page.evaluate("() => document.dispatchEvent(new CustomEvent('tend:sync-now'))")
    wait_for(page, lambda: len(stored_media()) == 1 and stored_media()[0].status == "ready")
    [memo] = stored_media()
    [entry] = stored_entries()
    assert memo.entry_id == entry.id and entry.id != draft["id"] and entry.body == ""
    wait_for(page, lambda: page.evaluate("async () => (await self.tendMedia.all()).length") == 0)
