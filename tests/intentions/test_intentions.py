"""Intentions are kept, reworded and moved through their statuses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from tests.arc import log_journey, person
from webapp.extensions import db
from webapp.intentions.models import Intention
from webapp.journal.models import Entry


def intentions() -> list[Intention]:
    db.session.expire_all()
    return list(db.session.scalars(select(Intention).order_by(Intention.created_at)))


def test_an_intention_from_a_journey_moves_through_its_statuses(alice):
    journey = log_journey(person("alice@example.org"), datetime.now(UTC) - timedelta(days=3))
    response = alice.submit(
        "/intentions", {"text": "Rest when tired", "journey_id": str(journey.id), "back": "journey"}
    )
    assert response.location == f"/journeys/{journey.id}"
    (intention,) = intentions()
    assert (intention.text, intention.status, intention.journey_id) == (
        "Rest when tired",
        "active",
        journey.id,
    )

    swapped = alice.submit(
        f"/intentions/{intention.id}/status", {"status": "integrated"}, htmx=True
    )
    assert (
        swapped.get_data(as_text=True)
        .lstrip()
        .startswith('<li class="intention status-integrated"')
    )
    alice.submit(f"/intentions/{intention.id}/status", {"status": "let_go"})
    assert intentions()[0].status == "let_go"
    page = alice.get("/intentions").get_data(as_text=True)
    assert "Rest when tired" in page and "Let go" in page


def test_an_intention_from_an_entry_also_joins_the_entrys_journey(alice):
    journey = log_journey(person("alice@example.org"), datetime.now(UTC) - timedelta(days=1))
    alice.submit("/entries", {"body": "I want to call my sister."})
    entry = db.session.scalar(select(Entry))
    form = alice.get(f"/intentions?entry={entry.id}").get_data(as_text=True)
    assert "From your entry" in form and "I want to call my sister." in form
    alice.submit("/intentions", {"text": "Call my sister", "entry_id": str(entry.id)})
    (intention,) = intentions()
    assert (intention.entry_id, intention.journey_id) == (entry.id, journey.id)


def test_bad_intentions_are_explained_and_nothing_is_saved(alice, bob):
    empty = alice.submit("/intentions", {"text": "   "})
    assert empty.status_code == 422
    assert "Write the intention in a few words first." in empty.get_data(as_text=True)
    bobs = log_journey(person("bob@example.org"), datetime.now(UTC))
    foreign = alice.submit("/intentions", {"text": "sneaky", "journey_id": str(bobs.id)})
    assert foreign.status_code == 422
    assert "That journey isn’t in your journal." in foreign.get_data(as_text=True)
    assert ">sneaky</textarea>" in foreign.get_data(as_text=True)
    assert intentions() == []


def test_an_intention_can_be_reworded_but_not_emptied(alice):
    alice.submit("/intentions", {"text": "Walk more"})
    (intention,) = intentions()
    assert "Walk more</textarea>" in alice.get(f"/intentions/{intention.id}/edit").get_data(
        as_text=True
    )
    empty = alice.submit(f"/intentions/{intention.id}/edit", {"text": ""})
    assert empty.status_code == 422
    assert "Write the intention in a few words first." in empty.get_data(as_text=True)
    assert intentions()[0].text == "Walk more"
    alice.submit(f"/intentions/{intention.id}/edit", {"text": "Walk slowly, most mornings"})
    assert intentions()[0].text == "Walk slowly, most mornings"


def test_an_unknown_status_changes_nothing(alice):
    alice.submit("/intentions", {"text": "stay"})
    (intention,) = intentions()
    assert alice.submit(f"/intentions/{intention.id}/status", {"status": "done"}).status_code == 400
    assert intentions()[0].status == "active"
