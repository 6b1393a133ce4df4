"""A share's life, told through the services: made, opened, used up, revoked, expired, pruned.

Every time is given explicitly: the tests hold the clock."""

from __future__ import annotations

import base64
import secrets
import uuid
from datetime import timedelta

import pytest
from flask import current_app
from sqlalchemy import select

from tests.arc import person
from webapp.auth.models import SecurityEvent
from webapp.errors import ValidationError
from webapp.events import account_erased, daily_upkeep
from webapp.extensions import db
from webapp.shares import links, opening, sealing, snapshots
from webapp.shares.models import Share, ShareOpening
from webapp.types import utcnow

T0 = utcnow().replace(microsecond=0)


def options(**changes) -> links.LinkOptions:
    values = {"sharer_name": "Sam", "expires_days": 7, "once": False, "passphrase": None}
    return links.LinkOptions(**(values | changes))


def share_entries(owner, arc, *names, now=T0, **option_changes) -> links.MadeShare:
    choice = snapshots.make_choice(owner, "entries", None, [arc.entries[n].id for n in names])
    return links.create_share(
        owner, snapshots.snapshot_of(owner, choice), options(**option_changes), now=now
    )


def stored(share_id) -> Share:
    db.session.expire_all()
    return db.session.get(Share, share_id)


# --- Making ----------------------------------------------------------------------------------


def test_a_link_carries_256_bits_of_secret_and_the_server_keeps_only_a_hash(owner, arc):
    made = share_entries(owner, arc, "heron")
    raw = base64.urlsafe_b64decode(made.secret + "=")
    assert len(raw) * 8 == 256
    share = stored(made.share.id)
    assert share.secret_hash == sealing.hash_secret(raw)
    row = db.session.execute(select(Share.__table__)).one()._asdict()
    for value in row.values():
        as_bytes = value if isinstance(value, bytes) else str(value).encode()
        assert made.secret.encode() not in as_bytes and raw not in as_bytes
    assert b"heron" not in share.ciphertext


def test_the_snapshot_is_frozen_when_the_link_is_made(owner, arc):
    made = share_entries(owner, arc, "heron")
    arc.entries["heron"].body = "Rewritten later, for myself only."
    db.session.commit()
    opened = opening.open_share(made.share.id, made.secret, now=T0 + timedelta(hours=1))
    (entry,) = opened.snapshot["entries"]
    assert entry["body"] == "I wrote about the heron."
    assert entry["title"] == "The heron" and entry["mood"] == "Light"
    assert entry["phase"] == "Immediate reflection" and entry["prompt"]
    assert opened.snapshot["sharer"] == "Sam"


@pytest.mark.parametrize("days", [1, 7, 30])
def test_expiry_is_one_seven_or_thirty_days(owner, arc, days):
    made = share_entries(owner, arc, "heron", expires_days=days)
    assert stored(made.share.id).expires_at == T0 + timedelta(days=days)
    opening.open_share(made.share.id, made.secret, now=T0 + timedelta(days=days, seconds=-1))
    with pytest.raises(opening.ShareGone):
        opening.open_share(made.share.id, made.secret, now=T0 + timedelta(days=days))


def test_options_default_to_a_week_and_refuse_other_durations():
    assert links.parse_link_options({"sharer_name": "Sam"}).expires_days == 7
    for bad in ["2", "365", "", "seven", "-1"]:
        with pytest.raises(ValidationError) as caught:
            links.parse_link_options({"sharer_name": "Sam", "expires_days": bad})
        assert "expires_days" in caught.value.errors
    with pytest.raises(ValidationError) as caught:
        links.parse_link_options({"sharer_name": " ", "passphrase": "short"})
    assert set(caught.value.errors) == {"sharer_name", "passphrase"}
    assert links.parse_link_options({"sharer_name": "Sam", "passphrase": "   "}).passphrase is None


