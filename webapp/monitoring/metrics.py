"""The metrics Tend keeps, on a registry of its own. Labels are routes (their pattern, never
the path with its ids or tokens), methods, statuses and outcome classes: never a person."""

from __future__ import annotations

import logging
import time

from flask import Flask, g, has_app_context, request
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy.exc import SQLAlchemyError

from webapp.media.library import stored_bytes_by_kind
from webapp.shares.shared_media import shared_bytes

log = logging.getLogger(__name__)

REGISTRY = CollectorRegistry(auto_describe=True)
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
LAG_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 900, 3600, 4 * 3600, 24 * 3600)

http_requests = Counter(
    "tend_http_requests", "HTTP requests answered, by route pattern and status.",
    ["method", "route", "status"], registry=REGISTRY,
)
http_latency = Histogram(
    "tend_http_request_duration_seconds", "Time to answer a request, by route pattern.",
    ["method", "route"], buckets=LATENCY_BUCKETS, registry=REGISTRY,
)
sync_drafts = Counter(
    "tend_sync_drafts", "Drafts applied by sync, by result status.", ["status"],
    registry=REGISTRY,
)
reminders_due = Counter(
    "tend_reminders_due", "Reminders claimed by a dispatcher because they were due.",
    registry=REGISTRY,
)
reminder_outcomes = Counter(
    "tend_reminder_outcomes", "What became of claimed reminders (sent, pending, failed, "
    "cancelled).", ["outcome"], registry=REGISTRY,
)
dispatch_lag = Histogram(
    "tend_reminder_dispatch_lag_seconds", "From a reminder's due time to its sending.",
    buckets=LAG_BUCKETS, registry=REGISTRY,
)
push_answers = Counter(
    "tend_push_answers", "Push services' answers, by class (sent, gone, retry, rate_limited, "
    "too_large, rejected, ...).", ["answer"], registry=REGISTRY,
)

_exposition_started = False


class MediaBytes:
    """``tend_media_stored_bytes{kind}``: every memo, photo and drawing stored, read from the
    database when scraped (one sum per kind, so every worker answers the same). No person."""

    NAME = "tend_media_stored_bytes"
    HELP = ("Bytes of voice memos, photos and drawings stored (files and thumbnails; unfinished "
            "uploads as kind=uploading; copies sealed into share links as kind=shared), for "
            "everyone together.")

    def __init__(self) -> None:
        self.app: Flask | None = None  # for the metrics port, which has no app context

    def describe(self):
        yield GaugeMetricFamily(self.NAME, self.HELP, labels=["kind"])

    def collect(self):
        family = GaugeMetricFamily(self.NAME, self.HELP, labels=["kind"])
        try:
            if has_app_context():
                totals = _totals()
            elif self.app is not None:
                with self.app.app_context():
                    totals = _totals()
            else:
                return
        except SQLAlchemyError as exc:  # the database is away: the other metrics still answer
            log.warning("media bytes not measured: %s", exc.__class__.__name__)
            return
        for kind in ("memo", "photo", "drawing", "uploading", "shared"):
            family.add_metric([kind], totals.get(kind, 0))
        yield family


def _totals() -> dict[str, int]:
    return stored_bytes_by_kind() | {"shared": shared_bytes()}


media_bytes = MediaBytes()
REGISTRY.register(media_bytes)


#: Set in the WSGI environ of a request Tend makes to itself (a page rendered to be kept on
#: devices): it is part of the request that asked for it, neither counted nor logged apart.
INNER_REQUEST = "tend.inner_request"


def route_label() -> str:
    rule = request.url_rule
    return rule.rule if rule is not None else "unmatched"


def _start_timer() -> None:
    g._tend_request_started = time.perf_counter()


def request_seconds() -> float | None:
    started = g.get("_tend_request_started")
    return time.perf_counter() - started if started is not None else None


def observe(method: str, route: str, status: int, seconds: float) -> None:
    http_requests.labels(method, route, str(status)).inc()
    http_latency.labels(method, route).observe(seconds)


def _observe(response):
    elapsed = request_seconds()
    if elapsed is not None and not request.environ.get(INNER_REQUEST):
        observe(request.method, route_label(), response.status_code, elapsed)
    return response


def exposition(app: Flask) -> bytes:
    """The text format; across processes when PROMETHEUS_MULTIPROC_DIR is set."""
    if app.config.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        registry.register(media_bytes)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def init_metrics(app: Flask) -> None:
    global _exposition_started
    app.before_request(_start_timer)
    app.after_request(_observe)
    port = app.config.get("METRICS_PORT")
    if media_bytes.app is None or not app.config.get("TESTING"):
        media_bytes.app = app
    if port and not app.config.get("TESTING") and not _exposition_started:
        try:
            start_http_server(port, addr=app.config["METRICS_ADDRESS"], registry=REGISTRY)
            _exposition_started = True
        except OSError as exc:  # another worker of this server holds the port
            log.warning("metrics port %s not opened here: %s", port, exc.strerror)
