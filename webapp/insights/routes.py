"""Insights and export pages."""

from __future__ import annotations

from flask import Response, render_template
from flask_login import current_user, login_required

from webapp.auth.services import record_event
from webapp.insights import bp, services
from webapp.types import utcnow


@bp.get("/insights")
@login_required
def insights():
    return render_template(
        "insights/insights.html",
        mood=services.mood_chart(current_user),
        practice=services.practice_chart(current_user),
        arcs=services.entries_by_journey_and_phase(current_user),
    )


@bp.get("/export")
@login_required
def export():
    return render_template("insights/export.html")


def _download(body, mimetype: str, stem: str, suffix: str) -> Response:
    """An attachment named with today's date, never kept by any cache."""
    response = Response(body, mimetype=mimetype)
    filename = f"{stem}-{utcnow().strftime('%Y-%m-%d')}.{suffix}"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/export/tend.json")
@login_required
def export_json():
    record_event(current_user, "export")
    return _download(services.export_json(current_user), "application/json", "tend", "json")


@bp.get("/export/tend-markdown.zip")
@login_required
def export_markdown():
    record_event(current_user, "export")
    return _download(
        services.export_archive(current_user), "application/zip", "tend-markdown", "zip"
    )
