"""The "Gentle reminders" page: adding and removing devices, a test reminder, quiet hours,
the cap, a week's pause, switches, snoozing from a notification, and the prompt page."""

from __future__ import annotations

import json
import re
import stat
import uuid
from datetime import time, timedelta

from sqlalchemy import select

from tests.push.conftest import subscribe
from tests.push.push_double import Subscriber
from webapp.extensions import db
from webapp.push import schedules
from webapp.push.models import PushSubscription, Reminder, ReminderSettings
from webapp.push.tokens import SnoozeTokens
from webapp.push.vapid import application_server_key, load_or_create_vapid, vapid_for
from webapp.types import utcnow


def post_json(client, url, payload, *, csrf=True, raw: str | None = None):
    headers = {"Content-Type": "application/json"}
    if csrf:
        headers["X-CSRFToken"] = client.csrf_token()
    data = raw if raw is not None else json.dumps(payload)
    return client.post(url, data=data, headers=headers)


def browser_subscription(label="Pixel 9", endpoint=None) -> dict:
    subscriber = Subscriber(endpoint or f"https://fcm.googleapis.com/fcm/send/{uuid.uuid4().hex}")
    return subscriber.subscription_json(label)


def test_the_page_offers_a_button_and_the_servers_public_key(push_app, alice):
    page = alice.get("/settings/reminders")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Gentle reminders" in html
    assert "Turn on reminders on this device" in html
    key = application_server_key(vapid_for(push_app))
    assert f'data-public-key="{key}"' in html
    assert "Add to Home Screen" in html, "steps for iOS are there for the script to show"
    assert "Notifications are blocked" in html
    assert "cannot receive" in html
    assert re.search(r'<script src="/static/js/push\.js\?v=\w+" type="module">', html)
    assert 'href="/settings/reminders"' in alice.get("/more").get_data(as_text=True)


def test_a_device_subscribes_with_json_and_a_csrf_header(push_app, alice, alice_user):
    response = post_json(alice, "/settings/reminders/devices", browser_subscription())
    assert response.status_code == 201
    assert response.json["device_label"] == "Pixel 9"
    [device] = db.session.scalars(select(PushSubscription)).all()
    assert device.user_id == alice_user.id and device.endpoint.startswith("https://fcm")
    devices = alice.get("/settings/reminders").get_data(as_text=True)
    assert "Pixel 9" in devices and "No reminder sent here yet." in devices
    log = alice.get("/account").get_data(as_text=True)
    assert "Reminders turned on for a device" in log and "Pixel 9" in log


def test_subscribing_again_from_the_same_browser_updates_one_device(alice):
    subscription = browser_subscription("Phone")
    post_json(alice, "/settings/reminders/devices", subscription)
    subscription["device_label"] = "My phone"
    assert post_json(alice, "/settings/reminders/devices", subscription).status_code == 201
    labels = [d.device_label for d in db.session.scalars(select(PushSubscription))]
    assert labels == ["My phone"]


def test_bad_subscriptions_get_clear_errors_and_store_nothing(alice):
    url = "/settings/reminders/devices"
    good = browser_subscription()
    cases = [
        (None, "{not json", 400, "subscription"),
        ([1, 2], None, 422, "subscription"),
        ({**good, "endpoint": "http://insecure.example/x"}, None, 422, "endpoint"),
        ({**good, "endpoint": 42}, None, 422, "endpoint"),
        ({**good, "keys": {"p256dh": "short", "auth": good["keys"]["auth"]}}, None, 422,
         "p256dh"),
        ({**good, "keys": {"p256dh": good["keys"]["p256dh"], "auth": "A" * 30}}, None, 422,
         "auth"),
        ({**good, "keys": "nope"}, None, 422, "p256dh"),
        ({**good, "device_label": ["x"]}, None, 422, "device_label"),
    ]
    for payload, raw, status, field in cases:
        response = post_json(alice, url, payload, raw=raw)
        assert response.status_code == status, (payload, raw)
        assert field in response.json["errors"], response.json
    huge = post_json(alice, url, None, raw=json.dumps({**good, "pad": "x" * 2_000_000}))
    assert huge.status_code == 413
    assert post_json(alice, url, good, csrf=False).status_code == 400
    assert db.session.scalars(select(PushSubscription)).all() == []


def test_a_long_label_is_trimmed_and_an_empty_one_gets_a_name(alice):
    long = post_json(alice, "/settings/reminders/devices",
                     browser_subscription("  a   very " + "long " * 40))
    assert long.status_code == 201 and len(long.json["device_label"]) == 80
    assert long.json["device_label"].startswith("a very long")
    empty = post_json(alice, "/settings/reminders/devices", browser_subscription(""))
    assert empty.json["device_label"] == "This device"


