"""Intentions pages: the list by status, writing one, editing it, changing its status."""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from webapp.content import INTENTION_STATUSES
from webapp.errors import ValidationError
from webapp.intentions import bp, services
from webapp.journal.services import find_own_entry
from webapp.journeys.arc import find_own_journey
from webapp.web.views import edit_form, form_page, wants_fragment


def _list_page(values, errors=None):
    """The intentions page; ``values`` say which journey or entry a new one would follow."""
    return form_page(
        "intentions/intentions.html",
        errors,
        form=values if errors else {},
        groups=services.intentions_by_status(current_user),
        journey=find_own_journey(current_user, values.get("journey_id", values.get("journey"))),
        entry=find_own_entry(current_user, values.get("entry_id", values.get("entry"))),
    )


@bp.get("/intentions")
@login_required
def index():
    return _list_page(request.args)


@bp.post("/intentions")
@login_required
def create():
    try:
        intention = services.create_intention(
            current_user,
            services.parse_intention_text(request.form),
            journey_id=request.form.get("journey_id"),
            entry_id=request.form.get("entry_id"),
        )
    except ValidationError as exc:
        return _list_page(request.form, exc.errors)
    flash("Your intention is saved. Come back to it whenever you like.", "success")
    if intention.journey_id and request.form.get("back") == "journey":
        return redirect(url_for("insights.journey", journey_id=intention.journey_id))
    return redirect(url_for("intentions.index"))


@bp.post("/intentions/<uuid:intention_id>/status")
@login_required
def status(intention_id: uuid.UUID):
    intention = services.get_intention_or_404(current_user, intention_id)
    try:
        services.set_intention_status(current_user, intention, request.form.get("status"))
    except ValidationError:
        abort(400)
    if wants_fragment():
        return render_template(
            "intentions/_intention.html", intention=intention, statuses=INTENTION_STATUSES
        )
    return redirect(url_for("intentions.index"))


@bp.route("/intentions/<uuid:intention_id>/edit", methods=["GET", "POST"])
@login_required
def edit(intention_id: uuid.UUID):
    intention = services.get_intention_or_404(current_user, intention_id)
    return edit_form(
        "intentions/intention_edit.html",
        lambda: services.update_intention_text(
            intention, services.parse_intention_text(request.form)
        ),
        saved="Saved.",
        then=url_for("intentions.index"),
        intention=intention,
    )
