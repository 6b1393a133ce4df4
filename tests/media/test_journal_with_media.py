"""Memos and pictures live where entries do: the journal, search, Today and the brief show
them; export carries every file; erasing the account leaves none of them behind."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from tests.arc import log_journey, person
from tests.conftest import PASSWORD
from tests.media.helpers import Uploader, photo_bytes, tone_wav
from webapp.extensions import db
from webapp.journal.models import Entry
from webapp.media.models import Media, MediaChunk


def memo(client, seconds: float = 2, **entry) -> dict:
    return Uploader(client).upload(tone_wav(seconds), body={"entry": entry})


def test_search_finds_a_memo_by_its_title_or_note_and_shows_its_player(alice):
    found = memo(alice, title="The river", note="cold water, warm hands")
    memo(alice, title="Something else")
    for query in ("river", "WARM HANDS"):
        page = alice.get(f"/journal?q={query}").get_data(as_text=True)
        assert f'/media/{found["id"]}"' in page
        assert "Something else" not in page


def test_a_memo_keeps_its_entry_when_its_note_is_emptied_but_words_stay_needed_elsewhere(alice):
    spoken = memo(alice, title="Walk home", note="a note to let go of")
    response = alice.submit(f"/entries/{spoken['entry_id']}", {"title": "Walk home", "body": ""})
    assert response.status_code in (200, 302)
    entry = db.session.get(Entry, uuid.UUID(spoken["entry_id"]))
    db.session.refresh(entry)
    assert entry.body == "" and entry.title == "Walk home"
    assert f'/media/{spoken["id"]}"' in alice.get("/journal").get_data(as_text=True)

    alice.submit("/entries", {"body": "Only words here."})
    [written] = [e for e in db.session.scalars(select(Entry)) if e.body == "Only words here."]
    refused = alice.submit(f"/entries/{written.id}", {"body": ""})
    assert refused.status_code == 422
    assert "nothing written yet" in refused.get_data(as_text=True)


def test_today_offers_speaking_and_shows_todays_memos(alice):
    answer = memo(alice, title="Morning voice", prompt="core-feel")
    page = alice.get("/").get_data(as_text=True)
    assert "Record a voice memo" in page and "Answer aloud" in page
    assert "Today’s memos" in page and "Morning voice" in page
    assert f'src="/media/{answer["id"]}"' in page
    entry = db.session.get(Entry, uuid.UUID(answer["entry_id"]))
    assert entry.prompt_id == "core-feel"


def test_the_brief_lists_memos_and_shows_only_chosen_pictures(alice):
    user = person("alice@example.org")
    journey = log_journey(user, datetime.now(UTC) - timedelta(days=1), "Listen inward")
    memo(alice, 3, title="Spoken the day after", prompt="core-feel")
    alice.submit("/entries", {"body": "With pictures."})
    entry = db.session.scalar(select(Entry).order_by(Entry.created_at.desc()).limit(1))
    assert entry.body == "With pictures."
    device = Uploader(alice)
    chosen = device.upload(photo_bytes(), kind="photo", body={"entry_id": str(entry.id)})
    left_out = device.upload(photo_bytes((600, 600)), kind="photo",
                             body={"entry_id": str(entry.id)})
    alice.submit(f"/media/{chosen['id']}/brief", {"shown": "1"})
    brief = alice.get(f"/journeys/{journey.id}/brief").get_data(as_text=True)
    assert "Voice memos" in brief and "Spoken the day after" in brief and "0:03" in brief
    assert "What did I feel?" in brief  # the prompt the memo answered
    assert f"/media/{chosen['id']}/thumbnail" in brief
    assert f"/media/{left_out['id']}/thumbnail" not in brief.split("<h2>Pictures</h2>")[1]


def test_export_carries_every_file_and_entries_point_to_them(alice):
    spoken = memo(alice, title="Exported voice", note="keep this")
    alice.submit("/entries", {"body": "A photo entry."})
    entry = db.session.scalar(select(Entry).where(Entry.id != uuid.UUID(spoken["entry_id"])))
    photo = Uploader(alice).upload(photo_bytes(), kind="photo", body={"entry_id": str(entry.id)})

    data = json.loads(alice.get("/export/tend.json").data)
    by_id = {e["id"]: e for e in data["entries"]}
    [memo_record] = by_id[spoken["entry_id"]]["media"]
    [photo_record] = by_id[str(entry.id)]["media"]
    assert memo_record["kind"] == "memo" and memo_record["file"].endswith(".m4a")
    assert photo_record["file"].endswith(".jpg")

    response = alice.get("/export/tend-markdown.zip")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert archive.testzip() is None
    files = {name: archive.read(name) for name in archive.namelist()}
    assert files[f"tend/{memo_record['file']}"] == alice.get(spoken["url"]).data
    assert files[f"tend/{photo_record['file']}"] == alice.get(photo["url"]).data
    memo_page = next(v.decode() for k, v in files.items()
                     if k.startswith("tend/entries/") and "exported-voice" in k)
    assert f"(../{memo_record['file']})" in memo_page and "Voice memo (0:02)" in memo_page
    assert json.loads(files["tend/tend.json"])["entries"]


def counts() -> tuple[int, int]:
    db.session.expire_all()
    return (db.session.scalar(select(func.count()).select_from(Media)),
            db.session.scalar(select(func.count()).select_from(MediaChunk)))


def test_erasing_the_account_removes_every_memo_picture_and_upload(alice, bob):
    memo(alice)
    Uploader(alice).start(tone_wav(3))  # and one upload still under way
    half = Uploader(alice)
    started = half.start(tone_wav(4)).get_json()
    half.piece(started["id"], 0, tone_wav(4)[: 64 * 1024])
    memo(bob)
    before = counts()
    assert before[0] == 4
    response = alice.submit("/account/delete",
                            {"confirmation": "delete my journal", "password": PASSWORD})
    assert response.status_code == 302
    media, chunks = counts()
    assert media == 1  # only Bob's
    assert chunks == db.session.scalar(
        select(func.count()).select_from(MediaChunk).where(MediaChunk.user_id == person(
            "bob@example.org").id))
