"""The rendered first page of the timeline is reused only while nothing it shows changed."""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.conftest import PASSWORD
from webapp.auth.models import User
from webapp.extensions import db
from webapp.journal.cache import RenderedPages
from webapp.journal.models import Entry

TOKEN_IN_FORM = re.compile(r'name="csrf_token" value="([^"]+)"')


def test_any_change_to_an_entry_bumps_its_owners_content_version(alice):
    alice.submit("/entries", {"body": "one"})
    user = db.session.scalar(select(User))
    before = user.content_version
    entry = db.session.scalar(select(Entry))
    entry.body = "changed by a script, not a page"
    db.session.commit()
    db.session.refresh(user)
    assert user.content_version == before + 1
    assert "changed by a script" in alice.get("/journal").get_data(as_text=True)


def test_each_device_gets_its_own_csrf_token_in_the_cached_page(app, alice):
    alice.submit("/entries", {"body": "shared journal"})
    alice.get("/journal")
    other_device = app.test_client()
    other_device.submit("/login", {"email": "alice@example.org", "password": PASSWORD})
    page = other_device.get("/journal").get_data(as_text=True)
    entry = db.session.scalar(select(Entry))
    token = TOKEN_IN_FORM.findall(page)[-1]
    response = other_device.post(f"/entries/{entry.id}/delete", data={"csrf_token": token})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Entry, entry.id).deleted_at is not None


def test_a_timezone_change_renders_times_anew(alice):
    alice.submit("/entries", {"body": "when was this"})
    berlin = alice.get("/journal").get_data(as_text=True)
    user = db.session.scalar(select(User))
    user.timezone = "Pacific/Kiritimati"  # 14 hours ahead of UTC, 13 of Berlin in winter
    db.session.commit()
    kiritimati = alice.get("/journal").get_data(as_text=True)
    times = [re.search(r"<time[^>]*>([^<]+)</time>", page).group(1) for page in (berlin, kiritimati)]
    assert times[0] != times[1]


def test_the_cache_forgets_old_pages_and_keeps_its_size():
    pages = RenderedPages(max_items=2, ttl_seconds=60)
    pages.put(("a", 1), "A1")
    pages.put(("b", 1), "B1")
    assert pages.get(("a", 1)) == "A1"  # a is now the most recent
    pages.put(("c", 1), "C1")
    assert pages.get(("b", 1)) is None
    assert pages.get(("a", 1)) == "A1"
    pages.forget("a")
    assert pages.get(("a", 1)) is None
    expired = RenderedPages(ttl_seconds=-1)
    expired.put(("x",), "X")
    assert expired.get(("x",)) is None


def _kept_for(user_id) -> list:
    from webapp.journal.cache import timeline_pages

    return [key for key in list(timeline_pages._items) if key[0] == user_id]


def test_the_kept_page_goes_when_the_device_locks_or_signs_out(alice):
    alice.submit("/entries", {"body": "Something private."})
    alice.submit("/account/lock", {"pin": "2468", "lock_after": "5", "lock_password": PASSWORD})
    alice.get("/journal")
    alice.get("/journal")
    user_id = db.session.scalar(select(User.id))
    assert len(_kept_for(user_id)) == 1
    assert alice.submit("/lock").status_code == 302
    assert _kept_for(user_id) == []
    assert alice.submit("/unlock", {"pin": "2468"}).status_code == 302
    alice.get("/journal")
    assert len(_kept_for(user_id)) == 1
    alice.submit("/logout")
    assert _kept_for(user_id) == []
