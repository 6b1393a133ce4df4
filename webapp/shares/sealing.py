"""The cryptography of a share link.

A link is ``/s/<share id>#<secret>``. The secret (32 random bytes, base64url) lives only in
the part after ``#``, which browsers never send in a request: the recipient's page posts it
in a request body when they open it. The server stores:

- ``secret_hash``: SHA-256 of the secret, to recognise the right link (and refuse others
  without trying to decrypt anything);
- ``wrapped_key``: a fresh content key, sealed with AES-256-GCM under a wrapping key derived
  (HKDF-SHA256) from the secret, and from an Argon2id derivation of the passphrase if the
  person set one, so that the link alone does not open a passphrase-guarded share;
- ``ciphertext``: the snapshot, sealed under the content key.

Neither the secret nor any key derived from it is ever stored or logged, and the master key
plays no part: a copy of the database together with the master key opens no share.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import struct
import unicodedata
import uuid
from dataclasses import dataclass, field

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app, has_app_context

from webapp.config import ARGON2_STRONG
from webapp.crypto import FORMAT, KEY_BYTES, NONCE_BYTES

SECRET_BYTES = 32  # 256 bits of secret in every link
SECRET_TEXT_LENGTH = 43  # base64url without padding
SALT_BYTES = 16


class WrongLink(Exception):
    """The secret is malformed, or does not open this share: treat as "no such link"."""


class WrongPassphrase(Exception):
    """The link is right but the passphrase does not open it."""


@dataclass(frozen=True)
class Sealed:
    secret: str  # for the link only: never stored
    secret_hash: str
    passphrase_salt: bytes | None
    wrapped_key: bytes
    ciphertext: bytes
    content_key: bytes = field(repr=False, default=b"")  # to seal media with; never stored


def new_secret() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(SECRET_BYTES)).decode().rstrip("=")


def decode_secret(text: object) -> bytes:
    if not isinstance(text, str) or len(text) != SECRET_TEXT_LENGTH:
        raise WrongLink("a share secret is 43 base64url characters")
    try:
        raw = base64.urlsafe_b64decode(text + "=")
    except (binascii.Error, ValueError) as exc:
        raise WrongLink("a share secret is base64url") from exc
    if len(raw) != SECRET_BYTES or not text.isascii():
        raise WrongLink("a share secret is 32 bytes")
    return raw


def hash_secret(secret: bytes) -> str:
    return hashlib.sha256(b"tend:share:lookup:v1\x00" + secret).hexdigest()


def secret_matches(secret: bytes, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)


def normalise_passphrase(passphrase: str) -> str:
    """The same words typed on another keyboard still open the share."""
    return unicodedata.normalize("NFC", passphrase).strip()


# A passphrase's salt is stored with the Argon2id cost it was stretched at, so a later change
# of the app's cost leaves older links openable: b"A2", time cost, memory cost (KiB),
# lanes, then the salt. A bare 16-byte salt is from before the cost was recorded.
_COST_HEADER = struct.Struct(">2sBIB")
_COST_MARK = b"A2"
# The cost every passphrase was stretched at before it was recorded with the salt.
UNRECORDED_COST = {"time_cost": 2, "memory_cost": 19 * 1024, "parallelism": 1}


def _current_cost() -> dict[str, int]:
    return current_app.config["ARGON2"] if has_app_context() else ARGON2_STRONG


def new_passphrase_salt(cost: dict[str, int] | None = None) -> bytes:
    """A fresh salt, prefixed with the cost the passphrase will be stretched at."""
    cost = cost or _current_cost()
    header = _COST_HEADER.pack(
        _COST_MARK, cost["time_cost"], cost["memory_cost"], cost["parallelism"]
    )
    return header + secrets.token_bytes(SALT_BYTES)


def salt_and_cost(stored: bytes) -> tuple[bytes, dict[str, int]]:
    """The salt and the Argon2id cost a stored passphrase salt was made with."""
    if len(stored) == SALT_BYTES:
        return stored, dict(UNRECORDED_COST)
    if len(stored) != _COST_HEADER.size + SALT_BYTES or not stored.startswith(_COST_MARK):
        raise WrongLink("the share's passphrase salt is not one Tend makes")
    _mark, time_cost, memory_cost, parallelism = _COST_HEADER.unpack_from(stored)
    if not (1 <= time_cost <= 16 and 8 <= memory_cost <= 1024 * 1024 and 1 <= parallelism <= 16):
        raise WrongLink("the share's passphrase cost is out of bounds")
    cost = {"time_cost": time_cost, "memory_cost": memory_cost, "parallelism": parallelism}
    return stored[_COST_HEADER.size :], cost


def passphrase_key(passphrase: str, stored_salt: bytes) -> bytes:
    """Argon2id at the cost recorded with the salt (the app's ARGON2 setting when sealed)."""
    salt, cost = salt_and_cost(stored_salt)
    return hash_secret_raw(
        normalise_passphrase(passphrase).encode(),
        salt,
        time_cost=cost["time_cost"],
        memory_cost=cost["memory_cost"],
        parallelism=cost["parallelism"],
        hash_len=KEY_BYTES,
        type=Type.ID,
    )


def _wrapping_key(share_id: uuid.UUID, secret: bytes, passphrase_part: bytes) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(),
        length=KEY_BYTES,
        salt=None,
        info=b"tend:share:wrap:v1\x00" + share_id.bytes,
    ).derive(secret + passphrase_part)


