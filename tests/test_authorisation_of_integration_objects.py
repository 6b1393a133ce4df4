"""Another person's journey, practice or intention is a 404 for every page and action."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from tests.arc import log_journey, person
from webapp.extensions import db
from webapp.intentions.models import Intention
from webapp.journeys.models import Journey
from webapp.practices.models import ChosenPractice, PracticeLog


def test_bob_cannot_see_or_touch_alices_things(alice, bob):
    journey = log_journey(
        person("alice@example.org"),
        datetime.now(UTC) - timedelta(days=2),
        "alice's private intention",
    )
    alice.submit(
        "/practices", {"practice": "breathwork", "days": ["0", "1", "2", "3", "4", "5", "6"]}
    )
    chosen = db.session.scalar(select(ChosenPractice))
    alice.submit("/intentions", {"text": "alice's intention", "journey_id": str(journey.id)})
    intention = db.session.scalar(select(Intention))

    gets = [
        f"/journeys/{journey.id}",
        f"/journeys/{journey.id}/edit",
        f"/journeys/{journey.id}/brief",
        f"/journeys/{journey.id}/delete",
        f"/practices/{chosen.id}",
        f"/practices/{chosen.id}/schedule",
        f"/intentions/{intention.id}/edit",
    ]
    posts = [
        (f"/journeys/{journey.id}/edit", {"date": "2026-01-01", "intention": "bob"}),
        (f"/journeys/{journey.id}/delete", {}),
        (f"/practices/{chosen.id}/schedule", {"days": ["0"]}),
        (f"/practices/{chosen.id}/done", {"note": "bob"}),
        (f"/practices/{chosen.id}/undo", {}),
        (f"/practices/{chosen.id}/remove", {}),
        (f"/intentions/{intention.id}/status", {"status": "let_go"}),
        (f"/intentions/{intention.id}/edit", {"text": "bob"}),
    ]
    for url in gets:
        response = bob.get(url)
        assert response.status_code == 404, url
        assert "alice" not in response.get_data(as_text=True), url
    for url, data in posts:
        assert bob.submit(url, data).status_code == 404, url
        assert bob.submit(url, data, htmx=True).status_code == 404, url

    # Bob's own pages and exports show nothing of Alice's.
    for url in [
        "/",
        "/journeys",
        "/practices",
        "/intentions",
        "/insights",
        "/export/tend.json",
        "/support/safety-plan",
    ]:
        assert "alice" not in bob.get(url).get_data(as_text=True), url

    db.session.expire_all()
    journey = db.session.get(Journey, journey.id)
    assert journey.intention == "alice's private intention"
    assert db.session.get(ChosenPractice, chosen.id).weekdays == 0b1111111
    assert db.session.scalar(select(PracticeLog)) is None
    assert db.session.get(Intention, intention.id).status == "active"
    assert db.session.get(Intention, intention.id).text == "alice's intention"


def test_intention_and_entry_ids_from_someone_else_cannot_be_borrowed(alice, bob):
    alice.submit("/entries", {"body": "alice's entry"})
    from webapp.journal.models import Entry

    entry = db.session.scalar(select(Entry))
    response = bob.submit("/intentions", {"text": "copy", "entry_id": str(entry.id)})
    assert response.status_code == 422
    assert "alice's entry" not in response.get_data(as_text=True)
    assert "alice's entry" not in bob.get(f"/intentions?entry={entry.id}").get_data(as_text=True)
    assert db.session.scalar(select(Intention)) is None
