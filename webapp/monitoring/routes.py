"""/metrics for Prometheus: only with METRICS_TOKEN set, and only with that bearer token."""

from __future__ import annotations

import hmac

from flask import Response, abort, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST

from webapp.extensions import limiter
from webapp.monitoring import bp
from webapp.monitoring.metrics import exposition


@bp.get("/metrics")
@limiter.exempt
def metrics():
    token = current_app.config.get("METRICS_TOKEN")
    if not token:
        abort(404)  # off unless the host turns it on
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        response = Response("A bearer token is needed.\n", status=401, mimetype="text/plain")
        response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    response = Response(exposition(current_app), mimetype=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response
