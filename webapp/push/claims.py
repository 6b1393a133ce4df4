"""Claiming due reminders under a short lease with a fencing token, and recording outcomes
only where that token is still current.

Each claim takes due rows with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (SQLite has a single
writer, so its claim ``UPDATE`` is atomic on its own), marks them ``leased`` for at most 30
seconds and bumps their fencing token. A dispatcher that stalled past its lease cannot
overwrite the work of the one that took over. A reminder that used up its attempts is never
claimed again (even when dispatchers died holding it): it is marked failed instead.

Outcomes are recorded in small groups as answers arrive. A group that cannot be written is
written again claim by claim, and a claim that still cannot is written without the push
services' words; so nothing a push service answers can hold up anyone else's reminders.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, exists, insert, select, tuple_, update
from sqlalchemy.exc import SQLAlchemyError

from webapp.extensions import db
from webapp.push import sql
from webapp.push.sender import clean_detail
from webapp.push.sql import D, R, S, array_literal, id_array, on_postgresql
from webapp.types import utcnow

log = logging.getLogger(__name__)

MAX_LEASE_SECONDS = 30


@dataclass
class Claim:
    id: uuid.UUID
    fencing_token: int
    # Text on PostgreSQL, as the statements of webapp.push.sql read people's and devices' ids
    # (cheaper to hash and to send back than UUID objects); a UUID on SQLite.
    user_id: uuid.UUID | str
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


def claim_due(
    limit: int, lease_seconds: float, now: datetime | None = None, max_attempts: int = 5
) -> list[Claim]:
    """Lease up to ``limit`` due reminders (pending ones whose time has come, and leased ones
    whose lease ran out) that have attempts left. While leased, ``next_attempt_at`` is the
    lease's end."""
    lease_seconds = min(lease_seconds, MAX_LEASE_SECONDS)
    now = now or utcnow()
    give_up_exhausted(max_attempts, now)
    lease_end = now + timedelta(seconds=lease_seconds)
    if on_postgresql():
        rows = sql.run(sql.CLAIM, lease_end=lease_end, now=now, max_attempts=max_attempts,
                       limit=limit).all()
    else:
        rows = db.session.execute(_claim_statement(limit, lease_end, now, max_attempts)).all()
    db.session.commit()
    # RETURNING gives no order: the earliest first, so the daily cap keeps the earliest.
    return sorted((Claim(*row) for row in rows), key=lambda c: (c.due_at, str(c.id)))


