"""One line per request: method, route pattern, status, time, size. Never the path itself
(it may carry an id or a one-time token), the query, an email or any text."""

from __future__ import annotations

import json
import logging
import sys
import time

from flask import Flask, request

from webapp.monitoring.metrics import INNER_REQUEST, request_seconds, route_label

request_log = logging.getLogger("tend.requests")
FIELDS = ("method", "route", "status", "duration_ms", "bytes")


class JsonLines(logging.Formatter):
    """``LOG_FORMAT=json``: one JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        data.update({name: getattr(record, name) for name in FIELDS if hasattr(record, name)})
        if record.exc_info:
            data["error"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


def formatter_for(log_format: str) -> logging.Formatter:
    if log_format == "json":
        return JsonLines()
    return logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")


def log_request(method: str, route: str, status: int, seconds: float | None, size) -> None:
    fields = {
        "method": method,
        "route": route,
        "status": status,
        "duration_ms": round(seconds * 1000, 1) if seconds is not None else None,
        "bytes": size,
    }
    request_log.info(
        "%s %s %s %sms", fields["method"], fields["route"], fields["status"],
        fields["duration_ms"], extra=fields,
    )


def _log_request(response):
    if request.environ.get(INNER_REQUEST):
        return response
    log_request(request.method, route_label(), response.status_code, request_seconds(),
                response.calculate_content_length())
    return response


class StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the moment (servers may replace it)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def init_request_log(app: Flask) -> None:
    if not app.config.get("LOG_REQUESTS", True):
        return
    request_log.setLevel(logging.INFO)
    if not app.config.get("TESTING"):  # tests listen with their own handler
        handler = next((h for h in request_log.handlers if isinstance(h, StderrHandler)), None)
        if handler is None:
            handler = StderrHandler()
            request_log.addHandler(handler)
            request_log.propagate = False
        handler.setFormatter(formatter_for(app.config.get("LOG_FORMAT", "text")))
    app.after_request(_log_request)
