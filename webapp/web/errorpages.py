"""Friendly error pages; htmx requests get a fragment shown in the page's message area."""

from __future__ import annotations

from flask import Flask, Response, jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from webapp.content import CSRF_MESSAGE, ERROR_MESSAGES


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
        response = render_error(code, title, detail)
    for name, value in error.get_headers():
        if name.lower() in {"allow", "retry-after"}:
            response.headers[name] = value
    return response


def init_error_pages(app: Flask) -> None:
    # Unhandled exceptions reach this too, as InternalServerError, after Flask logs them.
    app.register_error_handler(HTTPException, handle_http_error)
