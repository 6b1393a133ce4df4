"""Today, journeys, intentions and settings pages. Rules live in webapp.journeys.services."""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from webapp.content import ALL_PROMPTS, PHASES, PREPARING_PROMPTS
from webapp.errors import ValidationError
from webapp.insights.services import integration_brief
from webapp.journal import services as journal
from webapp.journeys import bp, services
from webapp.journeys.models import INTENTION_STATUSES
from webapp.practices import services as practices
from webapp.templating import local_time
from webapp.types import utcnow


def _wants_fragment() -> bool:
    return bool(request.htmx) and not request.htmx.boosted


# --- Today ----------------------------------------------------------------------------------


def _prompt_context(position, after: str | None = None, form=None, errors=None) -> dict:
    prompt = services.todays_prompt(current_user, position.phase, after=after)
    return {"prompt": prompt, "position": position, "form": form or {}, "errors": errors or {}}


@bp.get("/")
@login_required
def today():
    now = utcnow()
    position = services.position_at(current_user, now)
    after = request.args.get("after")
    context = _prompt_context(position, after=after)
    if _wants_fragment() and request.htmx.target == "today-prompt":
        return render_template("journeys/_prompt.html", **context)
    return render_template(
        "journeys/today.html",
        **context,
        phase=PHASES.get(position.phase) if position.phase else None,
        practices_today=practices.practices_today(current_user, now, only_scheduled=True),
        resurfaced=services.resurfaced_entry(current_user, now),
    )


@bp.post("/today/write")
@login_required
def quick_write():
    """Save an answer to Today's prompt; the entry remembers prompt, journey and phase."""
    position = services.position_at(current_user)
    try:
        fields = journal.parse_entry_input(request.form)
        entry = journal.create_entry(current_user, fields)
    except ValidationError as exc:
        prompt_id = request.form.get("prompt_id")
        prompt = ALL_PROMPTS.get(prompt_id) or services.todays_prompt(current_user, position.phase)
        context = {
            "prompt": prompt,
            "position": position,
            "form": request.form,
            "errors": exc.errors,
        }
        if _wants_fragment():
            return render_template("journeys/_prompt.html", **context), 422
        return render_template(
            "journeys/today.html",
            **context,
            phase=PHASES.get(position.phase) if position.phase else None,
            practices_today=practices.practices_today(current_user, only_scheduled=True),
            resurfaced=None,
        ), 422
    if _wants_fragment():
        return render_template("journeys/_prompt_saved.html", entry=entry, position=position)
    flash("Saved to your journal.", "success")
    return redirect(url_for("journeys.today"))


# --- Journeys -------------------------------------------------------------------------------


@bp.get("/journeys")
@login_required
def journeys():
    return render_template(
        "journeys/list.html",
        journeys=services.list_journeys(current_user),
        position=services.position_at(current_user),
    )


@bp.route("/journeys/new", methods=["GET", "POST"])
@login_required
def new_journey():
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            fields = services.parse_journey_input(current_user, request.form)
        except ValidationError as exc:
            errors = exc.errors
        else:
            journey = services.create_journey(current_user, fields)
            if journey.started_at > utcnow():
                flash("Your journey is planned. Tend will be here before and after.", "success")
            else:
                flash("Your journey is logged. A new arc begins, gently.", "success")
            return redirect(url_for("journeys.today"))
    form = request.form if request.method == "POST" else {"date": now_local("%Y-%m-%d")}
    return render_template(
        "journeys/new.html",
        form=form,
        errors=errors,
        journey=None,
        preparing=request.args.get("preparing") == "1" or request.form.get("preparing") == "1",
        prompts=PREPARING_PROMPTS,
    ), (422 if errors else 200)


@bp.get("/journeys/prepare")
@login_required
def prepare():
    return render_template(
        "journeys/prepare.html",
        prompts=PREPARING_PROMPTS,
        form={},
        errors={},
        position=services.position_at(current_user),
    )


@bp.get("/journeys/<uuid:journey_id>")
@login_required
def journey(journey_id: uuid.UUID):
    journey = services.get_journey_or_404(current_user, journey_id)
    return render_template(
        "journeys/journey.html",
        journey=journey,
        groups=services.entries_by_phase(current_user, journey),
        intentions=services.list_intentions(current_user, journey),
        position=services.position_at(current_user),
        form={},
        errors={},
    )


