"""Today (home) and More. The page gathers the arc, the journal and practices."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from webapp.content import ALL_PROMPTS, CHECK_IN_FEELINGS, FEELINGS, PHASES, THEMES
from webapp.errors import ValidationError
from webapp.journal import services as journal
from webapp.journal.prompts import todays_prompt
from webapp.journal.timeline import resurfaced_entry
from webapp.journeys.arc import position_at
from webapp.practices.services import practices_today
from webapp.today import bp
from webapp.types import utcnow
from webapp.web import ready_pages
from webapp.web.views import htmx_target, wants_fragment


def _page(prompt, position, *, only_prompt: bool, form=None, errors=None, resurfaced=None,
          status=200):
    """Today's page, or only its prompt card when htmx swaps that."""
    context = {"prompt": prompt, "position": position, "form": form or {},
               "errors": errors or {}}
    if only_prompt:
        return render_template("today/_prompt.html", **context), status
    return render_template(
        "today/today.html",
        **context,
        phase=PHASES.get(position.phase) if position.phase else None,
        practices_today=practices_today(current_user, only_scheduled=True),
        resurfaced=resurfaced,
        check_in=[(key, FEELINGS[key]) for key in CHECK_IN_FEELINGS],
    ), status


@bp.get("/")
@login_required
def today():
    now = utcnow()
    position = position_at(current_user, now)
    prompt = todays_prompt(current_user, position.phase, after=request.args.get("after"))
    if wants_fragment() and htmx_target() == "today-prompt":
        return _page(prompt, position, only_prompt=True)
    # Time alone changes this page at midnight and when a planned journey begins.
    ready_pages.offer_page(changes_at=position.upcoming_start)
    return _page(prompt, position, only_prompt=False,
                 resurfaced=resurfaced_entry(current_user, now))


@bp.post("/today/write")
@login_required
def quick_write():
    """Save an answer to Today's prompt; the entry remembers prompt, journey and phase."""
    position = position_at(current_user)
    try:
        entry = journal.create_entry(current_user, journal.parse_entry_input(request.form))
    except ValidationError as exc:
        prompt = ALL_PROMPTS.get(request.form.get("prompt_id")) or todays_prompt(
            current_user, position.phase
        )
        return _page(prompt, position, only_prompt=wants_fragment(), form=request.form,
                     errors=exc.errors, status=422)
    if wants_fragment():
        return render_template("today/_prompt_saved.html", entry=entry, position=position)
    flash("Saved to your journal.", "success")
    return redirect(url_for("today.today"))


@bp.post("/today/check-in")
@login_required
def check_in():
    """One tap: a feeling, kept as an entry (with its journey and phase) like a capture.
    With JavaScript the same tap is saved on the device first and synced (capture.js)."""
    feeling = request.form.get("feeling", "")
    try:
        journal.create_entry(current_user, journal.parse_entry_input(
            {"body": "", "feelings": [{"feeling": feeling, "intensity": None}]}
        ))
    except ValidationError:
        flash("That feeling isn’t one Tend knows. Nothing was saved.", "error")
        return redirect(url_for("today.today"), 303)
    flash(f"Noted: {FEELINGS[feeling].lower()}. It is in your journal.", "success")
    return redirect(url_for("today.today"), 303)


@bp.get("/more")
@login_required
def more():
    return render_template("today/more.html", themes=THEMES)
