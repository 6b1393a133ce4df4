"""A reminder is encrypted as RFC 8291 says (by pywebpush), so every browser can read it: the
browser's side (http_ece) opens what Tend sends, each message has its own key and salt, the
largest message fits one record, and a device with broken keys is refused before anything
is sent."""

from __future__ import annotations

import base64

import http_ece
import pytest
from pywebpush import WebPusher

from tests.push.push_double import Subscriber
from webapp.push.encryption import MAX_PLAINTEXT, RECORD_SIZE, BadSubscriptionKeys, encrypt

MESSAGE = '{"web_push":8030,"notification":{"title":"A day later","body":"Dreams? ü…"}}'.encode()


def test_the_browser_reads_what_tend_sends():
    phone = Subscriber("https://fcm.googleapis.com/fcm/send/phone")
    assert phone.decrypt(encrypt(MESSAGE, phone.p256dh, phone.auth)) == MESSAGE


def test_each_message_has_its_own_key_and_salt():
    phone = Subscriber("https://fcm.googleapis.com/fcm/send/phone")
    first, second = (encrypt(MESSAGE, phone.p256dh, phone.auth) for _ in range(2))
    assert first[:16] != second[:16], "a fresh salt"
    assert first[21:86] != second[21:86], "a fresh key pair"
    assert phone.decrypt(first) == phone.decrypt(second) == MESSAGE


def test_the_body_has_the_shape_pywebpush_gives_it():
    """Same header (record size 4096, a 65-byte key), same length, read the same way."""
    phone = Subscriber("https://updates.push.services.mozilla.com/wpush/v2/phone")
    ours = encrypt(MESSAGE, phone.p256dh, phone.auth)
    theirs = WebPusher({"endpoint": phone.endpoint,
                        "keys": {"p256dh": phone.p256dh, "auth": phone.auth}}
                       ).encode(MESSAGE, "aes128gcm")["body"]
    assert len(ours) == len(theirs) == 86 + len(MESSAGE) + 1 + 16
    assert ours[16:21] == theirs[16:21] == RECORD_SIZE.to_bytes(4, "big") + b"\x41"
    assert phone.decrypt(ours) == phone.decrypt(theirs) == MESSAGE


def test_the_largest_message_fills_one_record_exactly():
    phone = Subscriber("https://web.push.apple.com/phone")
    largest = b"x" * MAX_PLAINTEXT
    body = encrypt(largest, phone.p256dh, phone.auth)
    assert len(body) == RECORD_SIZE
    assert http_ece.decrypt(body, private_key=phone.private_key, auth_secret=phone.auth_secret,
                            version="aes128gcm") == largest
    with pytest.raises(ValueError, match="at most 3993 bytes"):
        encrypt(largest + b"x", phone.p256dh, phone.auth)


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.mark.parametrize(
    "p256dh, auth",
    [
        ("not a key!", "AAAAAAAAAAAAAAAAAAAAAA"),
        (b64(b"\x04" + b"\x01" * 64), "AAAAAAAAAAAAAAAAAAAAAA"),  # not a point on the curve
        (b64(b"\x02" + b"\x01" * 32), "AAAAAAAAAAAAAAAAAAAAAA"),  # compressed
        (None, "AAAAAAAAAAAAAAAAAAAAAA"),
        ("use-the-phone-key", b64(b"short")),
    ],
    ids=["not-base64", "off-the-curve", "compressed", "missing", "short-auth"],
)
def test_broken_device_keys_are_refused(p256dh, auth):
    if p256dh == "use-the-phone-key":
        p256dh = Subscriber("https://fcm.googleapis.com/fcm/send/x").p256dh
    with pytest.raises(BadSubscriptionKeys):
        encrypt(MESSAGE, p256dh, auth)
