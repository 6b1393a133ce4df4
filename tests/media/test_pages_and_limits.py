"""The recorder and capture may use the microphone and no other page may; the media pages and the upload
API are rate-limited like every other change."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import make_app, register
from tests.media.helpers import Uploader


def test_only_the_recorder_and_capture_may_ask_for_the_microphone(client, alice):
    for url in ("/record", "/capture"):
        recorder = client.get(url)
        assert recorder.status_code == 200
        assert "microphone=(self)" in recorder.headers["Permissions-Policy"], url
        assert "camera=()" in recorder.headers["Permissions-Policy"]
        assert recorder.headers["Cache-Control"] == "no-store"
    for url in ("/draw", "/journal", "/", "/media", "/write"):
        policy = alice.get(url).headers["Permissions-Policy"]
        assert "microphone=()" in policy and "camera=()" in policy, url
    assert "media-src 'self' blob:" in alice.get("/journal").headers["Content-Security-Policy"]


def test_the_shell_pages_hold_no_account_or_token(alice):
    for url in ("/record", "/draw"):
        page = alice.get(url).get_data(as_text=True)
        assert 'name="csrf-token" content=""' in page and "data-shell" in page
        assert "alice@example.org" not in page and "data-account" not in page


@pytest.mark.slow
def test_the_upload_api_and_media_pages_are_rate_limited(schema):
    limited = make_app(schema, RATELIMIT_ENABLED=True)
    with limited.app_context():
        browser = limited.test_client()
        assert register(browser, "limits@example.org").status_code == 302
        device = Uploader(browser)
        headers = device.headers()
        answers = [
            browser.post("/api/media", data=b"{", headers=headers).status_code
            for _ in range(601)
        ]
        assert answers[:600] == [400] * 600 and answers[600] == 429
        assert "slow down" in browser.post("/api/media", data=b"{", headers=headers).get_json()["error"]
        token = browser.csrf_token()
        pages = [
            browser.post(f"/media/{uuid.uuid4()}/delete", data={"csrf_token": token}).status_code
            for _ in range(61)
        ]
        assert pages[:60] == [404] * 60 and pages[60] == 429
