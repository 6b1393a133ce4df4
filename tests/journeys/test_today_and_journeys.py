"""Today greets a person where they are; journeys are logged, revisited and briefed."""

from __future__ import annotations

import re
import uuid
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
    assert "Your intention:</span> To listen to my body." in page
    assert f'href="/journeys/{journey.id}"' in page
    assert journey.started_at.tzinfo is not None


def test_the_journey_time_is_read_in_the_persons_timezone(alice):
    alice.submit("/journeys/new", {"date": "2026-03-14", "time": "18:30"})
    (journey,) = db.session.scalars(select(Journey))
    assert journey.started_at == datetime(2026, 3, 14, 17, 30, tzinfo=UTC)  # Berlin is UTC+1


def test_a_journey_far_in_the_future_is_refused_next_to_the_date(alice):
    far = datetime.now(UTC) + timedelta(days=400)
    response = alice.submit("/journeys/new", {**local_form(far), "intention": "keep me"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'id="journey-date-error">That is more than 90 days from now', html)
    assert 'aria-describedby="journey-date-error"' in html
    assert ">keep me</textarea>" in html  # what they wrote stays
    assert journey_count() == 0


def test_a_missing_or_broken_date_and_time_are_explained(alice):
    response = alice.submit("/journeys/new", {"date": "14/03/2026", "time": "25:61"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Please give the date of the journey" in html
    assert "Please give the time like 14:30" in html
    assert journey_count() == 0


def test_a_planned_journey_shows_as_upcoming_with_preparing(alice):
    soon = datetime.now(UTC) + timedelta(days=6)
    page = alice.get("/journeys/prepare").get_data(as_text=True)
    assert "What is bringing you to this journey now?" in page
    alice.submit("/journeys/new", {**local_form(soon), "intention": "Meet the grief gently."})
    page = alice.get("/").get_data(as_text=True)
    assert "Your next journey" in page and "Welcome to Tend" in page


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


def test_entries_from_the_journal_join_the_current_arc(alice):
    journey = log_journey(person("alice@example.org"), datetime.now(UTC) - timedelta(days=20))
    alice.submit("/entries", {"body": "free writing"}, htmx=True)
    (entry,) = all_entries()
    assert (entry.prompt_id, entry.journey_id, entry.phase) == (None, journey.id, "embodiment")


def test_an_entry_cannot_be_tied_to_someone_elses_journey_or_an_unknown_prompt(alice, bob):
    bobs = log_journey(person("bob@example.org"), datetime.now(UTC) - timedelta(days=1))
    response = alice.submit("/entries", {"body": "mine", "journey_id": str(bobs.id)}, htmx=True)
    assert response.status_code == 422
    assert "That journey isn’t in your journal." in response.get_data(as_text=True)
    response = alice.submit("/entries", {"body": "mine", "prompt_id": "no-such-prompt"})
    assert response.status_code == 422
    assert all_entries() == []


def test_resurfacing_brings_back_an_entry_from_a_month_ago(alice):
    user = person("alice@example.org")
    alice.submit("/entries", {"body": "The river remembers."})
    alice.submit("/entries", {"body": "Only ten days old."})
    old, recent = all_entries()
    old.created_at = datetime.now(UTC) - timedelta(days=30)
    recent.created_at = datetime.now(UTC) - timedelta(days=10)
    db.session.commit()
    page = alice.get("/").get_data(as_text=True)
    assert "One month ago you wrote…" in page and "The river remembers." in page
    assert "Only ten days old." not in page
    assert user is not None


def test_no_resurfacing_when_nothing_is_a_month_old(alice):
    alice.submit("/entries", {"body": "today only"})
    assert "One month ago you wrote" not in alice.get("/").get_data(as_text=True)


def test_earlier_arcs_stay_browsable_and_the_brief_gathers_the_arc(alice):
    user = person("alice@example.org")
    first = log_journey(user, datetime.now(UTC) - timedelta(days=40), "First intention")
    alice.submit("/today/write", {"body": "Late embodiment note", "prompt_id": "embody-ritual"})
    second = log_journey(user, datetime.now(UTC) - timedelta(days=1), "Second intention")
    alice.submit("/today/write", {"body": "Fresh and tender", "prompt_id": "core-feel"})
    alice.submit("/intentions", {"text": "Walk at dawn", "journey_id": str(second.id)})

    listing = alice.get("/journeys").get_data(as_text=True)
    assert f"/journeys/{first.id}" in listing and f"/journeys/{second.id}" in listing

    brief = alice.get(f"/journeys/{second.id}/brief").get_data(as_text=True)
    assert "Integration brief" in brief and "Second intention" in brief
    assert "Immediate reflection" in brief and "Fresh and tender" in brief
    assert "What did I feel?" in brief and "Walk at dawn" in brief
    assert "Late embodiment note" not in brief  # belongs to the earlier arc
    assert "data-print" in brief and "style=" not in brief

    old_brief = alice.get(f"/journeys/{first.id}/brief").get_data(as_text=True)
    assert "Late embodiment note" in old_brief and "Fresh and tender" not in old_brief


def test_editing_and_removing_a_journey_keeps_its_entries(alice):
    journey = log_journey(person("alice@example.org"), datetime.now(UTC) - timedelta(days=2))
    alice.submit("/today/write", {"body": "kept", "prompt_id": "core-feel"})
    response = alice.submit(
        f"/journeys/{journey.id}/edit",
        {"date": "2026-01-05", "time": "09:00", "intention": "changed"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Journey, journey.id).intention == "changed"
    confirm = alice.get(f"/journeys/{journey.id}/delete").get_data(as_text=True)
    assert "Every entry you wrote stays in your journal" in confirm
    assert journey_count() == 1  # asking removes nothing
    alice.submit(f"/journeys/{journey.id}/delete")
    assert journey_count() == 0
    (entry,) = all_entries()
    assert entry.body == "kept" and entry.journey_id is None


def test_unknown_journey_ids_are_404(alice):
    assert alice.get(f"/journeys/{uuid.uuid4()}").status_code == 404
    assert alice.get("/journeys/not-a-uuid/brief").status_code == 404
