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


def request_recorder(app: Flask):
    """Log and count a request answered outside Flask (a ready page), as Flask's are."""
    from webapp.monitoring.metrics import observe
    from webapp.monitoring.requestlog import log_request

    logging = app.config.get("LOG_REQUESTS", True)

    def record(method: str, route: str, status: int, seconds: float, size: int) -> None:
        observe(method, route, status, seconds)
        if logging:
            log_request(method, route, status, seconds, size)

    return record
