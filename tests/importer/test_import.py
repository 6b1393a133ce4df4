"""A person brings a journal in: a Tend export (round trip to a new account) or a Day One
export. Importing twice changes nothing, and what is left out is said, with why."""

from __future__ import annotations

import copy
import io
import json
import zipfile

from sqlalchemy import func, select

from tests.backup.test_backup_and_restore import MARKER, fill_the_journal
from tests.conftest import register, run_cli
from webapp.auth.services import find_user_by_email
from webapp.extensions import db
from webapp.journal.models import Entry


def export_of(email: str) -> dict:
    from webapp.insights.export import export_data

    db.session.expire_all()
    return export_data(find_user_by_email(email))


def content(data: dict) -> dict:
    """An export without what differs between accounts: ids (mapped by position), the
    account itself and the moment of export."""
    data = copy.deepcopy(data)
    data.pop("exported_at")
    data.pop("account")
    labels: dict = {}

    def label(value):
        return None if value is None else labels.setdefault(value, f"#{len(labels)}")

    for journey in data["journeys"]:
        journey["id"] = label(journey["id"])
    for entry in data["entries"]:
        entry["id"] = label(entry["id"])
        entry["journey_id"] = labels.get(entry["journey_id"], entry["journey_id"])
    for intention in data["intentions"]:
        intention["id"] = label(intention["id"])
        intention["journey_id"] = labels.get(intention["journey_id"], intention["journey_id"])
        intention["entry_id"] = labels.get(intention["entry_id"], intention["entry_id"])
    for practice in data["practices"]:
        practice["id"] = label(practice["id"])
        for done in practice["done"]:
            done["id"] = label(done["id"])
    return data


def upload(client, name: str, payload: bytes):
    return client.post(
        "/import",
        data={"csrf_token": client.csrf_token(), "file": (io.BytesIO(payload), name)},
        content_type="multipart/form-data",
    )


def entries_of(email: str) -> list[Entry]:
    db.session.expire_all()
    user = find_user_by_email(email)
    return list(db.session.scalars(
        select(Entry).where(Entry.user_id == user.id).order_by(Entry.created_at)
    ))


def test_export_import_into_a_new_account_and_export_again_gives_the_same_content(
    app, alice, bob
):
    fill_the_journal(alice, bob)
    alice.submit("/entries", {"body": "let go of this one"})
    gone = entries_of("alice@example.org")[-1]
    alice.submit(f"/entries/{gone.id}/delete")
    original = export_of("alice@example.org")
    payload = json.dumps(original).encode()

    carol = app.test_client()
    register(carol, "carol@example.org")
    response = upload(carol, "tend-2026-12-01.json", payload)
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    assert "Your Tend journal is here" in page
    assert "2 entries" in page and "1 journeys" in page and "1 practice days" in page

    again = export_of("carol@example.org")
    assert content(again) == content(original)
    assert MARKER in carol.get("/journal").get_data(as_text=True)
    # Alice's rows are untouched, and Carol's are her own (new ids where they collided).
    assert content(export_of("alice@example.org")) == content(original)
    assert {e["id"] for e in again["entries"]}.isdisjoint({e["id"] for e in original["entries"]})

    # Importing the same file again changes nothing.
    twice = upload(carol, "tend.json", payload).get_data(as_text=True)
    assert "Nothing new to bring in" in twice
    assert "2 entries: already in this journal" in twice
    assert content(export_of("carol@example.org")) == content(original)


def test_importing_your_own_export_back_changes_nothing(app, alice, bob):
    fill_the_journal(alice, bob)
    before = export_of("alice@example.org")
    page = upload(alice, "mine.json", json.dumps(before).encode()).get_data(as_text=True)
    assert "Nothing new to bring in" in page
    after = export_of("alice@example.org")
    before.pop("exported_at"), after.pop("exported_at")
    assert after == before


def test_original_ids_are_kept_where_they_are_free(app, alice):
    alice.submit("/entries", {"body": "moving house"})
    data = export_of("alice@example.org")
    run_cli(app, "users", "delete", "alice@example.org", "--yes")
    dana = app.test_client()
    register(dana, "dana@example.org")
    assert upload(dana, "old.json", json.dumps(data).encode()).status_code == 200
    assert export_of("dana@example.org")["entries"][0]["id"] == data["entries"][0]["id"]


def test_unreadable_records_are_left_out_with_the_reason_and_the_rest_comes_in(alice):
    data = export_of("alice@example.org")
    data["entries"] = [
        {"id": "8f7c2a1e-0000-4000-8000-000000000001", "body": "kept",
         "created_at": "2025-05-01T10:00:00+00:00"},
        {"id": "8f7c2a1e-0000-4000-8000-000000000002", "body": "bad mood", "mood": 9,
         "created_at": "2025-05-01T10:00:00+00:00"},
        {"id": "8f7c2a1e-0000-4000-8000-000000000003", "body": 42,
         "created_at": "2025-05-01T10:00:00+00:00"},
        {"body": "no id"},
        "not even an object",
    ]
    data["practices"] = [{"id": "8f7c2a1e-0000-4000-8000-000000000004",
                          "practice_id": "not-in-the-catalogue", "days": ["Mon"], "done": []}]
    page = upload(alice, "edited.json", json.dumps(data).encode()).get_data(as_text=True)
    assert "1 entries" in page
    assert "2 entries: could not be read" in page
    assert "2 entries: has no id" in page
    assert "1 practices: not in this Tend&#39;s catalogue" in page
    assert [e.body for e in entries_of("alice@example.org")] == ["kept"]


