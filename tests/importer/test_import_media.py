"""Memos, photos and drawings come along when a journal is imported: from a Tend export's
zip, and from a Day One zip's photos folder; importing the same file again adds nothing."""

from __future__ import annotations

import hashlib
import io
import json
import uuid
import zipfile

from PIL import Image
from sqlalchemy import select

from tests.conftest import register
from tests.importer.test_import import upload
from tests.media.helpers import Uploader, photo_bytes, tone_encoded
from webapp.auth.services import find_user_by_email
from webapp.extensions import db
from webapp.importer.common import Files
from webapp.importer.dayone import import_day_one
from webapp.journal.models import Entry
from webapp.media import storage
from webapp.media.library import add_picture, show_in_brief
from webapp.media.models import Media
from webapp.types import utcnow

WHAT = "memos, photos and drawings"


def media_of(email: str) -> list[Media]:
    db.session.expire_all()
    user = find_user_by_email(email)
    return list(db.session.scalars(
        select(Media).where(Media.user_id == user.id).order_by(Media.kind)))


def entry_title(media: Media) -> str | None:
    return db.session.get(Entry, media.entry_id).title


def picture(media: Media) -> Image.Image:
    return Image.open(io.BytesIO(storage.file_reader(media).readall()))


def test_a_tend_export_zip_brings_its_media_into_a_new_account_once(app, alice):
    alice.submit("/entries", {"title": "The sea", "body": "Waves all night."})
    owner = find_user_by_email("alice@example.org")
    sea = db.session.scalar(select(Entry).where(Entry.user_id == owner.id))
    show_in_brief(add_picture(owner, sea, photo_bytes((800, 600))), True)
    add_picture(owner, sea, photo_bytes((300, 200), "PNG"), drawing=True)
    Uploader(alice).upload(tone_encoded(1.5), "memo", {"entry": {
        "entry_id": str(uuid.uuid4()), "title": "Said aloud", "note": "",
        "client_updated_at": utcnow().isoformat()}})
    export = alice.get("/export/tend-markdown.zip")
    assert export.status_code == 200
    payload = b"".join(export.response) if export.is_streamed else export.data
    originals = {m.kind: m for m in media_of("alice@example.org")}

    carol = app.test_client()
    register(carol, "carol@example.org")
    page = upload(carol, "tend-export.zip", payload).get_data(as_text=True)
    assert f"3 {WHAT}" in page, page

    brought = {m.kind: m for m in media_of("carol@example.org")}
    assert sorted(brought) == ["drawing", "memo", "photo"]
    assert all(m.is_ready and m.user_id != owner.id for m in brought.values())
    assert entry_title(brought["photo"]) == entry_title(brought["drawing"]) == "The sea"
    assert entry_title(brought["memo"]) == "Said aloud"
    assert brought["photo"].in_brief and not brought["drawing"].in_brief
    assert (brought["photo"].width, brought["photo"].height) == (800, 600)
    assert picture(brought["drawing"]).tobytes() == picture(originals["drawing"]).tobytes()
    assert abs(brought["memo"].duration_ms - originals["memo"].duration_ms) < 100
    assert brought["memo"].content_type == "audio/mp4"
    assert carol.get(f"/media/{brought['photo'].id}").status_code == 200

    again = upload(carol, "tend-export.zip", payload).get_data(as_text=True)
    assert "Nothing new to bring in" in again and f"3 {WHAT}: already in this journal" in again
    assert len(media_of("carol@example.org")) == 3
    back_home = upload(alice, "tend-export.zip", payload).get_data(as_text=True)
    assert f"3 {WHAT}: already in this journal" in back_home
    assert len(media_of("alice@example.org")) == 3


