"""Whatever a device sends while uploading (any JSON, any offsets, pieces empty, tiny,
overlapping or past the end, completes too early, bytes that are not audio), Tend answers
with a clear 4xx or a success, never a 500, and never keeps a half-memo that looks whole."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.conftest import examples
from tests.media.helpers import Uploader, sha, tone_wav
from webapp.extensions import db
from webapp.journal.models import Entry
from webapp.media.models import Media, MediaChunk

FUZZ = settings(
    max_examples=examples(60),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
CLEAR_ANSWERS = {200, 201, 400, 404, 409, 413, 415, 422}

scalars = (
    st.none() | st.booleans() | st.integers(min_value=-(2**65), max_value=2**65)
    | st.floats(allow_nan=False) | st.text(max_size=20)
)
any_json = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
start_bodies = st.one_of(
    any_json,
    st.fixed_dictionaries({}, optional={
        "id": st.one_of(st.uuids().map(str), scalars),
        "kind": st.one_of(st.sampled_from(["memo", "photo", "drawing"]), scalars),
        "size": st.one_of(st.integers(-5, 10**10), scalars),
    }),
)
RECORDING = tone_wav(5)  # about 160 KB of real audio
NOISE = bytes(range(256)) * 700  # as long, and not audio at all

operations = st.lists(
    st.one_of(
        st.tuples(st.just("piece"), st.integers(-10, len(RECORDING) + 10),
                  st.sampled_from([0, 1, 100, 64 * 1024, 70_000, 200_000]),
                  st.sampled_from(["Upload-Offset", "upload-offset", None])),
        st.tuples(st.just("next"), st.sampled_from([64 * 1024, 100_000, 1]), st.none(), st.none()),
        st.tuples(st.just("complete"), st.one_of(any_json, st.fixed_dictionaries({}, optional={
            "sha256": st.one_of(st.just("right"), st.text(max_size=64), scalars),
            "entry_id": st.one_of(st.uuids().map(str), scalars),
            "entry": st.one_of(any_json, st.fixed_dictionaries({}, optional={
                "title": scalars, "note": scalars, "mood": st.integers(-2, 8) | scalars,
                "prompt": scalars, "journey_id": scalars}))})), st.none(), st.none()),
        st.tuples(st.just("broken-json"), st.none(), st.none(), st.none()),
    ),
    max_size=8,
)


def check_nothing_half_stored() -> None:
    db.session.expire_all()
    for media in db.session.scalars(select(Media)):
        variants = set(db.session.scalars(
            select(MediaChunk.variant).where(MediaChunk.media_id == media.id)))
        if media.status == "ready":
            assert media.size > 0 and media.entry_id is not None
            assert db.session.get(Entry, media.entry_id) is not None
            assert "upload" not in variants
        else:
            assert media.status == "uploading" and media.entry_id is None
            assert variants <= {"upload"}
            lengths = db.session.execute(
                select(MediaChunk.offset, MediaChunk.length)
                .where(MediaChunk.media_id == media.id).order_by(MediaChunk.position)
            ).all()
            position = 0
            for offset, length in lengths:
                assert offset == position and length > 0  # contiguous from 0, no overlaps
                position += length
            assert position == media.received <= media.declared_size
    ready_new = db.session.scalar(select(func.count()).select_from(Media).where(
        Media.status == "ready", Media.new_entry.is_(True)))
    assert db.session.scalar(select(func.count()).select_from(Entry)) == ready_new


@FUZZ
@given(body=start_bodies)
def test_any_announcement_gets_a_clear_answer(alice, body):
    response = Uploader(alice).client.post("/api/media", json=body,
                                           headers=Uploader(alice).headers())
    assert response.status_code in CLEAR_ANSWERS, response.get_data(as_text=True)
    assert response.get_json()
    check_nothing_half_stored()


@FUZZ
@given(audio=st.booleans(), steps=operations)
@pytest.mark.slow
def test_any_sequence_of_pieces_and_completes_keeps_all_or_nothing(alice, audio, steps):
    device = Uploader(alice)
    data = RECORDING if audio else NOISE
    media_id = str(uuid.uuid4())
    assert device.start(data, media_id=media_id).status_code == 201
    offset = 0
    for kind, first, second, header in steps:
        if kind == "piece":
            headers = device.headers(**({header: str(first)} if header else {}))
            response = device.client.post(f"/api/media/{media_id}/content",
                                          data=data[max(first, 0): max(first, 0) + second],
                                          headers=headers)
        elif kind == "next":
            response = device.piece(media_id, offset, data[offset: offset + first])
        elif kind == "complete":
            body = first
            if isinstance(body, dict) and body.get("sha256") == "right":
                body = {**body, "sha256": sha(data)}
            response = device.client.post(f"/api/media/{media_id}/complete", json=body,
                                          headers=device.headers())
        else:
            response = device.client.post(f"/api/media/{media_id}/complete", data=b"{not json",
                                          headers=device.headers(**{"Content-Type": "application/json"}))
        assert response.status_code in CLEAR_ANSWERS, (kind, response.get_data(as_text=True))
        answer = response.get_json()
        assert answer and ("error" in answer) == (response.status_code >= 400)
        if isinstance(answer.get("offset"), int):
            offset = answer["offset"]
        check_nothing_half_stored()
    # Whatever happened, sending the rest and completing properly still works (or, for noise,
    # is refused as not audio), and leaves exactly one memo.
    device.send_all(media_id, data, start=device.client.get(f"/api/media/{media_id}").get_json()["offset"])
    final = device.complete(media_id, {"sha256": sha(data)})
    assert final.status_code == (200 if audio else 415)
    check_nothing_half_stored()
    ready = db.session.scalar(select(func.count()).select_from(Media).where(
        Media.id == uuid.UUID(media_id), Media.status == "ready"))
    assert ready == (1 if audio else 0)


def test_ten_thousand_tiny_pieces_are_refused_one_by_one(alice):
    device = Uploader(alice)
    media_id = device.start(RECORDING).get_json()["id"]
    for offset in range(0, 50):
        response = device.piece(media_id, offset, RECORDING[offset: offset + 1])
        assert response.status_code == 400 if offset == 0 else response.status_code == 409
    assert "at least" in device.piece(media_id, 0, b"x").get_json()["error"]
    assert device.client.get(f"/api/media/{media_id}").get_json()["offset"] == 0