def test_nothing_chosen_or_someone_elses_entries_are_refused(owner, arc, bob):
    with pytest.raises(ValidationError) as caught:
        snapshots.make_choice(owner, "entries", None, [])
    assert "empty" in caught.value.errors
    bob_user = person("bob@example.org")
    for kind, journey in [("entries", None), ("brief", arc.journey.id)]:
        with pytest.raises(ValidationError) as caught:
            snapshots.make_choice(bob_user, kind, journey, [arc.entries["heron"].id])
        assert "missing" in caught.value.errors
    with pytest.raises(ValidationError) as caught:  # in her journal, but not in this arc
        snapshots.make_choice(owner, "brief", arc.journey.id, [arc.outsider.id])
    assert "missing" in caught.value.errors
    with pytest.raises(ValidationError) as caught:
        snapshots.make_choice(owner, "safety_plan", None, [])
    assert "empty" in caught.value.errors  # an empty plan has nothing to share


# --- Opening ---------------------------------------------------------------------------------


def test_each_opening_is_recorded_by_time_only_in_the_owners_log(owner, arc):
    made = share_entries(owner, arc, "heron")
    for hours in (1, 5):
        opening.open_share(made.share.id, made.secret, now=T0 + timedelta(hours=hours))
    openings = db.session.scalars(select(ShareOpening).order_by(ShareOpening.opened_at)).all()
    assert [o.opened_at for o in openings] == [T0 + timedelta(hours=1), T0 + timedelta(hours=5)]
    assert set(ShareOpening.__table__.columns.keys()) == {"id", "share_id", "opened_at"}
    kinds = db.session.scalars(select(SecurityEvent.kind).where(SecurityEvent.user_id == owner.id))
    assert list(kinds).count("share_opened") == 2


def test_a_link_that_opens_once_closes_after_the_first_opening(owner, arc):
    made = share_entries(owner, arc, "heron", once=True)
    assert opening.open_share(made.share.id, made.secret, now=T0)
    share = stored(made.share.id)
    assert share.used_up_at == T0 and share.end_reason == "used_up"
    assert share.ciphertext is None and share.wrapped_key is None
    with pytest.raises(opening.ShareGone):
        opening.open_share(made.share.id, made.secret, now=T0 + timedelta(minutes=1))


def test_a_revoked_link_no_longer_opens_and_its_content_is_deleted_at_once(owner, arc, bob):
    made = share_entries(owner, arc, "heron")
    assert not links.revoke_share(person("bob@example.org"), made.share.id)
    assert stored(made.share.id).ended_at is None
    assert links.revoke_share(owner, made.share.id, now=T0 + timedelta(hours=2))
    share = stored(made.share.id)
    assert share.end_reason == "revoked" and share.ciphertext is None
    with pytest.raises(opening.ShareGone):
        opening.open_share(made.share.id, made.secret, now=T0 + timedelta(hours=3))


def test_wrong_or_tampered_links_open_nothing(owner, arc):
    made = share_entries(owner, arc, "heron")
    other = share_entries(owner, arc, "river")
    flipped = ("A" if made.secret[0] != "A" else "B") + made.secret[1:]
    for secret in [flipped, other.secret, made.secret[:-1], made.secret + "A", "", None, 42,
                   "é" * 43, "=" * 43]:
        with pytest.raises(opening.WrongLink):
            opening.open_share(made.share.id, secret, now=T0)
    with pytest.raises(opening.WrongLink):
        opening.open_share(uuid.uuid4(), made.secret, now=T0)

    # The stored content or key altered by someone with the database: it fails to open.
    share = stored(made.share.id)
    original = share.ciphertext
    share.ciphertext = original[:-1] + bytes([original[-1] ^ 1])
    db.session.commit()
    with pytest.raises(opening.WrongLink):
        opening.open_share(made.share.id, made.secret, now=T0)
    share.ciphertext, share.wrapped_key = original, other.share.wrapped_key
    db.session.commit()
    with pytest.raises(opening.WrongLink):
        opening.open_share(made.share.id, made.secret, now=T0)
    assert db.session.scalar(select(ShareOpening.id)) is None


