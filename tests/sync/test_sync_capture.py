"""A capture made offline (feelings, the body, maybe one line) comes home through the same
sync API as any draft: checked strictly, stored with the entry, replayed safely."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.sync.test_sync_api import draft, entry, results_of, sync
from webapp.extensions import db
from webapp.journeys.models import Journey
from webapp.types import utcnow

FEELINGS = [{"feeling": "tender", "intensity": 2}, {"feeling": "grateful", "intensity": None}]
BODY = [{"region": "chest", "qualities": ["warm", "open"]}, {"region": "left-hand", "qualities": []}]


def a_capture(**fields) -> dict:
    return draft(fields.pop("body", ""), **{"feelings": FEELINGS, "body_map": BODY, **fields})


def test_a_capture_needs_no_words_and_keeps_its_feelings_and_body(alice):
    sent = a_capture()
    [result] = results_of(sync(alice, [sent]))
    assert result["status"] == "created"
    stored = entry(sent["id"])
    assert stored.body == ""
    assert stored.capture_data == {
        "feelings": FEELINGS,
        "body": BODY,
    }


def test_a_capture_joins_the_journey_and_phase_it_was_made_in(alice):
    from webapp.auth.models import User

    person = db.session.query(User).one()
    db.session.add(Journey(user_id=person.id, started_at=utcnow() - timedelta(hours=20)))
    db.session.commit()
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    sent = a_capture(client_updated_at=now)
    assert results_of(sync(alice, [sent]))[0]["status"] == "created"
    stored = entry(sent["id"])
    assert stored.journey_id is not None and stored.phase == "reflection"


def test_a_replayed_capture_is_unchanged_and_an_edit_on_two_devices_keeps_both(alice):
    sent = a_capture(body="Warm hands.")
    assert results_of(sync(alice, [sent]))[0]["status"] == "created"
    assert results_of(sync(alice, [sent]))[0] == {"id": sent["id"], "status": "unchanged",
                                                  "version": 1}
    # Another device changed it meanwhile; this one drops a feeling from version 1.
    other = {**sent, "base_version": 1, "feelings": FEELINGS[:1]}
    assert results_of(sync(alice, [other]))[0]["status"] == "updated"
    stale = {**sent, "base_version": 1, "feelings": []}
    [conflict] = results_of(sync(alice, [stale]))
    assert conflict["status"] == "conflict" and conflict["conflict_copy_id"]
    assert entry(sent["id"]).capture_data["feelings"] == FEELINGS[:1]
    assert entry(conflict["conflict_copy_id"]).capture_data["feelings"] == []


def test_leaving_the_capture_fields_out_keeps_them_and_empty_lists_clear_them(alice):
    sent = a_capture(body="A line as well.")
    results_of(sync(alice, [sent]))
    words_only = {k: v for k, v in sent.items() if k not in ("feelings", "body_map")}
    words_only.update(base_version=1, body="A line, changed in the editor.")
    assert results_of(sync(alice, [words_only]))[0]["status"] == "updated"
    assert entry(sent["id"]).capture_data == {"feelings": FEELINGS, "body": BODY}
    cleared = {**sent, "base_version": 2, "body": "Only words now.", "feelings": [],
               "body_map": []}
    assert results_of(sync(alice, [cleared]))[0]["status"] == "updated"
    assert entry(sent["id"]).capture is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("feelings", "tender"),
        ("feelings", [{"feeling": "sorrowful"}]),
        ("feelings", [{"feeling": "tender", "intensity": 4}]),
        ("feelings", [{"feeling": "tender", "intensity": True}]),
        ("feelings", [{"feeling": "tender", "intensity": "2"}]),
        ("feelings", [{"feeling": "tender"}, {"feeling": "tender"}]),
        ("feelings", [{"feeling": "tender", "colour": "blue"}]),
        ("feelings", [{"intensity": 1}]),
        ("feelings", [["tender", 1]]),
        ("feelings", [{"feeling": "tender"}] * 500),
        ("body_map", {"region": "chest"}),
        ("body_map", [{"region": "spleen"}]),
        ("body_map", [{"region": "chest", "qualities": ["sparkly"]}]),
        ("body_map", [{"region": "chest", "qualities": "warm"}]),
        ("body_map", [{"region": "chest", "qualities": ["warm", "warm"]}]),
        ("body_map", [{"region": "chest"}, {"region": "chest"}]),
        ("body_map", [{"region": "chest", "x": 120, "y": 40}]),
    ],
)
def test_capture_fields_are_checked_strictly_and_the_rest_of_the_batch_applies(
    alice, field, value
):
    bad = a_capture(**{field: value})
    good = draft("Still arrives.")
    bad_result, good_result = results_of(sync(alice, [bad, good]))
    assert bad_result["status"] == "rejected" and field in bad_result["errors"]
    assert entry(bad["id"]) is None
    assert good_result["status"] == "created"


def test_a_capture_with_nothing_in_it_is_refused_kindly(alice):
    empty = draft("", feelings=[], body_map=[])
    [result] = results_of(sync(alice, [empty]))
    assert result["status"] == "rejected"
    assert "nothing written yet" in result["errors"]["body"]


def test_what_a_capture_noted_is_ciphertext_at_rest(alice):
    sent = a_capture()
    results_of(sync(alice, [sent]))
    [raw] = db.session.execute(db.text("SELECT capture FROM entries")).scalars()
    assert isinstance(raw, bytes | memoryview)
    assert b"tender" not in bytes(raw) and b"chest" not in bytes(raw)
    assert json.loads(entry(sent["id"]).capture)["feelings"][0]["feeling"] == "tender"
