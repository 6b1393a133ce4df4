"""Looking back: insights, a journey's arc, the integration brief, and export."""

from __future__ import annotations

import uuid

from flask import Response, render_template
from flask_login import current_user, login_required

from webapp.auth.security_log import record_event
from webapp.insights import bp, charts
from webapp.insights import export as exporting
from webapp.insights.brief import integration_brief
from webapp.insights.feelings import captures_by_phase
from webapp.intentions.services import list_intentions
from webapp.journal.timeline import entries_by_phase
from webapp.journeys.arc import get_journey_or_404, position_at
from webapp.types import utcnow
from webapp.web import ready_pages


@bp.get("/insights")
@login_required
def insights():
    position = position_at(current_user)
    current = position.journey  # the journey the person is integrating now
    ready_pages.offer_page(changes_at=position.upcoming_start)
    return render_template(
        "insights/insights.html",
        mood=charts.mood_chart(current_user),
        practice=charts.practice_chart(current_user),
        arcs=charts.entries_by_journey_and_phase(current_user),
        current=current,
        captures=captures_by_phase(current_user, current) if current else [],
    )


@bp.get("/journeys/<uuid:journey_id>")
@login_required
def journey(journey_id: uuid.UUID):
    journey = get_journey_or_404(current_user, journey_id)
    return render_template(
        "insights/journey.html",
        journey=journey,
        groups=entries_by_phase(current_user, journey),
        intentions=list_intentions(current_user, journey),
        captures=captures_by_phase(current_user, journey),
        position=position_at(current_user),
        form={},
        errors={},
    )


@bp.get("/journeys/<uuid:journey_id>/brief")
@login_required
def brief(journey_id: uuid.UUID):
    journey = get_journey_or_404(current_user, journey_id)
    return render_template("insights/brief.html", brief=integration_brief(current_user, journey))


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
    return _download(exporting.export_json(current_user), "application/json", "tend", "json")


@bp.get("/export/tend-markdown.zip")
@login_required
def export_markdown():
    record_event(current_user, "export")
    return _download(
        exporting.export_archive(current_user), "application/zip", "tend-markdown", "zip"
    )