def test_signed_out_people_cannot_subscribe(client):
    response = client.post("/settings/reminders/devices", json=browser_subscription())
    assert response.status_code in (302, 400)
    assert db.session.scalars(select(PushSubscription)).all() == []


def test_a_device_can_be_removed_but_only_by_its_owner(alice, bob, alice_user):
    post_json(alice, "/settings/reminders/devices", browser_subscription("Phone"))
    device = db.session.scalars(select(PushSubscription)).one()
    url = f"/settings/reminders/devices/{device.id}/remove"
    assert bob.submit(url).status_code == 404
    assert db.session.get(PushSubscription, device.id) is not None
    response = alice.submit(url, htmx=True)
    assert response.status_code == 200
    assert "No device receives reminders yet." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalars(select(PushSubscription)).all() == []


def test_the_settings_page_shows_the_last_delivery_per_device(alice, alice_user):
    post_json(alice, "/settings/reminders/devices", browser_subscription("Phone"))
    device = db.session.scalars(select(PushSubscription)).one()
    device.last_outcome, device.last_outcome_at, device.last_status_code = "sent", utcnow(), 201
    db.session.commit()
    html = alice.get("/settings/reminders").get_data(as_text=True)
    assert "Last reminder: delivered" in html


def test_send_a_test_reminder(alice, alice_user):
    refused = alice.submit("/settings/reminders/test", htmx=True)
    assert "Turn on reminders on a device first" in refused.get_data(as_text=True)
    post_json(alice, "/settings/reminders/devices", browser_subscription())
    response = alice.submit("/settings/reminders/test", htmx=True)
    assert "on its way" in response.get_data(as_text=True)
    [reminder] = db.session.scalars(select(Reminder)).all()
    assert reminder.kind == "test" and reminder.status == "pending"
    assert reminder.due_at <= utcnow()


def test_quiet_hours_cap_and_switches_are_saved_and_apply_to_waiting_reminders(
    alice, alice_user
):
    schedules.plan_journey_arc(alice_user, uuid.uuid4(), utcnow() + timedelta(days=1))
    response = alice.submit("/settings/reminders", {
        "quiet_start": "22:30", "quiet_end": "07:15", "daily_cap": "2",
        "practice_on": "1", "intention_on": "1",
    })
    assert response.status_code == 302
    db.session.expire_all()
    settings = db.session.get(ReminderSettings, alice_user.id)
    assert (settings.quiet_start, settings.quiet_end) == (time(22, 30), time(7, 15))
    assert settings.daily_cap == 2
    assert not settings.journey_checkin_on and settings.practice_on and settings.intention_on
    assert {r.status for r in db.session.scalars(select(Reminder))} == {"cancelled"}
    html = alice.get("/settings/reminders").get_data(as_text=True)
    assert 'value="22:30"' in html and '<option value="2" selected>' in html


def test_wrong_settings_are_explained_and_what_was_typed_stays(alice, alice_user):
    response = alice.submit("/settings/reminders", {
        "quiet_start": "late", "quiet_end": "07:00", "daily_cap": "50"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Please give a time like 21:00." in html
    assert "between 1 and 10" in html
    assert 'value="late"' in html
    assert db.session.get(ReminderSettings, alice_user.id) is None


def test_pause_for_a_week_and_resume(alice, alice_user):
    alice.submit("/settings/reminders/pause")
    db.session.expire_all()
    paused = db.session.get(ReminderSettings, alice_user.id).paused_until
    assert timedelta(days=6, hours=23) < paused - utcnow() <= timedelta(days=7)
    assert "Reminders are paused until" in alice.get("/settings/reminders").get_data(as_text=True)
    alice.submit("/settings/reminders/resume")
    db.session.expire_all()
    assert db.session.get(ReminderSettings, alice_user.id).paused_until is None


def test_later_from_the_service_worker_snoozes_by_an_hour(push_app, client, alice_user):
    reminder = schedules.plan_test_reminder(alice_user)
    reminder.status = "sent"
    db.session.commit()
    token = SnoozeTokens(push_app.config["SECRET_KEY"]).dumps(str(reminder.id))
    response = client.post("/reminders/snooze", json={"token": token})
    assert response.status_code == 200
    db.session.expire_all()
    snoozed = db.session.get(Reminder, reminder.id)
    assert snoozed.status == "pending"
    assert timedelta(minutes=59) < snoozed.due_at - utcnow() <= timedelta(hours=14)
    for bad in ({"token": token + "x"}, {"token": 5}, {}, [1]):
        assert client.post("/reminders/snooze", json=bad).status_code == 400
    assert client.post("/reminders/snooze", data="{broken",
                       content_type="application/json").status_code == 400
    # A reminder whose journey was deleted stays gone.
    snoozed.status = "cancelled"
    db.session.commit()
    assert client.post("/reminders/snooze", json={"token": token}).status_code == 400
    db.session.expire_all()
    assert db.session.get(Reminder, reminder.id).status == "cancelled"


def test_later_without_a_service_worker_asks_before_snoozing(push_app, client, alice_user):
    reminder = schedules.plan_test_reminder(alice_user)
    reminder.status = "sent"
    db.session.commit()
    token = SnoozeTokens(push_app.config["SECRET_KEY"]).dumps(str(reminder.id))
    page = client.get(f"/reminders/later?t={token}")
    assert "Remind me in an hour" in page.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Reminder, reminder.id).status == "sent", "a GET changes nothing"
    done = client.submit("/reminders/later", {"t": token})
    assert "Later it is" in done.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Reminder, reminder.id).status == "pending"
    assert client.get("/reminders/later?t=forged").status_code == 404


