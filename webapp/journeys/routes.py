"""Journeys and integration settings pages. Rules live in the services of this package."""

from __future__ import annotations

import uuid

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from webapp.calendar import TIMEZONE_NAMES
from webapp.content import PHASES, PREPARING_PROMPTS
from webapp.errors import ValidationError
from webapp.journeys import arc, bp, services
from webapp.journeys.settings import parse_settings_input, save_settings
from webapp.types import utcnow
from webapp.web.templating import now_local
from webapp.web.views import edit_form, form_page


@bp.get("/journeys")
@login_required
def journeys():
    return render_template(
        "journeys/list.html",
        journeys=arc.list_journeys(current_user),
        position=arc.position_at(current_user),
    )


@bp.route("/journeys/new", methods=["GET", "POST"])
@login_required
def new_journey():
    page = {"journey": None, "preparing": request.values.get("preparing") == "1",
            "prompts": PREPARING_PROMPTS}
    if request.method == "GET":
        return form_page("journeys/new.html", form={"date": now_local("%Y-%m-%d")}, **page)
    try:
        fields = services.parse_journey_input(current_user, request.form)
    except ValidationError as exc:
        return form_page("journeys/new.html", exc.errors, **page)
    journey = services.create_journey(current_user, fields)
    if journey.started_at > utcnow():
        flash("Your journey is planned. Tend will be here before and after.", "success")
    else:
        flash("Your journey is logged. A new arc begins, gently.", "success")
    return redirect(url_for("today.today"))


@bp.get("/journeys/prepare")
@login_required
def prepare():
    return render_template(
        "journeys/prepare.html",
        prompts=PREPARING_PROMPTS,
        form={},
        errors={},
        position=arc.position_at(current_user),
    )


@bp.route("/journeys/<uuid:journey_id>/edit", methods=["GET", "POST"])
@login_required
def edit_journey(journey_id: uuid.UUID):
    journey = arc.get_journey_or_404(current_user, journey_id)
    return edit_form(
        "journeys/new.html",
        lambda: services.update_journey(
            current_user, journey, services.parse_journey_input(current_user, request.form)
        ),
        saved="Saved.",
        then=url_for("insights.journey", journey_id=journey.id),
        journey=journey, preparing=False, prompts=[],
    )


@bp.route("/journeys/<uuid:journey_id>/delete", methods=["GET", "POST"])
@login_required
def delete_journey(journey_id: uuid.UUID):
    """Ask first (a plain page, no script needed), then remove; entries stay in the journal."""
    journey = arc.get_journey_or_404(current_user, journey_id)
    if request.method == "GET":
        return render_template("journeys/delete.html", journey=journey)
    services.delete_journey(current_user, journey)
    flash("The journey was removed. Its entries are still in your journal.", "info")
    return redirect(url_for("journeys.journeys"))


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    return edit_form(
        "journeys/settings.html",
        lambda: save_settings(current_user, parse_settings_input(request.form)),
        saved="Settings saved.",
        then=url_for("journeys.settings"),
        settings=arc.get_settings(current_user),
        phases=PHASES,
        timezones=TIMEZONE_NAMES,
        position=arc.position_at(current_user),
    )
