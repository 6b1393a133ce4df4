"""Writing, reading, editing, deleting with undo and searching, with and without htmx."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.journal.models import BODY_MAX, Entry


def entries() -> list[Entry]:
    db.session.expire_all()
    return list(db.session.scalars(select(Entry).order_by(Entry.created_at)))


def write(client, body="Soft rain on the window.", **fields):
    return client.submit("/entries", {"body": body, **fields}, htmx=True)


def test_timeline_asks_anonymous_visitors_to_sign_in(client):
    response = client.get("/journal")
    assert response.status_code == 302
    assert response.location.startswith("/login")


def test_an_empty_journal_invites_a_first_entry(alice):
    page = alice.get("/journal").get_data(as_text=True)
    assert "Your journal is waiting" in page
    assert 'name="csrf-token"' in page
    assert '"historyCacheSize":0' in page and '"allowEval":false' in page


def test_writing_with_htmx_returns_the_new_entry_fragment(alice):
    response = write(alice, "I met a younger me.", title="Tuesday", mood="4")
    html = response.get_data(as_text=True)
    assert response.status_code == 201
    assert html.lstrip().startswith('<li class="entry"')
    assert "<html" not in html
    assert "I met a younger me." in html and "Tuesday" in html and "Light" in html
    (entry,) = entries()
    assert (entry.body, entry.title, entry.mood, entry.version) == (
        "I met a younger me.",
        "Tuesday",
        4,
        1,
    )


def test_writing_without_javascript_redirects_to_the_timeline(alice):
    response = alice.submit("/entries", {"body": "plain form", "mood": ""})
    assert response.status_code == 302
    page = alice.get("/journal").get_data(as_text=True)
    assert "plain form" in page and "Saved." in page


def test_text_is_escaped_never_run(alice):
    write(alice, "<script>alert(1)</script>")
    page = alice.get("/journal").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_an_oversized_entry_is_refused_clearly_and_the_text_is_kept(alice):
    body = "breathe " * (BODY_MAX // 8 + 1)
    response = write(alice, body)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert response.headers["HX-Retarget"] == "#entry-form-new"
    assert "up to 50,000 characters" in html
    assert body.strip() in html  # what they wrote is still in the form
    assert entries() == []


def test_a_bad_mood_is_refused_next_to_the_field(alice):
    response = alice.submit("/entries", {"body": "ok", "mood": "9"})
    assert response.status_code == 422
    assert "Mood is a number from 1 to 5" in response.get_data(as_text=True)
    assert entries() == []


def test_a_request_body_over_the_limit_gets_413_and_nothing_is_written(alice):
    response = write(alice, "x" * (2 * 1024 * 1024))
    assert response.status_code == 413
    assert "more than Tend can take at once" in response.get_data(as_text=True)
    assert response.headers["HX-Retarget"] == "#messages"
    assert entries() == []


def test_inline_edit_round_trip(alice):
    write(alice, "first draft")
    (entry,) = entries()
    form = alice.get(f"/entries/{entry.id}/edit", headers={"HX-Request": "true"})
    assert form.status_code == 200
    assert 'class="entry editing"' in form.get_data(as_text=True)
    assert "first draft</textarea>" in form.get_data(as_text=True)

    saved = alice.submit(f"/entries/{entry.id}", {"body": "second draft", "mood": "3"}, htmx=True)
    assert saved.status_code == 200
    assert "second draft" in saved.get_data(as_text=True)
    (entry,) = entries()
    assert (entry.body, entry.mood, entry.version) == ("second draft", 3, 2)

    cancel = alice.get(f"/entries/{entry.id}", headers={"HX-Request": "true"})
    assert cancel.get_data(as_text=True).lstrip().startswith('<li class="entry"')


def test_edit_page_works_without_javascript(alice):
    write(alice, "before")
    (entry,) = entries()
    page = alice.get(f"/entries/{entry.id}/edit")
    assert "<html" in page.get_data(as_text=True)
    response = alice.submit(f"/entries/{entry.id}", {"body": "after"})
    assert response.status_code == 302
    assert entries()[0].body == "after"


def test_a_failed_edit_keeps_the_new_text_and_the_old_entry(alice):
    write(alice, "kept safe")
    (entry,) = entries()
    response = alice.submit(f"/entries/{entry.id}", {"body": "new", "mood": "11"}, htmx=True)
    assert response.status_code == 422
    assert ">new</textarea>" in response.get_data(as_text=True)
    assert entries()[0].body == "kept safe"


def test_delete_then_undo(alice):
    write(alice, "maybe too raw")
    (entry,) = entries()
    deleted = alice.submit(f"/entries/{entry.id}/delete", htmx=True)
    assert deleted.status_code == 200
    assert "Undo" in deleted.get_data(as_text=True)
    assert entries()[0].deleted_at is not None
    assert "maybe too raw" not in alice.get("/journal").get_data(as_text=True)

    restored = alice.submit(f"/entries/{entry.id}/restore", htmx=True)
    assert "maybe too raw" in restored.get_data(as_text=True)
    (entry,) = entries()
    assert entry.deleted_at is None and entry.version == 3
    assert "maybe too raw" in alice.get("/journal").get_data(as_text=True)


def test_delete_and_undo_without_javascript(alice):
    write(alice, "plain delete")
    (entry,) = entries()
    alice.submit(f"/entries/{entry.id}/delete")
    page = alice.get("/journal").get_data(as_text=True)
    assert "Entry deleted." in page
    assert f"/entries/{entry.id}/restore" in page
    alice.submit(f"/entries/{entry.id}/restore")
    assert "plain delete" in alice.get("/journal").get_data(as_text=True)


def test_load_more_returns_the_next_page_as_a_fragment(app, alice):
    app.config["ENTRIES_PER_PAGE"] = 2
    for n in range(5):
        write(alice, f"note {n}")
    first = alice.get("/journal").get_data(as_text=True)
    assert "note 4" in first and "note 3" in first and "note 2" not in first
    more_url = first.split('class="load-more"')[1].split('href="')[1].split('"')[0]
    more_url = more_url.replace("&amp;", "&")
    second = alice.get(more_url, headers={"HX-Request": "true", "HX-Target": "entries"})
    html = second.get_data(as_text=True)
    assert "<html" not in html
    assert "note 2" in html and "note 1" in html and "note 4" not in html
    assert 'class="load-more"' in html
    # Without JavaScript the same link is a whole page of older entries.
    assert "<html" in alice.get(more_url).get_data(as_text=True)


def test_live_search_answers_the_timeline_fragment(alice):
    write(alice, "a heron by the river")
    write(alice, "grief came in waves")
    response = alice.get(
        "/journal?q=heron", headers={"HX-Request": "true", "HX-Target": "timeline"}
    )
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="timeline"')
    assert "heron" in html and "grief" not in html
    assert "HX-Request" in response.headers["Vary"]
    nothing = alice.get("/journal?q=zebra", headers={"HX-Request": "true", "HX-Target": "timeline"})
    assert "Nothing with “zebra” yet." in nothing.get_data(as_text=True)
    full = alice.get("/journal?q=grief").get_data(as_text=True)
    assert "<html" in full and "grief came" in full and "heron" not in full


def test_another_persons_entry_is_a_404_for_every_action(alice, bob):
    write(alice, "alice's secret")
    (entry,) = entries()
    for method, url in [
        ("get", f"/entries/{entry.id}"),
        ("get", f"/entries/{entry.id}/edit"),
        ("post", f"/entries/{entry.id}"),
        ("post", f"/entries/{entry.id}/delete"),
        ("post", f"/entries/{entry.id}/restore"),
    ]:
        response = bob.get(url) if method == "get" else bob.submit(url, {"body": "bob was here"})
        assert response.status_code == 404, url
        assert "alice's secret" not in response.get_data(as_text=True)
    assert "alice's secret" not in bob.get("/journal?q=secret").get_data(as_text=True)
    (entry,) = entries()
    assert (entry.body, entry.version, entry.deleted_at) == ("alice's secret", 1, None)


# A fixed unknown id, so that every pytest-xdist worker collects the same tests.
@pytest.mark.parametrize("url", ["/entries/not-a-uuid",
                                 "/entries/32a00b5d-907c-4d71-aae2-b0944e9d943a"])
def test_unknown_ids_get_a_friendly_404(alice, url):
    response = alice.get(url)
    assert response.status_code == 404
    assert "We couldn’t find that" in response.get_data(as_text=True)


def test_404_for_htmx_is_a_fragment_for_the_message_area(alice):
    response = alice.get(f"/entries/{uuid.uuid4()}/edit", headers={"HX-Request": "true"})
    assert response.status_code == 404
    assert response.headers["HX-Retarget"] == "#messages"
    assert "<html" not in response.get_data(as_text=True)


def test_pages_with_journal_text_are_never_cached(alice):
    write(alice, "tender")
    response = alice.get("/journal")
    assert response.headers["Cache-Control"] == "no-store"
    assert "HX-Request" in response.headers["Vary"]


def test_count_stays_exact_after_many_writes(alice):
    for n in range(3):
        write(alice, f"n{n}")
    assert db.session.scalar(select(func.count()).select_from(Entry)) == 3
