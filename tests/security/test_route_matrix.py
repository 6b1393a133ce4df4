"""Every route the app registers has a rule: who may use it, and what a stranger gets.

Adding a route without adding it to RULES below makes these tests fail, on purpose.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from tests.media.helpers import photo_bytes
from webapp.auth.models import DeviceSession, User
from webapp.extensions import db
from webapp.intentions.models import Intention
from webapp.journal.models import Entry
from webapp.journeys.models import Journey
from webapp.media.library import add_picture
from webapp.practices.models import ChosenPractice
from webapp.push.models import PushSubscription
from webapp.push.schedules import plan_test_reminder
from webapp.shares import links, snapshots
from webapp.types import utcnow

# endpoint -> "public" (anyone) or "person" (signed-in; objects scoped to their owner)
RULES = {
    "static": "public",
    "auth.login": "public",
    "auth.register": "public",
    "auth.logout": "person",
    "auth.account": "person",
    "auth.change_password": "person",
    "auth.revoke_session": "person",
    "auth.delete_account": "person",
    "auth.set_app_lock": "person",
    "auth.remove_app_lock": "person",
    "auth.lock": "person",
    "auth.unlock": "person",
    "journal.timeline": "person",
    "journal.create": "person",
    "journal.show": "person",
    "journal.edit": "person",
    "journal.update": "person",
    "journal.delete": "person",
    "journal.restore": "person",
    "today.today": "person",
    "today.more": "person",
    "journeys.journeys": "person",
    "journeys.new_journey": "person",
    "journeys.prepare": "person",
    "insights.journey": "person",
    "journeys.edit_journey": "person",
    "journeys.delete_journey": "person",
    "insights.brief": "person",
    "today.quick_write": "person",
    "journeys.settings": "person",
    "intentions.index": "person",
    "intentions.create": "person",
    "intentions.edit": "person",
    "intentions.status": "person",
    "practices.index": "person",
    "practices.choose": "person",
    "practices.choose_form": "person",
    "practices.show": "person",
    "practices.schedule": "person",
    "practices.done": "person",
    "practices.undo": "person",
    "practices.remove": "person",
    "insights.insights": "person",
    "insights.export": "person",
    "insights.export_json": "person",
    "insights.export_markdown": "person",
    "support.support": "public",  # crisis lines must be one tap away, signed in or not
    "support.safety_plan": "person",
    "support.print_safety_plan": "person",
    "support.offline": "public",  # the crisis lines kept for offline use: nothing personal
    "support.kept_plan": "person",
    "auth.set_theme": "person",
    "pwa.capture": "public",
    "today.check_in": "person",
    "push.settings_page": "person",
    "push.save_settings": "person",
    "push.devices_fragment": "person",
    "push.subscribe": "person",
    "push.remove_device": "person",
    "push.send_test": "person",
    "push.pause": "person",
    "push.resume": "person",
    "push.write": "person",
    # The installable shell: no account, token or journal text in any of them.
    "pwa.manifest": "public",
    "pwa.service_worker": "public",
    "pwa.kept_pages": "public",  # the shell pages below in one answer, for the worker to keep
    "pwa.write": "public",
    "pwa.offline": "public",
    "sync.session_info": "person",
    "sync.sync": "person",
    # Voice memos, photos and drawings. The recorder and drawing pad are shell pages too.
    "media.record": "public",
    "media.draw": "public",
    "media.api_start": "person",
    "media.api_status": "person",
    "media.api_space": "person",
    "media.api_piece": "person",
    "media.api_complete": "person",
    "media.file": "person",
    "media.thumbnail": "person",
    "media.library_page": "person",
    "media.add_photo": "person",
    "media.delete": "person",
    "media.brief": "person",
    # A notification's "Later": authorised by a signed token naming one reminder, not a session.
    "push.snooze": "token",
    "push.later": "token",
    "shares.index": "person",
    "shares.start": "person",
    "shares.pick": "person",
    "shares.print_brief": "person",
    "shares.options": "person",
    "shares.create": "person",
    "shares.revoke": "person",
    # A share link: no account; authorised by the secret the link carries after "#"
    # (tests/shares/test_share_pages.py covers what a stranger or a wrong secret gets).
    "shares.open_link": "link",
    "shares.read_link": "link",
    # A shared picture or sound: only for the browser that opened the link (its viewing
    # cookie); tests/shares/test_shared_media.py covers strangers, revoked and used-up links.
    "shares.shared_file": "link",
    # A way back in: the forms are open to anyone and answer alike for every address.
    "recovery.codes": "person",
    "recovery.make_codes": "person",
    "recovery.recover": "public",
    "recovery.forgot": "public",
    "recovery.reset": "token",  # a single-use link from an email
    # Joining: an invitation or a confirmation link carries its own single-use token.
    "onboarding.invitation": "token",
    "onboarding.signup": "public",
    "onboarding.confirm": "token",
    "importer.page": "person",
    "importer.upload": "person",
    # For load balancers and monitors: JSON with no personal data.
    "health.healthz": "public",
    "health.readyz": "public",
    "monitoring.metrics": "token",  # Prometheus, with METRICS_TOKEN as a bearer token
}

# Routes that take no CSRF token, and why.
CSRF_EXEMPT = {
    "push.snooze": "posted by the service worker with a signed single-reminder token",
    "shares.read_link": "opened by someone with no account or cookie; the link's secret, "
    "posted in the body, is what authorises it",
}

# Route arguments that name shared catalogue items rather than someone's objects.
CATALOGUE_ARGUMENTS = {"practice_id": "integration-session"}

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


def alices_objects(alice) -> dict[str, str]:
    """One object of Alice's for every kind of id a route can take."""
    alice.submit("/entries", {"body": "alice only"})
    alice_id = db.session.scalar(select(User.id).where(User.email == "alice@example.org"))
    journey = Journey(user_id=alice_id, started_at=utcnow(), intention="alice only")
    intention = Intention(user_id=alice_id, text="alice only")
    chosen = ChosenPractice(user_id=alice_id, practice_id="integration-session")
    device = PushSubscription(
        user_id=alice_id, endpoint="https://push.example/alice", p256dh="k", auth="a",
        device_label="Alice's phone",
    )
    db.session.add_all([journey, intention, chosen, device])
    db.session.commit()
    reminder = plan_test_reminder(db.session.get(User, alice_id))
    entry = db.session.scalar(select(Entry).where(Entry.user_id == alice_id))
    share = links.create_share(
        db.session.get(User, alice_id),
        snapshots.entries_snapshot(db.session.get(User, alice_id), [entry]),
        links.LinkOptions(sharer_name="Alice", expires_days=7, once=False, passphrase=None),
    ).share
    photo = add_picture(db.session.get(User, alice_id), entry, photo_bytes())
    return {
        "share_id": str(share.id),
        "media_id": str(photo.id),
        "device_id": str(device.id),
        "reminder_id": str(reminder.id),
        **CATALOGUE_ARGUMENTS,
        "token": "not-a-real-token",
        "journey_id": str(journey.id),
        "intention_id": str(intention.id),
        "chosen_id": str(chosen.id),
        "entry_id": str(db.session.scalar(select(Entry.id).where(Entry.user_id == alice_id))),
        "session_id": str(
            db.session.scalar(select(DeviceSession.id).where(DeviceSession.user_id == alice_id))
        ),
    }


def routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def build(rule, values: dict[str, str]) -> str:
    missing = set(rule.arguments) - set(values)
    assert not missing, f"{rule.endpoint}: no test object for {missing}; add one to alices_objects"
    return rule.build({name: values[name] for name in rule.arguments}, append_unknown=False)[1]


def row_counts() -> dict[str, int]:
    db.session.expire_all()
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def test_every_route_has_a_rule(app):
    unruled = sorted({rule.endpoint for rule, _ in routes(app)} - set(RULES))
    assert unruled == [], f"routes without an access rule: {unruled}"


def test_anonymous_visitors_are_sent_to_sign_in(app, client):
    values = {
        name: str(uuid.uuid4())
        for name in (
            "entry_id", "session_id", "journey_id", "intention_id", "chosen_id", "device_id",
            "reminder_id", "share_id",
            "reminder_id", "media_id",
        )
    }
    values.update(CATALOGUE_ARGUMENTS)
    values["filename"] = "css/tend.css"
    for rule, method in routes(app):
        if RULES.get(rule.endpoint) != "person":
            continue
        url = build(rule, values)
        if method in STATE_CHANGING:
            response = client.open(url, method=method, data={"csrf_token": client.csrf_token()})
        else:
            response = client.open(url, method=method)
        if rule.rule.startswith("/api/"):
            assert response.status_code == 401, (method, url)
        else:
            assert response.status_code == 302, (method, url, response.status_code)
            assert response.location.startswith("/login"), (method, url)


def test_another_persons_objects_are_404_everywhere(app, alice, bob):
    values = alices_objects(alice)
    before = row_counts()
    checked = 0
    for rule, method in routes(app):
        if RULES.get(rule.endpoint) != "person" or not set(rule.arguments) - set(
            CATALOGUE_ARGUMENTS
        ):
            continue
        url = build(rule, values)
        if method in STATE_CHANGING:
            response = bob.submit(url, {"body": "bob was here", "confirmation": "x"})
        else:
            response = bob.open(url, method=method)
        assert response.status_code == 404, (method, url, response.status_code)
        assert "alice only" not in response.get_data(as_text=True)
        checked += 1
    assert checked >= 20
    assert row_counts() == before
    assert alice.get("/journal").status_code == 200


def test_every_state_changing_route_refuses_a_missing_or_wrong_csrf_token(app, alice):
    values = alices_objects(alice)
    before = row_counts()
    checked = 0
    for rule, method in routes(app):
        if method not in STATE_CHANGING or rule.endpoint in CSRF_EXEMPT:
            continue
        url = build(rule, values)
        for headers, data in [({}, {}), ({"X-CSRFToken": "forged"}, {"csrf_token": "forged"})]:
            response = alice.open(url, method=method, headers=headers, data=data)
            assert response.status_code == 400, (method, url, response.status_code)
        checked += 1
    assert checked >= 10
    assert row_counts() == before
    assert alice.get("/journal").status_code == 200


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_public_pages_do_not_need_an_account(client, method):
    for url in ["/login", "/register"]:
        data = {"csrf_token": client.csrf_token()} if method == "POST" else None
        assert client.open(url, method=method, data=data).status_code in (200, 422)


def test_token_routes_refuse_a_missing_or_forged_token(client):
    assert client.post("/reminders/snooze", json={}).status_code == 400
    assert client.post("/reminders/snooze", json={"token": "forged"}).status_code == 400
    assert client.get("/reminders/later?t=forged").status_code == 404
    assert client.get("/reset/forged").status_code == 404
    assert client.get("/invite/forged").status_code == 404
    assert client.get("/signup/confirm/forged").status_code == 404
