"""Fixtures for reminders: the app's VAPID key, a local push service, subscribed people."""

from __future__ import annotations

import pytest

from tests.push.push_double import PushDouble, Subscriber
from webapp.auth.services import find_user_by_email
from webapp.push import subscriptions
from webapp.push.dispatcher import make_dispatcher
from webapp.push.endpoints import EndpointPolicy
from webapp.push.vapid import application_server_key, vapid_for

# The local push service double: plain http on this machine, allowed in tests only.
LOCAL_PUSH = EndpointPolicy(allow_http=True, allow_loopback=True)


@pytest.fixture
def push_app(app):
    """The app, accepting the local push service's plain-http address on 127.0.0.1."""
    app.config["PUSH_ALLOW_HTTP_ENDPOINTS"] = True
    app.config["PUSH_ALLOW_LOOPBACK_ENDPOINTS"] = True
    app.config["PUBLIC_URL"] = "https://tend.example.org"
    return app


@pytest.fixture
def server_key(push_app) -> str:
    return application_server_key(vapid_for(push_app))


@pytest.fixture
def push_service(server_key):
    with PushDouble(server_key) as double:
        yield double


@pytest.fixture
def other_push_service(server_key):
    """A second push service on another port, like FCM next to Mozilla's."""
    with PushDouble(server_key) as double:
        yield double


@pytest.fixture
def dispatcher(push_app):
    made = make_dispatcher(push_app, retry_base_seconds=60, max_attempts=3)
    yield made
    made.sender.close()


@pytest.fixture
def alice_user(alice):
    return find_user_by_email("alice@example.org")


@pytest.fixture
def bob_user(bob):
    return find_user_by_email("bob@example.org")


def subscribe(user, subscriber: Subscriber, label: str = "Phone"):
    fields = subscriptions.parse_subscription(subscriber.subscription_json(label), LOCAL_PUSH)
    return subscriptions.save_subscription(user, fields)
