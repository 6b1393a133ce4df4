"""The dispatcher: claims due reminders, applies the person's rules, sends, records.

Several dispatchers (threads, processes, machines) may run at once; ``webapp.push.claims``
keeps them from sending one reminder twice. Each reminder's outcome is recorded soon after
its devices' answers arrive (in groups: at most ``RECORD_WAIT`` seconds later), so a
dispatcher killed mid-batch leaves only the reminders still in flight, or answered within
that moment, to be claimed again when their lease runs out: those may reach a device twice,
and the device shows the second over the first (same notification tag).
"""

from __future__ import annotations

import gc
import logging
import threading
import time
import uuid
from collections import Counter, defaultdict
from urllib.parse import urljoin

from flask import Flask

from webapp.events import dispatcher_round
from webapp.extensions import db
from webapp.push.claims import MAX_LEASE_SECONDS, Claim, Verdict, claim_due, record_outcomes
from webapp.push.endpoints import EndpointPolicy
from webapp.push.schedules import run_daily_upkeep
from webapp.push.sender import PushMessage, PushResult, PushSender, notification_payload
from webapp.push.sql import on_postgresql
from webapp.push.tokens import SnoozeTokens
from webapp.push.vapid import VapidSigner, vapid_for
from webapp.push.verdicts import (
    DailyCap,
    delivered_devices,
    devices_of,
    judge,
    people,
    rules_say,
)
from webapp.types import utcnow

log = logging.getLogger(__name__)

# Seconds kept free at the end of a lease: no request starts (or runs) past this point.
LEASE_MARGIN = 3
# Answered reminders are recorded together, in one transaction, once this many are waiting
# or the first of them has waited this long.
RECORD_BATCH = 250
RECORD_WAIT = 0.2

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
        claims = claim_due(self.batch_size, self.lease_seconds, max_attempts=self.max_attempts)
        if not claims:
            dispatcher_round.send(self, outcomes={}, answers={}, lags=[])
            return 0
        margin = min(LEASE_MARGIN, self.lease_seconds / 3)
        deadline = time.monotonic() + self.lease_seconds - margin
        now = utcnow()
        pg = on_postgresql()
        user_ids = {c.user_id for c in claims}
        users, settings = people(user_ids, pg)
        reached = delivered_devices([c.id for c in claims if c.attempts > 1], pg)
        cap = DailyCap({u: users[u] for u in user_ids if u in users}, settings, now, pg)
        verdicts: dict[uuid.UUID, Verdict] = {}
        to_send = []
        for claim in claims:
            verdict = rules_say(claim, users.get(claim.user_id), settings, now)
            if verdict is None and claim.id not in reached:
                verdict = cap.postpone(claim)
            if verdict is None:
                to_send.append(claim)
            else:
                verdicts[claim.id] = verdict

        subscriptions = devices_of({c.user_id for c in to_send}, pg) if to_send else {}
        db.session.commit()  # end the read transaction before the network round

        messages, owners = [], []
        for claim in to_send:
            subs = [s for s in subscriptions.get(claim.user_id, [])
                    if s.id not in reached.get(claim.id, ())]
            if not subs:
                verdicts[claim.id] = (Verdict("sent") if claim.id in reached
                                      else Verdict("failed", "no device is subscribed"))
                continue
            payload = self._payload(claim)
            ttl, urgency, topic = DELIVERY_OPTIONS.get(claim.kind, DELIVERY_OPTIONS["test"])
            for sub in subs:
                messages.append(PushMessage(sub.id, sub.endpoint, sub.p256dh, sub.auth,
                                            payload, ttl, urgency, topic))
                owners.append(claim)
        decided = [c for c in claims if c.id in verdicts]
        self.stale_outcomes += record_outcomes(decided, verdicts, {})
        by_claim = self._send_and_record(messages, owners, deadline, reached, verdicts)
        sent_at = utcnow()
        dispatcher_round.send(
            self,
            outcomes=Counter(v.status for v in verdicts.values()),
            answers=Counter(r.outcome for results in by_claim.values() for r in results),
            lags=[(sent_at - c.due_at).total_seconds() for c in claims
                  if c.due_at and c.id in verdicts and verdicts[c.id].status == "sent"],
        )
        return len(claims)

    def _send_and_record(
        self, messages, owners: list[Claim], deadline, reached, verdicts: dict
    ) -> dict[uuid.UUID, list[PushResult]]:
        """Record reminders soon after all of their devices have answered; each verdict is
        added to ``verdicts``, and every device's answer is returned by reminder."""
        expected = Counter(claim.id for claim in owners)
        by_claim: dict[uuid.UUID, list[PushResult]] = defaultdict(list)
        complete: list[Claim] = []
        first_waiting = 0.0
        for group in self.sender.send_stream(messages, deadline, idle=RECORD_WAIT):
            for index, result in group:
                claim = owners[index]
                results = by_claim[claim.id]
                results.append(result)
                if len(results) == expected[claim.id]:
                    if not complete:
                        first_waiting = time.monotonic()
                    complete.append(claim)
            if complete and (len(complete) >= RECORD_BATCH
                             or time.monotonic() - first_waiting >= RECORD_WAIT):
                self._record(complete, by_claim, reached, verdicts)
                complete = []
        if complete:
            self._record(complete, by_claim, reached, verdicts)
        return by_claim

    def _record(self, complete: list[Claim], by_claim, reached, verdicts: dict) -> None:
        now = utcnow()
        judged = {
            c.id: judge(c, by_claim[c.id], now, reached_before=c.id in reached,
                        max_attempts=self.max_attempts,
                        retry_base_seconds=self.retry_base_seconds)
            for c in complete
        }
        verdicts.update(judged)
        self.stale_outcomes += record_outcomes(
            complete, judged, {c.id: by_claim[c.id] for c in complete})

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
            # One tag per reminder: a repeat (after a crash) replaces it on the device.
            tag=notification_tag(claim),
            reminder_id=str(claim.id),
            snooze_url=self.snooze_url,
            snooze_token=token,
            later_url=f"{self.public_url}reminders/later?t={token}",
            icon=self.icon,
            badge=self.badge,
        )


def notification_tag(claim: Claim) -> str:
    return f"tend-{claim.kind}-{claim.id}"


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
        policy=EndpointPolicy.from_config(app.config),
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


def settle_dispatcher_process() -> None:
    """For a process that only dispatches (``flask reminders run``), once it is set up: all
    that exists now (modules, the app, its tables and caches) lives as long as the process,
    so the garbage collector stops walking through it again at every collection that the
    short-lived objects of each batch set off (without this, a fifth of the process's CPU).
    Garbage made later is collected as usual."""
    gc.collect()
    gc.freeze()


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
