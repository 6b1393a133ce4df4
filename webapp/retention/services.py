"""What is pruned, and after how long (RETENTION_* settings)."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, or_

from webapp.auth.models import SecurityEvent
from webapp.extensions import db
from webapp.onboarding.models import Invitation, PendingSignup
from webapp.push.models import Delivery
from webapp.recovery.models import PasswordReset
from webapp.types import utcnow

# Spent or expired links are kept a little while, so "this link was used" can still be said.
LINKS_KEPT = timedelta(days=7)


def prune(now: datetime | None = None) -> dict[str, int]:
    """Delete what has outlived its use; returns how many rows of each kind went."""
    now = now or utcnow()
    config = current_app.config
    deliveries_before = now - timedelta(days=config["RETENTION_DELIVERY_DAYS"])
    events_before = now - timedelta(days=config["RETENTION_SECURITY_LOG_DAYS"])
    links_before = now - LINKS_KEPT
    removed = {
        "push deliveries": db.session.execute(
            delete(Delivery).where(Delivery.attempted_at < deliveries_before)
        ).rowcount,
        "security log": db.session.execute(
            delete(SecurityEvent).where(SecurityEvent.created_at < events_before)
        ).rowcount,
        "reset links": db.session.execute(
            delete(PasswordReset).where(PasswordReset.expires_at < links_before)
        ).rowcount,
        "sign-up links": db.session.execute(
            delete(PendingSignup).where(PendingSignup.expires_at < links_before)
        ).rowcount,
        "invitations": db.session.execute(
            delete(Invitation).where(
                or_(Invitation.expires_at < links_before, Invitation.used_at < links_before)
            )
        ).rowcount,
    }
    db.session.commit()
    return removed
