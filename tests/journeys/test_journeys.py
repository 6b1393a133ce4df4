"""Journeys are logged, planned, edited, removed and revisited through their brief."""

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


def test_preparing_gives_each_question_a_place_to_write(alice):
    from webapp.content import PREPARING_PROMPTS

    html = alice.get("/journeys/prepare").get_data(as_text=True)
    for prompt in PREPARING_PROMPTS:
        assert f'name="prompt_id" value="{prompt.id}"' in html
        assert f'id="answer-{prompt.id}"' in html
    first = PREPARING_PROMPTS[0]
    response = alice.submit("/entries", {"body": "To meet the fear kindly.", "prompt_id": first.id,
                                         "back": "prepare"})
    assert response.status_code == 302 and response.location == "/journeys/prepare"
    [entry] = db.session.scalars(select(Entry)).all()
    assert (entry.body, entry.prompt_id) == ("To meet the fear kindly.", first.id)
    fragment = alice.submit("/entries", {"body": "Rest after.", "prompt_id": first.id},
                            htmx=True)
    assert fragment.status_code == 201 and "Rest after." in fragment.get_data(as_text=True)
