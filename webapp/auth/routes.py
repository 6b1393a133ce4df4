"""Account pages. Views stay thin: the rules live in webapp.auth.services."""

from __future__ import annotations

import uuid

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
from flask_login import current_user, login_required, login_user, logout_user

from webapp.auth import bp, devices, services
from webapp.auth import lock as app_lock
from webapp.auth.passwords import normalise_email
from webapp.auth.security_log import record_event, security_events
from webapp.content import SECURITY_EVENT_LABELS, SIGNED_OUT_AFTER_WRONG_PINS
from webapp.errors import ValidationError
from webapp.extensions import limiter, login_manager
from webapp.web.redirects import safe_next
from webapp.web.views import edit_form, form_page, save_form

SIGN_IN_LIMITS = "10 per minute;60 per hour"  # per address
FAILED_SIGN_INS_PER_ACCOUNT = "10 per hour"
REGISTER_LIMITS = "5 per minute;20 per hour"  # per network address
# Per email address, from any network: "this email already has an account" can be asked
# about one address only a few times an hour (enumeration-safe sign-up needs email).
REGISTER_LIMITS_PER_EMAIL = "5 per hour"
DISABLED = "This account is paused by whoever runs Tend here. Your journal is kept safe."


@login_manager.user_loader
def load_user(token: str):
    return devices.resume_device_session(token)


def sign_in(user, remember: bool) -> None:
    """Start a device session for ``user`` in this browser (sign-up, sign-in, invitations):
    a fresh session, nothing carried over.

    A remembered device gets Flask-Login's remember cookie for the longest such a session
    can live (REMEMBERED_MAX); the server ends it sooner after 30 days unused.
    """
    session.clear()
    devices.start_device_session(
        user, remember=remember, user_agent=request.headers.get("User-Agent")
    )
    login_user(user, remember=remember, duration=devices.REMEMBERED_MAX)


def _safe_next(target: str | None) -> str:
    """Only follow ``next`` to a path on this site, never to another host."""
    return safe_next(target, url_for("today.today"))


def _account_key() -> str:
    return "account:" + normalise_email(request.form.get("email", ""))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(REGISTER_LIMITS, methods=["POST"])
@limiter.limit(REGISTER_LIMITS_PER_EMAIL, methods=["POST"], key_func=lambda: "sign-up:" + (
    normalise_email(request.form.get("email", ""))))
def register():
    if not current_app.config["REGISTRATION_OPEN"]:
        abort(403)
    if current_app.config.get("MAIL_SERVER"):
        # With email, sign-up is confirmed by a link and never says who has an account.
        return redirect(url_for("onboarding.signup"), code=307)
    if current_user.is_authenticated:
        return redirect(url_for("today.today"))
    if request.method == "POST":
        try:
            user = services.register(
                request.form.get("email", ""),
                request.form.get("password", ""),
                request.form.get("timezone"),
            )
        except ValidationError as exc:
            return form_page("auth/register.html", exc.errors)
        sign_in(user, remember=bool(request.form.get("remember")))
        record_event(user, "account_created", user.device_session.device)
        flash("Welcome to Tend. This is your space.", "success")
        return redirect(url_for("today.today"))
    return form_page("auth/register.html")


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
                record_event(
                    known, "sign_in_failed", devices.describe_device(request.user_agent.string)
                )
        elif user.disabled_at is not None:
            error = DISABLED  # said only to someone who knows the password
        else:
            sign_in(user, remember=bool(request.form.get("remember")))
            record_event(user, "sign_in", user.device_session.device)
            return redirect(_safe_next(request.form.get("next")))
    status = 422 if error else 200
    return (
        render_template(
            "auth/login.html", error=error, form=request.form, next=request.args.get("next", ""),
            farewell=session.pop("farewell", False) and request.method == "GET",
        ),
        status,
    )


@bp.post("/logout")
@login_required
def logout():
    devices.end_device_session(current_user)
    logout_user()
    flash("You’re signed out. Take gentle care.", "info")
    return redirect(url_for("auth.login"))


# -- Account and security ----------------------------------------------------------------------


def _account_form(save, saved: str):
    """The account page, after one of its forms was sent: saved, or shown with its errors."""
    return edit_form(
        "auth/account.html",
        save,
        saved=saved,
        then=url_for("auth.account"),
        sessions=devices.device_sessions(current_user),
        events=security_events(current_user),
        event_labels=SECURITY_EVENT_LABELS,
        lock_choices=app_lock.LOCK_CHOICES,
    )


