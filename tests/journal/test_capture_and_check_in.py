"""Feelings and the body on entries: Today's one-tap check-in (without JavaScript too), how
a capture reads in the journal, and editing one without losing what it noted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.arc import log_journey, person
from webapp.errors import ValidationError
from webapp.extensions import db
from webapp.journal import services as journal
from webapp.journal.models import Entry


def only_entry() -> Entry:
    db.session.expire_all()
    [entry] = db.session.scalars(select(Entry))
    return entry


def captured(feelings=(), body=(), words: str = "") -> journal.EntryInput:
    return journal.parse_entry_input({
        "body": words,
        "feelings": [{"feeling": f, "intensity": i} for f, i in feelings],
        "body_map": [{"region": r, "qualities": list(q)} for r, q in body],
    })


def test_one_tap_on_today_keeps_a_feeling_with_its_journey_and_phase(alice):
    log_journey(person("alice@example.org"), datetime.now(UTC) - timedelta(hours=30))
    today = alice.get("/").get_data(as_text=True)
    assert "How are you, right now?" in today
    assert 'name="feeling" value="tender"' in today
    assert "Catch what is still close" in today  # capture, offered in immediate reflection
    response = alice.submit("/today/check-in", {"feeling": "tender"})
    assert response.status_code == 303 and response.location == "/"
    entry = only_entry()
    assert entry.capture_data == {"feelings": [{"feeling": "tender", "intensity": None}],
                                  "body": []}
    assert entry.body == "" and entry.phase == "reflection" and entry.journey_id
    assert "Noted: tender." in alice.get("/").get_data(as_text=True)


def test_capture_is_offered_on_today_only_in_the_first_days(alice):
    log_journey(person("alice@example.org"), datetime.now(UTC) - timedelta(days=8))
    assert "Catch what is still close" not in alice.get("/").get_data(as_text=True)


def test_a_check_in_with_an_unknown_feeling_saves_nothing(alice):
    response = alice.submit("/today/check-in", {"feeling": "<script>"})
    assert response.status_code == 303
    assert db.session.scalars(select(Entry)).all() == []
    assert "Nothing was saved" in alice.get("/").get_data(as_text=True)


def test_a_capture_reads_as_words_in_the_journal(alice):
    user = person("alice@example.org")
    journal.create_entry(user, captured([("tender", 3), ("calm", None)],
                                        [("chest", ("warm", "open")), ("feet", ())]))
    page = alice.get("/journal").get_data(as_text=True)
    assert "Tender<span class=\"chip-extra\"> · very</span>" in page
    assert ">Calm</li>" in page
    assert "Chest and heart<span class=\"chip-extra\">: warm, open</span>" in page
    assert ">Feet</li>" in page
    assert '<div class="entry-body" dir="auto"></div>' not in page


def test_editing_the_words_of_a_capture_keeps_what_it_noted(alice):
    user = person("alice@example.org")
    entry = journal.create_entry(user, captured([("numb", None)]))
    form = alice.get(f"/entries/{entry.id}/edit").get_data(as_text=True)
    assert 'name="body" rows="8" data-max' in form  # words are optional for a capture
    response = alice.submit(f"/entries/{entry.id}", {"body": "It thawed by evening."})
    assert response.status_code == 302
    entry = only_entry()
    assert entry.body == "It thawed by evening." and entry.version == 2
    assert entry.capture_data["feelings"] == [{"feeling": "numb", "intensity": None}]
    # Back to no words at all: still a capture.
    assert alice.submit(f"/entries/{entry.id}", {"body": ""}).status_code == 302
    assert only_entry().body == ""


def test_words_stay_required_for_an_entry_that_is_not_a_capture(alice):
    with pytest.raises(ValidationError) as refused:
        journal.parse_entry_input({"body": "  "})
    assert "nothing written yet" in refused.value.errors["body"]
    with pytest.raises(ValidationError) as refused:
        captured()
    assert "body" in refused.value.errors
