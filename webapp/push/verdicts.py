"""What becomes of a claimed reminder: the person's rules at the moment of sending (switches,
pause, quiet hours, the daily cap), and the verdict on what the push services answered.

Delivery is per device: a device that received a reminder is not sent it again, and one that
failed in a way worth retrying is retried on its own, while the others are done.
"""

from __future__ import annotations

import logging
import random
import uuid
from collections import defaultdict
from datetime import datetime, time, timedelta

from sqlalchemy import select

from webapp.auth.models import User
from webapp.calendar import local_date, local_to_utc, zone_of
from webapp.extensions import db
from webapp.push import planning, sql
from webapp.push.claims import Claim, Verdict
from webapp.push.models import ReminderSettings, kind_allowed
from webapp.push.placement import allowed_moment
from webapp.push.sender import PushResult
from webapp.push.sql import D, R, S, id_array

log = logging.getLogger(__name__)

RETRY_CAP_SECONDS = 3600
RETRY_AFTER_CAP_SECONDS = 24 * 3600
RETRYABLE = {"retry", "rate_limited", "not_sent"}


def rules_say(claim: Claim, user, settings: dict, now: datetime) -> Verdict | None:
    """Switched off, paused or quiet right now: no send this round."""
    if user is None:
        return Verdict("cancelled", "the account is gone")
    if user.disabled_at is not None:
        return Verdict("cancelled", "the account is paused")
    if claim.kind == "test":
        return None
    prefs = settings_of(claim.user_id, settings)
    if not kind_allowed(prefs, claim.kind):
        return Verdict("cancelled", "this kind of reminder is switched off")
    allowed = allowed_moment(now, prefs, zone_of(user))
    if allowed > now:
        return Verdict("pending", None, allowed, attempts_back=1)
    return None


def settings_of(user_id, settings: dict):
    """From the settings ``people`` read: the person's own, else the defaults (kept there)."""
    prefs = settings.get(user_id)
    if prefs is None:
        prefs = settings[user_id] = planning.default_settings(user_id)
    return prefs


def people(user_ids, pg: bool) -> tuple[dict, dict]:
    """Each person (id, timezone, disabled_at), and their reminder settings where saved."""
    if pg:
        rows = sql.run(sql.PEOPLE, ids=id_array(user_ids)).all()
        return {r.id: r for r in rows}, {r.id: r for r in rows if r.settings_of is not None}
    user_ids = list(user_ids)
    U, T = User.__table__, ReminderSettings.__table__
    users = db.session.execute(select(U.c.id, U.c.timezone, U.c.disabled_at)
                               .where(U.c.id.in_(user_ids)))
    settings = db.session.execute(select(T).where(T.c.user_id.in_(user_ids)))
    return {u.id: u for u in users}, {row.user_id: row for row in settings}


def devices_of(user_ids, pg: bool) -> dict[uuid.UUID, list]:
    """Each person's subscribed devices (id, user_id, endpoint, p256dh, auth)."""
    found: dict[uuid.UUID, list] = defaultdict(list)
    if pg:
        rows = sql.run(sql.DEVICES, ids=id_array(user_ids))
    else:
        rows = db.session.execute(select(S.c.id, S.c.user_id, S.c.endpoint, S.c.p256dh,
                                         S.c.auth).where(S.c.user_id.in_(list(user_ids))))
    for row in rows:
        found[row.user_id].append(row)
    return found


def delivered_devices(reminder_ids, pg: bool) -> dict[uuid.UUID, set]:
    """The devices each reminder already reached in an earlier round."""
    reached: dict[uuid.UUID, set] = defaultdict(set)
    if not reminder_ids:
        return reached
    if pg:
        rows = sql.run(sql.DELIVERED, ids=id_array(reminder_ids))
    else:
        rows = db.session.execute(select(D.c.reminder_id, D.c.subscription_id).where(
            D.c.reminder_id.in_(list(reminder_ids)), D.c.outcome == "sent"))
    for reminder_id, subscription_id in rows:
        reached[reminder_id].add(subscription_id)
    return reached


class DailyCap:
    """The daily cap checked again when sending: quiet hours, snoozes and retries can bring
    more reminders to one day than were planned on it. Counts, per person, the reminders
    (not tests) that reached a device on their local today, this batch's included."""

    def __init__(self, users: dict, settings: dict, now: datetime, pg: bool):
        self.users, self.settings, self.now = users, settings, now
        self.sent_today: dict[uuid.UUID, set] = defaultdict(set)
        if not users:
            return
        since = now - timedelta(hours=27)
        if pg:
            rows = sql.run(sql.SENT_SINCE, ids=id_array(users), since=since)
        else:
            rows = db.session.execute(
                select(R.c.user_id, R.c.id, D.c.attempted_at)
                .join(D, D.c.reminder_id == R.c.id)
                .where(R.c.user_id.in_(list(users)), R.c.kind != "test",
                       D.c.outcome == "sent", D.c.attempted_at >= since)
            )
        for user_id, reminder_id, attempted_at in rows:
            zone = zone_of(users[user_id])
            if local_date(attempted_at, zone) == local_date(now, zone):
                self.sent_today[user_id].add(reminder_id)

    def postpone(self, claim: Claim) -> Verdict | None:
        """None when the claim fits today (and is counted); else a move to tomorrow."""
        if claim.kind == "test":
            return None
        prefs = settings_of(claim.user_id, self.settings)
        counted = self.sent_today[claim.user_id]
        if claim.id in counted or len(counted) < prefs.daily_cap:
            counted.add(claim.id)
            return None
        zone = zone_of(self.users[claim.user_id])
        tomorrow = local_date(self.now, zone) + timedelta(days=1)
        moment = allowed_moment(local_to_utc(tomorrow, time(0), zone), prefs, zone)
        return Verdict("pending", "today's reminders reached the daily cap", moment,
                       attempts_back=1)


def judge(
    claim: Claim,
    results: list[PushResult],
    now: datetime,
    *,
    reached_before: bool,
    max_attempts: int,
    retry_base_seconds: float,
) -> Verdict:
    """The verdict on one reminder's round. Sent once every device has it, or none can get it
    but some did; retried (only to the devices that failed) while attempts remain."""
    outcomes = {r.outcome for r in results}
    reached = reached_before or "sent" in outcomes
    summary = "; ".join(sorted({f"{r.outcome}: {r.detail}"[:120] for r in results
                                if r.outcome != "sent"}))
    for result in results:
        if result.outcome == "too_large":
            log.error("push service refused reminder %s as too large (413): a payload bug",
                      claim.id)
    retryable = outcomes & RETRYABLE
    if not retryable:
        return Verdict("sent", summary or None) if reached else Verdict("failed", summary)
    if outcomes <= {"not_sent", "sent"}:
        # No time was left under the lease: not an attempt, try again at once.
        return Verdict("pending", None, now + timedelta(seconds=1), attempts_back=1)
    if claim.attempts >= max_attempts:
        gave_up = f"gave up after {claim.attempts} attempts: {summary}"
        return Verdict("sent" if reached else "failed", gave_up)
    waits = [r.retry_after for r in results if r.retry_after is not None]
    if waits:
        delay = min(max(waits), RETRY_AFTER_CAP_SECONDS)
    else:
        # Exponential backoff with jitter, so many dispatchers do not retry in step.
        ceiling = min(RETRY_CAP_SECONDS, retry_base_seconds * 2 ** (claim.attempts - 1))
        delay = random.uniform(ceiling / 2, ceiling)  # noqa: S311 (jitter, not secrecy)
    return Verdict("pending", summary, now + timedelta(seconds=delay))
