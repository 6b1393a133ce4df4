"""Today greets a person where they are in their arc, with one prompt to answer."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from tests.arc import log_journey, person
from webapp.extensions import db
from webapp.journal.models import Entry
from webapp.journeys.models import Journey


def all_entries() -> list[Entry]:
    db.session.expire_all()
    return list(db.session.scalars(select(Entry).order_by(Entry.created_at)))


def journey_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Journey))


def local_form(moment: datetime, zone: str = "Europe/Berlin") -> dict:
    local = moment.astimezone(ZoneInfo(zone))
    return {"date": local.strftime("%Y-%m-%d"), "time": local.strftime("%H:%M")}


def test_home_is_today_and_sign_in_lands_there(client, alice):
    assert client.get("/").location.startswith("/login")
    page = alice.get("/").get_data(as_text=True)
    assert "Welcome to Tend" in page and "Log a journey" in page
    prompt_id = re.search(r'name="prompt_id" value="([^"]+)"', page).group(1)
    assert prompt_id in {"core-feel", "core-see", "core-meet", "core-shift"}


def test_logging_a_journey_shows_day_and_phase_on_today(alice):
    two_days_ago = datetime.now(UTC) - timedelta(days=2)
    response = alice.submit(
        "/journeys/new", {**local_form(two_days_ago), "intention": "To listen to my body."}
    )
    assert response.status_code == 302 and response.location == "/"
    page = alice.get("/").get_data(as_text=True)
    assert re.search(
        r"Day 2 after your journey\s*<span class=\"phase-name\"> · Immediate reflection", page
    )
    (journey,) = db.session.scalars(select(Journey))
    assert journey.intention == "To listen to my body."
    assert "Your intention:</span> <bdi>To listen to my body.</bdi>" in page
    assert f'href="/journeys/{journey.id}"' in page


def test_another_prompt_swaps_only_the_prompt_card(alice):
    first = alice.get("/").get_data(as_text=True)
    first_id = re.search(r'name="prompt_id" value="([^"]+)"', first).group(1)
    response = alice.get(
        f"/?after={first_id}", headers={"HX-Request": "true", "HX-Target": "today-prompt"}
    )
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="today-prompt"') and "<html" not in html
    second_id = re.search(r'name="prompt_id" value="([^"]+)"', html).group(1)
    assert second_id != first_id


def test_answering_the_prompt_saves_an_entry_remembering_prompt_journey_and_phase(alice):
    journey = log_journey(person("alice@example.org"), datetime.now(UTC) - timedelta(days=4))
    response = alice.submit(
        "/today/write", {"body": "A door, half open.", "prompt_id": "core-see"}, htmx=True
    )
    assert response.status_code == 200
    assert "Saved to your journal" in response.get_data(as_text=True)
    (entry,) = all_entries()
    assert (entry.prompt_id, entry.journey_id, entry.phase) == ("core-see", journey.id, "meaning")
    # The arc page and the timeline both show it.
    assert "A door, half open." in alice.get(f"/journeys/{journey.id}").get_data(as_text=True)
    timeline = alice.get("/journal").get_data(as_text=True)
    assert "A door, half open." in timeline
    assert '<p class="entry-prompt">What did I see?</p>' in timeline
    assert '<span class="entry-phase">Meaning-making</span>' in timeline
    assert f'href="/intentions?entry={entry.id}"' in timeline


def test_an_empty_answer_keeps_the_prompt_and_saves_nothing(alice):
    response = alice.submit("/today/write", {"body": "  ", "prompt_id": "core-meet"}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "part of myself did I meet" in html and "There is nothing written yet" in html
    assert all_entries() == []


def test_quick_write_without_javascript_redirects_to_today(alice):
    response = alice.submit("/today/write", {"body": "plain", "prompt_id": "core-feel"})
    assert response.status_code == 302 and response.location == "/"
    assert "Saved to your journal." in alice.get("/").get_data(as_text=True)


def test_resurfacing_brings_back_an_entry_from_a_month_ago(alice):
    alice.submit("/entries", {"body": "The river remembers."})
    alice.submit("/entries", {"body": "Only ten days old."})
    old, recent = all_entries()
    old.created_at = datetime.now(UTC) - timedelta(days=30)
    recent.created_at = datetime.now(UTC) - timedelta(days=10)
    db.session.commit()
    page = alice.get("/").get_data(as_text=True)
    assert "One month ago you wrote…" in page and "The river remembers." in page
    assert "Only ten days old." not in page


def test_no_resurfacing_when_nothing_is_a_month_old(alice):
    alice.submit("/entries", {"body": "today only"})
    assert "One month ago you wrote" not in alice.get("/").get_data(as_text=True)
