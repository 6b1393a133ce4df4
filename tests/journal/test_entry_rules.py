"""The rules behind the journal, called directly: validation, versions, soft delete, paging."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from webapp.auth.models import User
from webapp.errors import ValidationError
from webapp.extensions import db
from webapp.journal import services
from webapp.journal.models import BODY_MAX, Entry
from webapp.journal.timeline import timeline_page


@pytest.fixture
def person(app) -> User:
    user = User(email="p@example.org", password_hash="x", timezone="Pacific/Auckland")
    db.session.add(user)
    db.session.commit()
    return user


def write(user, body="a line", **fields):
    return services.create_entry(user, services.parse_entry_input({"body": body, **fields}))


def test_parse_accepts_form_strings_and_json_values():
    assert services.parse_entry_input({"body": "x", "mood": "4", "title": " T "}) == (
        services.EntryInput(title="T", body="x", mood=4)
    )
    assert services.parse_entry_input({"body": "x", "mood": 2, "title": None}).mood == 2
    assert services.parse_entry_input({"body": "x", "mood": ""}).mood is None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"body": ""}, "body"),
        ({"body": "   \n "}, "body"),
        ({"body": 42}, "body"),
        ({"body": ["a"]}, "body"),
        ({"body": "x" * (BODY_MAX + 1)}, "body"),
        ({"body": "x", "mood": 0}, "mood"),
        ({"body": "x", "mood": 6}, "mood"),
        ({"body": "x", "mood": "happy"}, "mood"),
        ({"body": "x", "mood": True}, "mood"),
        ({"body": "x", "mood": 2.5}, "mood"),
        ({"body": "x", "mood": "²"}, "mood"),  # a digit to Unicode, not a number to int()
        ({"body": "x", "mood": "٣"}, "mood"),
        ({"body": "x", "title": "t" * 201}, "title"),
        ({"body": "x", "title": {"a": 1}}, "title"),
    ],
)
def test_parse_names_the_bad_field(data, field):
    with pytest.raises(ValidationError) as caught:
        services.parse_entry_input(data)
    assert set(caught.value.errors) == {field}


def test_body_at_the_limit_is_accepted():
    assert len(services.parse_entry_input({"body": "x" * BODY_MAX}).body) == BODY_MAX


def test_new_entry_has_uuid_utc_times_and_version_one(person):
    entry = write(person, "first light", mood=5)
    db.session.expire_all()
    stored = db.session.get(Entry, entry.id)
    assert isinstance(stored.id, uuid.UUID)
    assert stored.version == 1
    assert stored.created_at.utcoffset() == timedelta(0)
    assert stored.updated_at == stored.created_at
    assert stored.deleted_at is None


def test_every_change_bumps_the_version_and_identical_saves_do_not(person):
    entry = write(person, "one")
    services.update_entry(entry, services.EntryInput(title=None, body="two", mood=None))
    assert entry.version == 2
    services.update_entry(entry, services.EntryInput(title=None, body="two", mood=None))
    assert entry.version == 2
    services.delete_entry(entry)
    assert entry.version == 3 and entry.deleted_at is not None
    services.delete_entry(entry)
    assert entry.version == 3
    services.restore_entry(entry)
    assert entry.version == 4 and entry.deleted_at is None
    assert entry.updated_at > entry.created_at


def test_timeline_pages_newest_first_without_gaps_or_repeats(person):
    written = [write(person, f"entry {n}") for n in range(7)]
    base = written[0].created_at
    for n, entry in enumerate(written):  # give two of them the very same moment
        entry.created_at = base + timedelta(minutes=n if n != 4 else 3)
    db.session.commit()

    seen, cursor = [], None
    while True:
        page = timeline_page(person, cursor=cursor, per_page=3)
        seen.extend(page.entries)
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert len(seen) == 7 and len(set(e.id for e in seen)) == 7
    times = [e.created_at for e in seen]
    assert times == sorted(times, reverse=True)


def test_deleted_entries_leave_the_timeline(person):
    keep, gone = write(person, "keep"), write(person, "gone")
    services.delete_entry(gone)
    assert timeline_page(person).entries == [keep]


def test_search_matches_title_or_body_case_insensitively_and_literally(person):
    lake = write(person, "We walked by the Lake", title="Morning")
    write(person, "nothing here")
    percent = write(person, "100% present")
    assert timeline_page(person, query="lake").entries == [lake]
    assert timeline_page(person, query="MORNING").entries == [lake]
    assert timeline_page(person, query="%").entries == [percent]
    assert timeline_page(person, query="_").entries == []


def test_a_broken_cursor_starts_from_the_newest(person):
    entry = write(person)
    for cursor in ["", "garbage", "!!!", "MjAyNi0wMS0wMQ"]:
        assert timeline_page(person, cursor=cursor).entries == [entry]


def test_one_person_never_sees_another_persons_entries(person):
    other = User(email="o@example.org", password_hash="x")
    db.session.add(other)
    db.session.commit()
    theirs = write(other, "private lake")
    assert timeline_page(person, query="lake").entries == []
    with pytest.raises(Exception) as caught:
        services.get_entry_or_404(person, theirs.id)
    assert getattr(caught.value, "code", None) == 404
    db.session.expire_all()
    assert db.session.get(Entry, theirs.id).body == "private lake"