# --- Passphrases -------------------------------------------------------------------------------


def test_a_passphrase_is_needed_as_well_as_the_link(owner, arc):
    made = share_entries(owner, arc, "heron", passphrase="quiet harbour")
    share = stored(made.share.id)
    assert share.has_passphrase
    salt, cost = sealing.salt_and_cost(share.passphrase_salt)
    assert len(salt) == 16 and cost == current_app.config["ARGON2"]
    with pytest.raises(opening.PassphraseNeeded):
        opening.open_share(made.share.id, made.secret, None, now=T0)
    with pytest.raises(opening.WrongPassphrase):
        opening.open_share(made.share.id, made.secret, "quiet harbor", now=T0)
    with pytest.raises(opening.WrongLink):  # the passphrase alone, with a wrong link, is nothing
        opening.open_share(made.share.id, other_secret(made.secret), "quiet harbour", now=T0)
    opened = opening.open_share(made.share.id, made.secret, "  quiet harbour ", now=T0)
    assert opened.snapshot["entries"][0]["title"] == "The heron"
    assert stored(made.share.id).failed_attempts == 0


def test_a_passphrase_link_still_opens_after_the_app_changes_its_argon2_cost(owner, arc, app):
    made = share_entries(owner, arc, "heron", passphrase="quiet harbour")
    app.config["ARGON2"] = {"time_cost": 3, "memory_cost": 2048, "parallelism": 1}
    opened = opening.open_share(made.share.id, made.secret, "quiet harbour", now=T0)
    assert opened.snapshot["entries"][0]["title"] == "The heron"
    with pytest.raises(opening.WrongPassphrase):
        opening.open_share(made.share.id, made.secret, "quiet harbor", now=T0)


def test_links_made_before_the_cost_was_recorded_open_at_the_cost_they_were_made_with(
    owner, arc, app, monkeypatch
):
    # Before: a bare 16-byte salt, stretched at the cost every app then used.
    app.config["ARGON2"] = dict(sealing.UNRECORDED_COST)
    monkeypatch.setattr(sealing, "new_passphrase_salt", lambda: secrets.token_bytes(16))
    made = share_entries(owner, arc, "heron", passphrase="quiet harbour")
    monkeypatch.undo()
    app.config["ARGON2"] = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}
    assert len(stored(made.share.id).passphrase_salt) == 16
    opened = opening.open_share(made.share.id, made.secret, "quiet harbour", now=T0)
    assert opened.snapshot["entries"][0]["title"] == "The heron"


def test_a_stored_salt_with_an_impossible_cost_opens_nothing():
    forged = b"A2" + bytes([1]) + (2**31).to_bytes(4, "big") + bytes([1]) + bytes(16)
    with pytest.raises(sealing.WrongLink):
        sealing.passphrase_key("quiet harbour", forged)
    with pytest.raises(sealing.WrongLink):
        sealing.passphrase_key("quiet harbour", b"XX" + bytes(20))


def other_secret(secret: str) -> str:
    return ("A" if secret[0] != "A" else "B") + secret[1:]


def test_wrong_passphrases_are_rate_limited_per_share(owner, arc):
    made = share_entries(owner, arc, "heron", passphrase="quiet harbour")
    neighbour = share_entries(owner, arc, "river", passphrase="quiet harbour")
    for _ in range(links.TRIES_PER_WAIT - 1):
        with pytest.raises(opening.WrongPassphrase):
            opening.open_share(made.share.id, made.secret, "guess", now=T0)
    with pytest.raises(opening.TooManyTries) as caught:  # the fifth starts the wait
        opening.open_share(made.share.id, made.secret, "guess", now=T0)
    assert caught.value.retry_after == links.WAIT_AFTER_TRIES
    # While it waits, even the right passphrase is not tried.
    later = T0 + timedelta(minutes=10)
    with pytest.raises(opening.TooManyTries) as caught:
        opening.open_share(made.share.id, made.secret, "quiet harbour", now=later)
    assert caught.value.retry_after == timedelta(minutes=5)
    # Another share is not affected.
    assert opening.open_share(neighbour.share.id, neighbour.secret, "quiet harbour", now=later)
    # After the wait, the right passphrase opens it, and the count starts again.
    after = T0 + links.WAIT_AFTER_TRIES
    assert opening.open_share(made.share.id, made.secret, "quiet harbour", now=after)
    assert stored(made.share.id).failed_attempts == 0


