"""Storing the devices a person allowed to receive reminders."""

from __future__ import annotations

import base64
import binascii
import uuid
from urllib.parse import urlsplit

from sqlalchemy import func, select

from webapp.auth.models import User
from webapp.errors import ValidationError
from webapp.extensions import db
from webapp.push.endpoints import EndpointPolicy
from webapp.push.models import PushSubscription

MAX_DEVICES = 20
LABEL_MAX = 80


def _b64url_bytes(value) -> bytes | None:
    if not isinstance(value, str) or len(value) > 200:
        return None
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return None


def _b64url_text(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def clean_label(text: str) -> str:
    """A device name as one line of printable text (no NUL, no control characters)."""
    printable = "".join(ch if ch.isprintable() else " " for ch in text[: LABEL_MAX * 4])
    return " ".join(printable.split())[:LABEL_MAX]


def parse_subscription(data, policy: EndpointPolicy | None = None) -> dict:
    """Check a browser's PushSubscription JSON (plus a device label); raise ValidationError.
    The push address must be one ``policy`` allows (see ``webapp.push.endpoints``)."""
    policy = policy or EndpointPolicy()
    if not isinstance(data, dict):
        raise ValidationError({"subscription": "Expected a JSON object."})
    errors: dict[str, str] = {}
    endpoint = data.get("endpoint")
    keys = data.get("keys") if isinstance(data.get("keys"), dict) else {}
    if not isinstance(endpoint, str) or len(endpoint) > 2048:
        errors["endpoint"] = "The push address is missing or too long."
    elif not endpoint.isascii() or not endpoint.isprintable() or " " in endpoint:
        errors["endpoint"] = "The push address must be a URL without spaces or control characters."
    else:
        refusal = policy.refusal(endpoint)
        host = (urlsplit(endpoint).hostname or "") if refusal is None else ""
        if refusal is None and not policy.built_in_host(host) and policy.resolves_inside(host):
            refusal = "The push address leads inside a private network."
        if refusal:
            errors["endpoint"] = refusal
    p256dh = _b64url_bytes(keys.get("p256dh"))
    if p256dh is None or len(p256dh) != 65 or p256dh[0] != 4:
        errors["p256dh"] = "The device's public key is not a P-256 key."
    auth = _b64url_bytes(keys.get("auth"))
    if auth is None or len(auth) != 16:
        errors["auth"] = "The device's auth secret must be 16 bytes."
    label = data.get("device_label", "")
    if not isinstance(label, str):
        errors["device_label"] = "The device name must be text."
        label = ""
    label = clean_label(label) or "This device"
    if errors:
        raise ValidationError(errors)
    return {
        "endpoint": endpoint,
        # Stored as re-encoded from the bytes: the decoder skips stray characters (a NUL too).
        "p256dh": _b64url_text(p256dh),
        "auth": _b64url_text(auth),
        "device_label": label,
    }


def save_subscription(user: User, fields: dict) -> PushSubscription:
    """Store a device for ``user``. Subscribing again from the same browser updates it
    (and moves it to whoever is signed in there now)."""
    existing = db.session.scalar(
        select(PushSubscription).where(PushSubscription.endpoint == fields["endpoint"])
    )
    if existing is None:
        count = db.session.scalar(
            select(func.count()).select_from(PushSubscription)
            .where(PushSubscription.user_id == user.id)
        )
        if count >= MAX_DEVICES:
            raise ValidationError(
                {"subscription": f"Up to {MAX_DEVICES} devices can receive reminders. "
                                 "Please remove one you no longer use."}
            )
        existing = PushSubscription(user_id=user.id, **fields)
        db.session.add(existing)
    else:
        existing.user_id = user.id
        for name, value in fields.items():
            setattr(existing, name, value)
    db.session.commit()
    return existing


def devices_of(user: User) -> list[PushSubscription]:
    return list(db.session.scalars(
        select(PushSubscription).where(PushSubscription.user_id == user.id)
        .order_by(PushSubscription.created_at)
    ))


def remove_subscription(user: User, subscription_id: uuid.UUID) -> bool:
    found = db.session.get(PushSubscription, subscription_id)
    if found is None or found.user_id != user.id:
        return False
    db.session.delete(found)  # its delivery records stay, without it (ON DELETE SET NULL)
    db.session.commit()
    return True
