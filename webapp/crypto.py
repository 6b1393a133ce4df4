"""Encryption at rest: journal text is AES-256-GCM ciphertext under a per-person data key.

Each person's data key is stored *wrapped* (encrypted) by a master key that never touches the
database. A copy of the database alone therefore reveals no journal text, and deleting a
person's wrapped key makes whatever might survive of their rows unreadable (crypto-shredding).

Master keys live in a keyring: ``TEND_MASTER_KEY`` (and ``TEND_OLD_MASTER_KEYS`` while
rotating, both read by ``webapp.config``), or else ``instance/master_keys.json``, created on
first run. Every wrapped key
names the master key it was wrapped with, so the master key can be rotated while Tend runs
(see ``flask keys --help``).

Data keys are wrapped under a *key epoch* (format 2): a random key of its own, stored in the
database wrapped by the master key. When an account is erased, its epoch is retired by the
daily upkeep: everyone else's data key is wrapped anew under a fresh epoch and the retired
epoch's key is deleted, so no copy of the database, even with the master key, opens the
erased person's data key any more (``webapp.auth.epochs``). Format 1 (a data key wrapped by
the master key directly) is still read, for databases not yet migrated.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

KEY_BYTES = 32
NONCE_BYTES = 12
FORMAT = b"\x01"
WRAP_AAD = b"tend:data-key:v1"
EPOCH_FORMAT = b"\x02"  # then the epoch's 16-byte id, a nonce, the sealed data key
EPOCH_WRAP_AAD = b"tend:data-key:v2:"
EPOCH_KEY_SECONDS = 600  # how long a process keeps an epoch's key before reading it again


class KeyringError(RuntimeError):
    """The master key cannot open this database's data keys: stop rather than show garbage."""


class DecryptionError(RuntimeError):
    """A value failed authentication: it was altered, or belongs to someone else."""


def key_id(key: bytes) -> str:
    return hashlib.sha256(b"tend-master-key-id" + key).hexdigest()[:12]