def _aad(share_id: uuid.UUID, purpose: bytes) -> bytes:
    return b"tend:share:v1:" + purpose + b":" + share_id.bytes


def _seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = secrets.token_bytes(NONCE_BYTES)
    return FORMAT + nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def _open(key: bytes, blob: bytes, aad: bytes) -> bytes:
    if blob[:1] != FORMAT:
        raise InvalidTag()
    nonce, sealed = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
    return AESGCM(key).decrypt(nonce, sealed, aad)


def seal(share_id: uuid.UUID, plaintext: bytes, passphrase: str | None = None) -> Sealed:
    """Seal a snapshot under a fresh key; the returned secret goes into the link only."""
    secret_text = new_secret()
    secret = decode_secret(secret_text)
    salt = new_passphrase_salt() if passphrase else None
    passphrase_part = passphrase_key(passphrase, salt) if passphrase and salt else b""
    content_key = secrets.token_bytes(KEY_BYTES)
    wrapping_key = _wrapping_key(share_id, secret, passphrase_part)
    return Sealed(
        content_key=content_key,
        secret=secret_text,
        secret_hash=hash_secret(secret),
        passphrase_salt=salt,
        wrapped_key=_seal(wrapping_key, content_key, _aad(share_id, b"key")),
        ciphertext=_seal(content_key, plaintext, _aad(share_id, b"content")),
    )


def unseal(share_id: uuid.UUID, secret: bytes, **sealed) -> bytes:
    """The snapshot's plaintext (see ``unseal_keyed``)."""
    return unseal_keyed(share_id, secret, **sealed)[0]


def unseal_keyed(
    share_id: uuid.UUID,
    secret: bytes,
    *,
    passphrase_salt: bytes | None,
    wrapped_key: bytes,
    ciphertext: bytes,
    passphrase: str | None = None,
) -> tuple[bytes, bytes]:
    """The snapshot's plaintext and the content key (which also opens the share's media).
    The secret must already match the share's hash.

    Raises WrongPassphrase when the key does not unwrap (with a passphrase set, that is what
    a wrong one looks like) and WrongLink when the content itself fails authentication.
    """
    passphrase_part = b""
    if passphrase_salt is not None:
        passphrase_part = passphrase_key(passphrase or "", passphrase_salt)
    try:
        content_key = _open(
            _wrapping_key(share_id, secret, passphrase_part), wrapped_key, _aad(share_id, b"key")
        )
    except InvalidTag as exc:
        if passphrase_salt is not None:
            raise WrongPassphrase() from exc
        raise WrongLink("the share's key did not open") from exc
    try:
        return _open(content_key, ciphertext, _aad(share_id, b"content")), content_key
    except InvalidTag as exc:
        raise WrongLink("the share's content did not open") from exc


# --- Media and viewings ------------------------------------------------------------------------


def _piece_aad(share_id: uuid.UUID, item: int, position: int, final: bool) -> bytes:
    return _aad(share_id, b"media") + struct.pack(">II?", item, position, final)


def seal_piece(key: bytes, share_id: uuid.UUID, item: int, position: int, final: bool,
               data: bytes) -> bytes:
    return _seal(key, data, _piece_aad(share_id, item, position, final))


def open_piece(key: bytes, share_id: uuid.UUID, item: int, position: int, final: bool,
               blob: bytes) -> bytes:
    try:
        return _open(key, bytes(blob), _piece_aad(share_id, item, position, final))
    except InvalidTag as exc:
        raise WrongLink("a shared media piece did not open") from exc


def new_viewing_token() -> str:
    return new_secret()


def hash_viewing_token(token: str) -> str:
    return hashlib.sha256(b"tend:share:viewing:v1\x00" + token.encode()).hexdigest()


def _viewing_key(share_id: uuid.UUID, token: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None,
        info=b"tend:share:viewing:v1\x00" + share_id.bytes,
    ).derive(decode_secret(token))


def wrap_for_viewing(share_id: uuid.UUID, token: str, content_key: bytes) -> bytes:
    return _seal(_viewing_key(share_id, token), content_key, _aad(share_id, b"viewing"))


def unwrap_for_viewing(share_id: uuid.UUID, token: str, wrapped: bytes) -> bytes:
    try:
        return _open(_viewing_key(share_id, token), bytes(wrapped), _aad(share_id, b"viewing"))
    except InvalidTag as exc:
        raise WrongLink("the viewing key did not open") from exc
