"""Account pages. Views stay thin: the rules live in webapp.auth.services."""

from __future__ import annotations

import uuid
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
from webapp.journal.cache import timeline_pages

SIGN_IN_LIMITS = "10 per minute;60 per hour"  # per address
FAILED_SIGN_INS_PER_ACCOUNT = "10 per hour"
REGISTER_LIMITS = "5 per minute;20 per hour"
DISABLED = "This account is paused by whoever runs Tend here. Your journal is kept safe."


@login_manager.user_loader
def load_user(token: str):
    return services.resume_device_session(token)


def sign_in(user, remember: bool) -> None:
    """Start a device session for ``user`` in this browser (sign-up, sign-in, invitations)."""
    session.clear()  # a fresh session for the new sign-in, nothing carried over
    services.start_device_session(
        user, remember=remember, user_agent=request.headers.get("User-Agent")
    )
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
    return url_for("journeys.today")


def _account_key() -> str:
    return "account:" + services.normalise_email(request.form.get("email", ""))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(REGISTER_LIMITS, methods=["POST"])
def register():
    if not current_app.config["REGISTRATION_OPEN"]:
        abort(403)
    if current_app.config.get("MAIL_SERVER"):
        # With email, sign-up is confirmed by a link and never says who has an account.
        return redirect(url_for("onboarding.signup"), code=307)
    if current_user.is_authenticated:
        return redirect(url_for("journeys.today"))
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
            sign_in(user, remember=bool(request.form.get("remember")))
            services.record_event(user, "account_created", user.device_session.device)
            flash("Welcome to Tend. This is your space.", "success")
            return redirect(url_for("journeys.today"))
    status = 422 if errors else 200
    return render_template("auth/register.html", errors=errors, form=request.form), status


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(SIGN_IN_LIMITS, methods=["POST"])
@limiter.limit(
    FAILED_SIGN_INS_PER_ACCOUNT,
    methods=["POST"],
    key_func=_account_key,
    deduct_when=lambda response: response.status_code == 422,
)
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    error = None
    if request.method == "POST":
        email = request.form.get("email", "")
        user = services.authenticate(email, request.form.get("password", ""))
        if user is None:
            error = "The email or password is incorrect."
            known = services.find_user_by_email(email)
            if known is not None:
                services.record_event(
                    known, "sign_in_failed", services.describe_device(request.user_agent.string)
                )
        elif user.disabled_at is not None:
            error = DISABLED  # said only to someone who knows the password
        else:
            sign_in(user, remember=bool(request.form.get("remember")))
            services.record_event(user, "sign_in", user.device_session.device)
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
    timeline_pages.forget_person(current_user.id)
    services.end_device_session(current_user.device_session)
    logout_user()
    session.pop("remember_device", None)
    flash("You’re signed out. Take gentle care.", "info")
    return redirect(url_for("auth.login"))


# -- Account and security ----------------------------------------------------------------------


def _account_page(errors: dict | None = None, status: int = 200):
    return (
        render_template(
            "auth/account.html",
            sessions=services.device_sessions(current_user),
            events=services.security_events(current_user),
            event_labels=services.EVENT_LABELS,
            lock_choices=services.LOCK_CHOICES,
            errors=errors or {},
            form=request.form,
        ),
        status,
    )


@bp.get("/account")
@login_required
def account():
    return _account_page()


@bp.post("/account/password")
@login_required
@limiter.limit("10 per hour", methods=["POST"])
def change_password():
    try:
        services.change_password(
            current_user,
            request.form.get("current_password", ""),
            request.form.get("new_password", ""),
        )
    except ValidationError as exc:
        return _account_page(exc.errors, 422)
    flash("Your password is changed. Every other device has been signed out.", "success")
    return redirect(url_for("auth.account"))


@bp.post("/account/sessions/<uuid:session_id>/revoke")
@login_required
def revoke_session(session_id: uuid.UUID):
    if not services.revoke_device_session(current_user, session_id):
        abort(404)
    if current_user.device_session and current_user.device_session.id == session_id:
        logout_user()
        flash("This device is signed out.", "info")
        return redirect(url_for("auth.login"))
    flash("That device is signed out.", "success")
    return redirect(url_for("auth.account"))


@bp.route("/account/delete", methods=["GET", "POST"])
@login_required
@limiter.limit("10 per hour", methods=["POST"])
def delete_account():
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            services.erase_account(
                current_user,
                request.form.get("password", ""),
                request.form.get("confirmation", ""),
            )
        except ValidationError as exc:
            errors = exc.errors
        else:
            timeline_pages.forget_person(current_user.id)
            logout_user()
            session.clear()
            flash("Your account and everything in it are deleted. Take gentle care.", "info")
            return redirect(url_for("auth.login"))
    return (
        render_template(
            "auth/delete.html", errors=errors, phrase=services.ERASE_PHRASE, form=request.form
        ),
        422 if errors else 200,
    )


# -- App lock ----------------------------------------------------------------------------------

# What a locked device may still reach: the way to unlock or leave, help, and the app's files.
OPEN_WHILE_LOCKED = {
    "auth.unlock", "auth.lock", "auth.logout", "support.support", "static",
    "pwa.manifest", "pwa.service_worker", "pwa.write", "pwa.offline",
}


@bp.before_app_request
def _locked_devices_see_only_the_lock():
    if request.endpoint in OPEN_WHILE_LOCKED or request.endpoint is None:
        return None
    if current_user.is_authenticated and services.is_locked(current_user):
        if request.path.startswith("/api/"):
            return {"error": "Tend is locked on this device. Unlock it to continue."}, 423
        if request.headers.get("HX-Request") == "true":
            response = current_app.response_class(status=204)
            response.headers["HX-Redirect"] = url_for("auth.unlock")
            return response
        return redirect(url_for("auth.unlock", next=request.full_path.rstrip("?")))
    return None


@bp.post("/account/lock")
@login_required
@limiter.limit("10 per hour", methods=["POST"])
def set_app_lock():
    try:
        services.set_app_lock(
            current_user,
            password=request.form.get("lock_password", ""),
            pin=request.form.get("pin", ""),
            minutes=request.form.get("lock_after", ""),
        )
    except ValidationError as exc:
        return _account_page(exc.errors, 422)
    flash("The app lock is on for every device you use.", "success")
    return redirect(url_for("auth.account"))


@bp.post("/account/lock/remove")
@login_required
@limiter.limit("10 per hour", methods=["POST"])
def remove_app_lock():
    try:
        services.remove_app_lock(current_user, password=request.form.get("unlock_password", ""))
    except ValidationError as exc:
        return _account_page(exc.errors, 422)
    flash("The app lock is off.", "success")
    return redirect(url_for("auth.account"))


@bp.post("/lock")
@login_required
def lock():
    services.lock_device(current_user)
    if request.headers.get("HX-Request") == "true" or request.is_json:
        return "", 204
    return redirect(url_for("auth.unlock"))


@bp.route("/unlock", methods=["GET", "POST"])
@login_required
@limiter.limit("5 per 15 minutes", methods=["POST"])
def unlock():
    if not services.is_locked(current_user):
        return redirect(_safe_next(request.values.get("next")))
    error = None
    if request.method == "POST":
        if services.unlock_device(current_user, request.form.get("pin", "")):
            return redirect(_safe_next(request.form.get("next")))
        error = "That PIN is not right. Take your time."
    return (
        render_template("auth/unlock.html", error=error, next=request.values.get("next", "")),
        422 if error else 200,
    )