def _claim_statement(limit: int, lease_end: datetime, now: datetime, max_attempts: int):
    due = (
        select(R.c.id)
        .where(R.c.status.in_(("pending", "leased")), R.c.next_attempt_at <= now,
               R.c.attempts < max_attempts)
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
    return statement


def give_up_exhausted(max_attempts: int, now: datetime) -> int:
    """Due reminders that used up their attempts (their dispatchers died before recording)
    end here: sent if a device did receive them, failed otherwise."""
    last_error = f"gave up after {max_attempts} attempts"
    if on_postgresql():
        result = sql.run(sql.GIVE_UP, last_error=last_error, now=now, max_attempts=max_attempts)
    else:
        result = _give_up_sqlite(max_attempts, last_error, now)
    if result.rowcount:
        log.warning("%d reminder(s) used up their attempts without an answer recorded",
                    result.rowcount)
    return result.rowcount


def _give_up_sqlite(max_attempts: int, last_error: str, now: datetime):
    reached_a_device = exists().where(D.c.reminder_id == R.c.id, D.c.outcome == "sent")
    return db.session.execute(
        update(R)
        .where(R.c.status.in_(("pending", "leased")), R.c.next_attempt_at <= now,
               R.c.attempts >= max_attempts)
        .values(
            status=case((reached_a_device, "sent"), else_="failed"),
            last_error=last_error,
            lease_expires_at=None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )


def record_outcomes(claims: list[Claim], verdicts: dict, by_claim: dict) -> int:
    """Write every verdict under its fencing token, then what each device's push service
    answered, in one transaction. Returns how many outcomes were stale (another dispatcher
    holds those now), which are discarded. A group that fails is written claim by claim."""
    if not claims:
        return 0
    try:
        stale = _record(claims, verdicts, by_claim)
        db.session.commit()
        return stale
    except SQLAlchemyError:
        db.session.rollback()
        if len(claims) > 1:
            return sum(record_outcomes([c], verdicts, by_claim) for c in claims)
    claim = claims[0]
    log.exception("recording reminder %s failed; recording it without the answers", claim.id)
    plain = verdicts[claim.id]
    plain = Verdict(plain.status, "the push service's answer could not be recorded",
                    plain.next_attempt_at, plain.attempts_back)
    try:
        stale = _record(claims, {claim.id: plain}, {})
        db.session.commit()
        return stale
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("reminder %s stays leased; it is claimed again after its lease", claim.id)
        return 0


def _record(claims: list[Claim], verdicts: dict, by_claim: dict) -> int:
    now = utcnow()
    pg = on_postgresql()
    groups: dict[tuple, list[Claim]] = defaultdict(list)
    for claim in claims:
        v = verdicts[claim.id]
        error = clean_detail(v.last_error, 255) if v.last_error else None
        groups[(v.status, error, v.next_attempt_at, v.attempts_back)].append(claim)
    accepted: set[uuid.UUID] = set()
    for verdict, chosen in groups.items():
        accepted.update((_set_verdict_pg if pg else _set_verdict)(verdict, chosen, now))
    stale = len(claims) - len(accepted)
    if stale:
        log.warning("discarded %d outcome(s): another dispatcher holds those reminders now",
                    stale)

    # What each device's push service answered, by outcome: (reminder, device, detail).
    answers: dict[tuple, list[tuple]] = defaultdict(list)
    for claim_id, results in by_claim.items():
        if claim_id not in accepted:
            continue
        for r in results:
            detail = (clean_detail(r.detail) or None) if r.detail else None
            answers[(r.outcome, r.status_code)].append((claim_id, r.subscription_id, detail))
    (_write_answers_pg if pg else _write_answers)(answers, now)
    return stale


def _set_verdict_pg(verdict: tuple, claims: list[Claim], now: datetime):
    status, last_error, next_attempt_at, attempts_back = verdict
    statement = sql.verdict_update(status == "sent", next_attempt_at is not None,
                                   bool(attempts_back))
    return sql.run(statement, status=status, last_error=last_error, now=now,
                   attempts_back=attempts_back, next_attempt_at=next_attempt_at,
                   ids=id_array(c.id for c in claims),
                   tokens=array_literal(c.fencing_token for c in claims)).scalars()


def _write_answers_pg(answers: dict[tuple, list[tuple]], now: datetime) -> None:
    for (outcome, status_code), rows in answers.items():
        devices = id_array(row[1] for row in rows)
        sql.run(sql.INSERT_DELIVERIES, now=now, outcome=outcome, status_code=status_code,
                reminders=id_array(row[0] for row in rows), devices=devices,
                details=array_literal(row[2] for row in rows))
        if outcome == "gone":
            # The browser or push service dropped these subscriptions: forget them (their
            # delivery records keep the outcome, their device becomes NULL: ON DELETE SET
            # NULL).
            sql.run(sql.FORGET_DEVICES, ids=devices)
        else:
            sql.run(sql.LAST_OUTCOME, outcome=outcome, status_code=status_code, now=now,
                    ids=devices)


def _set_verdict(verdict: tuple, claims: list[Claim], now: datetime) -> list[uuid.UUID]:
    status, last_error, next_attempt_at, attempts_back = verdict
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
    accepted = []
    for start in range(0, len(claims), 500):
        pairs = [(c.id, c.fencing_token) for c in claims[start : start + 500]]
        accepted += db.session.execute(
            update(R).where(tuple_(R.c.id, R.c.fencing_token).in_(pairs),
                            R.c.status == "leased")
            .values(**values).returning(R.c.id)
        ).scalars()
    return accepted


def _write_answers(answers: dict[tuple, list[tuple]], now: datetime) -> None:
    deliveries = [
        {"reminder_id": reminder_id, "subscription_id": device, "attempted_at": now,
         "outcome": outcome, "status_code": status_code, "detail": detail}
        for (outcome, status_code), rows in answers.items()
        for reminder_id, device, detail in rows
    ]
    if deliveries:
        db.session.execute(insert(D), deliveries)
    for (outcome, status_code), rows in answers.items():
        ids = [row[1] for row in rows]
        for start in range(0, len(ids), 1000):
            chosen = S.c.id.in_(ids[start : start + 1000])
            if outcome == "gone":  # forgotten, as above
                db.session.execute(delete(S).where(chosen))
            else:
                db.session.execute(update(S).where(chosen).values(
                    last_outcome=outcome, last_status_code=status_code, last_outcome_at=now))
