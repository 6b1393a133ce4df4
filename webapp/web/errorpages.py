"""Friendly error pages; htmx requests get a fragment shown in the page's message area.

An error may leave the database session unusable (a flush that failed needs a rollback);
the page reads ``current_user``, so the session is rolled back before any 5xx page is
rendered. Should the page still fail, a plain-text answer says the same.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from webapp.content import CSRF_MESSAGE, ERROR_MESSAGES
from webapp.extensions import db

log = logging.getLogger(__name__)


def _roll_back() -> None:
    try:
        db.session.rollback()
    except Exception:  # the connection itself may be gone: the page can do without it
        log.exception("rolling back before an error page failed")


def render_error(code: int, title: str, detail: str) -> Response:
    context = {"code": code, "title": title, "detail": detail}
    if request.htmx:
        response = make_response(render_template("errors/_message.html", **context), code)
        # htmx.config.responseHandling swaps error answers; put this one in the message area
        # instead of over whatever the person was writing.
        response.headers["HX-Retarget"] = "#messages"
        response.headers["HX-Reswap"] = "innerHTML"
        return response
    return make_response(render_template("errors/page.html", **context), code)


def handle_http_error(error: HTTPException) -> Response:
    code = error.code or 500
    if code >= 500 or not db.session.is_active:
        _roll_back()
    if isinstance(error, CSRFError):
        title, detail = CSRF_MESSAGE
    else:
        title, detail = ERROR_MESSAGES.get(
            code, ERROR_MESSAGES[500] if code >= 500 else ERROR_MESSAGES[400]
        )
    if request.path.startswith("/api/"):
        # Devices syncing in the background read JSON, never a page or a redirect.
        response = jsonify({"error": f"{title}. {detail}"})
        response.status_code = code
    else:
        try:
            response = render_error(code, title, detail)
        except Exception:
            log.exception("the error page for %s could not be shown", code)
            _roll_back()
            response = make_response(f"{title}. {detail}\n", code)
            response.mimetype = "text/plain"
    for name, value in error.get_headers():
        if name.lower() in {"allow", "retry-after"}:
            response.headers[name] = value
    return response


def init_error_pages(app: Flask) -> None:
    # Unhandled exceptions reach this too, as InternalServerError, after Flask logs them.
    app.register_error_handler(HTTPException, handle_http_error)
