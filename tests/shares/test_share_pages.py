"""Sharing through the pages: choosing, making a link, handing it over, and what whoever
holds the link sees (or is refused), with no account and no cookie."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from tests.shares.story import make_link, open_link, split
from webapp.extensions import db
from webapp.shares import links, opening
from webapp.shares.models import Share
from webapp.types import utcnow


def text(response) -> str:
    return response.get_data(as_text=True)


def recipient(app):
    """A browser that has never seen Tend: no account, no cookie."""
    return app.test_client()


# --- What the recipient sees: exactly what was chosen -------------------------------------------


def test_hand_picked_entries_show_those_entries_and_nothing_else(app, alice, arc):
    link = make_link(alice, kind="entries", entry=arc.ids("heron", "garden"))
    page = open_link(recipient(app), link)
    assert page.status_code == 200
    body = text(page)
    assert "2 entries from Sam’s journal" in body
    assert "I wrote about the heron." in body and "I wrote about the garden." in body
    for absent in ["river", "lantern", "outsider", "To listen", "cello"]:
        assert absent not in body, absent
    assert body.index("heron") < body.index("garden")  # oldest first


def test_one_entry_from_the_entry_page(app, alice, arc):
    entry_page = text(alice.get(f"/entries/{arc.entries['lantern'].id}"))
    options_url = re.search(r'href="(/shares/new/link\?[^"]+)"', entry_page).group(1)
    options = alice.get(options_url.replace("&amp;", "&"))
    assert options.status_code == 200
    assert "The lantern" in text(options) and "Anyone who has this link can read" in text(options)
    link = make_link(alice, kind="entries", entry=arc.ids("lantern"))
    body = text(open_link(recipient(app), link))
    assert "An entry from Sam’s journal" in body and "I wrote about the lantern." in body
    assert "Mood: Light" in body and "Meaning-making" in body
    for absent in ["heron", "river", "garden", "outsider"]:
        assert absent not in body


def test_a_brief_carries_only_the_chosen_entries(app, alice, arc):
    link = make_link(alice, kind="brief", journey=str(arc.journey.id),
                     entry=arc.ids("river", "garden"))
    body = text(open_link(recipient(app), link))
    assert "Integration brief" in body and "To listen" in body and "cello playlist" in body
    assert "I wrote about the river." in body and "I wrote about the garden." in body
    for absent in ["heron", "lantern", "outsider"]:
        assert absent not in body
    assert "Meaning-making" not in body  # a phase with nothing chosen is left out


def test_a_brief_can_go_without_any_entry(app, alice, arc):
    link = make_link(alice, kind="brief", journey=str(arc.journey.id))
    body = text(open_link(recipient(app), link))
    assert "To listen" in body and "No entries were shared with this brief." in body
    assert "I wrote about" not in body


def test_the_safety_plan_for_a_support_person(app, alice, arc):
    alice.submit("/support/safety-plan", {"warning_signs": "I stop answering messages.",
                                          "what_helps": "A walk by the canal."})
    plan_page = text(alice.get("/support/safety-plan"))
    assert "/shares/new/link?kind=safety_plan" in plan_page
    link = make_link(alice, kind="safety_plan", crisis_lines="1")
    body = text(open_link(recipient(app), link))
    assert "Sam’s safety plan" in body
    assert "I stop answering messages." in body and "A walk by the canal." in body
    assert "Crisis lines" in body and "988" in body
    assert "Professionals to call" not in body  # an empty section is left out
    for absent in ["heron", "To listen"]:
        assert absent not in body
    without_lines = make_link(alice, kind="safety_plan")
    assert "Crisis lines" not in text(open_link(recipient(app), without_lines))


def test_an_empty_safety_plan_is_not_shared(alice):
    response = alice.get("/shares/new/link?kind=safety_plan")
    assert response.status_code == 302 and response.location.endswith("/support/safety-plan")
    assert "Your safety plan is empty" in text(alice.get(response.location))


# --- Choosing ---------------------------------------------------------------------------------


def test_the_picker_ticks_by_phase_and_by_dates_without_javascript(alice, arc):
    url = f"/shares/new/journey/{arc.journey.id}"
    assert text(alice.get(url)).count(" checked>") == 0
    by_phase = text(alice.get(url + "?picked=1&phase=reflection"))
    assert ticked(by_phase) == set(arc.ids("heron", "river"))
    start = arc.entries["river"].created_at.astimezone(ZoneInfo("Europe/Berlin")).date()
    by_days = text(alice.get(url + f"?picked=1&from={start}&to={start + timedelta(days=4)}"))
    assert ticked(by_days) == set(arc.ids("river", "lantern"))
    kept = text(alice.get(url + f"?picked=1&phase=embodiment&entry={arc.ids('heron')[0]}"))
    assert ticked(kept) == set(arc.ids("heron", "garden"))
    nonsense = alice.get(url + "?picked=1&phase=nope&from=yesterday&entry=not-an-id")
    assert nonsense.status_code == 200 and ticked(text(nonsense)) == set()


def ticked(page: str) -> set[str]:
    return set(re.findall(r'name="entry" value="([^"]+)"[^>]*checked', page, re.S))


def test_the_brief_picker_starts_with_every_entry_and_prints_only_the_chosen(alice, arc):
    brief = text(alice.get(f"/journeys/{arc.journey.id}/brief"))
    assert f"/shares/new/journey/{arc.journey.id}?what=brief" in brief
    picker = text(alice.get(f"/shares/new/journey/{arc.journey.id}?what=brief"))
    assert ticked(picker) == set(arc.ids("heron", "river", "lantern", "garden"))
    ids = "&".join(f"entry={i}" for i in arc.ids("heron", "garden"))
    printed = text(alice.get(f"/shares/new/journey/{arc.journey.id}/print?{ids}"))
    assert "I wrote about the heron." in printed and "I wrote about the garden." in printed
    assert "river" not in printed and "lantern" not in printed
    assert "To listen" in printed


def test_choosing_nothing_goes_back_to_the_picker_with_a_word(alice, arc):
    response = alice.get(f"/shares/new/link?kind=entries&journey={arc.journey.id}")
    assert response.status_code == 302 and "/shares/new/journey/" in response.location
    assert "Please choose at least one entry" in text(alice.get(response.location))


def test_someone_elses_entries_or_journey_cannot_be_shared(alice, bob, arc):
    heron = arc.ids("heron")[0]
    for url in [f"/shares/new/link?kind=entries&entry={heron}",
                f"/shares/new/link?kind=brief&journey={arc.journey.id}",
                f"/shares/new/journey/{arc.journey.id}?what=brief",
                f"/shares/new/journey/{arc.journey.id}/print?entry={heron}"]:
        response = bob.get(url)
        assert response.status_code == 404, url
        assert "heron" not in text(response) and "To listen" not in text(response)
    response = bob.submit("/shares/new/link", {"kind": "entries", "entry": heron,
                                               "sharer_name": "Bob"})
    assert response.status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Share)) == 0


def test_link_options_explain_what_to_fix_and_keep_the_choice(alice, arc):
    response = alice.submit("/shares/new/link", {"kind": "entries", "entry": arc.ids("heron"),
                                                 "sharer_name": "", "expires_days": "365",
                                                 "passphrase": "abc"})
    assert response.status_code == 422
    page = text(response)
    assert "Please give a first name" in page and "Please choose one of the times offered" in page
    assert "A passphrase needs at least" in page
    assert f'name="entry" value="{arc.ids("heron")[0]}"' in page
    assert db.session.scalar(select(func.count()).select_from(Share)) == 0


def test_the_warning_is_said_before_the_link_is_made(alice, arc):
    page = text(alice.get(f"/shares/new/link?kind=entries&entry={arc.ids('heron')[0]}"))
    warning = page.index("Anyone who has this link can read what you chose")
    assert warning < page.index("Make the link</button>")
    assert 'value="7" checked' in page  # a week, unless chosen otherwise


def test_a_form_sent_twice_makes_one_link_and_shows_it_once(alice, arc):
    form = {"kind": "entries", "entry": arc.ids("heron"), "sharer_name": "Sam",
            "share_id": str(uuid.uuid4())}
    first = alice.submit("/shares/new/link", form)
    assert first.status_code == 200
    again = alice.submit("/shares/new/link", form)
    assert again.status_code == 302 and again.location.endswith("/shares")
    assert "shows a link only once" in text(alice.get("/shares"))
    assert db.session.scalar(select(func.count()).select_from(Share)) == 1


# --- Handing over -----------------------------------------------------------------------------


def test_the_made_page_offers_the_share_sheet_copy_and_a_qr_code(alice, arc):
    response = alice.submit("/shares/new/link", {"kind": "entries", "entry": arc.ids("heron"),
                                                 "sharer_name": "Sam"})
    page = text(response)
    assert response.headers["Cache-Control"] == "no-store"
    assert "data-share-sheet hidden" in page and "Copy link" in page
    assert 'src="data:image/svg+xml;base64,' in page
    assert "Send to my therapist" not in page  # no therapist contact set


@pytest.mark.parametrize(
    ("contact", "start"),
    [("Dr. Rivera, rivera@clinic.example, Tuesdays", "mailto:rivera@clinic.example?"),
     ("Dr. Rivera: +1 (555) 010-2030", "sms:+15550102030?"),
     ("Dr. Rivera at the clinic", None)],
)
def test_send_to_my_therapist_starts_from_the_contact_in_settings(alice, arc, contact, start):
    alice.submit("/settings", {"timezone": "Europe/Berlin", "reflection_days": "3",
                               "meaning_days": "14", "therapist_contact": contact})
    response = alice.submit("/shares/new/link", {"kind": "entries", "entry": arc.ids("heron"),
                                                 "sharer_name": "Sam"})
    page = text(response)
    link = re.search(r'id="share-link" class="share-link" value="([^"]+)"', page).group(1)
    if start is None:
        assert "Send to my therapist" not in page and "Dr. Rivera at the clinic" in page
        return
    href = re.search(r'href="([^"]+)" data-therapist-link', page).group(1).replace("&amp;", "&")
    assert href.startswith(start)
    assert link in unquote(href)


# --- The owner's list -------------------------------------------------------------------------


def test_the_shares_page_lists_live_links_with_their_openings_and_revokes(app, alice, arc):
    link = make_link(alice, kind="entries", entry=arc.ids("heron", "river"), once="1",
                     passphrase="quiet harbour")
    other = make_link(alice, kind="brief", journey=str(arc.journey.id), entry=arc.ids("heron"))
    assert open_link(recipient(app), other).status_code == 200
    page = text(alice.get("/shares"))
    assert "2 entries, from" in page and "opens once" in page and "with a passphrase" in page
    assert "Integration brief, journey of" in page and "with 1 entry" in page
    assert "Opened 1 time" in page and "Not opened yet." in page
    assert "heron" not in page  # the list says what kind of thing, never its text

    share_id = split(link)[0].rsplit("/", 1)[1]
    response = alice.submit(f"/shares/{share_id}/revoke")
    assert response.status_code == 302
    page = text(alice.get("/shares"))
    assert "Revoked." in page and "Recently ended" in page
    assert open_link(recipient(app), link, passphrase="quiet harbour").status_code == 410
    log = text(alice.get("/account"))
    assert "A private link was opened" in log and "A private link was revoked" in log


def test_shares_are_one_tap_from_more(alice):
    assert "/shares" in text(alice.get("/more"))
    assert alice.get("/shares/new").status_code == 200


# --- What holding a link, or not, gets ------------------------------------------------------


RECIPIENT_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow, noarchive",
    "Cache-Control": "no-store",
}


def assert_recipient_headers(response):
    for name, value in RECIPIENT_HEADERS.items():
        assert response.headers.get(name) == value, (name, response.headers.get(name))
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp
    assert "unsafe" not in csp and "frame-ancestors 'none'" in csp
    assert "Set-Cookie" not in response.headers


def test_every_answer_to_a_link_is_private_uncached_unindexed_and_cookieless(app, alice, arc):
    link = make_link(alice, kind="entries", entry=arc.ids("heron"))
    path, secret = split(link)
    client = recipient(app)
    door = client.get(path)
    assert door.status_code == 200 and "heron" not in text(door)  # the door holds nothing
    assert secret not in text(door)
    assert_recipient_headers(door)
    assert_recipient_headers(open_link(client, link))
    assert_recipient_headers(client.get(f"/s/{uuid.uuid4()}"))
    assert_recipient_headers(client.post(path, data={"secret": "x" * 43}))
    alice.submit(f"/shares/{path.rsplit('/', 1)[1]}/revoke")
    assert_recipient_headers(client.get(path))


def test_wrong_or_tampered_links_are_404_and_never_500(app, alice, arc):
    link = make_link(alice, kind="entries", entry=arc.ids("heron"))
    path, secret = split(link)
    client = recipient(app)
    flipped = ("A" if secret[0] != "A" else "B") + secret[1:]
    attempts = [
        client.get("/s/not-a-share"),
        client.get(f"/s/{uuid.uuid4()}"),
        client.post(f"/s/{uuid.uuid4()}", data={"secret": secret}),
        client.post("/s/not-a-share", data={"secret": secret}),
        client.post(path, data={"secret": flipped}),
        client.post(path, data={"secret": secret[:20]}),
        client.post(path, data={"secret": secret + "=="}),
        client.post(path, data={}),
        client.post(path, data={"secret": "\x00" * 43}),
        client.post(path, json={"secret": secret}),
        client.post(path, data="secret=" + "%" * 50, content_type="application/x-www-form-urlencoded"),
    ]
    for response in attempts:
        assert response.status_code == 404, response.request.path
        assert "This link doesn’t open anything" in text(response)
        assert "heron" not in text(response)
    huge = client.post(path, data={"secret": "A" * (2 * 1024 * 1024)})
    assert huge.status_code == 413
    assert open_link(client, link).status_code == 200  # the right link still opens


def test_expired_revoked_and_used_up_links_are_410_with_a_kind_page(app, alice, arc, monkeypatch):
    client = recipient(app)
    expiring = make_link(alice, kind="entries", entry=arc.ids("heron"), expires_days="1")
    once = make_link(alice, kind="entries", entry=arc.ids("river"), once="1")
    revoked = make_link(alice, kind="entries", entry=arc.ids("lantern"))

    door = client.get(split(once)[0])
    assert 'data-auto="false"' in text(door) and "opened only once" in text(door)
    assert open_link(client, once).status_code == 200
    alice.submit(f"/shares/{split(revoked)[0].rsplit('/', 1)[1]}/revoke")
    later = utcnow() + timedelta(days=1, seconds=1)
    monkeypatch.setattr(links, "utcnow", lambda: later)  # the clock moves on a day
    monkeypatch.setattr(opening, "utcnow", lambda: later)

    for link in [expiring, once, revoked]:
        for response in [client.get(split(link)[0]), open_link(client, link)]:
            assert response.status_code == 410
            page = text(response)
            assert "This was shared for a while and is no longer available" in page
            assert "I wrote about" not in page
    assert all(s.ciphertext is None for s in db.session.scalars(select(Share)))


def test_a_passphrase_share_asks_for_it_and_waits_after_wrong_ones(app, alice, arc):
    link = make_link(alice, kind="entries", entry=arc.ids("heron"), passphrase="quiet harbour")
    client = recipient(app)
    door = client.get(split(link)[0])
    assert 'type="password"' in text(door) and 'data-auto="false"' in text(door)
    asked = open_link(client, link)
    assert asked.status_code == 200 and 'name="passphrase"' in text(asked)
    assert "heron" not in text(asked)
    wrong = open_link(client, link, passphrase="quiet harbor")
    assert wrong.status_code == 403 and "That passphrase doesn’t open it" in text(wrong)
    assert split(link)[1] in text(wrong)  # kept in the form, so the next try needs no link
    for _ in range(links.TRIES_PER_WAIT - 2):
        open_link(client, link, passphrase="guess")
    waiting = open_link(client, link, passphrase="guess")
    assert waiting.status_code == 429 and "Please wait 15 minutes" in text(waiting)
    assert int(waiting.headers["Retry-After"]) > 14 * 60
    right_too_soon = open_link(client, link, passphrase="quiet harbour")
    assert right_too_soon.status_code == 429 and "heron" not in text(right_too_soon)


def test_nobody_else_sees_or_revokes_someones_shares(app, alice, bob, arc):
    link = make_link(alice, kind="entries", entry=arc.ids("heron"))
    share_id = split(link)[0].rsplit("/", 1)[1]
    assert share_id not in text(bob.get("/shares")) and "One entry" not in text(bob.get("/shares"))
    assert bob.submit(f"/shares/{share_id}/revoke").status_code == 404
    assert open_link(recipient(app), link).status_code == 200  # still open
    assert "Not opened yet." not in text(alice.get("/shares"))  # and Alice sees the opening


def test_a_shared_capture_reads_as_words(alice, client):
    from tests.arc import person
    from tests.shares.story import make_link, open_link
    from webapp.journal import services as journal

    entry = journal.create_entry(person("alice@example.org"), journal.parse_entry_input({
        "body": "", "feelings": [{"feeling": "tender", "intensity": 2}],
        "body_map": [{"region": "chest", "qualities": ["warm"]}]}))
    link = make_link(alice, kind="entries", entry=[str(entry.id)])
    html = open_link(client, link).get_data(as_text=True)
    assert "Feelings: Tender (quite)" in html and "In the body: Chest and heart (warm)" in html
