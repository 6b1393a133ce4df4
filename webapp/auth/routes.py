"""Account pages. Views stay thin: the rules live in webapp.auth.services."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import (
    current_user,
    login_required,
    login_user,
    logout_user,
    user_loaded_from_cookie,
)

from webapp.auth import bp, services
from webapp.errors import ValidationError
from webapp.extensions import limiter, login_manager

SIGN_IN_LIMITS = "10 per minute;60 per hour"
REGISTER_LIMITS = "5 per minute;20 per hour"


@login_manager.user_loader
def load_user(token: str):
    return services.load_user_by_login_token(token)


def _sign_in(user, remember: bool) -> None:
    session.clear()  # a fresh session for the new sign-in, nothing carried over
    login_user(user, remember=remember)
    session["remember_device"] = remember


@user_loaded_from_cookie.connect
def _came_back_on_remembered_device(sender, user) -> None:
    session["remember_device"] = True


@bp.after_app_request
def _slide_remembered_session(response):
    """Renew the "remember this device" cookie on use, and only for devices that chose it.

    (Flask-Login's REMEMBER_COOKIE_REFRESH_EACH_REQUEST would set it for every session.)
    This hook runs before Flask-Login's own, which then writes the cookie.
    """
    if session.get("remember_device") and "_user_id" in session and "_remember" not in session:
        session["_remember"] = "set"
    return response


def _safe_next(target: str | None) -> str:
    """Only follow ``next`` to a path on this site, never to another host."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and "\\" not in target:
            return target
    return url_for("journal.timeline")


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(REGISTER_LIMITS, methods=["POST"])
def register():
    if not current_app.config["REGISTRATION_OPEN"]:
        abort(403)
    if current_user.is_authenticated:
        return redirect(url_for("journal.timeline"))
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            user = services.register(
                request.form.get("email", ""),
                request.form.get("password", ""),
                request.form.get("timezone"),
            )
        except ValidationError as exc:
            errors = exc.errors
        else:
            _sign_in(user, remember=bool(request.form.get("remember")))
            flash("Welcome to Tend. This is your space.", "success")
            return redirect(url_for("journal.timeline"))
    status = 422 if errors else 200
    return render_template("auth/register.html", errors=errors, form=request.form), status


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(SIGN_IN_LIMITS, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    error = None
    if request.method == "POST":
        user = services.authenticate(
            request.form.get("email", ""), request.form.get("password", "")
        )
        if user is None:
            error = "The email or password is incorrect."
        else:
            _sign_in(user, remember=bool(request.form.get("remember")))
            return redirect(_safe_next(request.form.get("next")))
    status = 422 if error else 200
    return (
        render_template(
            "auth/login.html", error=error, form=request.form, next=request.args.get("next", "")
        ),
        status,
    )


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    session.pop("remember_device", None)
    flash("You're signed out. Take gentle care.", "info")
    return redirect(url_for("auth.login"))
