"""Invitations and email-confirmed sign-up, independent of HTTP."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from webapp.auth.models import User
from webapp.auth.passwords import hash_secret, normalise_email, validate_credentials
from webapp.auth.security_log import record_event
from webapp.auth.services import find_user_by_email, register
from webapp.calendar import clean_timezone
from webapp.errors import ValidationError
from webapp.extensions import db
from webapp.mail.sender import public_url_for, send_mail
from webapp.onboarding.models import Invitation, PendingSignup
from webapp.recovery.tokens import hash_token, new_link_token, spend_once
from webapp.types import utcnow

SIGNUP_LINK_HOURS = 24
INVITE_GONE = "This invitation has expired, was already used, or invitations are closed here."
SIGNUP_GONE = "This link has expired or was already used. You can sign up again."


def registration_mode() -> str:
    """``open``, ``invite`` or ``closed`` (REGISTRATION_OPEN=0 closes invitations too)."""
    mode = current_app.config.get("REGISTRATION_MODE", "open")
    if mode == "open" and not current_app.config.get("REGISTRATION_OPEN", True):
        return "closed"
    return mode


# -- Invitations -------------------------------------------------------------------------------


def create_invitation(email: str | None = None, days: int | None = None) -> tuple[Invitation, str]:
    """A new single-use invitation and the link to hand over (shown once, never stored)."""
    email = normalise_email(email) if email else None
    if email and validate_credentials(email, "x" * 10):
        raise ValidationError({"email": "That is not an email address."})
    days = days or current_app.config["INVITATION_DAYS"]
    token = new_link_token()
    now = utcnow()
    invitation = Invitation(
        token_hash=hash_token(token), email=email, created_at=now,
        expires_at=now + timedelta(days=days),
    )
    db.session.add(invitation)
    db.session.commit()
    return invitation, public_url_for("onboarding.invitation", token=token)


def find_invitation(token: str, now: datetime | None = None) -> Invitation | None:
    if registration_mode() == "closed":
        return None
    invitation = db.session.scalar(
        select(Invitation).where(Invitation.token_hash == hash_token(token or ""))
    )
    if invitation is None or invitation.used_at is not None:
        return None
    if (now or utcnow()) >= invitation.expires_at:
        return None
    return invitation


def accept_invitation(token: str, email: str, password: str, timezone: str | None) -> User:
    invitation = find_invitation(token)
    if invitation is None:
        raise ValidationError({"invitation": INVITE_GONE})
    if invitation.email and normalise_email(email) != invitation.email:
        raise ValidationError({"email": "This invitation is for another address."})
    if not spend_once(Invitation, invitation.id):
        db.session.rollback()
        raise ValidationError({"invitation": INVITE_GONE})
    try:
        user = register(email, password, timezone)  # commits the spent invitation with it
    except ValidationError:
        db.session.rollback()
        raise
    invitation.user_id = user.id
    db.session.commit()
    return user


# -- Sign-up confirmed by email ----------------------------------------------------------------


def start_email_signup(email: str, password: str, timezone: str | None) -> None:
    """Check the form, then email either a confirmation link or, when the address already
    has an account, a note that someone tried to sign up with it. The page says the same."""
    email = normalise_email(email)
    errors = validate_credentials(email, password)
    if errors:
        raise ValidationError(errors)
    if find_user_by_email(email) is not None:
        send_mail(email, "signup_existing", login_link=public_url_for("auth.login"),
                  forgot_link=public_url_for("recovery.forgot"))
        # The same Argon2 work as a new sign-up, so timing tells nothing either.
        hash_secret(password)
        return
    token = new_link_token()
    now = utcnow()
    db.session.add(
        PendingSignup(
            email=email, password_hash=hash_secret(password),
            timezone=clean_timezone(timezone), token_hash=hash_token(token), created_at=now,
            expires_at=now + timedelta(hours=SIGNUP_LINK_HOURS),
        )
    )
    db.session.commit()
    send_mail(email, "signup_confirm", link=public_url_for("onboarding.confirm", token=token),
              hours=SIGNUP_LINK_HOURS)


def find_pending_signup(token: str, now: datetime | None = None) -> PendingSignup | None:
    pending = db.session.scalar(
        select(PendingSignup).where(PendingSignup.token_hash == hash_token(token or ""))
    )
    if pending is None or (now or utcnow()) >= pending.expires_at:
        return None
    return pending


def confirm_signup(token: str) -> User:
    pending = find_pending_signup(token)
    if pending is None:
        raise ValidationError({"token": SIGNUP_GONE})
    if find_user_by_email(pending.email) is not None:
        db.session.execute(delete(PendingSignup).where(PendingSignup.email == pending.email))
        db.session.commit()
        raise ValidationError({"token": "This address already has an account. You can sign in."})
    user = User(email=pending.email, password_hash=pending.password_hash,
                timezone=pending.timezone)
    db.session.add(user)
    db.session.execute(delete(PendingSignup).where(PendingSignup.email == pending.email))
    try:
        db.session.commit()
    except IntegrityError:  # confirmed twice at the same moment: the first one won
        db.session.rollback()
        raise ValidationError({"token": SIGNUP_GONE}) from None
    return user


def welcome(user: User, device: str | None) -> None:
    record_event(user, "account_created", device)
