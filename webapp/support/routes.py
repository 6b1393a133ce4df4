"""Support pages. The crisis resources are open to everyone, signed in or not."""

from __future__ import annotations

from flask import jsonify, render_template, request, url_for
from flask_login import current_user, login_required

from webapp.auth.lock import is_locked
from webapp.content import SAFETY_PLAN_FIELDS
from webapp.journeys.arc import get_settings
from webapp.support import bp, services
from webapp.support.resources import support_resources
from webapp.web.views import edit_form, shell_page


@bp.get("/support")
def support():
    """Crisis lines for everyone. The person's own therapist contact and safety plan only
    when they are signed in and the device is not locked: a locked phone shows help, never
    what the person wrote."""
    therapist = plan = None
    personal = current_user.is_authenticated and not is_locked(current_user)
    if personal:
        therapist = get_settings(current_user).therapist_contact
        plan = services.get_safety_plan(current_user)
    return render_template(
        "support/support.html",
        resources=support_resources(),
        therapist=therapist,
        plan=plan,
        personal=personal,
        fields=SAFETY_PLAN_FIELDS,
    )


@bp.route("/support/safety-plan", methods=["GET", "POST"])
@login_required
def safety_plan():
    return edit_form(
        "support/safety_plan.html",
        lambda: services.save_safety_plan(current_user, services.parse_safety_plan(request.form)),
        saved="Your safety plan is saved.",
        then=url_for("support.safety_plan"),
        plan=services.get_safety_plan(current_user),
        fields=SAFETY_PLAN_FIELDS,
    )


@bp.get("/support/safety-plan/print")
@login_required
def print_safety_plan():
    return render_template(
        "support/safety_plan_print.html",
        plan=services.get_safety_plan(current_user),
        fields=SAFETY_PLAN_FIELDS,
        resources=support_resources(),
        therapist=get_settings(current_user).therapist_contact,
    )


@bp.get("/support/offline")
def offline():
    """The crisis lines as the service worker keeps them: no account, nothing personal.
    A safety plan kept on this device (by the person's choice) is filled in by script."""
    return shell_page("support/offline.html", resources=support_resources())


@bp.get("/api/safety-plan")
def kept_plan():
    """The safety plan, for a device whose person chose to keep a copy for offline use."""
    if not current_user.is_authenticated:
        response = jsonify(error="You are signed out. Sign in to keep your safety plan here.")
        response.status_code = 401
    else:
        plan = services.get_safety_plan(current_user)
        response = jsonify(
            fields=[
                {"name": name, "label": label, "text": getattr(plan, name) or ""}
                for name, (label, _hint) in SAFETY_PLAN_FIELDS.items()
            ],
            updated_at=plan.updated_at.isoformat() if plan.updated_at else None,
        )
    response.headers["Cache-Control"] = "no-store"
    return response
