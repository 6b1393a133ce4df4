"""What a reminder carries is the same JSON whatever its words, written straight from its parts;
its snooze link is a token itsdangerous reads; answers are recorded together, soon after they
come; and a dispatcher process leaves what it set up out of the garbage collector's way."""

from __future__ import annotations

import gc
import json
import time
import uuid
from datetime import timedelta
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st
from itsdangerous import URLSafeTimedSerializer

from tests.conftest import examples
from tests.push.conftest import subscribe
from tests.push.test_delivery_hardening import due_test, quiet_hours_off
from tests.push.test_dispatcher import deliveries_of, fresh
from webapp.extensions import db
from webapp.push import dispatcher as dispatching
from webapp.push.sender import MAX_PLAINTEXT, notification_payload
from webapp.push.tokens import SNOOZE_SALT, SnoozeTokens
from webapp.types import utcnow


def as_json_dumps_writes_it(*, title, body, url, tag, reminder_id, snooze_url, snooze_token,
                            later_url, icon, badge) -> bytes:
    """The message as a dict through json.dumps, shortened the same way: the reference."""

    def encode(text: str) -> bytes:
        message = {"web_push": 8030, "notification": {
            "title": title, "body": text, "navigate": url, "tag": tag, "lang": "en",
            "icon": icon, "badge": badge, "silent": False,
            "data": {"url": url, "reminder": reminder_id, "snooze": snooze_url,
                     "token": snooze_token},
            "actions": [{"action": "write", "title": "Write now", "navigate": url},
                        {"action": "later", "title": "Later", "navigate": later_url}]}}
        return json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode()

    payload, kept = encode(body), body
    while len(payload) > MAX_PLAINTEXT and kept:
        kept = kept[: len(kept) - max(1, (len(payload) - MAX_PLAINTEXT) // 6)]
        payload = encode(kept.rstrip() + "…")
    return payload


# Any text a person or a translation may put in a reminder (no lone surrogates: UTF-8 has none).
words = st.text(st.characters(exclude_categories=("Cs",)), max_size=300)


@settings(max_examples=examples(300), deadline=None)
@given(title=words, body=st.one_of(words, st.text(min_size=1000, max_size=5000)), link=words)
def test_the_payload_is_exactly_the_json_of_the_message(title, body, link):
    parts = dict(title=title, body=body, url=f"https://tend.example.org/{link}", tag="tend-x",
                 reminder_id=str(uuid.uuid4()), snooze_url="https://tend.example.org/snooze",
                 snooze_token="a.b.c", later_url=f"https://tend.example.org/later?t={link}",
                 icon="https://tend.example.org/i.png", badge="https://tend.example.org/b.png")
    payload = notification_payload(**parts)
    assert payload == as_json_dumps_writes_it(**parts)
    assert len(payload) <= MAX_PLAINTEXT


def test_a_snooze_token_is_what_itsdangerous_writes_and_reads_back():
    tokens = SnoozeTokens("a secret key")
    reference = URLSafeTimedSerializer("a secret key", salt=SNOOZE_SALT)
    now = time.time()
    tokens.clock = lambda: now
    for _ in range(50):
        reminder_id = uuid.uuid4()
        with mock.patch("time.time", return_value=now):
            assert tokens.dumps(reminder_id) == reference.dumps(str(reminder_id))
        assert tokens.loads(tokens.dumps(str(reminder_id))) == reminder_id
    nil = uuid.UUID(int=0)  # itsdangerous would compress this one; uncompressed reads too
    assert tokens.loads(tokens.dumps(nil)) == nil
    assert SnoozeTokens("another key").loads(tokens.dumps(nil)) is None


def test_answers_are_recorded_in_groups_of_at_most_a_batch(
    push_service, push_app, alice_user, bob_user, monkeypatch
):
    """(That a group waits at most RECORD_WAIT is in test_delivery_hardening: each reminder
    is recorded while another's answer is still awaited.)"""
    quiet_hours_off(alice_user, bob_user)
    reminders = []
    for person in (alice_user, bob_user):
        for n in range(3):
            subscribe(person, push_service.new_subscriber(), f"Device {n}")
        reminders += [due_test(person, f"{person.email}:{n}") for n in range(4)]
    recorded = []
    real = dispatching.record_outcomes
    monkeypatch.setattr(dispatching, "record_outcomes", lambda claims, *rest: (
        recorded.append(len(claims)) if claims else None) or real(claims, *rest))
    monkeypatch.setattr(dispatching, "RECORD_WAIT", 60)  # only the group size counts here
    for group_size, expected in ((250, [8]), (3, None)):
        recorded.clear()
        for reminder in reminders:
            reminder.status, reminder.attempts = "pending", 0
            reminder.next_attempt_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
        monkeypatch.setattr(dispatching, "RECORD_BATCH", group_size)
        made = dispatching.make_dispatcher(push_app)
        try:
            assert made.run_once() == 8
        finally:
            made.sender.close()
        assert sum(recorded) == 8
        if expected:
            assert recorded == expected, "one transaction for the whole batch"
        else:
            assert all(size >= 3 for size in recorded[:-1]), recorded
    assert all(fresh(r).status == "sent" and len(deliveries_of(r)) == 2 * 3 for r in reminders)


def test_a_dispatcher_process_leaves_what_it_set_up_to_the_permanent_generation():
    try:
        dispatching.settle_dispatcher_process()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
