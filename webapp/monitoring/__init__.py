"""Watching Tend run: Prometheus metrics (off by default) and one log line per request,
neither ever naming a person: no user ids, no emails, no journal text, no tokens."""

from flask import Blueprint, Flask

bp = Blueprint("monitoring", __name__)

from webapp.monitoring import reactions, routes  # noqa: E402,F401


def init_monitoring(app: Flask) -> None:
    from webapp.monitoring.metrics import init_metrics
    from webapp.monitoring.requestlog import init_request_log

    init_metrics(app)
    init_request_log(app)
