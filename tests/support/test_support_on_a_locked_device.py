"""A locked phone still shows where to find help, but none of what the person wrote."""

from __future__ import annotations

from tests.security.test_app_lock import turn_on_lock


def test_a_locked_device_shows_crisis_lines_but_not_the_therapist_or_safety_plan(alice):
    alice.submit("/settings", {"timezone": "UTC", "reflection_days": "3", "meaning_days": "14",
                               "therapist_contact": "Dr. Rowan Vale, 555-0142"})
    alice.submit("/support/safety-plan", {"warning_signs": "quiet-marker-warning"})
    open_page = alice.get("/support").get_data(as_text=True)
    assert "Dr. Rowan Vale" in open_page and "Open your safety plan" in open_page

    turn_on_lock(alice)
    alice.submit("/lock")
    locked = alice.get("/support")
    page = locked.get_data(as_text=True)
    assert locked.status_code == 200
    assert "988" in page, "the crisis lines stay one tap away"
    assert "Dr. Rowan Vale" not in page and "555-0142" not in page
    assert "safety plan" not in page.lower() and "quiet-marker" not in page
