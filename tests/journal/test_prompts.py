"""Today's prompt fits the phase, stays put through the day, and avoids what was just answered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.arc import log_journey, person
from webapp.content import ALL_PROMPTS, CORE_QUESTIONS, PHASE_PROMPTS, PHASES, prompts_for_phase
from webapp.errors import ValidationError
from webapp.journal import context, prompts
from webapp.journal import services as journal
from webapp.journal.models import Entry


def answer(user, prompt_id: str, body: str = "an answer"):
    fields = journal.parse_entry_input({"body": body, "prompt_id": prompt_id})
    return journal.create_entry(user, fields)


def test_the_library_has_the_core_questions_and_at_least_eight_more_per_phase():
    assert [p.text for p in CORE_QUESTIONS] == [
        "What did I feel?",
        "What did I see?",
        "What part of myself did I meet or remember?",
        "What’s asking to shift in my life, now that I know this?",
    ]
    for phase in PHASES:
        own = [p for p in PHASE_PROMPTS if p.phase == phase]
        assert len(own) >= 8, phase
        assert all(p.text.strip() and p.hint.strip() for p in own)
    ids = [p.id for p in ALL_PROMPTS.values()]
    assert len(ids) == len(set(ids)) and all(len(i) <= 64 for i in ids)


def test_the_prompt_belongs_to_the_phase_and_is_stable_through_the_day(alice):
    user = person("alice@example.org")
    log_journey(user, datetime.now(UTC) - timedelta(days=5))
    morning = prompts.todays_prompt(user, "meaning")
    assert morning in prompts_for_phase("meaning")
    assert prompts.todays_prompt(user, "meaning") == morning


def test_rotation_avoids_prompts_answered_recently(alice):
    user = person("alice@example.org")
    log_journey(user, datetime.now(UTC) - timedelta(hours=3))
    pool = prompts_for_phase("reflection")
    answered = set()
    for _ in range(len(pool) - 1):
        prompt = prompts.todays_prompt(user, "reflection")
        assert prompt.id not in answered
        answer(user, prompt.id)
        answered.add(prompt.id)
    (last,) = [p for p in pool if p.id not in answered]
    assert prompts.todays_prompt(user, "reflection") == last
    # Once everything has been answered, the whole library is open again.
    answer(user, last.id)
    assert prompts.todays_prompt(user, "reflection") in pool


def test_answers_older_than_three_weeks_no_longer_count_as_recent(alice):
    user = person("alice@example.org")
    entry = answer(user, "core-feel")
    now = datetime.now(UTC)
    assert prompts.recently_answered(user, now) == {"core-feel"}
    assert prompts.recently_answered(user, now + timedelta(days=22)) == set()
    journal.delete_entry(entry)
    assert prompts.recently_answered(user, now) == set()


def test_another_prompt_walks_through_every_fresh_prompt_without_repeating(alice):
    user = person("alice@example.org")
    answer(user, "embody-ritual")
    pool = [p for p in prompts_for_phase("embodiment") if p.id != "embody-ritual"]
    seen = [prompts.todays_prompt(user, "embodiment")]
    for _ in range(len(pool) - 1):
        seen.append(prompts.todays_prompt(user, "embodiment", after=seen[-1].id))
    assert sorted(p.id for p in seen) == sorted(p.id for p in pool)
    assert prompts.todays_prompt(user, "embodiment", after=seen[-1].id) == seen[0]


def test_without_a_journey_only_the_core_questions_are_offered(alice):
    user = person("alice@example.org")
    assert prompts.todays_prompt(user, None) in CORE_QUESTIONS


def test_the_context_function_takes_ids_as_text_or_uuid_and_checks_ownership(alice, bob):
    """The one place prompt, journey and phase are set; offline sync reuses it."""
    user = person("alice@example.org")
    journey = log_journey(user, datetime.now(UTC) - timedelta(days=15))
    for given in (journey.id, str(journey.id)):
        fields = journal.parse_entry_input(
            {"body": "x", "prompt": "embody-ritual", "journey_id": given}
        )
        entry = journal.create_entry(user, fields)
        assert (entry.prompt_id, entry.journey_id, entry.phase) == (
            "embody-ritual",
            journey.id,
            "embodiment",
        )
    bobs = log_journey(person("bob@example.org"), datetime.now(UTC))
    entry = Entry(user_id=user.id, body="y")
    with pytest.raises(ValidationError) as caught:
        context.set_entry_context(user, entry, prompt_id="core-feel", journey_id=bobs.id)
    assert set(caught.value.errors) == {"journey_id"}
    assert entry.prompt_id is None and entry.journey_id is None  # nothing half-set