def test_files_that_are_not_exports_get_a_clear_answer_and_nothing_changes(app, alice):
    for name, payload, words in [
        ("notes.txt", b"just some words", "neither JSON nor a zip"),
        ("other.json", b'{"hello": "world"}', "not a Tend or Day One export"),
        ("broken.zip", b"PK\x03\x04broken", "zip file is damaged"),
    ]:
        response = upload(alice, name, payload)
        assert response.status_code == 422, name
        page = response.get_data(as_text=True)
        assert words in page and "Nothing was imported" in page
    assert alice.post("/import", data={"csrf_token": alice.csrf_token()}).status_code == 422
    app.config["IMPORT_MAX_BYTES"] = 1024
    too_big = upload(alice, "big.json", b"[" + b" " * 4096 + b"]")
    assert too_big.status_code == 413
    assert entries_of("alice@example.org") == []


# -- Day One -------------------------------------------------------------------------------------

# Day One's documented JSON export: {"metadata": {"version": ...}, "entries": [...]}, each
# entry with uuid, creationDate (UTC), modifiedDate, timeZone, text (Markdown, punctuation
# escaped with a backslash), tags, and photos referenced as dayone-moment:// links.
DAY_ONE = {
    "metadata": {"version": "1.0"},
    "entries": [
        {
            "uuid": "5E4D3C2B1A0F4E3D2C1B0A9F8E7D6C5B",
            "creationDate": "2024-03-02T07:15:00Z",
            "modifiedDate": "2024-03-02T08:00:00Z",
            "timeZone": "Europe/Berlin",
            "starred": False,
            "text": "# The lake at dawn\n\nMist over the water\\. I felt held \\- not alone\\!\n\n"
                    "![](dayone-moment://A1B2C3D4E5F6)",
            "tags": ["kap", "dream"],
            "photos": [{"identifier": "A1B2C3D4E5F6", "md5": "0f1e2d", "type": "jpeg"}],
            "location": {"placeName": "Home", "latitude": 52.5, "longitude": 13.4},
        },
        {
            "uuid": "0A1B2C3D4E5F60718293A4B5C6D7E8F9",
            "creationDate": "2024-03-05T21:40:10Z",
            "timeZone": "America/New_York",
            "text": "Just a line, no heading\\.",
        },
        {
            "uuid": "FFEEDDCCBBAA99887766554433221100",
            "creationDate": "2024-03-06T10:00:00Z",
            "text": "![](dayone-moment://0011AABB)",
            "photos": [{"identifier": "0011AABB", "type": "jpeg"}],
        },
    ],
}


def test_a_day_one_export_becomes_ordinary_entries_once(alice):
    payload = json.dumps(DAY_ONE).encode()
    page = upload(alice, "Journal.json", payload).get_data(as_text=True)
    assert "Your Day One journal is here" in page
    assert "2 entries" in page
    # A .json alone carries no photo files; the third photo is not named by its md5.
    assert ("1 memos, photos and drawings: their files were not in the upload (import the "
            ".zip to bring them)") in page
    assert "1 memos, photos and drawings: could not be read" in page
    assert "1 entries: has no text" in page

    first, second = entries_of("alice@example.org")
    assert first.title == "The lake at dawn"
    assert first.body == "Mist over the water. I felt held - not alone!\n\nTags: kap, dream"
    assert first.created_at.isoformat() == "2024-03-02T07:15:00+00:00"
    assert first.updated_at.isoformat() == "2024-03-02T08:00:00+00:00"
    assert second.title is None and second.body == "Just a line, no heading."
    assert "The lake at dawn" in alice.get("/journal").get_data(as_text=True)

    again = upload(alice, "Journal.json", payload).get_data(as_text=True)
    assert "Nothing new to bring in" in again and "2 entries: already in this journal" in again
    assert len(entries_of("alice@example.org")) == 2


def test_a_day_one_zip_with_photos_is_read_too(alice):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("Journal.json", json.dumps(DAY_ONE))
        zipped.writestr("photos/0f1e2d.jpeg", b"\xff\xd8\xff not really a picture")
    response = upload(alice, "export.zip", archive.getvalue())
    assert response.status_code == 200
    assert len(entries_of("alice@example.org")) == 2
    page = response.get_data(as_text=True)
    assert "1 memos, photos and drawings: not a picture Tend can read" in page


def test_a_day_one_entry_longer_than_tend_allows_is_split_not_cut(alice):
    from webapp.journal.models import BODY_MAX

    long_text = "\n\n".join([("breathing in, breathing out. " * 40).strip()] * 60)
    assert len(long_text) > BODY_MAX
    data = {"metadata": {}, "entries": [{"uuid": "AA", "creationDate": "2024-01-01T00:00:00Z",
                                          "text": long_text}]}
    upload(alice, "long.json", json.dumps(data).encode())
    parts = entries_of("alice@example.org")
    assert len(parts) == 2 and all(len(p.body) <= BODY_MAX for p in parts)
    assert "\n\n".join(p.body for p in parts) == long_text
    assert parts[0].title == "Day One entry (1 of 2)"


def test_the_host_can_import_for_someone(app, alice, tmp_path):
    path = tmp_path / "Journal.json"
    path.write_text(json.dumps(DAY_ONE))
    result = run_cli(app, "users", "import", "alice@example.org", str(path))
    assert result.exit_code == 0, result.output
    assert "Imported from Day One: 2 entries" in result.output
    assert "left out 1 entries: has no text" in result.output
    assert db.session.scalar(select(func.count()).select_from(Entry)) == 2
