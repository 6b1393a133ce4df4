"""Whoever runs Tend can watch it: Prometheus metrics behind a token, and one log line per
request; neither ever names a person or carries what they wrote."""

from __future__ import annotations

import json
import logging
import re
import uuid

import pytest

from tests.push.conftest import dispatcher, push_app, push_service, server_key, subscribe  # noqa: F401
from webapp.auth.services import find_user_by_email
from webapp.monitoring.requestlog import JsonLines, request_log
from webapp.push.schedules import plan_test_reminder

TOKEN = "a-long-random-metrics-token"
SECRET = "the heron stood still in the reeds"


def scrape(client) -> str:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    return response.get_data(as_text=True)


def value(text: str, name: str, **labels) -> float:
    """The sample ``name{labels}`` (labels in any order); 0 when absent."""
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.rsplit(" ", 1)[0]))
        if found == {k: str(v) for k, v in labels.items()}:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


@pytest.fixture
def metrics_on(app):
    app.config["METRICS_TOKEN"] = TOKEN
    return app


def test_metrics_are_off_unless_the_host_sets_a_token(client):
    assert client.get("/metrics").status_code == 404


def test_metrics_need_the_bearer_token(metrics_on, client):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_requests_are_counted_by_route_pattern_and_status_without_ids(metrics_on, alice):
    before = scrape(alice)
    alice.submit("/entries", {"body": SECRET})
    missing = uuid.uuid4()
    assert alice.get(f"/entries/{missing}").status_code == 404
    text = scrape(alice)
    route = "/entries/<uuid:entry_id>"
    assert value(text, "tend_http_requests_total", method="GET", route=route, status=404) == (
        value(before, "tend_http_requests_total", method="GET", route=route, status=404) + 1
    )
    assert value(text, "tend_http_request_duration_seconds_count", method="POST",
                 route="/entries") >= 1
    assert str(missing) not in text
    assert "alice" not in text and SECRET not in text
    assert find_user_by_email("alice@example.org").id.hex not in text.replace("-", "")


def test_sync_results_are_counted_by_status(metrics_on, alice):
    before = scrape(alice)
    token = alice.get("/api/session").get_json()["csrf_token"]
    draft = {"id": str(uuid.uuid4()), "body": SECRET, "base_version": None,
             "created_at": "2026-01-01T10:00:00Z", "updated_at": "2026-01-01T10:00:00Z"}
    response = alice.post("/api/sync", json={"drafts": [draft]},
                          headers={"X-CSRFToken": token})
    assert response.status_code == 200, response.get_json()
    status = response.get_json()["results"][0]["status"]
    text = scrape(alice)
    assert value(text, "tend_sync_drafts_total", status=status) == (
        value(before, "tend_sync_drafts_total", status=status) + 1
    )


def test_reminders_and_push_answers_are_counted(push_app, alice, push_service, dispatcher):  # noqa: F811
    push_app.config["METRICS_TOKEN"] = TOKEN
    before = scrape(alice)
    user = find_user_by_email("alice@example.org")
    subscribe(user, push_service.new_subscriber())
    plan_test_reminder(user)
    assert dispatcher.run_once() == 1
    text = scrape(alice)
    assert value(text, "tend_reminders_due_total") == value(before, "tend_reminders_due_total") + 1
    assert value(text, "tend_reminder_outcomes_total", outcome="sent") == (
        value(before, "tend_reminder_outcomes_total", outcome="sent") + 1
    )
    assert value(text, "tend_push_answers_total", answer="sent") == (
        value(before, "tend_push_answers_total", answer="sent") + 1
    )
    assert value(text, "tend_reminder_dispatch_lag_seconds_count") == (
        value(before, "tend_reminder_dispatch_lag_seconds_count") + 1
    )


class Lines(logging.Handler):
    def __init__(self, formatter=None):
        super().__init__()
        self.lines: list[str] = []
        self.records: list[logging.LogRecord] = []
        if formatter:
            self.setFormatter(formatter)

    def emit(self, record):
        self.records.append(record)
        self.lines.append(self.format(record))


@pytest.fixture
def request_lines():
    handler = Lines()
    request_log.addHandler(handler)
    yield handler
    request_log.removeHandler(handler)


