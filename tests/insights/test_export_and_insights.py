"""Export gives back everything; insights draw mood and practice charts with table fallbacks."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from tests.arc import log_journey, person
from webapp.extensions import db
from webapp.insights import charts
from webapp.journal.models import Entry
from webapp.practices.models import ChosenPractice

EVERY_DAY = ["0", "1", "2", "3", "4", "5", "6"]


def fill_alices_journal(alice):
    journey = log_journey(
        person("alice@example.org"), datetime.now(UTC) - timedelta(days=2), "Soften toward myself"
    )
    alice.submit("/today/write", {"body": "Warmth in my chest", "prompt_id": "core-feel"})
    alice.submit("/entries", {"body": "A blue door", "title": "Image", "mood": "4"})
    alice.submit("/entries", {"body": "Second thoughts", "mood": "2"})
    alice.submit("/entries", {"body": "Unicode: ñ, 日本, 🌿"})
    (gone,) = [e for e in db.session.scalars(select(Entry)) if e.body == "Second thoughts"]
    alice.submit(f"/entries/{gone.id}/delete")
    alice.submit("/practices", {"practice": "breathwork", "days": EVERY_DAY, "time": "08:00"})
    chosen = db.session.scalar(select(ChosenPractice))
    alice.submit(f"/practices/{chosen.id}/done", {"note": "Slower than usual"})
    alice.submit("/intentions", {"text": "Rest more", "journey_id": str(journey.id)})
    alice.submit("/support/safety-plan", {"what_helps": "Tea and a blanket"})
    return journey


def test_the_json_export_contains_every_entry_and_everything_else(alice, bob):
    journey = fill_alices_journal(alice)
    bob.submit("/entries", {"body": "bob's own"})
    response = alice.get("/export/tend.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="tend-')
    assert response.headers["Cache-Control"] == "no-store"
    data = json.loads(response.get_data())

    db.session.expire_all()
    stored = list(
        db.session.scalars(select(Entry).where(Entry.user_id == person("alice@example.org").id))
    )
    exported = {e["id"]: e for e in data["entries"]}
    assert set(exported) == {str(e.id) for e in stored} and len(exported) == 4
    for entry in stored:
        record = exported[str(entry.id)]
        assert record["body"] == entry.body and record["mood"] == entry.mood
        assert datetime.fromisoformat(record["created_at"]) == entry.created_at
        assert record["version"] == entry.version
        assert (record["deleted_at"] is None) == (entry.deleted_at is None)
    assert "bob's own" not in response.get_data(as_text=True)
    feel = next(e for e in data["entries"] if e["prompt_id"] == "core-feel")
    assert feel["prompt"] == "What did I feel?" and feel["phase"] == "reflection"
    assert feel["journey_id"] == str(journey.id)
    assert data["journeys"][0]["intention"] == "Soften toward myself"
    assert data["intentions"][0]["text"] == "Rest more"
    assert data["practices"][0]["practice_id"] == "breathwork"
    assert data["practices"][0]["done"][0]["note"] == "Slower than usual"
    assert data["safety_plan"]["what_helps"] == "Tea and a blanket"
    assert data["account"]["timezone"] == "Europe/Berlin"


def test_the_markdown_zip_has_a_readable_file_per_entry(alice):
    fill_alices_journal(alice)
    response = alice.get("/export/tend-markdown.zip")
    assert response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    names = archive.namelist()
    entry_files = [n for n in names if n.startswith("tend/entries/")]
    assert len(entry_files) == 3  # the deleted one is left out of the readable copy
    texts = "\n".join(archive.read(n).decode() for n in entry_files)
    assert "Warmth in my chest" in texts and "> What did I feel?" in texts
    assert "Unicode: ñ, 日本, 🌿" in texts and "Second thoughts" not in texts
    assert any(n.startswith("tend/journeys/") for n in names)
    assert "Tea and a blanket" in archive.read("tend/safety-plan.md").decode()
    assert "Slower than usual" in archive.read("tend/practices.md").decode()


def test_export_needs_an_account(client):
    assert client.get("/export/tend.json").location.startswith("/login")


def test_insights_draw_inline_svg_charts_with_table_fallbacks(alice):
    fill_alices_journal(alice)
    html = alice.get("/insights").get_data(as_text=True)
    assert html.count('<svg class="chart"') == 2
    assert '<polyline class="chart-line"' in html or '<circle class="chart-dot"' in html
    assert '<rect class="chart-bar"' in html
    assert html.count("Show as a table") == 2
    assert re.search(r"<td>4\.0</td>|<td>3\.0</td>", html)  # the day's average mood
    assert "style=" not in html  # the CSP allows no inline styles
    assert "Entries by journey and phase" in html and "Immediate reflection" in html


def test_mood_chart_averages_each_local_day(alice):
    user = person("alice@example.org")
    alice.submit("/entries", {"body": "a", "mood": "5"})
    alice.submit("/entries", {"body": "b", "mood": "2"})
    chart = charts.mood_chart(user)
    assert [(avg, n) for _day, avg, n in chart.days] == [(3.5, 2)]
    (point,) = chart.points
    assert 0 < point.x <= chart.width and 0 < point.y < chart.height


def test_empty_insights_invite_instead_of_scolding(alice):
    html = alice.get("/insights").get_data(as_text=True)
    assert "When you add a mood to entries" in html
    assert "Practices you tick off will gather here" in html
