"""The names a person gives their devices are their own words: stored encrypted under their
data key, in the device list and in the security log, and existing names are encrypted by
the migration without losing any."""

from __future__ import annotations

import os
import uuid

from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from tests.conftest import make_app
from tests.push.push_double import Subscriber
from tests.test_migrations import empty_database_url  # noqa: F401 (a fixture)
from webapp.auth.models import User
from webapp.auth.security_log import record_event, security_events
from webapp.extensions import db
from webapp.push.models import PushSubscription


def test_device_names_are_ciphertext_in_the_database(alice):
    marker = f"Marker phone {uuid.uuid4().hex[:8]}"
    subscription = Subscriber("https://fcm.googleapis.com/fcm/send/x").subscription_json(marker)
    response = alice.post("/settings/reminders/devices", json=subscription,
                          headers={"X-CSRFToken": alice.csrf_token()})
    assert response.status_code == 201
    raw = [*db.session.execute(text("SELECT device_label FROM push_subscriptions")).scalars(),
           *db.session.execute(text("SELECT device FROM security_events")).scalars()]
    assert raw and all(value is None or isinstance(value, bytes | memoryview) for value in raw)
    assert not any(marker.encode() in bytes(value) for value in raw if value is not None)
    # ... and read as they were written.
    assert marker in alice.get("/settings/reminders").get_data(as_text=True)
    assert marker in alice.get("/account").get_data(as_text=True)


def test_the_migration_encrypts_existing_device_names_and_back(empty_database_url):  # noqa: F811
    migrated = make_app(empty_database_url)
    with migrated.app_context():
        upgrade(revision="0005")
        keyring = migrated.extensions["tend_keyring"]
        user_id, device_id = uuid.uuid4(), uuid.uuid4()
        plain = {"id": user_id.hex, "device_id": device_id.hex}
        if db.engine.dialect.name == "postgresql":
            plain = {"id": str(user_id), "device_id": str(device_id)}
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO users (id, email, password_hash, data_key, timezone, "
                "lock_after_minutes, journal_version, created_at) VALUES "
                "(:id, 'old@example.org', 'x', :key, 'UTC', 5, 0, CURRENT_TIMESTAMP)"),
                {**plain, "key": keyring.wrap(os.urandom(32))})  # as before key epochs
            connection.execute(text(
                "INSERT INTO push_subscriptions (id, user_id, endpoint, p256dh, auth, "
                "device_label, created_at) VALUES (:device_id, :id, 'https://fcm.googleapis.com/"
                "fcm/send/old', 'k', 'a', 'Grandma''s tablet', CURRENT_TIMESTAMP)"), plain)
            connection.execute(text(
                "INSERT INTO security_events (id, user_id, kind, device, created_at) VALUES "
                "(:device_id, :id, 'push_device_added', 'Grandma''s tablet', "
                "CURRENT_TIMESTAMP)"), plain)

        upgrade()

        raw = db.session.execute(text("SELECT device_label FROM push_subscriptions")).scalar()
        assert b"Grandma" not in bytes(raw)
        person = db.session.get(User, user_id)
        assert db.session.scalar(select(PushSubscription)).device_label == "Grandma's tablet"
        assert [e.device for e in security_events(person)] == ["Grandma's tablet"]
        record_event(person, "sign_in", "Firefox on Android")
        db.session.remove()

        downgrade(revision="0005")
        labels = db.session.execute(text("SELECT device_label FROM push_subscriptions")).scalars()
        assert list(labels) == ["Grandma's tablet"]
        devices = db.session.execute(text("SELECT device FROM security_events")).scalars()
        assert sorted(devices) == ["Firefox on Android", "Grandma's tablet"]
        db.session.remove()
        db.engine.dispose()
