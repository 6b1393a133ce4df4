"""A copy of the database alone (the SQLite file, a pg_dump) holds no recording or picture:
none of their magic bytes, nor a marker hidden in a PNG text chunk, finished or mid-upload."""

from __future__ import annotations

import io
import shutil
import subprocess
import uuid

import pytest
from PIL import Image, PngImagePlugin
from sqlalchemy.engine import make_url

from tests.conftest import IN_CI
from tests.media.helpers import PIECE, Uploader, photo_bytes, tone_encoded
from tests.media.test_pictures import camera_exif
from webapp.extensions import db

MAGIC = [b"OpusHead", b"ftyp", b"\x1a\x45\xdf\xa3", b"JFIF", b"Exif", b"\x89PNG", b"moov", b"mdat"]


def fill_with_media(alice, marker: str) -> None:
    device = Uploader(alice)
    device.upload(tone_encoded(3), body={"entry": {"title": "webm"}})
    device.upload(tone_encoded(2, "mp4", "libopus"), body={"entry": {"title": "mp4"}})
    drawing = Image.new("RGB", (300, 200), (255, 255, 255))
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", marker)
    png = io.BytesIO()
    drawing.save(png, "PNG", pnginfo=info)
    assert marker.encode() in png.getvalue()
    device.upload(png.getvalue(), kind="drawing", body={"entry": {"title": "drawn"}})
    device.upload(photo_bytes(exif=camera_exif()), kind="photo", body={"entry": {"title": "p"}})
    # And an upload still under way: its pieces wait in the database too.
    unfinished = tone_encoded(20)
    media_id = str(uuid.uuid4())
    device.start(unfinished, media_id=media_id)
    device.piece(media_id, 0, unfinished[: 2 * PIECE])


def forbidden(marker: str) -> list[bytes]:
    needles = [*MAGIC, marker.encode()]
    # pg_dump writes bytea as hexadecimal text: look for that spelling too.
    return needles + [needle.hex().encode() for needle in needles]


def test_the_sqlite_file_holds_no_media(app, alice, database_url):
    if make_url(database_url).get_backend_name() != "sqlite":
        pytest.skip("this run is on PostgreSQL: see the pg_dump test")
    marker = f"png-text-marker-{uuid.uuid4().hex}"
    fill_with_media(alice, marker)
    db.engine.dispose()
    data = open(make_url(database_url).database, "rb").read()  # noqa: SIM115
    assert b"alice@example.org" in data  # the right file, and written
    # Two memos, a drawing and a photo (each with a thumbnail), a piece of an upload.
    assert db.session.execute(db.text("SELECT count(*) FROM media_chunks")).scalar() >= 7
    found = [needle for needle in forbidden(marker) if needle in data]
    assert found == []


def test_a_pg_dump_holds_no_media(app, alice, database_url):
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        pytest.skip("this run is on SQLite: see the SQLite file test")
    if not shutil.which("pg_dump"):
        if IN_CI:
            pytest.fail("pg_dump is needed to check the PostgreSQL dump")
        pytest.skip("pg_dump is not installed")
    marker = f"png-text-marker-{uuid.uuid4().hex}"
    fill_with_media(alice, marker)
    dump = subprocess.run(
        ["pg_dump", "--data-only", url.set(drivername="postgresql").render_as_string(False)],
        capture_output=True, check=True,
    ).stdout
    assert b"alice@example.org" in dump and b"COPY public.media_chunks" in dump
    found = [needle for needle in forbidden(marker) if needle.lower() in dump.lower()]
    assert found == []
