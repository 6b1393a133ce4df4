"""Settings change how the arc is counted, and keep the therapist's contact."""

from __future__ import annotations

from tests.arc import person
from webapp.extensions import db
from webapp.journeys.models import IntegrationSettings


def test_settings_save_timezone_windows_phase_and_therapist(alice):
    page = alice.get("/settings").get_data(as_text=True)
    assert 'value="Europe/Berlin"' in page and 'value="3"' in page and 'value="14"' in page
    response = alice.submit(
        "/settings",
        {
            "timezone": "America/Chicago",
            "reflection_days": "5",
            "meaning_days": "21",
            "phase_override": "meaning",
            "therapist_contact": "Dr. Rivera, 555-0100",
        },
    )
    assert response.status_code == 302
    user = person("alice@example.org")
    settings = db.session.get(IntegrationSettings, user.id)
    assert user.timezone == "America/Chicago"
    assert (settings.reflection_days, settings.meaning_days, settings.phase_override) == (
        5,
        21,
        "meaning",
    )
    assert "Dr. Rivera, 555-0100" in alice.get("/support").get_data(as_text=True)
    assert "Meaning-making" in alice.get("/").get_data(as_text=True)


def test_bad_settings_are_explained_per_field_and_nothing_changes(alice):
    response = alice.submit(
        "/settings",
        {
            "timezone": "Mars/Olympus",
            "reflection_days": "10",
            "meaning_days": "4",
            "phase_override": "ecstasy",
            "therapist_contact": "kept text",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="timezone-error">Please choose a timezone' in html
    assert 'id="meaning_days-error">Meaning-making has to end after' in html
    assert 'id="phase_override-error">' in html
    assert ">kept text</textarea>" in html
    user = person("alice@example.org")
    assert user.timezone == "Europe/Berlin"
    assert db.session.get(IntegrationSettings, user.id) is None


def test_non_numbers_for_windows_are_refused(alice):
    response = alice.submit(
        "/settings", {"timezone": "UTC", "reflection_days": "three", "meaning_days": "-1"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "between 1 and 60 days" in html and "between day 2 and day 365" in html
