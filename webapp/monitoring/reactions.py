"""Counting what other capabilities report: dispatcher rounds and syncs."""

from __future__ import annotations

from webapp.events import dispatcher_round, drafts_synced
from webapp.monitoring import metrics


@dispatcher_round.connect
def _count_dispatch(sender, outcomes, answers, lags, **_) -> None:
    metrics.reminders_due.inc(sum(outcomes.values()))
    for outcome, count in outcomes.items():
        metrics.reminder_outcomes.labels(outcome).inc(count)
    for answer, count in answers.items():
        metrics.push_answers.labels(answer).inc(count)
    for lag in lags:
        metrics.dispatch_lag.observe(max(0.0, lag))


@drafts_synced.connect
def _count_sync(sender, statuses, **_) -> None:
    for status in statuses:
        metrics.sync_drafts.labels(status).inc()
