"""Friendly error pages; htmx requests get a fragment shown in the page's message area."""

from __future__ import annotations

from flask import Flask, Response, jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

MESSAGES = {
    400: (
        "Something in that request didn’t look right",
        "Nothing was changed. Reloading the page and trying again usually helps.",
    ),
    403: ("That isn’t open to you", "Nothing was changed."),
    404: ("We couldn’t find that", "It may have been deleted, or the link may be incomplete."),
    405: ("That can’t be done here", "Nothing was changed."),
    413: (
        "That was more than Tend can take at once",
        "Nothing was saved. Your text is still on your screen: try saving a shorter piece.",
    ),
    429: (
        "Let’s slow down for a moment",
        "There were many attempts in a short time. Please wait a little and try again.",
    ),
    500: (
        "Something went wrong on our side",
        "Nothing you wrote is lost on this screen. Please try again in a moment.",
    ),
}
CSRF_MESSAGE = (
    "This page was open too long or came from elsewhere",
    "Nothing was changed. Reload the page and try again.",
)


def render_error(code: int, title: str, detail: str) -> Response:
    context = {"code": code, "title": title, "detail": detail}
    if request.headers.get("HX-Request") == "true":
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
        title, detail = MESSAGES.get(code, MESSAGES[500] if code >= 500 else MESSAGES[400])
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
