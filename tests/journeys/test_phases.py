"""Day N and the phase come from calendar days in the person's own timezone, DST and all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.arc import log_journey, person
from tests.conftest import examples
from webapp.calendar import days_since
from webapp.journeys import arc
from webapp.journeys.arc import phase_for_day
from webapp.journeys.settings import SettingsInput, save_settings

NEW_YORK = ZoneInfo("America/New_York")


def at(zone: str, *args) -> datetime:
    """A wall-clock time in ``zone``, as the UTC instant it is."""
    return datetime(*args, tzinfo=ZoneInfo(zone)).astimezone(UTC)


@pytest.mark.parametrize(
    ("day", "phase"),
    [
        (0, "reflection"),
        (2, "reflection"),
        (3, "meaning"),
        (13, "meaning"),
        (14, "embodiment"),
        (200, "embodiment"),
    ],
)
def test_default_windows(day, phase):
    assert phase_for_day(day, 3, 14) == phase


def test_the_journey_day_is_day_zero_and_midnight_starts_day_one():
    start = at("Europe/Berlin", 2026, 5, 10, 22, 0)
    zone = ZoneInfo("Europe/Berlin")
    assert days_since(start, at("Europe/Berlin", 2026, 5, 10, 23, 59), zone) == 0
    # Two hours later, but already the next calendar day where she lives.
    assert days_since(start, at("Europe/Berlin", 2026, 5, 11, 0, 0), zone) == 1


def test_days_are_counted_on_the_calendar_across_the_spring_dst_change():
    # New York moved its clocks forward at 02:00 on Sunday 8 March 2026: that day had 23 hours.
    start = at("America/New_York", 2026, 3, 7, 23, 30)
    moment = at("America/New_York", 2026, 3, 10, 0, 15)
    assert moment - start < timedelta(days=2)  # under 48 hours have passed...
    assert days_since(start, moment, NEW_YORK) == 3  # ...but it is the third day since
    assert phase_for_day(days_since(start, moment, NEW_YORK), 3, 14) == "meaning"


def test_days_are_counted_on_the_calendar_across_the_autumn_dst_change():
    # Clocks went back at 02:00 on Sunday 1 November 2026: that day had 25 hours.
    start = at("America/New_York", 2026, 10, 31, 0, 30)
    late_on_day_two = at("America/New_York", 2026, 11, 2, 23, 45)
    assert late_on_day_two - start > timedelta(days=3)  # over 72 hours...
    assert days_since(start, late_on_day_two, NEW_YORK) == 2  # ...still Day 2
    assert phase_for_day(2, 3, 14) == "reflection"


def test_the_same_instants_are_different_days_in_tokyo_and_los_angeles():
    start = datetime(2026, 6, 1, 14, 0, tzinfo=UTC)
    moment = datetime(2026, 6, 3, 16, 0, tzinfo=UTC)
    assert days_since(start, moment, ZoneInfo("Asia/Tokyo")) == 3
    assert days_since(start, moment, ZoneInfo("America/Los_Angeles")) == 2


def test_position_follows_the_latest_journey_and_the_persons_timezone(app, client):
    from tests.conftest import register

    register(client, "tokyo@example.org", timezone="Asia/Tokyo")
    user = person("tokyo@example.org")
    log_journey(user, datetime(2026, 4, 1, 12, 0, tzinfo=UTC))
    latest = log_journey(user, datetime(2026, 6, 1, 14, 0, tzinfo=UTC))
    log_journey(user, datetime(2026, 7, 1, 9, 0, tzinfo=UTC))  # planned, still ahead

    position = arc.position_at(user, datetime(2026, 6, 3, 16, 0, tzinfo=UTC))
    assert position.journey.id == latest.id
    assert (position.day, position.phase, position.phase_is_manual) == (3, "meaning", False)
    assert position.upcoming.started_at == datetime(2026, 7, 1, 9, 0, tzinfo=UTC)

    user.timezone = "America/Los_Angeles"
    assert arc.position_at(user, datetime(2026, 6, 3, 16, 0, tzinfo=UTC)).day == 2


def test_windows_from_settings_and_a_phase_set_by_hand(alice):
    user = person("alice@example.org")
    start = datetime(2026, 1, 1, 10, 0, tzinfo=UTC)
    log_journey(user, start)
    day_five = start + timedelta(days=5)
    assert arc.position_at(user, day_five).phase == "meaning"

    save_settings(user, SettingsInput("Europe/Berlin", 7, 21, None, None))
    assert arc.position_at(user, day_five).phase == "reflection"

    save_settings(user, SettingsInput("Europe/Berlin", 7, 21, "embodiment", None))
    position = arc.position_at(user, day_five)
    assert (position.phase, position.phase_is_manual, position.day) == ("embodiment", True, 5)


def test_a_new_journey_starts_a_new_arc_and_clears_a_manual_phase(alice):
    user = person("alice@example.org")
    log_journey(user, datetime(2026, 1, 1, 10, 0, tzinfo=UTC))
    save_settings(user, SettingsInput("UTC", 3, 14, "embodiment", None))
    new = log_journey(user, datetime(2026, 2, 1, 10, 0, tzinfo=UTC))
    position = arc.position_at(user, datetime(2026, 2, 2, 10, 0, tzinfo=UTC))
    assert position.journey.id == new.id
    assert (position.day, position.phase, position.phase_is_manual) == (1, "reflection", False)


def test_no_journey_yet_means_no_day_and_no_phase(alice):
    position = arc.position_at(person("alice@example.org"))
    assert (position.journey, position.day, position.phase) == (None, None, None)


ZONES = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "Pacific/Chatham",
    "America/St_Johns",
]


@settings(max_examples=examples(200), deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    start=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1)),
    gaps=st.lists(
        st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3)), min_size=1, max_size=12
    ),
)
def test_day_numbers_match_the_local_calendar_and_phases_never_go_backwards(zone, start, gaps):
    tz = ZoneInfo(zone)
    start = start.replace(tzinfo=UTC)
    moment, previous_day, order = start, 0, ["reflection", "meaning", "embodiment"]
    previous_phase = "reflection"
    for gap in gaps:
        moment += gap
        day = days_since(start, moment, tz)
        assert day == (moment.astimezone(tz).date() - start.astimezone(tz).date()).days
        assert day >= previous_day
        phase = phase_for_day(day, 3, 14)
        assert order.index(phase) >= order.index(previous_phase)
        previous_day, previous_phase = day, phase
