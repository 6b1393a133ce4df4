"""Whatever a device sends to the JSON endpoints, Tend answers calmly and writes all or
nothing per item: never a 500, never half an entry. Awkward text included: NUL bytes,
control characters, lone surrogates, JSON nested far too deep, and dates at the ends of the
calendar in the farthest timezones."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.conftest import examples
from webapp.extensions import db
from webapp.journal.models import Entry
from webapp.push.models import PushSubscription

FUZZ = settings(
    max_examples=examples(120),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Text PostgreSQL or UTF-8 refuse (NUL, lone surrogates), control characters, line breaks.
awkward_text = st.text(
    alphabet=st.sampled_from(["\x00", "\x01", "\x1b", "\r", "\n", "\u2028", "\ud800",
                              "\udfff", "\ufeff", "a", "é", "/", "\\", "@"]),
    min_size=1, max_size=20,
)
FARTHEST_ZONES = st.sampled_from(
    [UTC, timezone(timedelta(hours=14)), timezone(-timedelta(hours=14))])
extreme_dates = st.one_of(
    st.sampled_from(["0001-01-01T00:00:00Z", "0001-01-01T00:00:00+14:00",
                     "9999-12-31T23:59:59-14:00", "9999-12-31T23:59:59.999999Z"]),
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                 timezones=FARTHEST_ZONES).map(lambda d: d.isoformat()),
)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=40)
    | awkward_text
)
any_json = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
field_values = st.one_of(
    scalars,
    st.uuids().map(str),
    st.lists(scalars, max_size=2),
    st.dictionaries(st.text(max_size=5), scalars, max_size=2),
)
draft_like = st.fixed_dictionaries(
    {},
    optional={
        "id": st.one_of(st.uuids().map(str), field_values),
        "base_version": st.one_of(st.none(), st.integers(-3, 5), field_values),
        "title": st.one_of(awkward_text, field_values),
        "body": st.one_of(st.text(min_size=1, max_size=60), awkward_text, field_values),
        "mood": st.one_of(st.integers(-1, 7), field_values),
        "prompt": field_values,
        "journey_id": st.one_of(st.uuids().map(str), field_values),
        "client_updated_at": st.one_of(st.datetimes().map(lambda d: d.isoformat()),
                                       extreme_dates, field_values),
        "deleted": field_values,
    },
)
sync_bodies = st.one_of(
    any_json,
    st.fixed_dictionaries({"drafts": st.one_of(any_json, st.lists(draft_like, max_size=5))}),
)


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


@FUZZ
@given(body=sync_bodies)
@example(body={"drafts": [{"id": str(uuid.uuid4()), "body": "half an emoji \ud83d"},
                          {"id": str(uuid.uuid4()), "body": "NUL \x00", "title": "\udfff"},
                          {"id": str(uuid.uuid4()), "body": "x",
                           "client_updated_at": "0001-01-01T00:00:00+14:00"}]})
def test_sync_never_fails_loudly_or_half_way(alice, body):
    token = alice.csrf_token()
    before = count(Entry)
    response = alice.post(
        "/api/sync", data=json.dumps(body), content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert response.status_code in (200, 400, 413), response.get_data(as_text=True)[:300]
    answer = response.get_json()
    assert isinstance(answer, dict)
    if response.status_code != 200:
        assert "error" in answer or "errors" in answer
        assert count(Entry) == before
        return
    results = answer["results"]
    assert len(results) == len(body["drafts"])
    statuses = [r["status"] for r in results]
    assert set(statuses) <= {"created", "updated", "unchanged", "conflict", "rejected"}
    made = statuses.count("created") + sum(1 for r in results if r.get("conflict_copy_id"))
    assert count(Entry) <= before + made
    for result in results:
        if result["status"] == "rejected":
            assert result.get("error")


@FUZZ
@given(raw=st.binary(max_size=200))
def test_sync_refuses_bytes_that_are_not_json(alice, raw):
    token = alice.csrf_token()
    before = count(Entry)
    response = alice.post(
        "/api/sync", data=raw, content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert response.status_code in (200, 400)
    assert count(Entry) == before or response.status_code == 200


subscription_like = st.one_of(
    any_json,
    st.fixed_dictionaries(
        {},
        optional={
            "endpoint": st.one_of(
                st.just("https://push.example/" + uuid.uuid4().hex),
                st.just("https://fcm.googleapis.com/fcm/send/" + uuid.uuid4().hex),
                awkward_text.map(lambda t: "https://fcm.googleapis.com/fcm/send/" + t),
                st.sampled_from(["https://169.254.169.254/latest", "https://127.0.0.1/",
                                 "https://[::1]/", "https://localhost/x"]),
                field_values,
            ),
            "keys": st.one_of(
                st.fixed_dictionaries({}, optional={"p256dh": field_values, "auth": field_values}),
                field_values,
            ),
            "device_label": field_values,
            "expirationTime": field_values,
        },
    ),
)


@FUZZ
@given(body=subscription_like)
def test_subscribing_a_device_never_fails_loudly_or_half_way(alice, body):
    token = alice.csrf_token()
    before = count(PushSubscription)
    response = alice.post(
        "/settings/reminders/devices", data=json.dumps(body), content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert response.status_code in (201, 400, 422), response.get_data(as_text=True)[:300]
    if response.status_code != 201:
        assert count(PushSubscription) == before
        assert response.get_json().get("errors")


JSON_ENDPOINTS = ["/api/sync", "/settings/reminders/devices", "/reminders/snooze"]


@FUZZ
@given(depth=st.integers(min_value=1_000, max_value=120_000),
       opener=st.sampled_from(["[", '{"a":']), path=st.sampled_from(JSON_ENDPOINTS))
def test_json_nested_far_too_deep_is_refused_calmly(alice, depth, opener, path):
    closer = "]" if opener == "[" else "}"
    body = opener * depth + "1" + closer * depth
    response = alice.post(path, data=body, content_type="application/json",
                          headers={"X-CSRFToken": alice.csrf_token()})
    # Shallow enough for Python's parser, it is simply not the expected shape (422 or 400).
    assert response.status_code in (400, 413, 422), response.get_data(as_text=True)[:300]
    assert response.is_json
