"""Whatever a device sends to the JSON endpoints, Tend answers calmly and writes all or
nothing per item: never a 500, never half an entry."""

from __future__ import annotations

import json
import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.journal.models import Entry
from webapp.push.models import PushSubscription

FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=40)
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
        "title": field_values,
        "body": st.one_of(st.text(min_size=1, max_size=60), field_values),
        "mood": st.one_of(st.integers(-1, 7), field_values),
        "prompt": field_values,
        "journey_id": st.one_of(st.uuids().map(str), field_values),
        "client_updated_at": st.one_of(st.datetimes().map(lambda d: d.isoformat()), field_values),
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
                st.just("https://push.example/" + uuid.uuid4().hex), field_values
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
