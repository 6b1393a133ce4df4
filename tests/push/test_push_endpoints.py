"""Tend posts only to the public push services of the browsers: a push address can never make
the server send requests into its own network (server-side request forgery)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from tests.push.push_double import Subscriber
from tests.push.test_dispatcher import deliveries_of, due_check_in, fresh
from webapp.errors import ValidationError
from webapp.extensions import db
from webapp.push.dispatcher import make_dispatcher
from webapp.push.endpoints import EndpointPolicy
from webapp.push.models import PushSubscription
from webapp.push.subscriptions import parse_subscription

PUBLIC = [
    "https://web.push.apple.com/QGuQyavXutnMH8uVcSr2lzWmNj",
    "https://fcm.googleapis.com/fcm/send/dQ8:APA91bH",
    "https://android.googleapis.com/gcm/send/abc",
    "https://updates.push.services.mozilla.com/wpush/v2/gAAAAABk",
    "https://wns2-by3p.notify.windows.com/w/?token=BQYAAAB",
]
INSIDE = [
    "https://127.0.0.1/push",
    "https://127.1/push",
    "https://169.254.169.254/latest/meta-data/",
    "https://10.0.0.7/push",
    "https://192.168.1.1/push",
    "https://[::1]/push",
    "https://[::ffff:127.0.0.1]/push",
    "https://[fe80::1]/push",
    "https://localhost/push",
    "https://2130706433/push",
    "https://0x7f000001/push",
    "https://metadata.google.internal/computeMetadata/v1/",
]
ELSEWHERE = [
    "https://push.example/x",
    "https://fcm.googleapis.com.evil.example/x",
    "https://evilfcm.googleapis.com/x",
    "https://notify.windows.com/w/",
    "http://fcm.googleapis.com/fcm/send/abc",
    "https://user:secret@fcm.googleapis.com/fcm/send/abc",
    "ftp://fcm.googleapis.com/x",
    "https://[not-an-ip/x",
    "https://fcm.googleapis.com:notaport/x",
]


def subscription(endpoint: str) -> dict:
    return Subscriber(endpoint).subscription_json("Phone")


@pytest.mark.parametrize("endpoint", PUBLIC)
def test_the_browsers_push_services_are_accepted(endpoint):
    assert parse_subscription(subscription(endpoint))["endpoint"] == endpoint


@pytest.mark.parametrize("endpoint", INSIDE + ELSEWHERE)
def test_addresses_inside_a_network_or_of_unknown_hosts_are_refused(endpoint):
    with pytest.raises(ValidationError) as refused:
        parse_subscription(subscription(endpoint))
    assert "endpoint" in refused.value.errors


def test_the_device_list_refuses_an_address_inside_the_network(alice):
    for endpoint in ("https://169.254.169.254/latest/meta-data/", "https://127.0.0.1:5432/"):
        response = alice.post("/settings/reminders/devices", json=subscription(endpoint),
                              headers={"X-CSRFToken": alice.csrf_token()})
        assert response.status_code == 422
        assert "endpoint" in response.get_json()["errors"]
    assert db.session.scalar(select(PushSubscription)) is None


def test_hosts_added_by_the_host_are_accepted_unless_they_resolve_inside(alice, app):
    app.config["PUSH_ALLOWED_HOSTS"] = ["push.example.org", "*.push.example.net", "localhost"]
    policy = EndpointPolicy.from_config(app.config)
    assert policy.refusal("https://push.example.org/a") is None
    assert policy.refusal("https://eu.push.example.net/a") is None
    assert policy.refusal("https://push.example.net/a") is not None
    with pytest.raises(ValidationError) as refused:
        parse_subscription(subscription("https://localhost/push"), policy)
    assert "inside a private network" in refused.value.errors["endpoint"]


def stored_device(user, endpoint: str) -> PushSubscription:
    """A device stored before these checks existed (or by hand): checked again when sending."""
    subscriber = Subscriber(endpoint)
    device = PushSubscription(user_id=user.id, endpoint=endpoint, p256dh=subscriber.p256dh,
                              auth=subscriber.auth, device_label="Old device")
    db.session.add(device)
    db.session.commit()
    return device


def dispatch_one_check_in(push_app, user):
    reminder = due_check_in(user)
    dispatcher = make_dispatcher(push_app)
    try:
        dispatcher.run_once()
    finally:
        dispatcher.sender.close()
    return reminder


def test_an_ip_address_stored_earlier_is_never_posted_to(push_app, alice_user, push_service):
    push_app.config["PUSH_ALLOW_LOOPBACK_ENDPOINTS"] = False
    stored_device(alice_user, f"http://127.0.0.1:{push_service.server.server_port}/push/x")
    stored_device(alice_user, "https://169.254.169.254/latest/meta-data/")
    reminder = dispatch_one_check_in(push_app, alice_user)
    assert push_service.requests_seen == 0
    assert fresh(reminder).status == "failed"
    assert {d.outcome for d in deliveries_of(reminder)} == {"rejected"}


def test_a_name_that_resolves_inside_is_refused_when_sending(push_app, alice_user, push_service):
    """DNS may change after a device subscribed: the address is checked as it is connected."""
    push_app.config.update(PUSH_ALLOW_LOOPBACK_ENDPOINTS=False, PUSH_ALLOWED_HOSTS=["localhost"])
    subscriber = push_service.new_subscriber()
    endpoint = subscriber.endpoint.replace("127.0.0.1", "localhost")
    stored_device(alice_user, endpoint)
    reminder = dispatch_one_check_in(push_app, alice_user)
    assert push_service.requests_seen == 0
    [record] = deliveries_of(reminder)
    assert record.outcome == "rejected" and "inside a network" in record.detail


def test_the_local_push_service_of_the_tests_is_an_explicit_allowance(app):
    assert app.config["PUSH_ALLOW_HTTP_ENDPOINTS"] is False
    assert app.config["PUSH_ALLOW_LOOPBACK_ENDPOINTS"] is False
    local = EndpointPolicy(allow_http=True, allow_loopback=True)
    assert local.refusal(f"http://127.0.0.1:8999/push/{uuid.uuid4().hex}") is None
    assert local.refusal("http://10.0.0.7/push") is not None, "loopback only, never the LAN"
