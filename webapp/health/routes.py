"""/healthz and /readyz: JSON for load balancers and monitors; no sign-in, no rate limit,
no personal data."""

from __future__ import annotations

from flask import jsonify

from webapp.extensions import limiter
from webapp.health import bp, services


def _json(body: dict, status: int):
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/healthz")
@limiter.exempt
def healthz():
    """The process is up and answering; nothing else is checked."""
    return _json({"status": "ok"}, 200)


@bp.get("/readyz")
@limiter.exempt
def readyz():
    ready, checks = services.readiness()
    body = {
        "status": "ready" if ready else "not ready",
        "checks": {name: check.as_json() for name, check in checks.items()},
    }
    return _json(body, 200 if ready else 503)
