"""A phone comes back online and sends what was written offline: every answer the sync API
can give, replays, partial batches, limits and broken input."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import make_app, register
from webapp.extensions import db
from webapp.journal import services as journal
from webapp.journal.models import Entry
from webapp.sync.drafts import MAX_DRAFTS


def session_of(client) -> dict:
    response = client.get("/api/session")
    assert response.status_code == 200
    return response.get_json()


def sync(client, drafts, *, token: str | None = None, raw: bytes | None = None, **kwargs):
    token = token if token is not None else session_of(client)["csrf_token"]
    body = raw if raw is not None else json.dumps({"drafts": drafts}).encode()
    return client.post(
        "/api/sync",
        data=body,
        headers={"X-CSRFToken": token, "Content-Type": "application/json"},
        **kwargs,
    )


def draft(text: str = "Blue light, and a calm I had forgotten.", **fields) -> dict:
    value = {
        "id": str(uuid.uuid4()),
        "base_version": None,
        "title": None,
        "body": text,
        "mood": None,
        "prompt": None,
        "journey_id": None,
        "client_updated_at": "2026-11-20T21:15:00Z",
        "deleted": False,
    }
    value.update(fields)
    return value


def results_of(response) -> list[dict]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["results"]


def entry(entry_id: str) -> Entry:
    db.session.expire_all()
    return db.session.get(Entry, uuid.UUID(entry_id))


def count_entries() -> int:
    return db.session.scalar(select(func.count()).select_from(Entry))


# --- The session endpoint ------------------------------------------------------------------


def test_session_names_the_person_and_gives_a_fresh_token(alice):
    info = session_of(alice)
    assert info["email"] == "alice@example.org"
    assert uuid.UUID(info["user_id"])
    assert info["csrf_token"]
    response = alice.get("/api/session")
    assert response.headers["Cache-Control"] == "no-store"


def test_signed_out_api_calls_get_401_json_never_a_redirect(client):
    for response in (client.get("/api/session"), client.post("/api/sync", json={"drafts": []})):
        assert response.status_code == 401
        assert response.is_json
        assert "Sign in" in response.get_json()["error"]
        assert "Location" not in response.headers


def test_a_session_that_ended_while_offline_gets_401_and_nothing_is_saved(alice, app):
    token = session_of(alice)["csrf_token"]
    alice.delete_cookie("tend_session")
    response = sync(alice, [draft("Written on the train with no signal")], token=token)
    assert response.status_code == 401
    assert response.is_json
    assert count_entries() == 0


def test_sync_needs_the_csrf_token(alice):
    for token in ("", "forged"):
        response = sync(alice, [draft()], token=token)
        assert response.status_code == 400
        assert response.is_json
        assert "Nothing was changed" in response.get_json()["error"]
    assert count_entries() == 0


def test_a_token_from_another_account_is_refused(alice, bob):
    response = sync(alice, [draft()], token=session_of(bob)["csrf_token"])
    assert response.status_code == 400
    assert count_entries() == 0


# --- Every status --------------------------------------------------------------------------


def test_a_new_draft_is_created_with_the_time_it_was_written(alice):
    new = draft("I met a younger part of me.", title="Tuesday", mood=4)
    [result] = results_of(sync(alice, [new]))
    assert result == {"id": new["id"], "status": "created", "version": 1}
    stored = entry(new["id"])
    assert (stored.title, stored.body, stored.mood, stored.version) == (
        "Tuesday", "I met a younger part of me.", 4, 1
    )
    assert stored.created_at == datetime(2026, 11, 20, 21, 15, tzinfo=UTC)
    assert stored.user.email == "alice@example.org"


def test_a_draft_from_a_clock_a_little_ahead_is_dated_now(alice):
    new = draft(client_updated_at=(datetime.now(UTC) + timedelta(hours=3)).isoformat())
    results_of(sync(alice, [new]))
    assert entry(new["id"]).created_at <= datetime.now(UTC)


def test_an_edit_based_on_the_current_version_updates(alice):
    new = draft("first words")
    results_of(sync(alice, [new]))
    edited = {**new, "base_version": 1, "body": "first words, and more"}
    [result] = results_of(sync(alice, [edited]))
    assert result == {"id": new["id"], "status": "updated", "version": 2}
    assert entry(new["id"]).body == "first words, and more"


def test_a_replayed_batch_gets_the_same_answers_and_makes_no_duplicates(alice):
    batch = [draft("one"), draft("two", mood=2)]
    first = results_of(sync(alice, batch))
    again = results_of(sync(alice, batch))
    assert [r["status"] for r in first] == ["created", "created"]
    assert [r["status"] for r in again] == ["unchanged", "unchanged"]
    assert [r["version"] for r in again] == [r["version"] for r in first]
    assert count_entries() == 2


def test_a_replayed_update_is_unchanged_with_the_same_version(alice):
    new = draft("a")
    results_of(sync(alice, [new]))
    edited = {**new, "base_version": 1, "body": "a, then b"}
    assert results_of(sync(alice, [edited]))[0]["version"] == 2
    [replay] = results_of(sync(alice, [edited]))
    assert replay == {"id": new["id"], "status": "unchanged", "version": 2}
    assert entry(new["id"]).version == 2


def test_an_edit_of_an_entry_that_changed_elsewhere_keeps_both_texts(alice):
    new = draft("the original morning note")
    results_of(sync(alice, [new]))
    original = entry(new["id"])
    journal.update_entry(original, journal.EntryInput(None, "changed on the laptop", None))

    phone_edit = {**new, "base_version": 1, "body": "changed on the phone, offline"}
    [result] = results_of(sync(alice, [phone_edit]))
    assert result["status"] == "conflict"
    assert result["version"] == 2
    copy = entry(result["conflict_copy_id"])
    assert copy.body == "changed on the phone, offline"
    assert copy.conflict_of_id == original.id
    assert entry(new["id"]).body == "changed on the laptop"

    # The same conflict replayed finds the same copy instead of making another.
    [replay] = results_of(sync(alice, [phone_edit]))
    assert replay == result
    assert count_entries() == 2


def test_identical_content_never_makes_a_copy(alice):
    new = draft("the same words")
    results_of(sync(alice, [new]))
    journal.update_entry(entry(new["id"]), journal.EntryInput("A title", "different", None))
    journal.update_entry(entry(new["id"]), journal.EntryInput(None, "the same words again", 3))
    same_as_server = {**new, "base_version": 1, "body": "the same words again", "mood": 3}
    [result] = results_of(sync(alice, [same_as_server]))
    assert result == {"id": new["id"], "status": "unchanged", "version": 3}
    assert count_entries() == 1


def test_a_lost_first_answer_does_not_turn_the_next_edit_into_a_conflict(alice):
    """The device never heard "created", so its next edit still has no base version."""
    new = draft("begun")
    results_of(sync(alice, [new]))
    [result] = results_of(sync(alice, [{**new, "body": "begun and finished"}]))
    assert result["status"] == "updated"
    assert count_entries() == 1


def test_a_deletion_from_a_device_is_a_soft_delete(alice):
    new = draft("to be let go")
    results_of(sync(alice, [new]))
    gone = {**new, "base_version": 1, "deleted": True, "body": ""}
    [result] = results_of(sync(alice, [gone]))
    assert result == {"id": new["id"], "status": "updated", "version": 2}
    assert entry(new["id"]).deleted_at is not None
    assert results_of(sync(alice, [gone]))[0]["status"] == "unchanged"


def test_a_deletion_of_an_entry_changed_elsewhere_keeps_it(alice):
    new = draft("kept")
    results_of(sync(alice, [new]))
    journal.update_entry(entry(new["id"]), journal.EntryInput(None, "kept, and changed", None))
    [result] = results_of(sync(alice, [{**new, "base_version": 1, "deleted": True}]))
    assert result["status"] == "conflict"
    assert "kept" in result["error"]
    assert "conflict_copy_id" not in result
    assert entry(new["id"]).deleted_at is None


def test_an_edit_based_on_the_deleted_version_is_saved_as_a_copy(alice):
    new = draft("still thinking about it")
    results_of(sync(alice, [new]))
    journal.delete_entry(entry(new["id"]))
    [result] = results_of(sync(alice, [{**new, "base_version": 1, "body": "thinking more"}]))
    assert result["status"] == "conflict"
    assert entry(result["conflict_copy_id"]).body == "thinking more"


def test_an_invalid_draft_is_rejected_and_the_rest_still_apply(alice):
    good, empty, long_title = draft("good"), draft("   "), draft("fine", title="t" * 201)
    bad_mood = draft("fine", mood=9)
    results = results_of(sync(alice, [good, empty, long_title, bad_mood, draft("also good")]))
    assert [r["status"] for r in results] == [
        "created", "rejected", "rejected", "rejected", "created"
    ]
    assert "nothing written" in results[1]["error"]
    assert "200 characters" in results[2]["error"]
    assert results[3]["errors"] == {"mood": "Mood is a number from 1 to 5, or left empty."}
    assert [r["id"] for r in results] == [d["id"] for d in (good, empty, long_title, bad_mood)] + [
        results[4]["id"]
    ]
    assert count_entries() == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id": "not-a-uuid"}, "id"),
        ({"id": 12}, "id"),
        ({"base_version": "1"}, "base_version"),
        ({"base_version": True}, "base_version"),
        ({"base_version": 0}, "base_version"),
        ({"deleted": "yes"}, "deleted"),
        ({"prompt": 5}, "prompt"),
        ({"journey_id": "a journey"}, "journey_id"),
        ({"journey_id": 3}, "journey_id"),
        ({"client_updated_at": "yesterday"}, "client_updated_at"),
        ({"client_updated_at": "2026-11-20T21:15:00"}, "client_updated_at"),
        ({"body": ["a", "list"]}, "body"),
        ({"title": {"a": 1}}, "title"),
        ({"mood": 2.5}, "mood"),
        ({"mood": True}, "mood"),
    ],
)
def test_wrong_types_are_rejected_with_a_readable_error(alice, change, field):
    [result] = results_of(sync(alice, [draft(**change)]))
    assert result["status"] == "rejected"
    assert field in result["errors"]
    assert result["error"]
    assert count_entries() == 0


def test_prompt_and_journey_are_stored_with_the_entry(alice):
    from webapp.content import ALL_PROMPTS
    from webapp.journeys.models import Journey

    alice.submit("/journeys/new", {"date": "2026-11-20", "time": "10:00"})
    journey = db.session.scalar(select(Journey))
    prompt_id = next(iter(ALL_PROMPTS))
    new = draft(prompt=prompt_id, journey_id=str(journey.id))
    assert results_of(sync(alice, [new]))[0]["status"] == "created"
    stored = entry(new["id"])
    assert (stored.prompt_id, stored.journey_id) == (prompt_id, journey.id)
    assert stored.phase is not None
    # The same draft again is a replay, not a change.
    assert results_of(sync(alice, [new]))[0]["status"] == "unchanged"


def test_an_unknown_prompt_or_someone_elses_journey_is_rejected_readably(alice, bob):
    from webapp.journeys.models import Journey

    bob.submit("/journeys/new", {"date": "2026-11-20", "time": "10:00"})
    bobs_journey = db.session.scalar(select(Journey))
    results = results_of(sync(alice, [
        draft(prompt="no-such-prompt"),
        draft(journey_id=str(bobs_journey.id)),
        draft(journey_id=str(uuid.uuid4())),
    ]))
    assert [r["status"] for r in results] == ["rejected"] * 3
    assert "prompt" in results[0]["error"]
    assert results[1]["error"] == results[2]["error"] == "That journey isn’t in your journal."


def test_a_draft_that_is_not_an_object_is_rejected(alice):
    results = results_of(sync(alice, ["just text", None, draft()]))
    assert [r["status"] for r in results] == ["rejected", "rejected", "created"]
    assert results[0]["id"] is None


def test_another_persons_entry_id_answers_exactly_like_an_unused_one(alice, bob):
    """Syncing ids reveals nothing about anyone else's entries, and nothing of Bob's moves."""
    bobs = draft("Bob's private words", title="Bob")
    results_of(sync(bob, [bobs]))

    def story(entry_id: str) -> list[list[dict]]:
        """The same drafts, sent under one id: answers without the id itself."""
        steps = [
            [{**bobs, "id": entry_id, "deleted": True, "base_version": 1}],
            [{**bobs, "id": entry_id, "body": "Alice's words", "title": None}],
            [{**bobs, "id": entry_id, "body": "Alice's words", "title": None}],  # replayed
            [{**bobs, "id": entry_id, "body": "Alice, edited", "base_version": 1}],
            [{**bobs, "id": entry_id, "body": "Alice, from an old copy", "base_version": 1}],
            [{**bobs, "id": entry_id, "deleted": True, "base_version": 2}],
        ]
        answers = []
        for batch in steps:
            results = results_of(sync(alice, batch))
            assert [r["id"] for r in results] == [entry_id]
            answers.append([{k: v for k, v in r.items() if k not in ("id", "conflict_copy_id")}
                            for r in results])
        return answers

    assert story(bobs["id"]) == story(draft()["id"])
    stored = entry(bobs["id"])
    assert (stored.body, stored.title, stored.deleted_at, stored.version) == (
        "Bob's private words", "Bob", None, 1)
    assert stored.user.email == "bob@example.org"
    alices = alice.get("/journal").get_data(as_text=True)
    assert "Alice, from an old copy" in alices and "Bob's private words" not in alices


def test_the_same_id_twice_in_one_batch(alice):
    first = draft("morning")
    later = {**first, "body": "morning, later"}
    results = results_of(sync(alice, [first, first, later]))
    assert [r["status"] for r in results] == ["created", "unchanged", "updated"]
    assert entry(first["id"]).body == "morning, later"


# --- Limits and broken requests --------------------------------------------------------------


def test_malformed_json_is_a_400_json_error(alice):
    response = sync(alice, None, raw=b'{"drafts": [')
    assert response.status_code == 400
    assert "not valid JSON" in response.get_json()["error"]
    response = sync(alice, None, raw=b"\xff\xfe")
    assert response.status_code == 400
    response = sync(alice, None, raw=b"[" * 100_000)
    assert response.status_code == 400
    assert response.is_json


@pytest.mark.parametrize("body", [b"[]", b'{"items": []}', b'{"drafts": {}}', b"42"])
def test_a_body_without_a_drafts_list_is_a_400(alice, body):
    response = sync(alice, None, raw=body)
    assert response.status_code == 400
    assert '"drafts" list' in response.get_json()["error"]


def test_more_than_200_drafts_is_a_400_naming_the_limit(alice):
    response = sync(alice, [draft(f"note {i}") for i in range(MAX_DRAFTS + 1)])
    assert response.status_code == 400
    payload = response.get_json()
    assert "at most 200 drafts" in payload["error"]
    assert payload["max_drafts"] == 200
    assert count_entries() == 0


def test_exactly_200_drafts_apply(alice):
    results = results_of(sync(alice, [draft(f"note {i}") for i in range(MAX_DRAFTS)]))
    assert len(results) == MAX_DRAFTS
    assert count_entries() == MAX_DRAFTS


def test_200_long_drafts_fit_under_the_default_size_limit(alice):
    drafts = [draft(("A whole page of careful words. " * 1200)[:35_000]) for _ in range(200)]
    body = json.dumps({"drafts": drafts}).encode()
    assert len(body) > 6_000_000
    assert len(results_of(sync(alice, None, raw=body))) == 200


def test_a_body_over_the_size_limit_is_a_413_naming_the_limit(schema):
    small = make_app(schema, SYNC_MAX_BYTES=10_000)
    with small.app_context():
        phone = small.test_client()
        register(phone, "carol@example.org")
        response = sync(phone, [draft("x" * 20_000)])
        assert response.status_code == 413
        payload = response.get_json()
        assert "10,000 bytes" in payload["error"]
        assert payload["max_bytes"] == 10_000
        assert count_entries() == 0


def test_the_default_size_limit_is_bigger_than_the_page_limit(alice, app):
    """Pages refuse bodies over 1 MiB; a sync of many drafts may be larger."""
    drafts = [draft("y" * 40_000) for _ in range(40)]
    assert len(json.dumps({"drafts": drafts})) > app.config["MAX_CONTENT_LENGTH"]
    assert len(results_of(sync(alice, drafts))) == 40


def test_only_post_is_allowed_and_the_answer_is_json(alice):
    response = alice.get("/api/sync")
    assert response.status_code == 405
    assert response.is_json
    assert "POST" in response.headers["Allow"]


def test_sync_is_rate_limited_generously(schema):
    limited = make_app(schema, RATELIMIT_ENABLED=True)
    with limited.app_context():
        phone = limited.test_client()
        register(phone, "dana@example.org")
        token = session_of(phone)["csrf_token"]
        codes = [sync(phone, [], token=token).status_code for _ in range(121)]
        assert codes[:120] == [200] * 120
        assert codes[120] == 429
        assert "slow down" in sync(phone, [], token=token).get_json()["error"]
