"""No stored date can make a page fail: entries dated at the very ends of the calendar (as an
older version could store them) still show, in any timezone, as do crafted "load more" links."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from webapp.auth.models import User
from webapp.extensions import db
from webapp.journal.models import Entry

PAGES = ["/", "/journal", "/journal?q=heron", "/insights", "/export/tend.json",
         "/export/tend-markdown.zip"]


@pytest.mark.parametrize("timezone", ["America/Los_Angeles", "Pacific/Kiritimati", "UTC"])
def test_entries_dated_at_the_ends_of_the_calendar_never_fail_a_page(alice, timezone):
    for body in ("a heron at the start of time", "a heron at its end"):
        assert alice.submit("/entries", {"body": body}).status_code == 302
    entries = {entry.body: entry for entry in db.session.scalars(select(Entry))}
    first, last = entries["a heron at the start of time"], entries["a heron at its end"]
    first.created_at = datetime(1, 1, 1, tzinfo=UTC)
    last.created_at = datetime(9999, 12, 31, 23, 59, tzinfo=UTC)
    db.session.scalar(select(User)).timezone = timezone
    db.session.commit()

    for path in [*PAGES, f"/entries/{first.id}", f"/entries/{last.id}"]:
        response = alice.get(path)
        assert response.status_code == 200, path
    page = alice.get("/journal?q=heron").get_data(as_text=True)
    assert "start of time" in page and "at its end" in page


def cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


# Fixed ids, not random ones: pytest-xdist needs every worker to collect the same tests.
NO_SUCH_ENTRY = "5a2ad53e-663c-40eb-9297-0baf695ab5c3"


@pytest.mark.parametrize("before", [
    cursor(f"0001-01-01T00:00:00+14:00|{NO_SUCH_ENTRY}"),
    cursor(f"9999-12-31T23:59:59-14:00|{NO_SUCH_ENTRY}"),
    cursor(f"0001-01-01T00:00:00+00:00|{NO_SUCH_ENTRY}"),
    cursor("2026-01-01T00:00:00\x00+00:00|x"),
    cursor("not a date|not an id"),
    "%%%not-base64",
    "A" * 5000,
], ids=["first-day-east", "last-day-west", "first-day-utc", "nul-in-date", "no-date",
        "not-base64", "very-long"])
def test_a_crafted_load_more_link_never_fails(alice, before):
    alice.submit("/entries", {"body": "still here"})
    for headers in ({}, {"HX-Request": "true"}):
        response = alice.get("/journal", query_string={"before": before}, headers=headers)
        assert response.status_code == 200
