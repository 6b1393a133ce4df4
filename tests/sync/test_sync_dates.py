"""A draft dated where no calendar page could show it is rejected on its own, with a reason,
and the rest of its batch is kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.sync.test_sync_api import count_entries, draft, results_of, sync
from webapp.sync.drafts import BAD_CLOCK

OUT_OF_RANGE = [
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "9999-12-31T23:59:59.999999+00:00",
    "1999-12-31T23:59:59Z",
    "1970-01-01T00:00:00Z",
]


def test_drafts_dated_outside_the_sane_range_are_rejected_and_the_rest_applies(alice):
    days_ahead = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    odd = [draft(f"dated {stamp}", client_updated_at=stamp) for stamp in [*OUT_OF_RANGE,
                                                                          days_ahead]]
    batch = [draft("before"), *odd, draft("after")]

    results = results_of(sync(alice, batch))

    assert [r["status"] for r in results] == ["created", *["rejected"] * len(odd), "created"]
    for result in results[1:-1]:
        assert result["errors"] == {"client_updated_at": BAD_CLOCK}
        assert result["version"] is None
    assert count_entries() == 2
    journal = alice.get("/journal")
    assert journal.status_code == 200 and "before" in journal.get_data(as_text=True)


def test_the_first_and_last_moments_accepted(alice):
    edge = [draft("2000", client_updated_at="2000-01-01T00:00:00Z"),
            draft("soon", client_updated_at=(datetime.now(UTC) + timedelta(hours=23)).isoformat())]
    assert [r["status"] for r in results_of(sync(alice, edge))] == ["created", "created"]