@bp.route("/journeys/<uuid:journey_id>/edit", methods=["GET", "POST"])
@login_required
def edit_journey(journey_id: uuid.UUID):
    journey = services.get_journey_or_404(current_user, journey_id)
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            fields = services.parse_journey_input(current_user, request.form)
        except ValidationError as exc:
            errors = exc.errors
        else:
            services.update_journey(journey, fields)
            flash("Saved.", "success")
            return redirect(url_for("journeys.journey", journey_id=journey.id))
    return render_template(
        "journeys/new.html",
        form=request.form,
        errors=errors,
        journey=journey,
        preparing=False,
        prompts=[],
    ), (422 if errors else 200)


@bp.route("/journeys/<uuid:journey_id>/delete", methods=["GET", "POST"])
@login_required
def delete_journey(journey_id: uuid.UUID):
    """Ask first (a plain page, no script needed), then remove; entries stay in the journal."""
    journey = services.get_journey_or_404(current_user, journey_id)
    if request.method == "GET":
        return render_template("journeys/delete.html", journey=journey)
    services.delete_journey(journey)
    flash("The journey was removed. Its entries are still in your journal.", "info")
    return redirect(url_for("journeys.journeys"))


@bp.get("/journeys/<uuid:journey_id>/brief")
@login_required
def brief(journey_id: uuid.UUID):
    journey = services.get_journey_or_404(current_user, journey_id)
    return render_template("journeys/brief.html", brief=integration_brief(current_user, journey))


# --- Intentions -------------------------------------------------------------------------------


@bp.get("/intentions")
@login_required
def intentions():
    return render_template(
        "journeys/intentions.html",
        groups=services.intentions_by_status(current_user),
        form={},
        errors={},
        journey=services.find_own_journey(current_user, request.args.get("journey")),
        entry=services.find_own_entry(current_user, request.args.get("entry")),
    )


@bp.post("/intentions")
@login_required
def create_intention():
    try:
        text = services.parse_intention_text(request.form)
        intention = services.create_intention(
            current_user,
            text,
            journey_id=request.form.get("journey_id"),
            entry_id=request.form.get("entry_id"),
        )
    except ValidationError as exc:
        return render_template(
            "journeys/intentions.html",
            groups=services.intentions_by_status(current_user),
            form=request.form,
            errors=exc.errors,
            journey=services.find_own_journey(current_user, request.form.get("journey_id")),
            entry=services.find_own_entry(current_user, request.form.get("entry_id")),
        ), 422
    flash("Your intention is saved. Come back to it whenever you like.", "success")
    if intention.journey_id and request.form.get("back") == "journey":
        return redirect(url_for("journeys.journey", journey_id=intention.journey_id))
    return redirect(url_for("journeys.intentions"))


@bp.post("/intentions/<uuid:intention_id>/status")
@login_required
def intention_status(intention_id: uuid.UUID):
    intention = services.get_intention_or_404(current_user, intention_id)
    try:
        services.set_intention_status(intention, request.form.get("status"))
    except ValidationError:
        abort(400)
    if _wants_fragment():
        return render_template(
            "journeys/_intention.html", intention=intention, statuses=INTENTION_STATUSES
        )
    return redirect(url_for("journeys.intentions"))


@bp.route("/intentions/<uuid:intention_id>/edit", methods=["GET", "POST"])
@login_required
def edit_intention(intention_id: uuid.UUID):
    intention = services.get_intention_or_404(current_user, intention_id)
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            services.update_intention_text(intention, services.parse_intention_text(request.form))
        except ValidationError as exc:
            errors = exc.errors
        else:
            flash("Saved.", "success")
            return redirect(url_for("journeys.intentions"))
    return render_template(
        "journeys/intention_edit.html", intention=intention, form=request.form, errors=errors
    ), (422 if errors else 200)


# --- Settings -------------------------------------------------------------------------------


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    stored = services.get_settings(current_user)
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            fields = services.parse_settings_input(request.form)
        except ValidationError as exc:
            errors = exc.errors
        else:
            services.save_settings(current_user, fields)
            flash("Settings saved.", "success")
            return redirect(url_for("journeys.settings"))
    return render_template(
        "journeys/settings.html",
        settings=stored,
        form=request.form,
        errors=errors,
        phases=PHASES,
        timezones=services.TIMEZONE_NAMES,
        position=services.position_at(current_user),
    ), (422 if errors else 200)


@bp.get("/more")
@login_required
def more():
    return render_template("journeys/more.html")


@bp.app_template_global()
def prompt_text(prompt_id: str | None) -> str | None:
    prompt = ALL_PROMPTS.get(prompt_id or "")
    return prompt.text if prompt else None


@bp.app_template_global()
def now_local(fmt: str = "%-d %B %Y") -> str:
    return local_time(utcnow(), fmt)


@bp.app_template_global()
def phase_name(phase: str | None) -> str | None:
    return PHASES[phase].name if phase in PHASES else None
