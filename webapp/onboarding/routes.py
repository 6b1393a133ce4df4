"""Invitation and sign-up confirmation pages. The rules live in webapp.onboarding.services."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.auth.routes import REGISTER_LIMITS, sign_in
from webapp.errors import ValidationError
from webapp.extensions import limiter
from webapp.mail.sender import mail_enabled
from webapp.onboarding import bp, services


def _welcome(user):
    sign_in(user, remember=bool(request.form.get("remember")))
    services.welcome(user, user.device_session.device)
    flash("Welcome to Tend. This is your space.", "success")
    return redirect(url_for("today.today"))


def _form():
    return (
        request.form.get("email", ""),
        request.form.get("password", ""),
        request.form.get("timezone"),
    )


@bp.route("/invite/<token>", methods=["GET", "POST"])
@limiter.limit(REGISTER_LIMITS, methods=["POST"])
def invitation(token: str):
    if current_user.is_authenticated:
        return redirect(url_for("today.today"))
    found = services.find_invitation(token)
    if found is None:
        return render_template("onboarding/invitation_gone.html"), 404
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            user = services.accept_invitation(token, *_form())
        except ValidationError as exc:
            errors = exc.errors
        else:
            return _welcome(user)
    form = dict(request.form)
    if found.email:
        form["email"] = found.email
    return (
        render_template(
            "auth/register.html", errors=errors, form=form, action=request.path,
            fixed_email=bool(found.email), invited=True,
        ),
        422 if errors else 200,
    )


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(REGISTER_LIMITS, methods=["POST"])
def signup():
    """Sign-up when Tend sends email: every address gets the same "check your email"."""
    if not mail_enabled() or services.registration_mode() != "open":
        abort(404)
    if current_user.is_authenticated:
        return redirect(url_for("today.today"))
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            services.start_email_signup(*_form())
        except ValidationError as exc:
            errors = exc.errors
        else:
            return render_template("onboarding/check_email.html")
    return (
        render_template(
            "auth/register.html", errors=errors, form=request.form,
            action=url_for("onboarding.signup"),
        ),
        422 if errors else 200,
    )


@bp.route("/signup/confirm/<token>", methods=["GET", "POST"])
@limiter.limit(REGISTER_LIMITS, methods=["POST"])
def confirm(token: str):
    """The link from the email. Opening it changes nothing: a button creates the account."""
    if current_user.is_authenticated:
        return redirect(url_for("today.today"))
    error = None
    if request.method == "POST":
        try:
            user = services.confirm_signup(token)
        except ValidationError as exc:
            error = exc.errors["token"]
        else:
            return _welcome(user)
    pending = services.find_pending_signup(token)
    if pending is None and error is None:
        return render_template("onboarding/confirm.html", pending=None, error=None), 404
    return (
        render_template("onboarding/confirm.html", pending=pending, error=error),
        422 if error else 200,
    )
