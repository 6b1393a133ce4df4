"""The Web Push message encryption (RFC 8291, "aes128gcm" content coding of RFC 8188), by
pywebpush: every message gets a fresh P-256 key pair of its own, whose Diffie-Hellman secret
with the browser's key, mixed with the browser's auth secret and a random salt, gives the
AES-128-GCM key and nonce. The body is one record: salt, record size, the key pair's public
half, then the ciphertext of the payload and its delimiter.

Here the browser's keys are checked first (a broken key is the device's problem, named as
such), and pywebpush's defensive copy of the subscription is spared: it runs once per
message, so its cost is the floor of what sending a reminder costs.
"""

from __future__ import annotations

from pywebpush import WebPusher, WebPushException

RECORD_SIZE = 4096
# One record: 86 bytes of header, a 16-byte tag and the delimiter leave this much payload.
MAX_PLAINTEXT = RECORD_SIZE - 86 - 16 - 1


class BadSubscriptionKeys(ValueError):
    """The browser's public key or auth secret is not what RFC 8291 asks for."""


class _FreshSubscription(dict):
    """A subscription dict made for one message: pywebpush's deep copy of it would only
    cost time, so copying returns it as it is."""

    def __deepcopy__(self, memo):
        return self


def encrypt(plaintext: bytes, p256dh: str, auth: str, *, endpoint: str = "") -> bytes:
    """The aes128gcm body carrying ``plaintext`` to the browser whose subscription keys are
    ``p256dh`` and ``auth`` (base64url, as the browser hands them over)."""
    if len(plaintext) > MAX_PLAINTEXT:
        raise ValueError(f"a push message holds at most {MAX_PLAINTEXT} bytes")
    if not isinstance(p256dh, str) or not isinstance(auth, str):
        raise BadSubscriptionKeys("p256dh and auth are base64url text")
    try:  # pywebpush decodes the keys here (and would take a compressed or short one)
        pusher = WebPusher(_FreshSubscription(endpoint=endpoint or "https://push.invalid/",
                                              keys={"p256dh": p256dh, "auth": auth}))
    except (ValueError, WebPushException) as exc:
        raise BadSubscriptionKeys("p256dh and auth are base64url") from exc
    ua_public, auth_secret = pusher.receiver_key, pusher.auth_key
    if len(ua_public) != 65 or ua_public[0] != 4 or len(auth_secret) != 16:
        raise BadSubscriptionKeys("p256dh must be an uncompressed P-256 point, auth 16 bytes")
    try:  # and loads the browser's key here, which must be a point on P-256
        return pusher.encode(plaintext, "aes128gcm")["body"]
    except ValueError as exc:
        raise BadSubscriptionKeys("p256dh is not a point on P-256") from exc
