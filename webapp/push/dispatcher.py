"""The dispatcher: claims due reminders under a short lease, sends them, records every outcome.

Several dispatchers (threads, processes, machines) may run at once. Each claim takes due
rows with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (SQLite has a single writer, so its claim
``UPDATE`` is atomic on its own), marks them ``leased`` for at most 30 seconds and bumps their
fencing token. Outcomes are written only where the token is still the one claimed, so a
dispatcher that stalled past its lease cannot overwrite the work of the one that took over.
A dispatcher killed mid-batch loses nothing: its leases run out and the rows are due again.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import random
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urljoin

from flask import Flask, current_app
from sqlalchemy import (
    Integer,
    Text,
    any_,
    bindparam,
    cast,
    delete,
    func,
    insert,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY

from webapp.auth.models import User
from webapp.events import daily_upkeep, dispatcher_round
from webapp.extensions import db
from webapp.push import planning
from webapp.push.models import (
    Delivery,
    PushSubscription,
    Reminder,
    ReminderSettings,
    kind_allowed,
)
from webapp.push.sender import PushMessage, PushResult, PushSender, notification_payload
from webapp.push.vapid import VapidSigner
from webapp.types import utcnow

log = logging.getLogger(__name__)

MAX_LEASE_SECONDS = 30
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

R = Reminder.__table__
S = PushSubscription.__table__
D = Delivery.__table__


def _on_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def pg_array(values, element_type):
    """A PostgreSQL array parameter sent as one text literal and cast on the server: much
    cheaper than the driver adapting every element, and one short, cacheable statement
    instead of a placeholder per value."""
    if all(isinstance(value, uuid.UUID | int) for value in values):
        literal = "{" + ",".join(map(str, values)) + "}"  # nothing in them needs quoting
    else:
        items = []
        for value in values:
            if value is None:
                items.append("NULL")
            else:
                text = str(value).replace("\\", "\\\\").replace('"', '\\"')
                items.append(f'"{text}"')
        literal = "{" + ",".join(items) + "}"
    return cast(bindparam(None, literal, type_=Text()), ARRAY(element_type))


def among(column, values, pg: bool):
    """``column IN values``; on PostgreSQL ``column = ANY(array)``."""
    values = list(values)
    if pg:
        return column == any_(pg_array(values, column.type))
    return column.in_(values)


def claimed_pairs(pairs: list[tuple], pg: bool):
    """``(id, fencing_token)`` is one of ``pairs``: how an outcome proves its claim is current."""
    if pg:
        rows = func.unnest(
            pg_array([p[0] for p in pairs], R.c.id.type),
            pg_array([p[1] for p in pairs], Integer()),
        ).table_valued("id", "token").render_derived()
        return tuple_(R.c.id, R.c.fencing_token).in_(select(rows.c.id, rows.c.token))
    return tuple_(R.c.id, R.c.fencing_token).in_(pairs)


@dataclass
class Claim:
    id: uuid.UUID
    fencing_token: int
    user_id: uuid.UUID
    kind: str
    title: str
    body: str
    url: str
    attempts: int
    due_at: datetime | None = None


@dataclass
class Verdict:
    """How one claimed reminder ends this round."""

    status: str  # sent, pending, failed, cancelled
    last_error: str | None = None
    next_attempt_at: datetime | None = None
    attempts_back: int = 0  # a postponement, not a delivery attempt, gives the attempt back


class SnoozeTokens:
    """A short signed token naming one reminder, carried in its notification so "Later" can
    snooze it without a session or CSRF token: base64url(id) "." base64url(HMAC-SHA256)."""

    def __init__(self, secret_key: str):
        key = hashlib.sha256(b"tend-reminder-snooze\0" + secret_key.encode()).digest()
        self._mac = hmac.new(key, digestmod=hashlib.sha256)

    def _signature(self, raw: bytes) -> bytes:
        mac = self._mac.copy()
        mac.update(raw)
        return mac.digest()[:18]

    def dumps(self, reminder_id: uuid.UUID | str) -> str:
        raw = uuid.UUID(str(reminder_id)).bytes
        encode = base64.urlsafe_b64encode
        return (encode(raw).rstrip(b"=") + b"." + encode(self._signature(raw))).decode()

    def loads(self, token: str) -> uuid.UUID | None:
        try:
            body, _, signature = token.encode("ascii").partition(b".")
            raw = base64.urlsafe_b64decode(body + b"==")
            given = base64.urlsafe_b64decode(signature)
        except (ValueError, UnicodeEncodeError, binascii.Error):
            return None
        if len(raw) != 16 or not hmac.compare_digest(given, self._signature(raw)):
            return None
        return uuid.UUID(bytes=raw)


def snooze_serializer(secret_key: str) -> SnoozeTokens:
    return SnoozeTokens(secret_key)


def reminder_from_snooze_token(token: str) -> Reminder | None:
    reminder_id = snooze_serializer(current_app.config["SECRET_KEY"]).loads(token)
    return db.session.get(Reminder, reminder_id) if reminder_id else None


def claim_due(limit: int, lease_seconds: float, now: datetime | None = None) -> list[Claim]:
    """Lease up to ``limit`` due reminders (pending ones whose time has come, and leased ones
    whose lease ran out). While leased, ``next_attempt_at`` is the lease's end."""
    lease_seconds = min(lease_seconds, MAX_LEASE_SECONDS)
    now = now or utcnow()
    lease_end = now + timedelta(seconds=lease_seconds)
    due = (
        select(R.c.id)
        .where(R.c.status.in_(("pending", "leased")), R.c.next_attempt_at <= now)
        .order_by(R.c.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    statement = (
        update(R)
        .where(R.c.id.in_(due.scalar_subquery()))
        .values(
            status="leased",
            lease_expires_at=lease_end,
            next_attempt_at=lease_end,
            fencing_token=R.c.fencing_token + 1,
            attempts=R.c.attempts + 1,
            updated_at=now,
        )
        .returning(R.c.id, R.c.fencing_token, R.c.user_id, R.c.kind, R.c.title, R.c.body,
                   R.c.url, R.c.attempts, R.c.due_at)
    )
    rows = db.session.execute(statement).all()
    db.session.commit()
    return [Claim(*row) for row in rows]


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
        self.snooze_tokens = snooze_serializer(secret_key)
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
        Once a day (and on start) the registered daily planners look ahead."""
        planned_on = None
        while not stop.is_set():
            if planned_on != utcnow().date():
                planned_on = utcnow().date()
                planning.run_daily_planners()
                daily_upkeep.send(current_app._get_current_object(), now=utcnow())
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
        pg = _on_postgresql()
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
        self._record(claims, verdicts, by_claim)
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
        allowed = planning.allowed_moment(now, prefs, planning.zone_of(user))
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

    # --- recording --------------------------------------------------------------------------

    def _record(self, claims: list[Claim], verdicts: dict, by_claim: dict) -> None:
        """Write every verdict under its fencing token; return nothing for stale claims."""
        now = utcnow()
        pg = _on_postgresql()
        groups: dict[tuple, list[tuple]] = defaultdict(list)
        for claim in claims:
            v = verdicts[claim.id]
            key = (v.status, v.last_error, v.next_attempt_at, v.attempts_back)
            groups[key].append((claim.id, claim.fencing_token))
        accepted: set[uuid.UUID] = set()
        for (status, last_error, next_attempt_at, attempts_back), pairs in groups.items():
            values = {
                "status": status,
                "last_error": last_error,
                "lease_expires_at": None,
                "updated_at": now,
                "attempts": R.c.attempts - attempts_back,
            }
            if status == "sent":
                values["sent_at"] = now
            if next_attempt_at is not None:
                values["next_attempt_at"] = next_attempt_at
                if attempts_back:
                    values["due_at"] = next_attempt_at
            for start in range(0, len(pairs), 500):
                chunk = pairs[start : start + 500]
                rows = db.session.execute(
                    update(R)
                    .where(claimed_pairs(chunk, pg), R.c.status == "leased")
                    .values(**values)
                    .returning(R.c.id)
                ).scalars()
                accepted.update(rows)
        stale = len(claims) - len(accepted)
        if stale:
            self.stale_outcomes += stale
            log.warning("discarded %d outcome(s): another dispatcher holds those reminders now",
                        stale)

        deliveries, last_outcomes, gone = [], defaultdict(list), []
        for claim_id, results in by_claim.items():
            if claim_id not in accepted:
                continue
            for r in results:
                deliveries.append({
                    "reminder_id": claim_id, "subscription_id": r.subscription_id,
                    "attempted_at": now, "outcome": r.outcome, "status_code": r.status_code,
                    "detail": r.detail or None,
                })
                if r.outcome == "gone":
                    gone.append(r.subscription_id)
                else:
                    last_outcomes[(r.outcome, r.status_code)].append(r.subscription_id)
        if deliveries and pg:
            columns = ("reminder_id", "subscription_id", "attempted_at", "outcome",
                       "status_code", "detail")
            arrays = [pg_array([d[c] for d in deliveries], D.c[c].type) for c in columns]
            rows = func.unnest(*arrays).table_valued(*columns).render_derived()
            db.session.execute(insert(D).from_select(columns, select(*rows.c)))
        elif deliveries:
            db.session.execute(insert(D), deliveries)
        for (outcome, status_code), ids in last_outcomes.items():
            for start in range(0, len(ids), 1000):
                db.session.execute(
                    update(S).where(among(S.c.id, ids[start : start + 1000], pg))
                    .values(last_outcome=outcome, last_status_code=status_code,
                            last_outcome_at=now)
                )
        if gone:
            # The browser or push service dropped these subscriptions: forget them.
            db.session.execute(update(D).where(among(D.c.subscription_id, gone, pg))
                               .values(subscription_id=None))
            db.session.execute(delete(S).where(among(S.c.id, gone, pg)))
        db.session.commit()


def make_sender(app: Flask) -> PushSender:
    from webapp.push.settings import vapid_for

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
