"""A lived-in account for the browser tests, and every page a person can open with it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tests.arc import log_journey, person
from webapp.extensions import db
from webapp.intentions.models import Intention
from webapp.journal import services as journal
from webapp.practices import services as practices

PASSWORD = "slow breath, long exhale"


def sign_up(page, email: str, *, remember: bool = False) -> None:
    page.goto("/register")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    if remember:
        page.get_by_label("Remember this device").check()
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/")


@dataclass(frozen=True)
class LivedIn:
    journey_id: str
    entry_id: str
    long_entry_id: str
    chosen_id: str
    intention_id: str


def live_in(email: str) -> LivedIn:
    """A day after a first journey: entries (one very long), a capture, a practice, an
    intention, a safety plan."""
    user = person(email)
    journey = log_journey(user, datetime.now(UTC) - timedelta(days=1), "To be gentle with myself.")
    entry = journal.create_entry(user, journal.parse_entry_input(
        {"body": "My hands felt warm and far away.", "title": "After", "mood": "4"}))
    long_entry = journal.create_entry(user, journal.parse_entry_input(
        {"body": "Waves, and waves again. " * 2000}))
    journal.create_entry(user, journal.parse_entry_input({
        "body": "", "feelings": [{"feeling": "tender", "intensity": 2}],
        "body_map": [{"region": "chest", "qualities": ["warm"]}]}))
    chosen = practices.choose_practice(user, "breathwork", practices.parse_schedule(
        {"days": ["0", "1", "2", "3", "4", "5", "6"], "time": "08:00"}))
    intention = Intention(user_id=user.id, text="Rest before deciding.", journey_id=journey.id)
    db.session.add(intention)
    db.session.commit()
    return LivedIn(str(journey.id), str(entry.id), str(long_entry.id), str(chosen.id),
                   str(intention.id))


def signed_in_pages(lived: LivedIn) -> list[str]:
    return [
        "/", "/journal", "/capture", "/write", "/practices", "/practices/choose/breathwork",
        f"/practices/{lived.chosen_id}", f"/practices/{lived.chosen_id}/schedule", "/more",
        "/journeys", "/journeys/new", "/journeys/prepare", f"/journeys/{lived.journey_id}",
        f"/journeys/{lived.journey_id}/brief", f"/journeys/{lived.journey_id}/edit",
        "/insights", "/intentions", f"/intentions/{lived.intention_id}/edit", "/support",
        "/support/safety-plan", "/settings", "/settings/reminders", "/account",
        "/account/delete", "/export", f"/entries/{lived.entry_id}",
        f"/entries/{lived.long_entry_id}", f"/entries/{lived.entry_id}/edit", "/shares",
        "/reminders/later", "/offline", "/support/offline",
    ]


SIGNED_OUT_PAGES = ["/login", "/register", "/support", "/reminders/later", "/no-such-page"]
