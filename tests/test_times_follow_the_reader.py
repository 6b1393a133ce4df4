"""Times read the same way everywhere on a page: the way the reader's browser writes them
(which is also how it shows a time input), "10:00 PM" or "22:00"."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.arc import log_journey, person

TEN_PM_BERLIN = datetime(2026, 11, 20, 21, 0, tzinfo=UTC)  # Alice lives in Berlin


def test_a_us_english_reader_gets_twelve_hour_times_everywhere(alice):
    journey = log_journey(person("alice@example.org"), TEN_PM_BERLIN)
    alice.submit("/practices", {"practice": "breathwork", "days": ["0"], "time": "22:00"})
    us = {"Accept-Language": "en-US,en;q=0.9"}
    page = alice.get(f"/journeys/{journey.id}", headers=us).get_data(as_text=True)
    assert "10:00\u202fPM" in page and "22:00" not in page
    practices = alice.get("/practices", headers=us).get_data(as_text=True)
    assert "Mon at 10:00\u202fPM" in practices


def test_a_british_or_german_reader_gets_the_twenty_four_hour_clock(alice):
    journey = log_journey(person("alice@example.org"), TEN_PM_BERLIN)
    for language in ("en-GB,en;q=0.8", "de-DE"):
        page = alice.get(f"/journeys/{journey.id}",
                         headers={"Accept-Language": language}).get_data(as_text=True)
        assert "22:00" in page and "PM" not in page, language


def test_a_browser_that_names_no_language_keeps_the_twenty_four_hour_clock(alice):
    journey = log_journey(person("alice@example.org"), TEN_PM_BERLIN)
    page = alice.get(f"/journeys/{journey.id}", headers={"Accept-Language": "xx-YY, *"})
    assert "22:00" in page.get_data(as_text=True)