@bp.get("/account")
@login_required
def account():
    return _account_form(None, "")


@bp.post("/account/password")
@login_required
@limiter.limit("10 per hour", methods=["POST"])
def change_password():
    return _account_form(
        lambda: services.change_password(
            current_user,
            request.form.get("current_password", ""),
            request.form.get("new_password", ""),
        ),
        "Your password is changed. Every other device has been signed out.",
    )


@bp.post("/account/theme")
@login_required
def set_theme():
    """The light or dark choice; a script applies it at once, this keeps it for the person."""
    errors = save_form(lambda: services.set_theme(current_user, request.form.get("theme")))
    if request.accept_mimetypes.best == "application/json":
        return ({"theme": current_user.theme}, 200) if not errors else ({"errors": errors}, 422)
    if errors:
        flash(errors["theme"], "error")
    return redirect(url_for("today.more"))


@bp.post("/account/sessions/<uuid:session_id>/revoke")
@login_required
def revoke_session(session_id: uuid.UUID):
    if not devices.revoke_device_session(current_user, session_id):
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
        errors = save_form(lambda: services.erase_account(
            current_user,
            request.form.get("password", ""),
            request.form.get("confirmation", ""),
        ))
        if not errors:
            logout_user()
            session.clear()
            session["farewell"] = True  # the sign-in page says goodbye, not "welcome back"
            flash("Your account and everything in it are deleted. Take gentle care.", "info")
            return redirect(url_for("auth.login"))
    return form_page("auth/delete.html", errors, phrase=services.ERASE_PHRASE)


# -- App lock ----------------------------------------------------------------------------------

# What a locked device may still reach: the way to unlock or leave, help, and the app's files.
OPEN_WHILE_LOCKED = {
    "auth.unlock", "auth.lock", "auth.logout", "support.support", "support.offline", "static",
    "pwa.manifest", "pwa.service_worker", "pwa.write", "pwa.capture", "pwa.offline",
}


@bp.before_app_request
def _locked_devices_see_only_the_lock():
    if request.endpoint in OPEN_WHILE_LOCKED or request.endpoint is None:
        return None
    if current_user.is_authenticated and app_lock.is_locked(current_user):
        if request.path.startswith("/api/"):
            return {"error": "Tend is locked on this device. Unlock it to continue."}, 423
        if request.htmx:
            response = current_app.response_class(status=204)
            response.headers["HX-Redirect"] = url_for("auth.unlock")
            return response
        return redirect(url_for("auth.unlock", next=request.full_path.rstrip("?")))
    return None


@bp.post("/account/lock")
@login_required
@limiter.limit("10 per hour", methods=["POST"])
def set_app_lock():
    return _account_form(
        lambda: app_lock.set_app_lock(
            current_user,
            password=request.form.get("lock_password", ""),
            pin=request.form.get("pin", ""),
            minutes=request.form.get("lock_after", ""),
        ),
        "The app lock is on for every device you use.",
    )


@bp.post("/account/lock/remove")
@login_required
@limiter.limit("10 per hour", methods=["POST"])
def remove_app_lock():
    return _account_form(
        lambda: app_lock.remove_app_lock(
            current_user, password=request.form.get("unlock_password", "")
        ),
        "The app lock is off.",
    )


@bp.post("/lock")
@login_required
def lock():
    app_lock.lock_device(current_user)
    if request.htmx or request.is_json:
        return "", 204
    return redirect(url_for("auth.unlock"))


@bp.route("/unlock", methods=["GET", "POST"])
@login_required
@limiter.limit("5 per 15 minutes", methods=["POST"])
def unlock():
    if not app_lock.is_locked(current_user):
        return redirect(_safe_next(request.values.get("next")))
    error = None
    if request.method == "POST":
        outcome = app_lock.unlock_device(current_user, request.form.get("pin", ""))
        if outcome == app_lock.UNLOCKED:
            return redirect(_safe_next(request.form.get("next")))
        if outcome == app_lock.SIGNED_OUT:
            logout_user()
            session.clear()
            flash(SIGNED_OUT_AFTER_WRONG_PINS, "info")
            return redirect(url_for("auth.login"))
        error = "That PIN is not right. Take your time."
    return (
        render_template("auth/unlock.html", error=error, next=request.values.get("next", "")),
        422 if error else 200,
    )
