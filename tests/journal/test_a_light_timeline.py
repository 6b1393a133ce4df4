"""The timeline stays light to send and to render: plain signed-in reads write no cookie,
one delete form serves every entry on the page, and each page loads only its own scripts."""

from __future__ import annotations

import re

from webapp.auth.models import User
from webapp.extensions import db


def _write(alice, count: int) -> None:
    for n in range(count):
        assert alice.submit("/entries", {"title": f"Day {n}", "body": f"Words of day {n}."}
                            ).status_code == 302
    alice.get("/journal")  # the confirmation shown once


def test_reading_pages_while_signed_in_sets_no_cookie(alice):
    _write(alice, 2)
    for path in ("/journal", "/", "/practices", "/insights", "/journal?q=Day"):
        response = alice.get(path)
        assert response.status_code == 200, path
        assert "Set-Cookie" not in response.headers, path


def test_the_person_is_known_from_one_lookup_and_still_saved_normally(alice, app):
    """The person read for a request is an ordinary saved account: a change to them sticks."""
    alice.submit("/account/theme", {"theme": "dark"})
    assert 'data-theme="dark"' in alice.get("/journal").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(User.theme)) == "dark"


def test_every_entry_deletes_through_the_one_form_on_the_page(alice):
    _write(alice, 3)
    page = alice.get("/journal").get_data(as_text=True)
    assert page.count('<form id="entry-delete"') == 1
    assert page.count('name="csrf_token"') == 2  # the writing form and the delete form
    buttons = re.findall(r'form="entry-delete" formaction="(/entries/[0-9a-f-]+/delete)"', page)
    assert len(buttons) == 3
    # What a browser without JavaScript sends for the first entry's button.
    token = re.search(r'<form id="entry-delete"[^>]*><input type="hidden" name="csrf_token" '
                      r'value="([^"]+)"', page).group(1)
    response = alice.post(buttons[0], data={"csrf_token": token})
    assert response.status_code == 302
    page = alice.get("/journal").get_data(as_text=True)
    assert "Day 2" not in page and "Day 1" in page


def test_an_entry_shown_alone_has_its_delete_form_too(alice):
    _write(alice, 1)
    entry_url = re.search(r'href="(/entries/[0-9a-f-]+)/edit"',
                          alice.get("/journal").get_data(as_text=True)).group(1)
    page = alice.get(entry_url).get_data(as_text=True)
    assert page.count('<form id="entry-delete"') == 1
    assert f'formaction="{entry_url}/delete"' in page


def test_page_scripts_load_only_where_they_are_used(alice):
    assert "js/integration.js" not in alice.get("/journal").get_data(as_text=True)
    assert "js/integration.js" in alice.get("/").get_data(as_text=True)  # Today's prompt
    assert "js/integration.js" in alice.get("/settings").get_data(as_text=True)
