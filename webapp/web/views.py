"""Shapes every view repeats, written once."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, make_response, redirect, render_template, request

from webapp.errors import ValidationError
from webapp.web.security import MICROPHONE_PERMISSIONS_POLICY


def wants_fragment() -> bool:
    """An htmx request swapping part of the page (a boosted link wants the whole page)."""
    return bool(request.htmx) and not request.htmx.boosted


def htmx_target() -> str | None:
    """The id of the element htmx will swap, when this is an htmx request."""
    return request.htmx.target if request.htmx else None


def save_form(save: Callable[[], object]) -> dict[str, str]:
    """Run ``save`` for a submitted form; return the field errors it raised ({} if none)."""
    try:
        save()
    except ValidationError as exc:
        return exc.errors
    return {}


def form_page(template: str, errors: dict[str, str] | None = None, **context):
    """A page holding a form, showing what was typed and any errors beside their fields.
    With errors it answers 422, so htmx and tests can tell a refusal from a success."""
    context.setdefault("form", request.form)
    return render_template(template, errors=errors or {}, **context), 422 if errors else 200


def edit_form(template: str, save: Callable[[], object], *, saved: str, then: str, **context):
    """A form page: showing it, and on POST saving it, then a word of confirmation and on to
    ``then``; or the form again with what was typed and the errors (422)."""
    errors: dict[str, str] = {}
    if request.method == "POST":
        errors = save_form(save)
        if not errors:
            flash(saved, "success")
            return redirect(then)
    return form_page(template, errors, **context)


def shell_page(template: str, *, microphone: bool = False, **context):
    """A page the service worker keeps for offline use: rendered with no account, token,
    message or journal text (base.html leaves them out for ``shell_page``). ``microphone``:
    the page records, so it may ask for the microphone (this origin only)."""
    response = make_response(render_template(template, shell_page=True, **context))
    # The service worker keeps its own copy; browsers and proxies should not.
    response.headers["Cache-Control"] = "no-store"
    if microphone:
        response.headers["Permissions-Policy"] = MICROPHONE_PERMISSIONS_POLICY
    return response
