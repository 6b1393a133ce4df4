"""Practice pages: the catalogue, choosing and scheduling, ticking off. Rules in services."""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from webapp.content import PRACTICES_BY_ID, WEEKDAY_NAMES, practices_by_group
from webapp.errors import ValidationError
from webapp.practices import bp, services
from webapp.web import ready_pages
from webapp.web.views import wants_fragment


def _back() -> str:
    """Return to Today when the tick came from there, else to the practices page."""
    return (
        url_for("today.today")
        if request.form.get("back") == "today"
        else url_for("practices.index")
    )


@bp.get("/practices")
@login_required
def index():
    mine = services.practices_today(current_user)
    ready_pages.offer_page()  # today's ticks and this week's counts move on at midnight
    return render_template(
        "practices/index.html",
        mine=mine,
        chosen_ids={item.chosen.practice_id for item in mine},
        groups=practices_by_group(),
        describe=services.describe_schedule,
    )


def _schedule_page(practice, chosen, form, errors, status=200):
    if form:
        checked = form.getlist("days")
    elif chosen:
        checked = [str(d) for d in chosen.weekday_list]
    else:
        days = range(7) if practice.default_days is None else practice.default_days
        checked = [str(d) for d in days]
    return render_template(
        "practices/schedule.html",
        practice=practice,
        chosen=chosen,
        form=form,
        errors=errors,
        weekdays=WEEKDAY_NAMES,
        checked_days=checked,
    ), status


@bp.get("/practices/choose/<practice_id>")
@login_required
def choose_form(practice_id: str):
    practice = PRACTICES_BY_ID.get(practice_id)
    if practice is None:
        abort(404)
    return _schedule_page(practice, None, {}, {})


@bp.post("/practices")
@login_required
def choose():
    practice = PRACTICES_BY_ID.get(request.form.get("practice", ""))
    try:
        services.practice_or_error(request.form.get("practice"))
        schedule = services.parse_schedule(request.form)
        services.choose_practice(current_user, request.form.get("practice"), schedule)
    except ValidationError as exc:
        if practice is None:
            return render_template(
                "practices/index.html",
                mine=services.practices_today(current_user),
                chosen_ids=set(),
                groups=practices_by_group(),
                describe=services.describe_schedule,
                errors=exc.errors,
            ), 422
        return _schedule_page(practice, None, request.form, exc.errors, 422)
    flash(f"{practice.name} is now one of your practices.", "success")
    return redirect(url_for("practices.index"))


@bp.route("/practices/<uuid:chosen_id>/schedule", methods=["GET", "POST"])
@login_required
def schedule(chosen_id: uuid.UUID):
    chosen = services.get_chosen_or_404(current_user, chosen_id)
    practice = PRACTICES_BY_ID.get(chosen.practice_id)
    if practice is None:
        abort(404)
    if request.method == "POST":
        try:
            services.reschedule(current_user, chosen, services.parse_schedule(request.form))
        except ValidationError as exc:
            return _schedule_page(practice, chosen, request.form, exc.errors, 422)
        flash("Schedule saved.", "success")
        return redirect(url_for("practices.index"))
    return _schedule_page(practice, chosen, {}, {})


@bp.post("/practices/<uuid:chosen_id>/remove")
@login_required
def remove(chosen_id: uuid.UUID):
    chosen = services.get_chosen_or_404(current_user, chosen_id)
    name = services.name_of(chosen)
    services.remove_practice(current_user, chosen)
    flash(f"{name} is no longer on your list.", "info")
    return redirect(url_for("practices.index"))


def _tick(chosen, errors=None, status=200):
    """A practice's tick card as it is now, with a note's error if it was refused."""
    return render_template(
        "practices/_tick.html",
        item=services.practice_today(current_user, chosen),
        errors=errors or {},
        form=request.form if errors else {},
        back=request.form.get("back"),
    ), status


@bp.post("/practices/<uuid:chosen_id>/done")
@login_required
def done(chosen_id: uuid.UUID):
    chosen = services.get_chosen_or_404(current_user, chosen_id)
    try:
        note = services.parse_note(request.form)
    except ValidationError as exc:
        if wants_fragment():
            return _tick(chosen, exc.errors, 422)
        flash(exc.errors["note"], "error")
        return redirect(_back())
    services.log_done(current_user, chosen, note)
    if wants_fragment():
        return _tick(chosen)
    flash(f"{services.name_of(chosen)}: done. Well tended.", "success")
    return redirect(_back())


@bp.post("/practices/<uuid:chosen_id>/undo")
@login_required
def undo(chosen_id: uuid.UUID):
    chosen = services.get_chosen_or_404(current_user, chosen_id)
    services.undo_today(current_user, chosen)
    return _tick(chosen) if wants_fragment() else redirect(_back())


@bp.get("/practices/<uuid:chosen_id>")
@login_required
def show(chosen_id: uuid.UUID):
    chosen = services.get_chosen_or_404(current_user, chosen_id)
    return render_template(
        "practices/show.html",
        item=services.practice_today(current_user, chosen),
        logs=services.recent_logs(current_user, chosen),
        describe=services.describe_schedule,
    )