def test_one_line_per_request_without_email_text_ids_or_tokens(app, alice, request_lines):
    alice.submit("/entries", {"body": SECRET, "title": SECRET})
    alice.get(f"/entries/{uuid.uuid4()}")
    alice.get("/reset/a-secret-reset-token?t=also-secret")
    alice.get("/journal?q=heron")
    lines = request_lines.lines
    assert len(lines) >= 5  # the token fetch for each submit counts too
    everything = "\n".join(lines)
    assert "POST /entries 302" in everything
    assert "GET /entries/<uuid:entry_id> 404" in everything
    assert "GET /reset/<token> 404" in everything
    for private in ("alice", SECRET, "heron", "a-secret-reset-token", "also-secret"):
        assert private not in everything


def test_the_pages_kept_on_devices_are_built_inside_one_logged_and_counted_request(
    metrics_on, client, request_lines
):
    """Building the kept pages renders each in a request of its own inside the one that asked
    for them: whoever reads the log or the counts sees the one, never visits to the editor."""
    metrics_on.extensions.pop("tend_pwa_made", None)  # built afresh, not from an earlier test
    before = scrape(client)
    response = client.get("/kept-pages/first")
    assert response.status_code == 200
    built = [page["url"] for page in response.get_json()["pages"]]
    assert "/write" in built
    text = scrape(client)
    for url in built:
        for line in request_lines.lines:
            assert f"GET {url} " not in line
        assert value(text, "tend_http_requests_total", method="GET", route=url, status=200) == (
            value(before, "tend_http_requests_total", method="GET", route=url, status=200)
        )
    kept = [line for line in request_lines.lines if "/kept-pages/" in line]
    assert len(kept) == 1 and " 200 " in kept[0]
    route = "/kept-pages/<any(first, later):part>"
    assert value(text, "tend_http_requests_total", method="GET", route=route, status=200) == (
        value(before, "tend_http_requests_total", method="GET", route=route, status=200) + 1
    )


def test_log_lines_can_be_json(app, client):
    handler = Lines(JsonLines())
    request_log.addHandler(handler)
    try:
        client.get("/healthz")
    finally:
        request_log.removeHandler(handler)
    data = json.loads(handler.lines[-1])
    assert data["method"] == "GET" and data["route"] == "/healthz" and data["status"] == 200
    assert data["level"] == "info" and data["duration_ms"] >= 0 and data["time"].endswith("Z")


def test_media_bytes_stored_are_a_gauge_by_kind_for_everyone_together(metrics_on, alice, bob):
    from sqlalchemy import select

    from tests.media.helpers import photo_bytes
    from webapp.extensions import db
    from webapp.journal.models import Entry
    from webapp.media.library import add_picture, remove_media

    assert value(scrape(alice), "tend_media_stored_bytes", kind="photo") == 0
    alice.submit("/entries", {"body": SECRET})
    bob.submit("/entries", {"body": "bob's morning"})
    stored = 0
    items = []
    for email in ("alice@example.org", "bob@example.org"):
        owner = find_user_by_email(email)
        entry = db.session.scalar(select(Entry).where(Entry.user_id == owner.id))
        photo = add_picture(owner, entry, photo_bytes())
        items.append(photo)
        stored += photo.size + photo.thumb_size
    drawing = add_picture(owner, entry, photo_bytes((300, 300), "PNG"), drawing=True)

    text = scrape(alice)
    assert value(text, "tend_media_stored_bytes", kind="photo") == stored
    assert value(text, "tend_media_stored_bytes", kind="drawing") == (
        drawing.size + drawing.thumb_size)
    assert value(text, "tend_media_stored_bytes", kind="memo") == 0
    lines = [line for line in text.splitlines() if line.startswith("tend_media_stored_bytes")]
    assert lines and all(set(re.findall(r'(\w+)="', line)) == {"kind"} for line in lines)
    assert "alice" not in text and str(owner.id) not in text

    from webapp.shares import links, snapshots

    choice = snapshots.make_choice(owner, "entries", None, [entry.id])
    links.create_share(owner, snapshots.snapshot_of(owner, choice), links.LinkOptions(
        sharer_name="Bo", expires_days=7, once=False, passphrase=None))
    shared = items[1].size + drawing.size  # the files are copied, not the thumbnails
    assert value(scrape(alice), "tend_media_stored_bytes", kind="shared") == shared

    remove_media(items[0])
    assert value(scrape(alice), "tend_media_stored_bytes", kind="photo") == (
        items[1].size + items[1].thumb_size)
