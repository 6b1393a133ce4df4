"""Support pages. The crisis resources are open to everyone, signed in or not."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from webapp.errors import ValidationError
from webapp.journeys.services import get_settings
from webapp.support import bp, services
from webapp.support.models import SAFETY_PLAN_FIELDS


@bp.get("/support")
def support():
    therapist = plan = None
    if current_user.is_authenticated:
        therapist = get_settings(current_user).therapist_contact
        plan = services.get_safety_plan(current_user)
    return render_template(
        "support/support.html",
        resources=services.support_resources(),
        therapist=therapist,
        plan=plan,
        fields=SAFETY_PLAN_FIELDS,
    )


@bp.route("/support/safety-plan", methods=["GET", "POST"])
@login_required
def safety_plan():
    plan = services.get_safety_plan(current_user)
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            fields = services.parse_safety_plan(request.form)
        except ValidationError as exc:
            errors = exc.errors
        else:
            services.save_safety_plan(current_user, fields)
            flash("Your safety plan is saved.", "success")
            return redirect(url_for("support.safety_plan"))
    return render_template(
        "support/safety_plan.html",
        plan=plan,
        fields=SAFETY_PLAN_FIELDS,
        form=request.form,
        errors=errors,
    ), (422 if errors else 200)


@bp.get("/support/safety-plan/print")
@login_required
def print_safety_plan():
    return render_template(
        "support/safety_plan_print.html",
        plan=services.get_safety_plan(current_user),
        fields=SAFETY_PLAN_FIELDS,
        resources=services.support_resources(),
        therapist=get_settings(current_user).therapist_contact,
    )
