"""The dispatcher: claims due reminders, applies the person's rules, sends, records.

Several dispatchers (threads, processes, machines) may run at once; ``webapp.push.claims``
keeps them from sending one reminder twice. A dispatcher killed mid-batch loses nothing:
its leases run out and the rows are due again.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from urllib.parse import urljoin

from flask import Flask
from sqlalchemy import select

from webapp.auth.models import User
from webapp.calendar import zone_of
from webapp.events import dispatcher_round
from webapp.extensions import db
from webapp.push import planning
from webapp.push.claims import (
    MAX_LEASE_SECONDS,
    Claim,
    Verdict,
    claim_due,
    record_outcomes,
)
from webapp.push.models import ReminderSettings, kind_allowed
from webapp.push.placement import allowed_moment
from webapp.push.schedules import run_daily_upkeep
from webapp.push.sender import PushMessage, PushResult, PushSender, notification_payload
from webapp.push.sql import S, among, on_postgresql
from webapp.push.tokens import SnoozeTokens
from webapp.push.vapid import VapidSigner, vapid_for
from webapp.types import utcnow

log = logging.getLogger(__name__)

# Seconds kept free at the end of a lease: no request starts (or runs) past this point.
LEASE_MARGIN = 3
RETRY_CAP_SECONDS = 3600
RETRY_AFTER_CAP_SECONDS = 24 * 3600

DELIVERY_OPTIONS = {
    # kind: (TTL seconds, Urgency, Topic)
    "journey_checkin": (24 * 3600, "normal", "journey-checkin"),
    "practice": (4 * 3600, "normal", "practice"),
    "intention": (72 * 3600, "low", "intention"),
    "test": (600, "high", "test"),
}


class Dispatcher:
    def __init__(
        self,
        sender: PushSender,
        *,
        public_url: str,
        secret_key: str,
        batch_size: int = 200,
        lease_seconds: float = MAX_LEASE_SECONDS,
        max_attempts: int = 5,
        retry_base_seconds: float = 60.0,
        icon: str = "/static/img/reminder-icon.png",
        badge: str = "/static/img/reminder-badge.png",
    ):
        self.sender = sender
        self.public_url = public_url.rstrip("/") + "/"
        self.snooze_tokens = SnoozeTokens(secret_key)
        self.batch_size = batch_size
        self.lease_seconds = min(lease_seconds, MAX_LEASE_SECONDS)
        self.max_attempts = max_attempts
        self.retry_base_seconds = retry_base_seconds
        self.icon = urljoin(self.public_url, icon)
        self.badge = urljoin(self.public_url, badge)
        self.snooze_url = urljoin(self.public_url, "/reminders/snooze")
        self.stale_outcomes = 0

    # --- the loop ---------------------------------------------------------------------------

    def run(self, stop: threading.Event, idle_seconds: float = 2.0) -> None:
        """Dispatch until ``stop`` is set; the batch in hand is always finished first.
        Once a day (and on start) the daily upkeep runs (``webapp.events.daily_upkeep``)."""
        planned_on = None
        while not stop.is_set():
            if planned_on != utcnow().date():
                planned_on = utcnow().date()
                run_daily_upkeep()
            try:
                handled = self.dispatch_batch()
            except Exception:
                log.exception("dispatch round failed; trying again shortly")
                db.session.rollback()
                handled = 0
            if handled == 0:
                stop.wait(idle_seconds)

    def run_once(self, max_batches: int = 10_000) -> int:
        """Send everything due now, then return how many reminders were handled."""
        total = 0
        for _ in range(max_batches):
            handled = self.dispatch_batch()
            if handled == 0:
                break
            total += handled
        return total

    # --- one batch --------------------------------------------------------------------------

    def dispatch_batch(self) -> int:
        claims = claim_due(self.batch_size, self.lease_seconds)
        if not claims:
            dispatcher_round.send(self, outcomes={}, answers={}, lags=[])
            return 0
        margin = min(LEASE_MARGIN, self.lease_seconds / 3)
        deadline = time.monotonic() + self.lease_seconds - margin
        now = utcnow()
        verdicts: dict[uuid.UUID, Verdict] = {}
        to_send = []
        pg = on_postgresql()
        user_ids = {c.user_id for c in claims}
        users = {u.id: u for u in db.session.execute(
            select(User.id, User.timezone, User.disabled_at)
            .where(among(User.__table__.c.id, user_ids, pg)))}
        T = ReminderSettings.__table__
        settings = {
            row.user_id: row
            for row in db.session.execute(select(T).where(among(T.c.user_id, user_ids, pg)))
        }
        for claim in claims:
            verdict = self._rules_say(claim, users.get(claim.user_id), settings, now)
            if verdict is None:
                to_send.append(claim)
            else:
                verdicts[claim.id] = verdict

        subscriptions = defaultdict(list)
        if to_send:
            for sub in db.session.execute(
                select(S.c.id, S.c.user_id, S.c.endpoint, S.c.p256dh, S.c.auth).where(
                    among(S.c.user_id, {c.user_id for c in to_send}, pg)
                )
            ):
                subscriptions[sub.user_id].append(sub)
        db.session.commit()  # end the read transaction before the network round

        messages, owners = [], []
        for claim in to_send:
            subs = subscriptions.get(claim.user_id, [])
            if not subs:
                verdicts[claim.id] = Verdict("failed", "no device is subscribed")
                continue
            payload = self._payload(claim)
            ttl, urgency, topic = DELIVERY_OPTIONS.get(claim.kind, DELIVERY_OPTIONS["test"])
            for sub in subs:
                messages.append(PushMessage(sub.id, sub.endpoint, sub.p256dh, sub.auth,
                                            payload, ttl, urgency, topic))
                owners.append(claim)
        results = self.sender.send_batch(messages, deadline)
        by_claim: dict[uuid.UUID, list[PushResult]] = defaultdict(list)
        for claim, result in zip(owners, results, strict=True):
            by_claim[claim.id].append(result)
        for claim in to_send:
            if claim.id in by_claim:
                verdicts[claim.id] = self._judge(claim, by_claim[claim.id], utcnow())
        self.stale_outcomes += record_outcomes(claims, verdicts, by_claim)
        sent_at = utcnow()
        dispatcher_round.send(
            self,
            outcomes=Counter(v.status for v in verdicts.values()),
            answers=Counter(r.outcome for results in by_claim.values() for r in results),
            lags=[(sent_at - c.due_at).total_seconds() for c in claims
                  if c.due_at and verdicts[c.id].status == "sent"],
        )
        return len(claims)

    def _rules_say(self, claim: Claim, user, settings, now) -> Verdict | None:
        """Switched off, paused or quiet right now: no send this round."""
        if user is None:
            return Verdict("cancelled", "the account is gone")
        if user.disabled_at is not None:
            return Verdict("cancelled", "the account is paused")
        if claim.kind == "test":
            return None
        prefs = settings.get(claim.user_id) or planning.settings_for(claim.user_id)
        if not kind_allowed(prefs, claim.kind):
            return Verdict("cancelled", "this kind of reminder is switched off")
        allowed = allowed_moment(now, prefs, zone_of(user))
        if allowed > now:
            return Verdict("pending", None, allowed, attempts_back=1)
        return None

    def _absolute(self, path: str) -> str:
        if path.startswith("/") and not path.startswith("//"):
            return self.public_url + path[1:]
        return urljoin(self.public_url, path)

    def _payload(self, claim: Claim) -> bytes:
        token = self.snooze_tokens.dumps(claim.id)
        return notification_payload(
            title=claim.title,
            body=claim.body,
            url=self._absolute(claim.url),
            tag=f"tend-{claim.kind}-{claim.id}",
            reminder_id=str(claim.id),
            snooze_url=self.snooze_url,
            snooze_token=token,
            later_url=f"{self.public_url}reminders/later?t={token}",
            icon=self.icon,
            badge=self.badge,
        )

    def _judge(self, claim: Claim, results: list[PushResult], now: datetime) -> Verdict:
        outcomes = {r.outcome for r in results}
        if "sent" in outcomes:
            return Verdict("sent")
        summary = "; ".join(sorted({f"{r.outcome}: {r.detail}"[:120] for r in results}))
        for result in results:
            if result.outcome == "too_large":
                log.error("push service refused reminder %s as too large (413): a payload bug",
                          claim.id)
        if outcomes == {"not_sent"}:
            return Verdict("pending", None, now + timedelta(seconds=1), attempts_back=1)
        retryable = outcomes & {"retry", "rate_limited", "not_sent"}
        if not retryable:
            return Verdict("failed", summary[:255])
        if claim.attempts >= self.max_attempts:
            return Verdict("failed", f"gave up after {claim.attempts} attempts: {summary}"[:255])
        waits = [r.retry_after for r in results if r.retry_after is not None]
        if waits:
            delay = min(max(waits), RETRY_AFTER_CAP_SECONDS)
        else:
            # Exponential backoff with jitter, so many dispatchers do not retry in step.
            ceiling = min(RETRY_CAP_SECONDS, self.retry_base_seconds * 2 ** (claim.attempts - 1))
            delay = random.uniform(ceiling / 2, ceiling)  # noqa: S311 (jitter, not secrecy)
        return Verdict("pending", summary[:255], now + timedelta(seconds=delay))

def make_sender(app: Flask) -> PushSender:
    subject = app.config["VAPID_SUBJECT"] or ""
    if not subject.startswith(("mailto:", "https://")):
        raise RuntimeError(
            f"VAPID_SUBJECT must be a mailto: address or an https: URL, not {subject!r}"
        )
    signer = VapidSigner(vapid_for(app), app.config["VAPID_SUBJECT"])
    return PushSender(
        signer,
        connect_timeout=app.config["PUSH_CONNECT_TIMEOUT"],
        read_timeout=app.config["PUSH_READ_TIMEOUT"],
        concurrency=app.config["PUSH_CONCURRENCY"],
    )


def make_dispatcher(app: Flask, sender: PushSender | None = None, **overrides) -> Dispatcher:
    options = {
        "public_url": app.config["PUBLIC_URL"],
        "secret_key": app.config["SECRET_KEY"],
        "batch_size": app.config["REMINDER_BATCH_SIZE"],
        "lease_seconds": app.config["REMINDER_LEASE_SECONDS"],
        "max_attempts": app.config["REMINDER_MAX_ATTEMPTS"],
        "retry_base_seconds": app.config["REMINDER_RETRY_BASE_SECONDS"],
    }
    options.update(overrides)
    return Dispatcher(sender or make_sender(app), **options)


def start_embedded_dispatcher(app: Flask) -> threading.Event:
    """Run a dispatcher in a daemon thread of this process (``make run``)."""
    stop = threading.Event()

    def work():
        with app.app_context():
            dispatcher = make_dispatcher(app)
            try:
                dispatcher.run(stop, idle_seconds=app.config["REMINDER_IDLE_SECONDS"])
            finally:
                dispatcher.sender.close()

    thread = threading.Thread(target=work, name="tend-reminders", daemon=True)
    thread.start()
    app.extensions["tend_dispatcher_thread"] = thread
    return stop
