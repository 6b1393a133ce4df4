"""A device uploads a memo in pieces over a connection that drops; the server keeps exactly
what was recorded, once, and says clearly what is wrong with a bad request."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from tests.media.helpers import PIECE, Uploader, sha, tone_encoded, tone_wav
from webapp.extensions import db
from webapp.journal.models import Entry
from webapp.media.models import Media, MediaChunk


@pytest.fixture
def device(alice):
    return Uploader(alice)


def counts() -> tuple[int, int]:
    db.session.expire_all()
    return (db.session.scalar(select(func.count()).select_from(Media)),
            db.session.scalar(select(func.count()).select_from(Entry)))


def test_a_memo_uploaded_in_pieces_becomes_an_entry_of_its_own(device, alice):
    recording = tone_encoded(3)
    answer = device.upload(recording, body={"entry": {
        "title": "Lying down, after", "note": "The colours were loud.", "mood": 4,
        "prompt": None}})
    assert answer["status"] == "ready"
    assert answer["content_type"] == "audio/mp4"
    assert abs(answer["duration_ms"] - 3000) < 100
    media = db.session.get(Media, uuid.UUID(answer["id"]))
    assert media.original_sha256 == sha(recording)
    entry = db.session.get(Entry, media.entry_id)
    assert (entry.title, entry.body, entry.mood) == ("Lying down, after",
                                                     "The colours were loud.", 4)
    stored = alice.get(answer["url"])
    assert stored.status_code == 200
    assert stored.headers["Content-Type"] == "audio/mp4"
    assert stored.headers["Cache-Control"] == "no-store"
    assert stored.data[4:8] == b"ftyp"
    assert int(stored.headers["Content-Length"]) == len(stored.data) == media.size
    # Only the stored file's chunks remain: the upload as sent is gone.
    variants = set(db.session.scalars(select(MediaChunk.variant)))
    assert variants == {"file"}
    page = alice.get(f"/entries/{entry.id}").get_data(as_text=True)
    assert f'src="/media/{media.id}"' in page and "0:03" in page


def test_a_cut_connection_resumes_from_the_last_acknowledged_byte_and_a_replay_is_one_memo(
    device,
):
    recording = tone_wav(6)  # about 190 KB: three pieces and a bit
    media_id = str(uuid.uuid4())
    assert device.start(recording, media_id=media_id).status_code == 201
    assert device.piece(media_id, 0, recording[:PIECE]).get_json()["offset"] == PIECE
    # The connection drops half-way through the next piece: the device asks where it stands.
    status = device.client.get(f"/api/media/{media_id}").get_json()
    assert (status["status"], status["offset"]) == ("uploading", PIECE)
    # Completing too early is refused, and says where to continue.
    early = device.complete(media_id, {"sha256": sha(recording)})
    assert early.status_code == 409 and early.get_json()["offset"] == PIECE
    # Announcing again (the app restarted) finds the same upload where it was.
    again = device.start(recording, media_id=media_id)
    assert again.status_code == 200 and again.get_json()["offset"] == PIECE
    device.send_all(media_id, recording, start=PIECE)
    done = device.complete(media_id, {"sha256": sha(recording)})
    assert done.status_code == 200
    assert counts() == (1, 1)

    # The whole upload replayed, answers lost on the way: still one memo and one entry.
    assert device.start(recording, media_id=media_id).get_json()["status"] == "ready"
    assert device.piece(media_id, 0, recording[:PIECE]).status_code == 200
    replay = device.complete(media_id, {"sha256": sha(recording)})
    assert replay.get_json() == done.get_json()
    assert counts() == (1, 1)
    assert db.session.get(Media, uuid.UUID(media_id)).original_sha256 == sha(recording)


@pytest.mark.parametrize(
    "offset, piece, status",
    [
        (PIECE * 2, b"x" * PIECE, 409),  # a gap: bytes missing before these
        (0, b"y" * PIECE, 409),  # overlapping what already arrived
        (PIECE, b"", 400),  # nothing at all
        (PIECE, b"z" * 100, 400),  # a tiny piece that is not the last
        ("soon", b"z" * PIECE, 400),  # no offset a machine can read
    ],
)
def test_pieces_that_do_not_continue_the_upload_are_refused_and_change_nothing(
    device, offset, piece, status
):
    recording = tone_wav(8)
    media_id = device.start(recording).get_json()["id"]
    device.piece(media_id, 0, recording[:PIECE])
    answer = device.piece(media_id, offset, piece)
    assert answer.status_code == status
    assert answer.get_json()["error"]
    assert device.client.get(f"/api/media/{media_id}").get_json()["offset"] == PIECE
    # The upload is still whole once the right bytes come.
    device.send_all(media_id, recording, start=PIECE)
    assert device.complete(media_id, {"sha256": sha(recording)}).status_code == 200


def test_what_is_not_audio_is_refused_by_its_content_whatever_it_claims(device):
    fake = b"RIFF\x00\x00\x00\x00WAVE" + bytes(range(256)) * 400  # WAV header, no sound
    media_id = device.start(fake).get_json()["id"]
    device.send_all(media_id, fake)
    refused = device.complete(media_id, {"sha256": sha(fake)})
    assert refused.status_code == 415
    assert "recording" in refused.get_json()["error"]
    media = db.session.get(Media, uuid.UUID(media_id))
    assert media.status == "uploading"  # never looks complete
    assert counts() == (1, 0)
    assert device.client.get(f"/media/{media_id}").status_code == 404


def test_bytes_that_differ_from_the_recording_are_sent_again(device):
    recording = tone_wav(3)
    media_id = device.start(recording).get_json()["id"]
    device.send_all(media_id, recording)
    wrong = device.complete(media_id, {"sha256": "0" * 64})
    assert wrong.status_code == 422 and wrong.get_json()["offset"] == 0
    device.send_all(media_id, recording)
    assert device.complete(media_id, {"sha256": sha(recording)}).status_code == 200


def test_size_limits_and_the_quota_answer_413_before_anything_is_stored(app, device):
    too_long = device.client.post(
        "/api/media", json={"id": str(uuid.uuid4()), "kind": "memo", "size": 10**9},
        headers=device.headers())
    assert too_long.status_code == 413 and "up to" in too_long.get_json()["error"]
    app.config["MEDIA_QUOTA"] = 100_000
    full = device.start(tone_wav(6))
    assert full.status_code == 413 and "nearly full" in full.get_json()["error"]
    huge_piece = device.client.post(
        f"/api/media/{uuid.uuid4()}/content", data=b"x" * (4 * 1024 * 1024 + 1),
        headers=device.headers(**{"Upload-Offset": "0"}))
    assert huge_piece.status_code == 413
    assert counts() == (0, 0)


def test_a_memo_can_be_attached_to_a_written_entry(device, alice):
    alice.submit("/entries", {"body": "Written first."})
    entry = db.session.scalar(select(Entry))
    answer = device.upload(tone_wav(2), body={"entry_id": str(entry.id)})
    assert answer["entry_id"] == str(entry.id)
    assert counts() == (1, 1)
    page = alice.get("/journal").get_data(as_text=True)
    assert f"/media/{answer['id']}" in page


def test_a_memo_for_an_entry_not_yet_synced_waits(device):
    recording = tone_wav(2)
    media_id = device.start(recording).get_json()["id"]
    device.send_all(media_id, recording)
    waiting = device.complete(media_id, {"entry_id": str(uuid.uuid4())})
    assert waiting.status_code == 409 and "not in your journal yet" in waiting.get_json()["error"]


def test_a_signed_out_device_gets_401_and_keeps_its_recording(client):
    answer = client.post("/api/media", json={"id": str(uuid.uuid4()), "kind": "memo", "size": 5})
    assert answer.status_code == 401 and "Sign in" in answer.get_json()["error"]


def wait_until_processed(client, media_id: str, seconds: float = 30) -> dict:
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status = client.get(f"/api/media/{media_id}").get_json()
        if status["status"] != "processing":
            return status
        time.sleep(0.1)
    raise AssertionError("still processing")


def test_a_long_memo_is_transcoded_after_answering_and_completing_again_waits(app, device):
    app.config["MEDIA_INLINE_BYTES"] = 1000
    recording = tone_encoded(20)
    media_id = device.start(recording).get_json()["id"]
    device.send_all(media_id, recording)
    first = device.complete(media_id, {"sha256": sha(recording), "entry": {"title": "Long"}})
    assert first.status_code == 202 and first.get_json()["status"] == "processing"
    again = device.complete(media_id, {"sha256": sha(recording), "entry": {"title": "Long"}})
    assert again.status_code in (200, 202)
    status = wait_until_processed(device.client, media_id)
    assert status["status"] == "ready" and abs(status["duration_ms"] - 20_000) < 100
    assert counts() == (1, 1)
    assert device.client.get(status["url"]).data[4:8] == b"ftyp"


def test_a_long_upload_that_is_not_audio_is_refused_before_answering(app, device):
    app.config["MEDIA_INLINE_BYTES"] = 1000
    noise = bytes(range(256)) * 800
    media_id = device.start(noise).get_json()["id"]
    device.send_all(media_id, noise)
    refused = device.complete(media_id, {"sha256": sha(noise)})
    assert refused.status_code == 415
    assert device.client.get(f"/api/media/{media_id}").get_json()["status"] == "uploading"


def test_processing_that_fails_later_says_why(app, device, monkeypatch):
    from webapp.media import audio

    app.config["MEDIA_INLINE_BYTES"] = 1000
    monkeypatch.setattr(audio, "transcode", lambda *a, **k: (_ for _ in ()).throw(audio.TooLong()))
    recording = tone_encoded(20)
    media_id = device.start(recording).get_json()["id"]
    device.send_all(media_id, recording)
    assert device.complete(media_id, {"sha256": sha(recording)}).status_code == 202
    status = wait_until_processed(device.client, media_id)
    assert status["status"] == "uploading" and "30 minutes" in status["problem"]
    assert counts() == (1, 0)


def test_uploads_no_device_continued_for_a_month_are_let_go(app, device):
    from datetime import timedelta

    from webapp.events import daily_upkeep
    from webapp.types import utcnow

    recording = tone_wav(3)
    stale_id = device.start(recording).get_json()["id"]
    device.piece(stale_id, 0, recording[:PIECE])
    done = device.upload(tone_wav(2), body={"entry": {}})
    daily_upkeep.send(app, now=utcnow() + timedelta(days=29))
    assert counts()[0] == 2  # not yet a month
    daily_upkeep.send(app, now=utcnow() + timedelta(days=31))
    db.session.expire_all()
    assert {str(m.id) for m in db.session.scalars(select(Media))} == {done["id"]}
    assert db.session.scalar(select(func.count()).select_from(MediaChunk).where(
        MediaChunk.media_id == uuid.UUID(stale_id))) == 0


def test_an_id_already_used_for_another_upload_gets_a_clear_409(alice):
    device = Uploader(alice)
    first = device.start(b"x" * 1000)
    media_id = first.get_json()["id"]
    again = device.start(b"x" * 1, media_id=media_id)  # same id, another size
    assert again.status_code == 409
    answer = again.get_json()
    assert "already belongs to a different upload" in answer["error"]
    assert answer["status"] == first.get_json()["status"] and answer["size"] == 1000
