"""Media is served only to its owner, in byte ranges as Safari asks for them, and its stored
chunks cannot be swapped or cut short without it showing."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import delete, select, update

from tests.media.helpers import Uploader, tone_encoded
from webapp.crypto import DecryptionError
from webapp.extensions import db
from webapp.media import storage
from webapp.media.models import Media, MediaChunk


@pytest.fixture
def memo(alice):
    answer = Uploader(alice).upload(tone_encoded(45), body={"entry": {"note": "A long one."}})
    whole = alice.get(answer["url"]).data
    assert len(whole) > storage.CHUNK_SIZE  # several chunks
    return answer["url"], whole


@pytest.mark.parametrize(
    "header, status, span",
    [
        ("bytes=0-1", 206, (0, 1)),
        ("bytes=100-", 206, (100, None)),
        ("bytes=-500", 206, (-500, None)),
        ("bytes=262140-262150", 206, (262140, 262150)),  # across two chunks
        ("bytes=0-99999999", 206, (0, None)),  # an end past the file is the end of the file
    ],
)
def test_byte_ranges_answer_206_with_exactly_those_bytes(alice, memo, header, status, span):
    url, whole = memo
    response = alice.get(url, headers={"Range": header})
    assert response.status_code == status
    start, end = span
    if start < 0:
        expected, first = whole[start:], len(whole) + start
    else:
        expected, first = whole[start : None if end is None else end + 1], start
    assert response.data == expected
    assert response.headers["Content-Range"] == (
        f"bytes {first}-{first + len(expected) - 1}/{len(whole)}"
    )
    assert int(response.headers["Content-Length"]) == len(expected)
    assert response.headers["Accept-Ranges"] == "bytes"
    assert response.headers["Content-Type"] == "audio/mp4"
    assert response.headers["Cache-Control"] == "no-store"


def test_a_range_beyond_the_end_is_416_with_the_real_length(alice, memo):
    url, whole = memo
    response = alice.get(url, headers={"Range": f"bytes={len(whole)}-"})
    assert response.status_code == 416
    assert response.headers["Content-Range"] == f"bytes */{len(whole)}"
    assert response.data == b""


def test_a_range_that_cannot_be_read_gets_the_whole_file(alice, memo):
    url, whole = memo
    response = alice.get(url, headers={"Range": "pages=1-2"})
    assert response.status_code == 200 and response.data == whole


def test_other_peoples_media_is_404_like_a_missing_one(alice, bob, memo):
    url, _ = memo
    assert bob.get(url).status_code == 404
    assert bob.get(url, headers={"Range": "bytes=0-1"}).status_code == 404
    assert bob.get(f"/media/{uuid.uuid4()}").status_code == 404
    assert bob.get(f"/api/media/{url.rsplit('/', 1)[1]}").status_code == 404


def test_swapped_or_missing_chunks_fail_instead_of_playing_something_else(alice, memo):
    url, _ = memo
    media = db.session.scalar(select(Media))
    first, second = db.session.execute(
        select(MediaChunk.position, MediaChunk.data).where(MediaChunk.media_id == media.id)
        .order_by(MediaChunk.position).limit(2)
    ).all()
    db.session.execute(update(MediaChunk).where(
        MediaChunk.media_id == media.id, MediaChunk.position == first.position
    ).values(data=second.data))
    db.session.commit()
    with pytest.raises(DecryptionError):
        storage.file_reader(media).read(10)


def test_a_file_cut_short_fails_at_its_new_end(alice, memo):
    media = db.session.scalar(select(Media))
    last = media.chunk_count - 1
    db.session.execute(delete(MediaChunk).where(
        MediaChunk.media_id == media.id, MediaChunk.position == last))
    db.session.commit()
    media.chunk_count -= 1  # as if someone also changed the count to match
    media.size -= 1  # and the size
    reader = storage.file_reader(media)
    reader.seek(media.size - 10)
    with pytest.raises(DecryptionError):
        reader.read(10)


def test_chunks_moved_to_another_persons_media_do_not_decrypt(alice, bob, memo):
    bobs = Uploader(bob).upload(tone_encoded(2), body={"entry": {"note": "bob"}})
    alices = db.session.scalar(select(Media).where(Media.id != uuid.UUID(bobs["id"])))
    chunk = db.session.scalar(select(MediaChunk.data).where(
        MediaChunk.media_id == alices.id, MediaChunk.position == 0))
    db.session.execute(update(MediaChunk).where(
        MediaChunk.media_id == uuid.UUID(bobs["id"]), MediaChunk.position == 0
    ).values(data=chunk))
    db.session.commit()
    with pytest.raises(DecryptionError):
        storage.file_reader(db.session.get(Media, uuid.UUID(bobs["id"]))).read(10)


def test_a_writer_patches_what_it_keeps_and_refuses_to_rewrite_what_it_stored(alice, memo):
    media = db.session.scalar(select(Media))
    writer = storage.ChunkWriter(media, "thumb", storage.data_key(media), chunk_size=4, keep=1)
    writer.write(b"aaaabbbbccccdddd")  # chunks: first (kept), 1 stored, 2 and 3 in the buffer
    writer.seek(9)
    writer.write(b"X")  # inside the kept window: fine
    writer.seek(1)
    writer.write(b"Y")  # the first chunk: fine
    writer.seek(5)
    with pytest.raises(OSError):
        writer.write(b"Z")  # already sealed and stored
    writer.seek(16)
    writer.write(b"ee")
    writer.close()
    media.thumb_size, media.thumb_chunk_count = writer.size, writer.count
    assert storage.file_reader(media, thumb=True).read() == b"aYaabbbbcXccddddee"