def encode_key(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode().rstrip("=")


def decode_key(text: str) -> bytes:
    text = text.strip()
    try:
        key = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise KeyringError("A master key is not valid base64url text.") from exc
    if len(key) != KEY_BYTES:
        raise KeyringError(f"A master key must be {KEY_BYTES} bytes (43 base64url characters).")
    return key


def generate_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


class EpochStore(Protocol):
    """Where key epochs live (the database; see ``webapp.auth.epochs``)."""

    def current(self, keyring: Keyring) -> tuple[uuid.UUID, bytes]:
        """The epoch new data keys are wrapped under: its id and its master-wrapped key."""

    def wrapped(self, epoch_id: uuid.UUID) -> bytes | None:
        """An epoch's master-wrapped key, or None once it is retired."""


@dataclass
class Keyring:
    """The master keys this process knows, by id, and which one wraps new data keys."""

    keys: dict[str, bytes]
    primary: str
    path: Path | None = None  # set when the keyring is the instance file
    epochs: EpochStore | None = None  # without it, data keys are wrapped by the master key
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _epoch_keys: dict = field(default_factory=dict, repr=False)

    # -- building ------------------------------------------------------------------------

    @classmethod
    def from_settings(
        cls, master_key: str | None, old_master_keys: list[str], instance_path: Path
    ) -> Keyring:
        """The keyring given in the environment, else the instance file (made on first run)."""
        if master_key:
            primary = decode_key(master_key)
            keys = {key_id(primary): primary}
            for old in old_master_keys:
                old_key = decode_key(old)
                keys[key_id(old_key)] = old_key
            return cls(keys=keys, primary=key_id(primary))
        return cls.from_file(instance_path / "master_keys.json", create=True)

    @classmethod
    def from_file(cls, path: Path, *, create: bool = False) -> Keyring:
        if not path.exists():
            if not create:
                raise KeyringError(f"No master key file at {path}.")
            key = generate_key()
            keyring = cls(keys={key_id(key): key}, primary=key_id(key), path=path)
            keyring.save(exclusive=True)
            return cls.from_file(path)  # whoever won a race to create it
        try:
            data = json.loads(path.read_text())
            keys = {kid: decode_key(text) for kid, text in data["keys"].items()}
            primary = data["primary"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise KeyringError(f"The master key file {path} cannot be read: {exc}") from exc
        for kid, key in keys.items():
            if key_id(key) != kid:
                raise KeyringError(f"The master key file {path} is damaged (key {kid}).")
        if primary not in keys:
            raise KeyringError(f"The master key file {path} names no usable primary key.")
        return cls(keys=keys, primary=primary, path=path)

    def save(self, *, exclusive: bool = False) -> None:
        """Write the keyring file (mode 0600) atomically."""
        assert self.path is not None
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        payload = json.dumps(
            {"primary": self.primary, "keys": {k: encode_key(v) for k, v in self.keys.items()}},
            indent=2,
        )
        if exclusive:
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                return
            with os.fdopen(fd, "w") as handle:
                handle.write(payload + "\n")
            return
        temporary = self.path.with_suffix(".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(payload + "\n")
        os.replace(temporary, self.path)

    def add_primary(self, key: bytes) -> str:
        kid = key_id(key)
        with self._lock:
            self.keys[kid] = key
            self.primary = kid
        return kid

    def _key(self, kid: str) -> bytes:
        key = self.keys.get(kid)
        if key is None and self.path is not None:
            # Another process (`flask keys rotate`) may have added it: read the file again.
            fresh = Keyring.from_file(self.path)
            with self._lock:
                self.keys.update(fresh.keys)
            key = self.keys.get(kid)
        if key is None:
            raise KeyringError(
                f"Data was protected with master key {kid}, which this server does not have. "
                "Set TEND_MASTER_KEY (or TEND_OLD_MASTER_KEYS) to the key this database uses."
            )
        return key

    # -- data keys -----------------------------------------------------------------------

    def new_wrapped_data_key(self) -> bytes:
        if self.epochs is None:
            return self.wrap(generate_key())
        epoch_id, wrapped_epoch_key = self.epochs.current(self)
        return self.wrap_in_epoch(generate_key(), epoch_id, self.unwrap(wrapped_epoch_key))

    def wrap(self, data_key: bytes) -> bytes:
        """Seal a key under the primary master key (format 1: epoch keys, older data keys)."""
        kid = self.primary.encode()
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = AESGCM(self.keys[self.primary]).encrypt(nonce, data_key, WRAP_AAD + kid)
        return FORMAT + bytes([len(kid)]) + kid + nonce + sealed

    def wrap_in_epoch(self, data_key: bytes, epoch_id: uuid.UUID, epoch_key: bytes) -> bytes:
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = AESGCM(epoch_key).encrypt(nonce, data_key, EPOCH_WRAP_AAD + epoch_id.bytes)
        return EPOCH_FORMAT + epoch_id.bytes + nonce + sealed

    def unwrap(self, wrapped: bytes) -> bytes:
        if wrapped[:1] == EPOCH_FORMAT:
            epoch_id = uuid.UUID(bytes=bytes(wrapped[1:17]))
            nonce, sealed = wrapped[17 : 17 + NONCE_BYTES], wrapped[17 + NONCE_BYTES :]
            try:
                return AESGCM(self.epoch_key(epoch_id)).decrypt(
                    nonce, sealed, EPOCH_WRAP_AAD + epoch_id.bytes
                )
            except InvalidTag as exc:
                raise KeyringError(f"Key epoch {epoch_id} does not open this data key.") from exc
        kid = wrapped_key_id(wrapped)
        start = 2 + len(kid)
        nonce, sealed = wrapped[start : start + NONCE_BYTES], wrapped[start + NONCE_BYTES :]
        try:
            return AESGCM(self._key(kid)).decrypt(nonce, sealed, WRAP_AAD + kid.encode())
        except InvalidTag as exc:
            raise KeyringError(
                f"Master key {kid} does not open this database's data keys: "
                "the configured master key is wrong."
            ) from exc

    def epoch_key(self, epoch_id: uuid.UUID) -> bytes:
        """An epoch's key, read from the epoch store (and kept a few minutes in memory)."""
        kept = self._epoch_keys.get(epoch_id)
        if kept is not None and kept[1] > time.monotonic():
            return kept[0]
        wrapped = self.epochs.wrapped(epoch_id) if self.epochs is not None else None
        if wrapped is None:
            raise KeyringError(f"Key epoch {epoch_id} is retired: what it wrapped is gone.")
        key = self.unwrap(bytes(wrapped))
        self._epoch_keys[epoch_id] = (key, time.monotonic() + EPOCH_KEY_SECONDS)
        return key

    def forget_epoch(self, epoch_id: uuid.UUID) -> None:
        self._epoch_keys.pop(epoch_id, None)

    def needs_rewrap(self, wrapped: bytes) -> bool:
        """Whether a key sealed under a master key is not under the primary one (a data key
        wrapped in an epoch depends on the master key only through its epoch)."""
        return wrapped[:1] != EPOCH_FORMAT and wrapped_key_id(wrapped) != self.primary

    # -- keys for one purpose ------------------------------------------------------------

    def derive(self, purpose: bytes, kid: str | None = None) -> tuple[str, bytes]:
        """A key for one purpose (``purpose`` names it), derived from master key ``kid``
        (the primary by default) with HKDF-SHA256; never stored, and never in the database."""
        kid = kid or self.primary
        key = HKDF(algorithm=SHA256(), length=KEY_BYTES, salt=None, info=purpose).derive(
            self._key(kid)
        )
        return kid, key


def current_keyring() -> Keyring:
    """The running app's keyring (loaded at start-up by ``webapp.auth.keys``)."""
    return current_app.extensions["tend_keyring"]


def epoch_of(wrapped: bytes) -> uuid.UUID | None:
    """The key epoch a data key is wrapped in (None for one wrapped by the master key)."""
    if wrapped and wrapped[:1] == EPOCH_FORMAT:
        return uuid.UUID(bytes=bytes(wrapped[1:17]))
    return None


def wrapped_key_id(wrapped: bytes) -> str:
    if not wrapped or wrapped[:1] != FORMAT:
        raise KeyringError("A stored data key has an unknown format.")
    length = wrapped[1]
    return wrapped[2 : 2 + length].decode()


# -- field encryption ------------------------------------------------------------------------


def field_aad(owner_id: uuid.UUID, field_name: str) -> bytes:
    """Ties a ciphertext to its owner and field, so it cannot be moved elsewhere unnoticed."""
    return b"tend:field:v1:" + owner_id.bytes + field_name.encode()


def encrypt_text(data_key: bytes, owner_id: uuid.UUID, field_name: str, text: str) -> bytes:
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = AESGCM(data_key).encrypt(nonce, text.encode(), field_aad(owner_id, field_name))
    return FORMAT + nonce + sealed


def decrypt_text(data_key: bytes, owner_id: uuid.UUID, field_name: str, blob: bytes) -> str:
    if blob[:1] != FORMAT:
        raise DecryptionError("unknown ciphertext format")
    nonce, sealed = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
    try:
        return AESGCM(data_key).decrypt(nonce, sealed, field_aad(owner_id, field_name)).decode()
    except InvalidTag as exc:
        raise DecryptionError(f"{field_name} failed authentication") from exc