def test_twenty_wrong_passphrases_close_the_share_for_good(owner, arc):
    made = share_entries(owner, arc, "heron", passphrase="quiet harbour")
    moment, waits = T0, 0
    for _ in range(100):  # a patient guesser, waiting out every pause
        try:
            opening.open_share(made.share.id, made.secret, "guess", now=moment)
        except opening.WrongPassphrase:
            pass
        except opening.TooManyTries as exc:
            moment += exc.retry_after
            waits += 1
        except opening.ShareGone:
            break
    share = stored(made.share.id)
    assert share.failed_attempts == links.MOST_WRONG_PASSPHRASES
    assert waits == links.MOST_WRONG_PASSPHRASES // links.TRIES_PER_WAIT - 1
    assert share.ciphertext is None and share.ended_at is not None
    with pytest.raises(opening.ShareGone):
        opening.open_share(made.share.id, made.secret, "quiet harbour", now=moment)


# --- Ending and forgetting ---------------------------------------------------------------------


def test_expired_links_lose_their_content_on_access_and_at_daily_upkeep(owner, arc, app):
    first = share_entries(owner, arc, "heron", expires_days=1)
    second = share_entries(owner, arc, "river", expires_days=1)
    live = share_entries(owner, arc, "lantern", expires_days=7)
    day_two = T0 + timedelta(days=1, minutes=1)
    assert opening.find_share(first.share.id, now=day_two).ciphertext is None  # on access
    assert stored(second.share.id).ciphertext is not None
    daily_upkeep.send(app, now=day_two)
    assert stored(second.share.id).ciphertext is None
    assert stored(second.share.id).ended_at == T0 + timedelta(days=1)
    assert stored(live.share.id).ciphertext is not None


def test_ended_links_leave_the_list_after_a_week_and_the_database_after_a_month(owner, arc):
    made = share_entries(owner, arc, "heron")
    share_entries(owner, arc, "river")
    links.revoke_share(owner, made.share.id, now=T0 + timedelta(hours=1))
    soon = links.list_shares(owner, now=T0 + timedelta(days=2))
    assert [s.id for s in soon.ended] == [made.share.id] and len(soon.live) == 1
    week = links.list_shares(owner, now=T0 + timedelta(days=8, hours=2))
    assert made.share.id not in {s.id for s in week.ended + week.live}
    assert stored(made.share.id) is not None  # still answers "no longer available"
    links.prune(T0 + timedelta(days=31, hours=2))
    assert stored(made.share.id) is None
    assert db.session.scalar(select(ShareOpening.id)) is None


def test_erasing_the_account_removes_every_share(alice, arc, owner):
    made = share_entries(owner, arc, "heron")
    opening.open_share(made.share.id, made.secret, now=T0)
    response = alice.submit("/account/delete", {"password": "a quiet lake at dawn",
                                                 "confirmation": "delete my journal"})
    assert response.status_code == 302
    assert db.session.scalar(select(Share.id)) is None
    assert db.session.scalar(select(ShareOpening.id)) is None


def test_the_account_erased_event_removes_shares_too(owner, arc, app):
    share_entries(owner, arc, "heron")
    account_erased.send(owner.id)
    assert db.session.scalar(select(Share.id)) is None
