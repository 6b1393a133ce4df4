"""The Web Push message encryption (RFC 8291, "aes128gcm" content coding of RFC 8188).

Every message gets a fresh P-256 key pair of its own; its Diffie-Hellman secret with the
browser's key, mixed with the browser's auth secret and a random salt, gives the AES-128-GCM
key and nonce (HKDF-SHA-256, written out as its two HMACs because each output is shorter than
one hash). The body is one record: salt, record size, the key pair's public half, then the
ciphertext of the payload followed by the last-record delimiter, no padding.

This is what pywebpush does through http_ece, minus the layers around it: it runs once per
message, so its cost is the floor of what sending a reminder costs.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import os

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

RECORD_SIZE = 4096
# One record: 86 bytes of header, a 16-byte tag and the delimiter leave this much payload.
MAX_PLAINTEXT = RECORD_SIZE - 86 - 16 - 1

_CURVE = ec.SECP256R1()
_ECDH = ec.ECDH()
_INFO = b"WebPush: info\x00"
_CEK_INFO = b"Content-Encoding: aes128gcm\x00\x01"
_NONCE_INFO = b"Content-Encoding: nonce\x00\x01"
_HEADER_MIDDLE = RECORD_SIZE.to_bytes(4, "big") + b"\x41"  # rs, then idlen = 65


class BadSubscriptionKeys(ValueError):
    """The browser's public key or auth secret is not what RFC 8291 asks for."""


def decode_b64url(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError, TypeError) as exc:
        raise BadSubscriptionKeys("not base64url") from exc


def encrypt(
    plaintext: bytes,
    p256dh: str,
    auth: str,
    *,
    salt: bytes | None = None,
    private_key: ec.EllipticCurvePrivateKey | None = None,
) -> bytes:
    """The aes128gcm body carrying ``plaintext`` to the browser whose subscription keys are
    ``p256dh`` and ``auth`` (base64url, as the browser hands them over). ``salt`` and
    ``private_key`` are for reproducing the RFC's example; leave them out otherwise."""
    if len(plaintext) > MAX_PLAINTEXT:
        raise ValueError(f"a push message holds at most {MAX_PLAINTEXT} bytes")
    ua_public = decode_b64url(p256dh)
    auth_secret = decode_b64url(auth)
    if len(ua_public) != 65 or ua_public[0] != 4 or len(auth_secret) != 16:
        raise BadSubscriptionKeys("p256dh must be an uncompressed P-256 point, auth 16 bytes")
    try:
        receiver = ec.EllipticCurvePublicKey.from_encoded_point(_CURVE, ua_public)
    except ValueError as exc:
        raise BadSubscriptionKeys("p256dh is not a point on P-256") from exc
    private_key = private_key or ec.generate_private_key(_CURVE)
    as_public = private_key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    shared = private_key.exchange(_ECDH, receiver)
    # HKDF(auth_secret, ecdh_secret, "WebPush: info" || 0 || ua_public || as_public, 32)
    prk_key = hmac.digest(auth_secret, shared, "sha256")
    ikm = hmac.digest(prk_key, _INFO + ua_public + as_public + b"\x01", "sha256")
    salt = salt if salt is not None else os.urandom(16)
    prk = hmac.digest(salt, ikm, "sha256")
    cek = hmac.digest(prk, _CEK_INFO, "sha256")[:16]
    nonce = hmac.digest(prk, _NONCE_INFO, "sha256")[:12]
    ciphertext = AESGCM(cek).encrypt(nonce, plaintext + b"\x02", None)
    return salt + _HEADER_MIDDLE + as_public + ciphertext
