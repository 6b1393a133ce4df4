"""Sharing entries shares their voice memos, photos and drawings too: a sealed copy taken
when the link is made, shown only to the browser that opened the link, and gone when the
link ends."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.media.helpers import Uploader, photo_bytes, tone_encoded
from tests.shares.story import make_link, open_link, split
from webapp.extensions import db
from webapp.media import storage
from webapp.media.library import add_picture, remove_media
from webapp.media.models import Media
from webapp.shares import links, opening, shared_media, snapshots
from webapp.shares.models import Share, SharedMedia, SharedMediaChunk, ShareViewing
from webapp.types import utcnow

T0 = utcnow().replace(microsecond=0)


@pytest.fixture
def pictures(owner, arc) -> dict[str, Media]:
    """A photo and a drawing on the heron entry; the river entry holds none."""
    heron = arc.entries["heron"]
    return {
        "photo": add_picture(owner, heron, photo_bytes()),
        "drawing": add_picture(owner, heron, photo_bytes((300, 200), "PNG"), drawing=True),
    }


def file_of(media: Media) -> bytes:
    return storage.file_reader(media).readall()


def options(**changes) -> links.LinkOptions:
    values = {"sharer_name": "Sam", "expires_days": 7, "once": False, "passphrase": None}
    return links.LinkOptions(**(values | changes))


def share(owner, arc, *names, with_media=True, now=T0, **changes) -> links.MadeShare:
    choice = snapshots.make_choice(owner, "entries", None, [arc.entries[n].id for n in names])
    snapshot = snapshots.snapshot_of(owner, choice, with_media=with_media)
    return links.create_share(owner, snapshot, options(**changes), now=now)


def copies() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(SharedMediaChunk))


def served_bytes(served: shared_media.Served) -> bytes:
    return b"".join(served.body)


# --- Services ------------------------------------------------------------------------------------


def test_a_share_carries_a_sealed_copy_that_outlives_the_original(owner, arc, pictures):
    originals = {kind: file_of(media) for kind, media in pictures.items()}
    made = share(owner, arc, "heron", "river")
    assert copies() >= 2
    for blob in db.session.scalars(select(SharedMediaChunk.data)):
        for magic in (b"JFIF", b"\x89PNG", b"Exif"):
            assert magic not in blob  # sealed, not stored as it was

    for media in pictures.values():
        remove_media(media)  # the person deletes the originals after sharing
    opened = opening.open_share(made.share.id, made.secret, now=T0 + timedelta(minutes=1))
    records = opened.snapshot["entries"][0]["media"]
    assert [r["kind"] for r in records] == ["photo", "drawing"]
    assert opened.snapshot["entries"][1]["media"] == []  # the river holds none
    assert opened.viewing
    for record, kind in zip(records, ["photo", "drawing"], strict=True):
        served = shared_media.serve(made.share, record["item"], opened.viewing, None,
                                    now=T0 + timedelta(minutes=2))
        assert served.status == 200 and served.content_type == pictures_type(kind)
        assert served_bytes(served) == originals[kind]


def pictures_type(kind: str) -> str:
    return "image/jpeg" if kind == "photo" else "image/png"


def test_byte_ranges_are_served_and_a_range_past_the_end_is_refused(owner, arc, pictures):
    whole = file_of(pictures["photo"])
    made = share(owner, arc, "heron")
    viewing = opening.open_share(made.share.id, made.secret, now=T0).viewing
    part = shared_media.serve(made.share, 0, viewing, "bytes=100-299", now=T0)
    assert part.status == 206 and served_bytes(part) == whole[100:300]
    assert part.headers["Content-Range"] == f"bytes 100-299/{len(whole)}"
    tail = shared_media.serve(made.share, 0, viewing, "bytes=-50", now=T0)
    assert served_bytes(tail) == whole[-50:]
    past = shared_media.serve(made.share, 0, viewing, f"bytes={len(whole) + 10}-", now=T0)
    assert past.status == 416 and past.headers["Content-Range"] == f"bytes */{len(whole)}"


def test_unticked_media_stay_at_home(owner, arc, pictures):
    made = share(owner, arc, "heron", with_media=False)
    assert copies() == 0
    opened = opening.open_share(made.share.id, made.secret, now=T0)
    assert opened.snapshot["entries"][0]["media"] == [] and opened.viewing is None


def test_without_the_viewing_or_with_someone_elses_nothing_loads(owner, arc, pictures):
    made = share(owner, arc, "heron")
    other = share(owner, arc, "heron")
    other_viewing = opening.open_share(other.share.id, other.secret, now=T0).viewing
    for token in ("", "x" * 43, other_viewing, "ü" * 10):
        with pytest.raises(shared_media.NotThere):
            shared_media.serve(made.share, 0, token, None, now=T0)
    viewing = opening.open_share(made.share.id, made.secret, now=T0).viewing
    with pytest.raises(shared_media.NotThere):
        shared_media.serve(made.share, 7, viewing, None, now=T0)  # no such item
    with pytest.raises(shared_media.NotThere):  # a viewing lasts an hour
        shared_media.serve(made.share, 0, viewing, None, now=T0 + timedelta(minutes=61))


def test_revoking_deletes_the_copies_and_every_viewing_at_once(owner, arc, pictures):
    made = share(owner, arc, "heron")
    viewing = opening.open_share(made.share.id, made.secret, now=T0).viewing
    assert links.revoke_share(owner, made.share.id, now=T0 + timedelta(minutes=1))
    assert copies() == 0
    assert db.session.scalar(select(func.count()).select_from(ShareViewing)) == 0
    with pytest.raises(shared_media.Gone):
        shared_media.serve(db.session.get(Share, made.share.id), 0, viewing, None, now=T0)


def test_expiry_deletes_the_copies(owner, arc, pictures):
    made = share(owner, arc, "heron", expires_days=1)
    opening.open_share(made.share.id, made.secret, now=T0)
    links.prune(T0 + timedelta(days=1, minutes=1))
    assert copies() == 0
    assert db.session.scalar(select(func.count()).select_from(SharedMedia)) == 0


def test_open_once_means_one_page_whose_pictures_play_for_an_hour_then_go(owner, arc, pictures):
    made = share(owner, arc, "heron", once=True)
    viewing = opening.open_share(made.share.id, made.secret, now=T0).viewing
    with pytest.raises(opening.ShareGone):  # the page itself opens once
        opening.open_share(made.share.id, made.secret, now=T0 + timedelta(seconds=5))
    ended = db.session.get(Share, made.share.id)
    assert ended.ciphertext is None  # the text is deleted at once
    served = shared_media.serve(ended, 1, viewing, None, now=T0 + timedelta(minutes=30))
    assert served.status == 200 and served_bytes(served)  # the one viewing still plays
    links.prune(T0 + timedelta(minutes=30))
    assert copies() > 0  # not while it is being viewed
    with pytest.raises(shared_media.Gone):
        shared_media.serve(ended, 1, viewing, None, now=T0 + timedelta(minutes=61))
    assert copies() == 0  # deleted when its viewing ended


def test_erasing_the_account_removes_the_shared_copies(alice, owner, arc, pictures):
    made = share(owner, arc, "heron")
    opening.open_share(made.share.id, made.secret, now=T0)
    response = alice.submit("/account/delete", {"password": "a quiet lake at dawn",
                                                 "confirmation": "delete my journal"})
    assert response.status_code == 302
    assert copies() == 0
    assert db.session.scalar(select(func.count()).select_from(ShareViewing)) == 0


def test_too_much_media_is_refused_clearly_and_nothing_is_stored(app, owner, arc, pictures):
    app.config["SHARE_MEDIA_MAX"] = pictures["photo"].size  # less than photo and drawing
    with pytest.raises(links.ValidationError) as refused:
        share(owner, arc, "heron")
    assert "more than a link can carry" in refused.value.errors["media"]
    assert "untick" in refused.value.errors["media"]
    assert db.session.scalar(select(func.count()).select_from(Share)) == 0
    made = share(owner, arc, "heron", with_media=False)  # the words alone still go
    assert made.share.id


# --- Pages ---------------------------------------------------------------------------------------


def text(response) -> str:
    return response.get_data(as_text=True)


def test_the_form_offers_media_ticked_and_the_page_shows_pictures_and_players(
    app, alice, owner, arc, pictures
):
    memo = Uploader(alice).upload(tone_encoded(1.5), "memo",
                                  {"entry_id": str(arc.entries["heron"].id)})
    form = alice.get(f"/shares/new/link?kind=entries&entry={arc.entries['heron'].id}")
    body = text(form)
    assert 'name="media" value="1" checked' in body
    assert "Include voice memos, photos and drawings" in body and "3 items" in body

    link = make_link(alice, kind="entries", entry=arc.ids("heron"), media="1")
    path, _secret = split(link)
    reader = app.test_client()
    page = open_link(reader, link)
    assert page.status_code == 200
    csp = page.headers["Content-Security-Policy"]
    assert "media-src 'self'" in csp and "unsafe" not in csp and "script-src 'self'" in csp
    cookie = page.headers["Set-Cookie"]
    assert f"Path={path}/media/" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    html = text(page)
    assert f'src="{path}/media/0"' in html and f'src="{path}/media/1"' in html
    assert 'alt="Photo 1 of 2 with the entry “The heron”' in html
    assert 'alt="Drawing 2 of 2 with the entry “The heron”' in html
    assert f'<audio controls preload="metadata" src="{path}/media/2">' in html
    assert "<script>" not in html  # nothing inline

    photo = reader.get(f"{path}/media/0")
    assert photo.status_code == 200 and photo.data == file_of(pictures["photo"])
    assert photo.headers["Cache-Control"] == "no-store"
    assert photo.headers["X-Robots-Tag"] == "noindex, nofollow, noarchive"
    sound = reader.get(f"{path}/media/2", headers={"Range": "bytes=0-1"})
    assert sound.status_code == 206 and sound.headers["Content-Type"] == "audio/mp4"
    assert sound.headers["Content-Range"].endswith(f"/{memo_size(memo)}")

    listed = text(alice.get("/shares"))
    assert "carries 1 voice memo and 2 pictures" in listed

    stranger = app.test_client()  # has the address of a picture, not the opened page
    assert stranger.get(f"{path}/media/0").status_code == 404
    assert stranger.get(f"/s/{uuid.uuid4()}/media/0").status_code == 404
    assert stranger.get("/s/not-a-share/media/0").status_code == 404


def memo_size(done: dict) -> int:
    return db.session.get(Media, uuid.UUID(done["url"].rsplit("/", 1)[1])).size


def test_unticking_shares_the_words_alone_and_sets_no_cookie(app, alice, arc, pictures):
    link = make_link(alice, kind="entries", entry=arc.ids("heron"))  # the box left unticked
    page = open_link(app.test_client(), link)
    assert page.status_code == 200 and "I wrote about the heron." in text(page)
    assert "<img" not in text(page) and "Set-Cookie" not in page.headers
    assert copies() == 0
    assert "carries" not in text(alice.get("/shares"))


def test_a_passphrase_guards_the_pictures_too(app, alice, arc, pictures):
    link = make_link(alice, kind="entries", entry=arc.ids("heron"), media="1",
                     passphrase="the blue heron")
    path, _secret = split(link)
    reader = app.test_client()
    door = open_link(reader, link)
    assert door.status_code == 200 and "Set-Cookie" not in door.headers
    assert reader.get(f"{path}/media/0").status_code == 404
    assert open_link(reader, link, passphrase="wrong words").status_code == 403
    assert reader.get(f"{path}/media/0").status_code == 404
    assert open_link(reader, link, passphrase="the blue heron").status_code == 200
    assert reader.get(f"{path}/media/0").status_code == 200


def test_a_revoked_links_pictures_are_gone(app, alice, arc, pictures):
    link = make_link(alice, kind="entries", entry=arc.ids("heron"), media="1")
    path, _secret = split(link)
    reader = app.test_client()
    assert open_link(reader, link).status_code == 200
    assert reader.get(f"{path}/media/1").status_code == 200
    alice.submit(f"/shares/{path.rsplit('/', 1)[1]}/revoke")
    gone = reader.get(f"{path}/media/1")
    assert gone.status_code == 410 and gone.headers["Cache-Control"] == "no-store"


def test_a_brief_carries_its_chosen_entries_pictures(app, alice, arc, pictures):
    link = make_link(alice, kind="brief", journey=str(arc.journey.id),
                     entry=arc.ids("heron", "lantern"), media="1")
    reader = app.test_client()
    page = text(open_link(reader, link))
    assert "Integration brief" in page and 'alt="Photo 1 of 2' in page
    path, _secret = split(link)
    assert reader.get(f"{path}/media/1").data == file_of(pictures["drawing"])


def test_too_much_media_gets_a_clear_note_on_the_form_and_nothing_is_made(
    app, alice, arc, pictures
):
    app.config["SHARE_MEDIA_MAX"] = 1000
    form = text(alice.get(f"/shares/new/link?kind=entries&entry={arc.entries['heron'].id}"))
    assert 'name="media" value="1" checked' not in form  # left out unless chosen
    assert "These are more than that" in form
    response = alice.submit("/shares/new/link", {
        "kind": "entries", "entry": arc.ids("heron"), "sharer_name": "Sam",
        "expires_days": "7", "media": "1"})
    assert response.status_code == 413
    body = text(response)
    assert "No link was made yet" in body and "more than a link can carry (0.0 MB)" in body
    assert 'id="media-error"' in body
    assert db.session.scalar(select(func.count()).select_from(Share)) == 0
