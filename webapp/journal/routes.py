"""Journal pages. Each works as a plain page and, with htmx, as a fragment swap."""

from __future__ import annotations

import uuid

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from htmx_flask import make_response
from markupsafe import Markup

from webapp.errors import ValidationError
from webapp.journal import bp, services
from webapp.journal.cache import timeline_pages
from webapp.journal.timeline import timeline_page
from webapp.web import ready_pages
from webapp.web.views import form_page, htmx_target, wants_fragment


@bp.app_template_global()
def entry_cards(entries, *, full: bool = False, titled: bool = True) -> Markup:
    """Entries as cards (templates/journal/_entry_list.html), rendered on their own into one
    piece of text: included, each of a page's thousand small pieces would pass up through
    every template around it."""
    html = render_template("journal/_entry_list.html", entries=entries, full=full, titled=titled)
    return Markup(html)  # noqa: S704 (the template's own autoescaped output)


def _per_page() -> int:
    return current_app.config["ENTRIES_PER_PAGE"]


@bp.get("/journal")
@login_required
def timeline():
    query = request.args.get("q", "").strip()[:200]
    cursor = request.args.get("before")
    cacheable = (
        current_app.config["PAGE_CACHE"]
        and not query and not cursor and not wants_fragment() and "_flashes" not in session
    )
    if cacheable:
        # The page's forms carry this device's CSRF token, so each device has its own copy.
        key = (
            current_user.id,
            current_user.device_session.id,
            current_user.content_version,
            current_user.timezone,
            current_user.lock_after_minutes if current_user.lock_pin_hash else None,
            _per_page(),
        )
        ready_pages.offer_page()
        cached = timeline_pages.get(key)
        if cached is not None:
            return cached
    page = timeline_page(current_user, cursor=cursor, query=query, per_page=_per_page(),
                         lean=True)
    context = {"page": page, "q": query, "is_first_page": not cursor}
    if wants_fragment():
        if cursor:  # "load more"
            return render_template("journal/_entries_page.html", **context)
        if htmx_target() == "timeline":  # live search
            return render_template("journal/_timeline.html", **context)
    html = render_template("journal/timeline.html", **context, form={}, errors={})
    if cacheable:
        timeline_pages.put(key, html)
    return html


@bp.post("/entries")
@login_required
def create():
    try:
        entry = services.create_entry(current_user, services.parse_entry_input(request.form))
    except ValidationError as exc:
        return _new_form_with_errors(exc.errors)
    if wants_fragment():
        return render_template("journal/_entry.html", entry=entry), 201
    flash("Saved.", "success")
    # Notes written on the Preparing page go back there, to the next question.
    back = "journeys.prepare" if request.form.get("back") == "prepare" else "journal.timeline"
    return redirect(url_for(back))


def _new_form_with_errors(errors: dict[str, str]):
    """Show the form again with what was typed, so nothing is lost."""
    if wants_fragment():
        html = render_template("journal/_entry_form.html", entry=None, form=request.form,
                               errors=errors)
        return make_response(html, 422, retarget="#entry-form-new", reswap="outerHTML")
    page = timeline_page(current_user, per_page=_per_page())
    return form_page("journal/timeline.html", errors, page=page, q="", is_first_page=True)


@bp.get("/entries/<uuid:entry_id>")
@login_required
def show(entry_id: uuid.UUID):
    entry = services.get_entry_or_404(current_user, entry_id)
    template = "journal/_entry.html" if wants_fragment() else "journal/entry.html"
    return render_template(template, entry=entry)


def _edit_template() -> str:
    return "journal/_entry_edit.html" if wants_fragment() else "journal/edit.html"


@bp.get("/entries/<uuid:entry_id>/edit")
@login_required
def edit(entry_id: uuid.UUID):
    entry = services.get_entry_or_404(current_user, entry_id)
    return render_template(_edit_template(), entry=entry, form={}, errors={})


@bp.post("/entries/<uuid:entry_id>")
@login_required
def update(entry_id: uuid.UUID):
    entry = services.get_entry_or_404(current_user, entry_id)
    try:
        optional = services.words_optional(entry)
        fields = services.parse_entry_input(request.form, words_optional=optional)
        services.update_entry(entry, fields)
    except ValidationError as exc:
        return form_page(_edit_template(), exc.errors, entry=entry)
    return _saved(entry, "Saved.")


def _saved(entry, message: str):
    """The entry as it is now (htmx), or back to the journal with a word of confirmation."""
    if wants_fragment():
        return render_template("journal/_entry.html", entry=entry)
    flash(message, "success")
    return redirect(url_for("journal.timeline"))


@bp.post("/entries/<uuid:entry_id>/delete")
@login_required
def delete(entry_id: uuid.UUID):
    entry = services.delete_entry(services.get_entry_or_404(current_user, entry_id))
    if wants_fragment():
        return render_template("journal/_deleted.html", entry=entry)
    flash(str(entry.id), "undo")
    return redirect(url_for("journal.timeline"))


@bp.post("/entries/<uuid:entry_id>/restore")
@login_required
def restore(entry_id: uuid.UUID):
    entry = services.get_entry_or_404(current_user, entry_id, include_deleted=True)
    return _saved(services.restore_entry(entry), "The entry is back.")
