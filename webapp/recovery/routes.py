"""Recovery pages. Views stay thin: the rules live in webapp.recovery.services."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from webapp.auth.passwords import normalise_email
from webapp.errors import ValidationError
from webapp.extensions import limiter
from webapp.mail.sender import mail_enabled
from webapp.recovery import bp, services

RECOVER_LIMITS = "5 per 15 minutes;20 per day"  # per address
FAILED_RECOVERIES_PER_ACCOUNT = "5 per hour"
FORGOT_LIMITS = "5 per hour"
FORGOT_PER_ACCOUNT = "3 per hour"  # nobody's inbox gets flooded with reset links


def _account_key() -> str:
    return "recover:" + normalise_email(request.form.get("email", ""))


def _is_refusal(response) -> bool:
    return response.status_code == 422


@bp.get("/account/recovery-codes")
@login_required
def codes():
    return _codes_page()


def _codes_page(errors: dict | None = None, status: int = 200):
    return (
        render_template(
            "recovery/codes.html",
            left=services.codes_left(current_user),
            had_codes=services.has_had_codes(current_user),
            first=services.may_make_first_codes(current_user),
            count=services.CODE_COUNT,
            errors=errors or {},
        ),
        status,
    )


@bp.post("/account/recovery-codes")
@login_required
@limiter.limit("10 per hour", methods=["POST"])
def make_codes():
    try:
        if services.may_make_first_codes(current_user):
            new_codes = services.make_recovery_codes(current_user)
        else:
            new_codes = services.renew_recovery_codes(
                current_user, request.form.get("password", "")
            )
    except ValidationError as exc:
        return _codes_page(exc.errors, 422)
    return render_template("recovery/new_codes.html", codes=new_codes)


@bp.route("/recover", methods=["GET", "POST"])
@limiter.limit(RECOVER_LIMITS, methods=["POST"])
@limiter.limit(
    FAILED_RECOVERIES_PER_ACCOUNT, methods=["POST"], key_func=_account_key,
    deduct_when=_is_refusal,
)
def recover():
    if current_user.is_authenticated:
        return redirect(url_for("recovery.codes"))
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            services.recover_with_code(
                request.form.get("email", ""),
                request.form.get("code", ""),
                request.form.get("new_password", ""),
            )
        except ValidationError as exc:
            errors = exc.errors
        else:
            flash(
                "Your new password is set and every device was signed out. Sign in with it "
                "now, then make new recovery codes in Account.",
                "success",
            )
            return redirect(url_for("auth.login"))
    form = {"email": request.form.get("email", "")}
    return render_template("recovery/recover.html", errors=errors, form=form), (
        422 if errors else 200
    )


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit(FORGOT_LIMITS, methods=["POST"])
@limiter.limit(FORGOT_PER_ACCOUNT, methods=["POST"], key_func=_account_key)
def forgot():
    if current_user.is_authenticated:
        return redirect(url_for("auth.account"))
    sent = False
    if request.method == "POST" and mail_enabled():
        services.request_password_reset(request.form.get("email", ""))
        sent = True
    return render_template(
        "recovery/forgot.html",
        sent=sent,
        mail=mail_enabled(),
        minutes=current_app.config["PASSWORD_RESET_MINUTES"],
    )


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def reset(token: str):
    """The link from the email. Opening it changes nothing (mail scanners open links too)."""
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            services.reset_password(token, request.form.get("new_password", ""))
        except ValidationError as exc:
            errors = exc.errors
        else:
            flash("Your new password is set and every device was signed out. Sign in with it "
                  "now.", "success")
            return redirect(url_for("auth.login"))
    valid = services.find_reset(token) is not None
    status = 422 if errors else (200 if valid else 404)
    return render_template("recovery/reset.html", valid=valid, errors=errors), status
