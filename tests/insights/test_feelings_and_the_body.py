"""Insights gain what captures make possible: which feelings and body regions came up in each
phase of a journey, as a shaded outline with a table, on the journey page and in the brief;
and a chart with one day of data names that day once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.arc import log_journey, person
from webapp.extensions import db
from webapp.insights import charts
from webapp.insights.feelings import captures_by_phase
from webapp.journal import services as journal
from webapp.journal.models import Entry


def capture(user, when, feelings, body, words=""):
    entry = journal.create_entry(user, journal.parse_entry_input({
        "body": words,
        "feelings": [{"feeling": f, "intensity": None} for f in feelings],
        "body_map": [{"region": r, "qualities": list(q)} for r, q in body],
    }))
    entry.created_at = when
    from webapp.journal.context import set_entry_context

    set_entry_context(user, entry, written_at=when)
    db.session.commit()
    return entry


def test_feelings_and_regions_are_counted_per_phase(alice):
    user = person("alice@example.org")
    start = datetime.now(UTC) - timedelta(days=10)
    journey = log_journey(user, start)
    capture(user, start + timedelta(hours=5), ["tender", "awe"], [("chest", ("warm",))])
    capture(user, start + timedelta(days=1), ["tender"], [("chest", ("warm", "open")),
                                                          ("feet", ("heavy",))])
    capture(user, start + timedelta(days=6), ["calm"], [("upper-back", ("tight",))])
    journal.create_entry(user, journal.parse_entry_input({"body": "Words only."}))

    reflection, meaning = captures_by_phase(user, journey)
    assert (reflection.phase, reflection.captures) == ("reflection", 2)
    assert [(t.key, t.times) for t in reflection.feelings] == [("tender", 2), ("awe", 1)]
    assert [(t.key, t.times) for t in reflection.regions] == [("chest", 2), ("feet", 1)]
    assert reflection.regions[0].qualities == (("Warm", 2), ("Open", 1))
    assert reflection.shades == {"chest": 5, "feet": 2}
    assert meaning.phase == "meaning" and meaning.shades == {"upper-back": 5}

    page = alice.get(f"/journeys/{journey.id}").get_data(as_text=True)
    assert "Feelings and the body" in page
    assert 'class="region-zone shade-5"' in page and "<title>Chest and heart</title>" in page
    assert "<td>Chest and heart</td><td>2</td><td>Warm ×2, Open</td>" in page
    assert "Tender <span class=\"hint\">×2</span>, In awe" in page
    brief = alice.get(f"/journeys/{journey.id}/brief").get_data(as_text=True)
    assert "Feelings and the body" in brief and "<td>Upper back</td><td>1</td><td>Tight</td>" in brief


def test_a_journey_with_no_captures_shows_no_empty_section(alice):
    user = person("alice@example.org")
    journey = log_journey(user, datetime.now(UTC) - timedelta(days=1))
    assert captures_by_phase(user, journey) == []
    assert "Feelings and the body" not in alice.get(f"/journeys/{journey.id}").get_data(
        as_text=True
    )


def test_one_day_of_moods_names_that_day_once_on_the_chart(alice):
    alice.submit("/entries", {"body": "A first mood.", "mood": "3"})
    chart = charts.mood_chart(person("alice@example.org"))
    assert chart.first_label and chart.last_label == ""
    html = alice.get("/insights").get_data(as_text=True)
    assert html.count(f">{chart.first_label}</text>") == 1
    alice.submit("/entries", {"body": "Another.", "mood": "4"})
    [entry] = [e for e in db.session.query(Entry) if e.body == "Another."]
    entry.created_at -= timedelta(days=3)
    db.session.commit()
    chart = charts.mood_chart(person("alice@example.org"))
    assert chart.first_label != chart.last_label != ""


def test_export_takes_feelings_and_the_body_along(alice):
    import io
    import json
    import zipfile

    user = person("alice@example.org")
    journal.create_entry(user, journal.parse_entry_input({
        "body": "", "feelings": [{"feeling": "awe", "intensity": 3}],
        "body_map": [{"region": "throat", "qualities": ["tingling"]}]}))
    data = json.loads(alice.get("/export/tend.json").get_data())
    [record] = data["entries"]
    assert record["feelings"] == [{"feeling": "awe", "intensity": 3}]
    assert record["body_map"] == [{"region": "throat", "qualities": ["tingling"]}]
    archive = zipfile.ZipFile(io.BytesIO(alice.get("/export/tend-markdown.zip").get_data()))
    [name] = [n for n in archive.namelist() if n.startswith("tend/entries/")]
    text = archive.read(name).decode()
    assert "*Feelings: In awe*" in text and "*Throat: tingling*" in text


def test_insights_show_the_current_journeys_feelings_and_body_by_phase(alice):
    user = person("alice@example.org")
    earlier = log_journey(user, datetime.now(UTC) - timedelta(days=40))
    capture(user, earlier.started_at + timedelta(hours=3), ["numb"], [("feet", ("heavy",))])
    start = datetime.now(UTC) - timedelta(days=10)
    journey = log_journey(user, start)
    capture(user, start + timedelta(hours=5), ["tender", "awe"], [("chest", ("warm",))])
    capture(user, start + timedelta(days=1), ["tender"], [("chest", ("warm", "open"))])
    capture(user, start + timedelta(days=6), ["calm"], [("upper-back", ("tight",))])

    page = alice.get("/insights").get_data(as_text=True)
    section = page[page.index('id="current-journey-captures"'):page.index("mood-heading")]
    assert '<h2 id="insights-captures-heading">Feelings and the body</h2>' in section
    assert f'href="/journeys/{journey.id}">The whole journey</a>' in section
    # Each phase in arc order, the shaded outline and the table with every number.
    assert section.index("Immediate reflection") < section.index("Meaning-making")
    assert "Tender <span class=\"hint\">×2</span>, In awe" in section
    assert 'class="region-zone shade-5"' in section and "<title>Chest and heart</title>" in section
    assert "<td>Chest and heart</td><td>2</td><td>Warm ×2, Open</td>" in section
    assert "<td>Upper back</td><td>1</td><td>Tight</td>" in section
    # Only the current journey: the earlier one's capture is on its own page.
    assert "Numb" not in section and "<td>Feet</td>" not in section
    assert "style=" not in page  # the CSP allows no inline styles


def test_insights_invite_captures_for_the_current_journey_and_skip_with_none(alice):
    assert "Feelings and the body" not in alice.get("/insights").get_data(as_text=True)
    log_journey(person("alice@example.org"), datetime.now(UTC) - timedelta(days=2))
    page = alice.get("/insights").get_data(as_text=True)
    assert "Feelings and the body" in page
    assert "When you capture feelings or where something sits in the body" in page
