"""Recovery codes and password resets, independent of HTTP.

Setting a password either way signs out every device and is written to the security log.
Journal text is encrypted under a data key that the password does not wrap (the master key
does), so a new password never loses anything.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_login import current_user
from sqlalchemy import bindparam, delete, exists, func, select, update

from webapp.auth.models import User
from webapp.auth.passwords import hash_secret, validate_credentials, verify
from webapp.auth.security_log import record_event
from webapp.auth.services import find_user_by_email, set_password
from webapp.errors import ValidationError
from webapp.extensions import db
from webapp.mail.sender import public_url_for, send_mail
from webapp.recovery.models import PasswordReset, RecoveryCode
from webapp.recovery.tokens import hash_token, new_link_token, spend_once
from webapp.types import utcnow

CODE_COUNT = 10
CODE_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford's base32: no i, l, o or u
CODE_LENGTH = 16  # 80 bits
# Right after sign-up the first codes need no password again; later they do, so that a
# borrowed, signed-in phone cannot be turned into lasting access.
FIRST_CODES_WINDOW = timedelta(hours=1)
NO_MATCH = "That email and recovery code do not go together. Check both and try again."
LINK_GONE = "This link has expired or was already used. You can ask for a new one."


# -- Recovery codes --------------------------------------------------------------------------


def normalise_code(text: str | None) -> str | None:
    """Lowercase, drop spaces and dashes, read i/l as 1 and o as 0; None unless 16 symbols."""
    cleaned = "".join(ch for ch in (text or "").lower() if ch.isalnum())
    cleaned = cleaned.translate(str.maketrans("ilo", "110"))
    if len(cleaned) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in cleaned):
        return None
    return cleaned


def _hint(normalised: str) -> str:
    return hashlib.sha256(normalised.encode()).hexdigest()[:2]


def _format(normalised: str) -> str:
    return "-".join(normalised[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def make_recovery_codes(user: User) -> list[str]:
    """Replace the person's codes with ten new ones; the only time they exist in clear."""
    codes = ["".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
             for _ in range(CODE_COUNT)]
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.add_all(
        RecoveryCode(user_id=user.id, code_hash=hash_secret(code), hint=_hint(code))
        for code in codes
    )
    db.session.commit()
    record_event(user, "recovery_codes_created")
    return [_format(code) for code in codes]


def codes_left(user: User) -> int:
    return db.session.scalar(
        select(func.count()).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )


_HAS_CODES = select(exists().where(RecoveryCode.user_id == bindparam("user_id")))


def has_had_codes(user: User) -> bool:
    return bool(db.session.scalar(_HAS_CODES, {"user_id": user.id}))


def recovery_codes_missing() -> bool:
    """For pages: the signed-in person has never made recovery codes."""
    return bool(current_user and current_user.is_authenticated and not has_had_codes(current_user))


def may_make_first_codes(user: User, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return not has_had_codes(user) and now - user.created_at < FIRST_CODES_WINDOW


def renew_recovery_codes(user: User, password: str) -> list[str]:
    if not verify(user.password_hash, password or ""):
        raise ValidationError({"password": "That is not your password."})  # noqa: S105
    return make_recovery_codes(user)


def recover_with_code(email: str, code: str, new_password: str) -> User:
    """Set a new password with one recovery code; every device is signed out.

    An unknown email, a paused account and a wrong code get the same answer after the same
    work (one Argon2 verification), so this form tells nobody who has an account.
    """
    errors = validate_credentials("x@x", new_password)
    if "password" in errors:
        raise ValidationError({"new_password": errors["password"]})
    normalised = normalise_code(code)
    user = find_user_by_email(email)
    candidates = []
    if user is not None and normalised is not None:
        candidates = list(db.session.scalars(
            select(RecoveryCode).where(
                RecoveryCode.user_id == user.id,
                RecoveryCode.hint == _hint(normalised),
                RecoveryCode.used_at.is_(None),
            )
        ))
    matched = next((c for c in candidates if verify(c.code_hash, normalised)), None)
    if not candidates:
        verify(None, normalised or "")
    if matched is None or user.disabled_at is not None:
        raise ValidationError({"code": NO_MATCH})
    # Spend the code first, guarded by its state, so two requests cannot both use it.
    if not spend_once(RecoveryCode, matched.id):
        db.session.rollback()
        raise ValidationError({"code": NO_MATCH})
    db.session.commit()
    record_event(user, "recovery_code_used")
    set_password(user, new_password)
    return user


# -- Reset links -----------------------------------------------------------------------------


def make_reset_link(user: User, minutes: int | None = None) -> str:
    """A single-use link to set a new password, valid for ``minutes`` (30 by default)."""
    minutes = minutes or current_app.config["PASSWORD_RESET_MINUTES"]
    token = new_link_token()
    now = utcnow()
    db.session.add(
        PasswordReset(
            user_id=user.id,
            token_hash=hash_token(token),
            created_at=now,
            expires_at=now + timedelta(minutes=minutes),
        )
    )
    db.session.commit()
    return public_url_for("recovery.reset", token=token)


def request_password_reset(email: str) -> None:
    """Email a reset link if the address has an account; the caller answers the same anyway."""
    user = find_user_by_email(email)
    if user is None or user.disabled_at is not None:
        return
    link = make_reset_link(user)
    send_mail(user.email, "password_reset", link=link,
              minutes=current_app.config["PASSWORD_RESET_MINUTES"])


def find_reset(token: str, now: datetime | None = None) -> PasswordReset | None:
    """The reset behind a link, while it is unused, unexpired and its account open."""
    now = now or utcnow()
    reset = db.session.scalar(
        select(PasswordReset).where(PasswordReset.token_hash == hash_token(token or ""))
    )
    if reset is None or reset.used_at is not None or now >= reset.expires_at:
        return None
    user = db.session.get(User, reset.user_id)
    if user is None or user.disabled_at is not None:
        return None
    return reset


def reset_password(token: str, new_password: str) -> User:
    reset = find_reset(token)
    if reset is None:
        raise ValidationError({"token": LINK_GONE})
    user = db.session.get(User, reset.user_id)
    errors = validate_credentials(user.email, new_password)
    if "password" in errors:
        raise ValidationError({"new_password": errors["password"]})
    # Spend this link and every other one of theirs; only one request can win.
    if not spend_once(PasswordReset, reset.id):
        db.session.rollback()
        raise ValidationError({"token": LINK_GONE})
    db.session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=utcnow())
    )
    db.session.commit()
    set_password(user, new_password, event="password_reset")
    return user
