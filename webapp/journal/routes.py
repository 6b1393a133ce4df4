"""Journal pages. Each works as a plain page and, with htmx, as a fragment swap."""

from __future__ import annotations

import uuid

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf

from webapp.errors import ValidationError
from webapp.journal import bp, services
from webapp.journal.cache import timeline_pages


def _wants_fragment() -> bool:
    return bool(request.htmx) and not request.htmx.boosted


@bp.get("/journal")
@login_required
def timeline():
    query = request.args.get("q", "").strip()[:200]
    cursor = request.args.get("before")
    cacheable = not query and not cursor and not _wants_fragment() and "_flashes" not in session
    if cacheable:
        generate_csrf()  # the page's forms carry this device's token: it is part of the key
        key = (
            current_user.id,
            current_user.journal_version,
            current_user.timezone,
            current_user.lock_after_minutes if current_user.lock_pin_hash else None,
            session.get("csrf_token"),
            current_app.config["ENTRIES_PER_PAGE"],
        )
        cached = timeline_pages.get(key)
        if cached is not None:
            return cached
    page = services.timeline_page(
        current_user, cursor=cursor, query=query,
        per_page=current_app.config["ENTRIES_PER_PAGE"],
    )
    context = {"page": page, "q": query, "is_first_page": not cursor}
    if _wants_fragment():
        if cursor:  # "load more"
            return render_template("journal/_entries_page.html", **context)
        if request.htmx.target == "timeline":  # live search
            return render_template("journal/_timeline.html", **context)
    html = render_template("journal/timeline.html", **context, form={}, errors={})
    if cacheable:
        timeline_pages.put(key, html)
    return html


@bp.post("/entries")
@login_required
def create():
    try:
        fields = services.parse_entry_input(request.form)
        entry = services.create_entry(current_user, fields)
    except ValidationError as exc:
        return _new_form_with_errors(exc.errors)
    if _wants_fragment():
        return render_template("journal/_entry.html", entry=entry), 201
    flash("Saved.", "success")
    return redirect(url_for("journal.timeline"))


def _new_form_with_errors(errors: dict[str, str]):
    """Show the form again with what was typed, so nothing is lost."""
    if _wants_fragment():
        html = render_template("journal/_entry_form.html", entry=None, form=request.form,
                               errors=errors)
        return html, 422, {"HX-Retarget": "#entry-form-new", "HX-Reswap": "outerHTML"}
    page = services.timeline_page(current_user, per_page=current_app.config["ENTRIES_PER_PAGE"])
    return (
        render_template("journal/timeline.html", page=page, q="", is_first_page=True,
                        form=request.form, errors=errors),
        422,
    )


@bp.get("/entries/<uuid:entry_id>")
@login_required
def show(entry_id: uuid.UUID):
    entry = services.get_entry_or_404(current_user, entry_id)
    if _wants_fragment():
        return render_template("journal/_entry.html", entry=entry)
    return render_template("journal/entry.html", entry=entry)


@bp.get("/entries/<uuid:entry_id>/edit")
@login_required
def edit(entry_id: uuid.UUID):
    entry = services.get_entry_or_404(current_user, entry_id)
    template = "journal/_entry_edit.html" if _wants_fragment() else "journal/edit.html"
    return render_template(template, entry=entry, form={}, errors={})


@bp.post("/entries/<uuid:entry_id>")
@login_required
def update(entry_id: uuid.UUID):
    entry = services.get_entry_or_404(current_user, entry_id)
    try:
        fields = services.parse_entry_input(request.form)
    except ValidationError as exc:
        template = "journal/_entry_edit.html" if _wants_fragment() else "journal/edit.html"
        return render_template(template, entry=entry, form=request.form, errors=exc.errors), 422
    services.update_entry(entry, fields)
    if _wants_fragment():
        return render_template("journal/_entry.html", entry=entry)
    flash("Saved.", "success")
    return redirect(url_for("journal.timeline"))


@bp.post("/entries/<uuid:entry_id>/delete")
@login_required
def delete(entry_id: uuid.UUID):
    entry = services.delete_entry(services.get_entry_or_404(current_user, entry_id))
    if _wants_fragment():
        return render_template("journal/_deleted.html", entry=entry)
    flash(str(entry.id), "undo")
    return redirect(url_for("journal.timeline"))


@bp.post("/entries/<uuid:entry_id>/restore")
@login_required
def restore(entry_id: uuid.UUID):
    entry = services.get_entry_or_404(current_user, entry_id, include_deleted=True)
    services.restore_entry(entry)
    if _wants_fragment():
        return render_template("journal/_entry.html", entry=entry)
    flash("The entry is back.", "success")
    return redirect(url_for("journal.timeline"))
