"""Photos and drawings keep their pixels and nothing else: no place, no camera, no hidden
text; upright, at most 2048 px, with a thumbnail. HEIC from iPhones is read too."""

from __future__ import annotations

import io
import uuid

import pytest
from PIL import Image, PngImagePlugin
from sqlalchemy import select

from tests.media.helpers import Uploader, photo_bytes, sha
from webapp.extensions import db
from webapp.journal.models import Entry
from webapp.media.models import Media

GPS_IFD = 0x8825
EXIF_IFD = 0x8769


def camera_exif(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "Phone Maker"
    exif[0x0110] = "Phone 15"
    exif[0x0131] = "Camera app 17.2"
    exif[GPS_IFD] = {1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 0.0)}
    exif[EXIF_IFD] = {0xA431: "SERIAL-4711", 0x9286: b"ASCII\0\0\0private comment"}
    return exif


@pytest.fixture
def entry(alice):
    alice.submit("/entries", {"body": "The garden after."})
    return db.session.scalar(select(Entry))


def stored(client, media_id, thumb: bool = False) -> Image.Image:
    response = client.get(f"/media/{media_id}" + ("/thumbnail" if thumb else ""))
    assert response.status_code == 200
    return Image.open(io.BytesIO(response.data)), response


def test_a_photo_with_gps_loses_every_bit_of_metadata_and_stands_upright(alice, entry):
    original = photo_bytes((3000, 1000), exif=camera_exif(orientation=6), quality=95)
    opened = Image.open(io.BytesIO(original))
    assert opened.getexif().get_ifd(GPS_IFD)  # the photo really carries a place
    answer = Uploader(alice).upload(original, kind="photo", body={"entry_id": str(entry.id)})
    image, response = stored(alice, answer["id"])
    assert response.headers["Content-Type"] == "image/jpeg"
    assert image.format == "JPEG"
    # Orientation 6 means "turn 90° clockwise": the wide photo is now tall, and smaller.
    assert image.size == (683, 2048)
    exif = image.getexif()
    assert len(exif) == 0 and not exif.get_ifd(GPS_IFD)
    assert not {"exif", "xmp", "icc_profile", "comment"} & set(image.info)
    for secret in (b"SERIAL-4711", b"Phone 15", b"Phone Maker", b"private comment", b"Exif"):
        assert secret not in response.data
    thumb, _ = stored(alice, answer["id"], thumb=True)
    assert max(thumb.size) == 480 and not thumb.getexif()
    media = db.session.get(Media, uuid.UUID(answer["id"]))
    assert (media.width, media.height, media.original_sha256) == (683, 2048, sha(original))


def test_a_heic_photo_from_an_iphone_is_read(alice, entry):
    image = Image.new("RGB", (640, 480), (30, 90, 200))
    buffer = io.BytesIO()
    image.save(buffer, format="HEIF", quality=80)
    answer = Uploader(alice).upload(buffer.getvalue(), kind="photo",
                                    body={"entry_id": str(entry.id)})
    result, response = stored(alice, answer["id"])
    assert result.format == "JPEG" and result.size == (640, 480)
    assert response.data[:3] == b"\xff\xd8\xff"


def test_a_drawing_stays_a_png_without_its_text_chunks(alice):
    drawing = Image.new("RGBA", (800, 600), (255, 255, 255, 255))
    drawing.paste((200, 40, 90, 255), (100, 100, 300, 200))
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "hidden-note-in-a-png-chunk")
    buffer = io.BytesIO()
    drawing.save(buffer, "PNG", pnginfo=info)
    answer = Uploader(alice).upload(buffer.getvalue(), kind="drawing",
                                    body={"entry": {"title": "A shape I saw"}})
    image, response = stored(alice, answer["id"])
    assert response.headers["Content-Type"] == "image/png" and image.size == (800, 600)
    assert b"hidden-note-in-a-png-chunk" not in response.data
    assert image.getpixel((150, 150))[:3] == (200, 40, 90)
    entry = db.session.get(Entry, uuid.UUID(answer["entry_id"]))
    assert entry.title == "A shape I saw" and entry.body == ""


def test_the_photo_form_works_without_javascript(alice, entry):
    original = photo_bytes(exif=camera_exif())
    response = alice.submit(f"/entries/{entry.id}/photos",
                            {"photo": (io.BytesIO(original), "IMG_0001.JPG")},
                            content_type="multipart/form-data")
    assert response.status_code == 303
    page = alice.get(response.location).get_data(as_text=True)
    assert "The photo is in your journal." in page
    media = db.session.scalar(select(Media))
    assert f"/media/{media.id}/thumbnail" in page
    assert b"Phone 15" not in alice.get(f"/media/{media.id}").data


@pytest.mark.parametrize("payload", [b"not a picture at all" * 10, b"\x89PNG\r\n\x1a\n" + b"0" * 99])
def test_what_is_not_a_picture_is_refused_by_its_content(alice, entry, payload):
    response = alice.submit(f"/entries/{entry.id}/photos",
                            {"photo": (io.BytesIO(payload), "photo.jpg")},
                            content_type="multipart/form-data")
    assert response.status_code == 303
    assert "does not look like a picture" in alice.get(response.location).get_data(as_text=True)
    assert db.session.scalar(select(Media)) is None


def test_pictures_can_be_chosen_for_the_brief_and_removed(alice, entry):
    answer = Uploader(alice).upload(photo_bytes(), kind="photo", body={"entry_id": str(entry.id)})
    alice.submit(f"/media/{answer['id']}/brief", {"shown": "1"})
    assert db.session.get(Media, uuid.UUID(answer["id"])).in_brief is True
    alice.submit(f"/media/{answer['id']}/delete")
    db.session.expire_all()
    assert db.session.scalar(select(Media)) is None
    assert alice.get(f"/media/{answer['id']}").status_code == 404


def test_settings_show_the_space_used_and_what_uses_it(app, alice, entry):
    Uploader(alice).upload(photo_bytes(), kind="photo", body={"entry_id": str(entry.id)})
    page = alice.get("/settings").get_data(as_text=True)
    assert "Space for memos and pictures" in page and "Photos: 1" in page
    assert "of 2000 MB used" in page
    listing = alice.get("/media").get_data(as_text=True)
    assert "Photo" in listing and "The garden after." in listing
    app.config["MEDIA_QUOTA"] = db.session.scalar(select(Media)).stored_bytes + 1
    assert "nearly full" in alice.get("/settings").get_data(as_text=True)