# A Day One zip, as its export documents it: Journal.json ({"metadata", "entries"}) and the
# photos beside it as photos/<md5>.<type>; each entry's "photos" array names them by md5,
# type and identifier, and its text points at them as ![](dayone-moment://<identifier>).
def day_one_zip(photos: dict[str, bytes], *, corrupt: bytes | None = None) -> bytes:
    md5 = {name: hashlib.md5(data).hexdigest() for name, data in photos.items()}  # noqa: S324
    entries = [
        {
            "uuid": "7B1E0C3A5D2F4E6A8B9C0D1E2F3A4B5C",
            "creationDate": "2024-04-01T06:30:00Z",
            "modifiedDate": "2024-04-01T07:00:00Z",
            "timeZone": "Europe/Berlin",
            "text": "# Sunrise walk\n\nThe light on the hill\\.\n\n![](dayone-moment://PHOTO1)\n",
            "photos": [{"identifier": "PHOTO1", "md5": md5["hill"], "type": "jpeg",
                        "width": 1200, "height": 800, "orderInEntry": 0}],
        },
        {
            "uuid": "9F8E7D6C5B4A39281706F5E4D3C2B1A0",
            "creationDate": "2024-04-02T18:00:00Z",
            "text": "![](dayone-moment://PHOTO2)",
            "photos": [{"identifier": "PHOTO2", "md5": md5["shell"], "type": "png"}],
        },
    ]
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("Journal.json", json.dumps({"metadata": {"version": "1.0"},
                                                   "entries": entries}))
        zipped.writestr(f"photos/{md5['hill']}.jpeg", photos["hill"])
        zipped.writestr(f"photos/{md5['shell']}.png", corrupt or photos["shell"])
    return archive.getvalue()


def test_a_day_one_zip_attaches_its_photos_to_their_entries_once(alice):
    hill, shell = photo_bytes((1200, 800)), photo_bytes((500, 500), "PNG")
    payload = day_one_zip({"hill": hill, "shell": shell})
    page = upload(alice, "Day One.zip", payload).get_data(as_text=True)
    assert "2 entries" in page and f"2 {WHAT}" in page, page

    photos = media_of("alice@example.org")
    assert [m.kind for m in photos] == ["photo", "photo"]
    by_title = {entry_title(m): m for m in photos}
    assert set(by_title) == {"Sunrise walk", None}  # the second is a photo with no words
    sunrise = db.session.get(Entry, by_title["Sunrise walk"].entry_id)
    assert sunrise.body == "The light on the hill." and "dayone-moment" not in sunrise.body
    assert (by_title["Sunrise walk"].width, by_title["Sunrise walk"].height) == (1200, 800)
    assert picture(by_title[None]).size == (500, 500)
    assert "Sunrise walk" in alice.get("/journal").get_data(as_text=True)

    again = upload(alice, "Day One.zip", payload).get_data(as_text=True)
    assert "Nothing new to bring in" in again and f"2 {WHAT}: already in this journal" in again
    assert len(media_of("alice@example.org")) == 2


def test_a_damaged_photo_is_left_out_with_a_reason_and_leaves_no_empty_entry(alice):
    payload = day_one_zip({"hill": photo_bytes(), "shell": photo_bytes(fmt="PNG")},
                          corrupt=b"\x89PNG\r\n\x1a\n but then nothing")
    user = find_user_by_email("alice@example.org")
    archive = zipfile.ZipFile(io.BytesIO(payload))
    data = json.loads(archive.read("Journal.json"))
    summary = import_day_one(user, data, Files(archive))
    assert summary.imported == {"entries": 1, WHAT: 1}  # the words and photo of the first
    assert summary.skipped == {(WHAT, "not a picture Tend can read"): 1,
                               ("entries", "has no text, and its photo could not be stored"): 1}
    assert len(media_of("alice@example.org")) == 1


def test_a_full_space_leaves_photos_out_and_says_why(app, alice):
    app.config["MEDIA_QUOTA"] = 1000
    payload = day_one_zip({"hill": photo_bytes(), "shell": photo_bytes(fmt="PNG")})
    page = upload(alice, "Day One.zip", payload).get_data(as_text=True)
    assert f"2 {WHAT}: no space left for it" in page
    assert "1 entries: has no text, and its photo could not be stored" in page
    assert media_of("alice@example.org") == []
    assert "Sunrise walk" in alice.get("/journal").get_data(as_text=True)  # the words came
    user = find_user_by_email("alice@example.org")
    kept = list(db.session.scalars(select(Entry).where(Entry.user_id == user.id)))
    assert [entry.body for entry in kept] == ["The light on the hill."]  # no empty entry