def test_a_dispatcher_refuses_to_start_without_a_proper_vapid_subject(push_app):
    import pytest

    from webapp.push.dispatcher import make_sender

    push_app.config["VAPID_SUBJECT"] = "tend at home"
    with pytest.raises(RuntimeError, match="VAPID_SUBJECT must be a mailto: address"):
        make_sender(push_app)


def test_the_deep_link_opens_the_prompt_above_a_new_entry(alice, bob, alice_user):
    [first, *_] = schedules.plan_journey_arc(alice_user, uuid.uuid4(), utcnow())
    page = alice.get(first.url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert first.title in html and first.body in html
    assert 'name="body"' in html and f'value="{first.title}"' in html
    assert bob.get(first.url).status_code == 404
    assert alice.get(f"/reminders/{uuid.uuid4()}/write").status_code == 404


def test_the_vapid_key_is_made_once_privately_and_printed_by_the_cli(push_app, tmp_path):
    key_file = tmp_path / "vapid_private_key.pem"
    made = load_or_create_vapid(None, key_file)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    again = load_or_create_vapid(None, key_file)
    assert application_server_key(made) == application_server_key(again)
    raw = application_server_key(made)
    assert len(raw) == 87 and "=" not in raw  # 65 bytes, base64url without padding

    given = load_or_create_vapid(key_file.read_text(), tmp_path / "unused.pem")
    assert application_server_key(given) == raw
    assert not (tmp_path / "unused.pem").exists()

    runner = push_app.test_cli_runner()
    result = runner.invoke(args=["push", "public-key"])
    assert result.exit_code == 0
    assert result.output.strip() == application_server_key(vapid_for(push_app))


def test_a_person_with_a_device_sees_it_listed_after_subscribing(push_service, alice,
                                                                 alice_user):
    subscribe(alice_user, push_service.new_subscriber(), "Kitchen tablet")
    html = alice.get("/settings/reminders/devices").get_data(as_text=True)
    assert "Kitchen tablet" in html


def test_later_opened_without_a_notification_answers_kindly(client, alice):
    for visitor in (client, alice):
        response = visitor.get("/reminders/later")
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert "Nothing to put off here" in html and "nothing you need to do" in html
    stale = alice.get("/reminders/later?t=long-gone")
    assert stale.status_code == 404 and "Nothing to put off here" in stale.get_data(as_text=True)


def test_with_no_device_the_page_says_nothing_will_arrive_instead_of_offering_a_test(
    alice, alice_user
):
    schedules.plan_test_reminder(alice_user)  # something is planned...
    html = alice.get("/settings/reminders").get_data(as_text=True)
    assert "Send a test reminder" not in html
    assert "Nothing will arrive until one does" in html
    assert "none will arrive until a device has reminders turned on" in html
    post_json(alice, "/settings/reminders/devices", browser_subscription())
    html = alice.get("/settings/reminders").get_data(as_text=True)
    assert "Send a test reminder" in html
    assert "none will arrive until" not in html
    fragment = alice.get("/settings/reminders/devices", headers={"HX-Request": "true"})
    assert 'id="upcoming" hx-swap-oob="true"' in fragment.get_data(as_text=True)


def test_turning_reminders_on_waits_only_so_long(alice):
    html = alice.get("/settings/reminders").get_data(as_text=True)
    assert 'data-patience-ms="20000"' in html
