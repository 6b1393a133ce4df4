"""Choosing practices, their schedules in local time, ticking them off, and gentle counts."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import func, select

from tests.arc import person
from tests.conftest import register
from webapp.content import PRACTICE_GROUPS, PRACTICES, practices_by_group
from webapp.errors import ValidationError
from webapp.extensions import db
from webapp.practices import services
from webapp.practices.models import ChosenPractice, PracticeLog

EVERY_DAY = ["0", "1", "2", "3", "4", "5", "6"]


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_catalogue_covers_every_group_with_a_how_to():
    assert set(PRACTICE_GROUPS) == {p.group for p in PRACTICES}
    assert [name for _key, name, _items in practices_by_group()] == [
        "Therapeutic support",
        "Journaling and voice memos",
        "Body-based practices",
        "Creative expression",
        "Community and connection",
        "Nature time",
        "Rituals and symbolic acts",
    ]
    for practice in PRACTICES:
        assert practice.summary and len(practice.how_to) >= 2, practice.id


def test_schedule_parsing():
    schedule = services.parse_schedule({"days": ["0", "2", "4"], "time": "07:30"})
    assert schedule.weekdays == 0b0010101 and schedule.time_of_day == time(7, 30)
    assert services.parse_schedule({"days": "6"}).time_of_day is None


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({}, "days", "Choose at least one day."),
        ({"days": ["7"]}, "days", "Days are Monday to Sunday"),
        ({"days": ["mon"]}, "days", "Days are Monday to Sunday"),
        ({"days": ["²"]}, "days", "Days are Monday to Sunday"),
        ({"days": ["1"], "time": "25:00"}, "time", "Please give the time like 07:30"),
        ({"days": ["1"], "time": "7.30pm"}, "time", "Please give the time like 07:30"),
        ({"days": ["1"], "time": "07:30:15"}, "time", "Please give the time like 07:30"),
    ],
)
def test_invalid_schedules_are_explained(data, field, message):
    with pytest.raises(ValidationError) as caught:
        services.parse_schedule(data)
    assert message in caught.value.errors[field]


def test_choosing_a_practice_and_ticking_it_off_on_today(alice):
    response = alice.submit(
        "/practices", {"practice": "nature-walk", "days": EVERY_DAY, "time": "17:00"}
    )
    assert response.status_code == 302
    today = alice.get("/").get_data(as_text=True)
    assert "Slow walk outside" in today and "Not yet this week" in today
    chosen = db.session.scalar(select(ChosenPractice))
    ticked = alice.submit(
        f"/practices/{chosen.id}/done", {"note": "Saw a heron.", "back": "today"}, htmx=True
    )
    html = ticked.get_data(as_text=True)
    assert html.lstrip().startswith(f'<li class="tick is-done" id="tick-{chosen.id}"')
    assert "Done today" in html and "Once this week" in html
    log = db.session.scalar(select(PracticeLog))
    assert log.note == "Saw a heron."
    # Changing one's mind: untick.
    alice.submit(f"/practices/{chosen.id}/undo", {"back": "today"}, htmx=True)
    assert count(PracticeLog) == 0


def test_ticking_without_javascript_returns_to_where_it_came_from(alice):
    alice.submit("/practices", {"practice": "breathwork", "days": EVERY_DAY})
    chosen = db.session.scalar(select(ChosenPractice))
    assert alice.submit(f"/practices/{chosen.id}/done", {"back": "today"}).location == "/"
    assert alice.submit(f"/practices/{chosen.id}/done", {}).location == "/practices"
    assert "2 times this week" in alice.get("/practices").get_data(as_text=True)


def test_an_unknown_practice_is_refused_and_nothing_is_saved(alice):
    response = alice.submit("/practices", {"practice": "ayahuasca-retreat", "days": EVERY_DAY})
    assert response.status_code == 422
    assert "That practice isn’t in the catalogue." in response.get_data(as_text=True)
    assert alice.get("/practices/choose/ayahuasca-retreat").status_code == 404
    assert count(ChosenPractice) == 0


def test_an_invalid_schedule_is_shown_next_to_the_field_and_nothing_is_saved(alice):
    response = alice.submit("/practices", {"practice": "poetry", "time": "99:99"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="days-error">Choose at least one day.' in html
    assert 'id="time-error">Please give the time like 07:30' in html
    assert 'aria-describedby="time-error"' in html
    assert count(ChosenPractice) == 0


def test_rescheduling_keeps_the_old_schedule_when_the_new_one_is_invalid(alice):
    alice.submit("/practices", {"practice": "poetry", "days": ["5", "6"], "time": "10:00"})
    chosen = db.session.scalar(select(ChosenPractice))
    assert alice.submit(f"/practices/{chosen.id}/schedule", {"days": []}).status_code == 422
    db.session.expire_all()
    assert (chosen.weekdays, chosen.time_of_day) == (0b1100000, time(10, 0))
    alice.submit(f"/practices/{chosen.id}/schedule", {"days": ["0"], "time": ""})
    db.session.expire_all()
    assert (chosen.weekdays, chosen.time_of_day) == (0b0000001, None)
    assert services.describe_schedule(chosen) == "Mon"


def test_choosing_the_same_practice_twice_reschedules_it(alice):
    alice.submit("/practices", {"practice": "poetry", "days": ["0"]})
    alice.submit("/practices", {"practice": "poetry", "days": ["1"]})
    (chosen,) = db.session.scalars(select(ChosenPractice))
    assert chosen.weekdays == 0b10


def test_schedules_follow_the_local_weekday(client):
    register(client, "kiwi@example.org", timezone="Pacific/Auckland")
    user = person("kiwi@example.org")
    mondays = services.choose_practice(user, "sit-spot", services.parse_schedule({"days": ["0"]}))
    # Sunday 20:00 in UTC is already Monday morning in Auckland.
    sunday_utc = datetime(2026, 6, 7, 20, 0, tzinfo=UTC)
    (item,) = services.practices_today(user, sunday_utc)
    assert item.scheduled_today
    assert services.practices_today(user, sunday_utc, only_scheduled=True) == [item]
    tuesday = datetime(2026, 6, 9, 0, 0, tzinfo=UTC)  # Tuesday noon in Auckland
    assert services.practices_today(user, tuesday, only_scheduled=True) == []
    assert mondays.runs_on(date(2026, 6, 8)) and not mondays.runs_on(date(2026, 6, 9))


def test_a_late_evening_log_counts_for_that_local_day_and_week(client):
    register(client, "la@example.org", timezone="America/Los_Angeles")
    user = person("la@example.org")
    chosen = services.choose_practice(
        user, "evening-review", services.parse_schedule({"days": EVERY_DAY})
    )
    # Sunday 23:30 in Los Angeles is Monday 06:30 UTC: it belongs to Sunday's week.
    sunday_late = datetime(2026, 6, 8, 6, 30, tzinfo=UTC)
    log = services.log_done(user, chosen, None, sunday_late)
    assert log.done_on == date(2026, 6, 7)
    (item,) = services.practices_today(user, sunday_late)
    assert item.done_today and item.times_this_week == 1
    # The new week starts on Monday where she lives, without guilt about last week.
    monday = datetime(2026, 6, 8, 16, 0, tzinfo=UTC)
    (item,) = services.practices_today(user, monday)
    assert not item.done_today and item.times_this_week == 0
    assert item.gentle_count == "Not yet this week, and that’s okay"
    weeks = services.weekly_counts(user, 2, monday)
    assert weeks == [(date(2026, 6, 1), 1), (date(2026, 6, 8), 0)]


def test_a_note_that_is_too_long_is_refused_and_nothing_is_logged(alice):
    alice.submit("/practices", {"practice": "breathwork", "days": EVERY_DAY})
    chosen = db.session.scalar(select(ChosenPractice))
    response = alice.submit(f"/practices/{chosen.id}/done", {"note": "x" * 6000}, htmx=True)
    assert response.status_code == 422
    assert "A note can be up to 5,000 characters." in response.get_data(as_text=True)
    assert count(PracticeLog) == 0


def test_removing_a_practice(alice):
    alice.submit("/practices", {"practice": "altar", "days": EVERY_DAY})
    chosen = db.session.scalar(select(ChosenPractice))
    alice.submit(f"/practices/{chosen.id}/done")
    alice.submit(f"/practices/{chosen.id}/remove")
    assert count(ChosenPractice) == 0 and count(PracticeLog) == 0
    assert "A small altar is no longer on your list." in alice.get("/practices").get_data(
        as_text=True
    )


def test_an_integration_session_asks_for_its_day_instead_of_ticking_every_day(alice):
    html = alice.get("/practices/choose/integration-session").get_data(as_text=True)
    assert 'name="days" value="0" checked' not in html
    assert "tick the day of your session" in html
    everyday = alice.get("/practices/choose/breathwork").get_data(as_text=True)
    assert everyday.count('name="days" value=') == everyday.count(" checked><span>") == 7


def test_the_practice_page_opens_how_to_as_a_card_with_a_marker(alice):
    alice.submit("/practices", {"practice": "breathwork", "days": ["0"], "time": "08:00"})
    chosen = db.session.scalars(select(ChosenPractice)).one()
    html = alice.get(f"/practices/{chosen.id}").get_data(as_text=True)
    assert '<details class="how-to card">' in html and "<ul class=\"ticks card\">" in html
    from webapp.config import PROJECT_ROOT

    css = (PROJECT_ROOT / "static/css/tend.css").read_text()
    assert ".ticks.card { padding:" in css and ".how-to summary::before" in css
