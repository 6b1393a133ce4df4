"""Model attributes whose text is stored encrypted under the owner's data key.

Declare the ciphertext column and the attribute that code reads and writes::

    _body: Mapped[bytes] = mapped_column("body", LargeBinary)
    body = EncryptedText()

Reading ``entry.body`` decrypts (once per stored value); assigning encrypts. The owner is
the row's ``user_id`` (``__encryption_owner__`` names another attribute if needed). Such
text cannot be searched or sorted in SQL: search decrypts the person's own rows instead.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import g, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from webapp import events
from webapp.auth.models import User
from webapp.crypto import KeyringError, current_keyring, decrypt_text, encrypt_text
from webapp.extensions import db

_PENDING = "_encrypted_pending"


def _data_key_cache() -> dict:
    if not has_app_context():
        return {}
    cache = g.get("_tend_data_keys")
    if cache is None:
        cache = g._tend_data_keys = {}
    return cache


def data_key_for(session: Session, owner_id: uuid.UUID) -> bytes:
    """The owner's unwrapped data key, unwrapped once per request.

    ``Session.get`` answers from the session when the person is loaded already (as the
    signed-in person always is), so this usually costs no query.
    """
    with session.no_autoflush:
        user = session.get(User, owner_id)
    wrapped = user.data_key if user is not None else None
    if not wrapped:
        raise LookupError(f"no data key for {owner_id}")
    cache = _data_key_cache()
    key = cache.get(wrapped)
    if key is None:
        try:
            key = current_keyring().unwrap(wrapped)
        except KeyringError:
            # The daily upkeep may have just moved this key to a fresh epoch: read it again.
            with session.no_autoflush:
                session.refresh(user, ["data_key"])
            if user.data_key == wrapped:
                raise
            wrapped = user.data_key
            key = current_keyring().unwrap(wrapped)
        cache[wrapped] = key
    return key


def text_reader(session: Session, owner_id: uuid.UUID):
    """A function decrypting one owner's stored text by field name, without loading models."""
    key = data_key_for(session, owner_id)

    def read(field_name: str, blob: bytes) -> str:
        return decrypt_text(key, owner_id, field_name, bytes(blob))

    return read


def _owner_id(obj: Any) -> uuid.UUID | None:
    attribute = getattr(type(obj), "__encryption_owner__", "user_id")
    owner = getattr(obj, attribute, None)
    if owner is None and attribute.endswith("_id"):
        related = getattr(obj, attribute[:-3], None)
        owner = getattr(related, "id", None)
    return owner


class EncryptedText:
    """A ``str | None`` attribute kept as ciphertext in the column attribute ``_<name>``."""

    __hash__ = object.__hash__

    def _not_in_sql(self, *args):
        raise TypeError(
            f"{self.name} is stored encrypted: it cannot be compared, searched or sorted in SQL. "
            "Load the rows and compare in Python."
        )

    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = _not_in_sql
    __clause_element__ = like = ilike = contains = startswith = in_ = _not_in_sql

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.column_attr = f"_{name}"
        self.cache_attr = f"_{name}_plaintext"
        registry = owner.__dict__.get("__encrypted_fields__")
        if registry is None:
            owner.__encrypted_fields__ = registry = []
        registry.append(self)

    def __get__(self, obj: Any, objtype: type | None = None):
        if obj is None:
            return self
        pending = obj.__dict__.get(_PENDING, {})
        if self.name in pending:
            return pending[self.name]
        blob = getattr(obj, self.column_attr)
        if blob is None:
            return None
        cached = obj.__dict__.get(self.cache_attr)
        if cached is not None and cached[0] == blob:
            return cached[1]
        session = Session.object_session(obj)
        key = data_key_for(session or db.session, _owner_id(obj))
        text = decrypt_text(key, _owner_id(obj), self.name, bytes(blob))
        obj.__dict__[self.cache_attr] = (blob, text)
        return text

    def __set__(self, obj: Any, value: str | None) -> None:
        if value is None:
            obj.__dict__.get(_PENDING, {}).pop(self.name, None)
            setattr(obj, self.column_attr, None)
            return
        if not isinstance(value, str):
            raise TypeError(f"{self.name} must be text")
        owner_id = _owner_id(obj)
        if owner_id is None:
            # The owner is not known yet (set later in the constructor): encrypt at flush.
            obj.__dict__.setdefault(_PENDING, {})[self.name] = value
            return
        self._seal(obj, owner_id, value)

    def _seal(self, obj: Any, owner_id: uuid.UUID, value: str) -> None:
        session = Session.object_session(obj) or db.session
        blob = encrypt_text(data_key_for(session, owner_id), owner_id, self.name, value)
        setattr(obj, self.column_attr, blob)
        obj.__dict__[self.cache_attr] = (blob, value)
        obj.__dict__.get(_PENDING, {}).pop(self.name, None)


@event.listens_for(Session, "before_flush")
def _encrypt_pending_text(session: Session, flush_context, instances) -> None:
    for obj in (*session.new, *session.dirty):
        pending = obj.__dict__.get(_PENDING)
        if not pending:
            continue
        owner_id = _owner_id(obj)
        if owner_id is None:
            raise ValueError(f"{type(obj).__name__} has encrypted text but no owner")
        for descriptor in type(obj).__encrypted_fields__:
            if descriptor.name in pending:
                descriptor._seal(obj, owner_id, pending[descriptor.name])


@events.account_erased.connect
def forget_data_keys(user_id, **_) -> None:
    """Drop unwrapped keys held for this request: the erased person's key is gone for good."""
    if has_app_context():
        g.pop("_tend_data_keys", None)
