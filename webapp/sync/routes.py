"""The JSON API for offline drafts. Every answer here is JSON, errors included (see
webapp.errorpages): a device syncing in the background must never get a page or a redirect."""

from __future__ import annotations

import json

from flask import current_app, jsonify, request
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from werkzeug.exceptions import RequestEntityTooLarge

from webapp.events import drafts_synced
from webapp.extensions import csrf, limiter
from webapp.sync import bp, drafts, services

# 200 drafts of a few pages each; one entry can hold 50,000 characters, so a device
# sends its drafts in several requests when they are long (static/js/sync-core.js).
SYNC_MAX_BYTES = 8 * 1024 * 1024
SYNC_LIMITS = "120 per minute;2000 per hour"


def json_error(status: int, message: str, **extra):
    response = jsonify({"error": message, **extra})
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def _not_signed_in():
    return json_error(401, "You are signed out. Sign in to sync; your drafts stay on this device.")


@bp.get("/session")
def session_info():
    """Who is signed in, with a fresh CSRF token: a cached page never relies on an old one."""
    if not current_user.is_authenticated:
        return _not_signed_in()
    response = jsonify(
        user_id=str(current_user.id), email=current_user.email, csrf_token=generate_csrf()
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/sync")
@csrf.exempt  # checked below, after the sign-in check, so an expired session gets 401
@limiter.limit(SYNC_LIMITS)
def sync():
    if not current_user.is_authenticated:
        return _not_signed_in()
    limit = current_app.config.get("SYNC_MAX_BYTES", SYNC_MAX_BYTES)
    request.max_content_length = limit
    csrf.protect()
    try:
        payload = json.loads(request.get_data(cache=False))
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return json_error(400, "The body is not valid JSON. Nothing was applied.")
    try:
        batch = drafts.read_batch(payload)
    except drafts.BatchError as exc:
        return json_error(400, str(exc), max_drafts=drafts.MAX_DRAFTS)
    results = services.apply_batch(current_user, batch)
    drafts_synced.send(current_user.id, statuses=[r.status for r in results])
    response = jsonify({"results": [result.as_json() for result in results]})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error):
    limit = current_app.config.get("SYNC_MAX_BYTES", SYNC_MAX_BYTES)
    return json_error(
        413,
        f"One sync request can carry at most {limit:,} bytes. Nothing was applied; "
        "send fewer drafts at a time.",
        max_bytes=limit,
    )
