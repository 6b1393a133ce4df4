"""A thief holding a locked phone cannot guess the PIN: a few tries per device and per
account, whatever network they come from, then the password is needed. A copy of the
database alone cannot test guesses either: the PIN's hash is keyed with the master key."""

from __future__ import annotations

from sqlalchemy import select

from tests.conftest import PASSWORD, make_app, register
from tests.security.test_app_lock import turn_on_lock
from webapp.auth import passwords
from webapp.auth.lock import PIN_TRIES_PER_ACCOUNT, PIN_TRIES_PER_DEVICE
from webapp.auth.models import DeviceSession, SecurityEvent, User
from webapp.crypto import Keyring, generate_key
from webapp.extensions import db


def guess(device, pin: str, address: str = "198.51.100.7"):
    return device.submit("/unlock", {"pin": pin, "next": "/journal"},
                         headers={"X-Forwarded-For": address})


def locked_device(app):
    device = app.test_client()
    assert device.submit("/login", {"email": "alice@example.org", "password": PASSWORD})
    device.submit("/lock")
    assert device.get("/journal").location.startswith("/unlock")
    return device


def test_ten_wrong_pins_sign_the_device_out_from_any_address(app):
    """Behind a trusted proxy, each guess from a new address: the address limit never bites,
    the count per device does."""
    guarded = make_app(app.config["SQLALCHEMY_DATABASE_URI"], RATELIMIT_ENABLED=True,
                       TRUST_PROXY=True)
    with guarded.app_context():
        phone = guarded.test_client()
        register(phone, "alice@example.org")
        turn_on_lock(phone)
        phone.submit("/lock")
        codes = [guess(phone, f"{n:04d}", f"203.0.113.{n}").status_code
                 for n in range(1, PIN_TRIES_PER_DEVICE)]
        assert codes == [422] * (PIN_TRIES_PER_DEVICE - 1)

        last = guess(phone, "0000", "203.0.113.99")
        assert last.status_code == 302 and last.location == "/login"
        page = phone.get("/login").get_data(as_text=True)
        assert "sign in with your" in page and "still on this device" in page
        assert "Clear-Site-Data" not in last.headers, "the device keeps its unsynced drafts"
        assert guess(phone, "2468", "203.0.113.100").location.startswith("/login")
        assert phone.get("/journal").location.startswith("/login")
        assert db.session.scalar(select(DeviceSession)) is None
        kinds = [e.kind for e in db.session.scalars(select(SecurityEvent))]
        assert "signed_out_wrong_pins" in kinds


def test_a_right_pin_starts_the_count_again(alice):
    turn_on_lock(alice)
    for _ in range(2):
        alice.submit("/lock")
        for _ in range(PIN_TRIES_PER_DEVICE - 1):
            assert guess(alice, "1111").status_code == 422
        assert guess(alice, "2468").location == "/journal"
    assert alice.get("/journal").status_code == 200


def test_wrong_pins_on_all_devices_are_capped_per_account(app, alice):
    turn_on_lock(alice)
    devices = [locked_device(app) for _ in range(3)]
    per_device = [7, 7, PIN_TRIES_PER_ACCOUNT - 14]  # each under its own cap of 10
    for device, tries in zip(devices[:2], per_device[:2], strict=True):
        assert [guess(device, "1111").status_code for _ in range(tries)] == [422] * tries
    last = devices[2]
    answers = [guess(last, "1111").status_code for _ in range(per_device[2])]
    assert answers == [422] * (per_device[2] - 1) + [302]
    for device in devices:
        assert device.get("/journal").location.startswith("/login")
    assert alice.get("/journal").status_code == 200, "the unlocked device stays signed in"

    # Signing in with the password proves who it is: PIN tries start again.
    fresh = locked_device(app)
    assert guess(fresh, "2468").location == "/journal"


def test_the_pin_hash_cannot_be_tested_without_the_master_key(app, alice):
    turn_on_lock(alice)
    stored = db.session.scalar(select(User.lock_pin_hash))
    keyring = app.extensions["tend_keyring"]
    prefix, kid, argon = stored.split("$", 2)
    assert (prefix, kid) == ("tend-pin-v1", keyring.primary)
    # Someone with only the database tries every 4-digit PIN against the Argon2 hash: none fits.
    assert not any(passwords.verify(argon, pin) for pin in ("2468", "0000", "1234"))
    assert passwords.verify_pin(stored, "2468", keyring) == (True, False)
    stranger = Keyring(keys={"feedfacecafe": generate_key()}, primary="feedfacecafe")
    assert passwords.verify_pin(stored, "2468", stranger) == (False, False)


def test_a_pin_set_before_the_pepper_still_unlocks_and_is_peppered_then(alice):
    turn_on_lock(alice)
    user = db.session.scalar(select(User))
    user.lock_pin_hash = passwords.hash_secret("2468")  # as an older version stored it
    db.session.commit()
    alice.submit("/lock")
    assert guess(alice, "2468").location == "/journal"
    db.session.expire_all()
    assert db.session.scalar(select(User.lock_pin_hash)).startswith("tend-pin-v1$")


def test_a_pin_may_have_up_to_twelve_digits(alice):
    assert turn_on_lock(alice, pin="1234567890123").status_code == 422
    assert turn_on_lock(alice, pin="123456789012").status_code == 302
    alice.submit("/lock")
    assert guess(alice, "12345678901").status_code == 422
    assert guess(alice, "123456789012").location == "/journal"
