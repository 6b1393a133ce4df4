"""The import page: choose a file, see what came in and what did not, and why."""

from __future__ import annotations

from flask import current_app, render_template, request
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from webapp.auth.security_log import record_event
from webapp.extensions import csrf, limiter
from webapp.importer import bp, services


@bp.get("/import")
@login_required
def page():
    return render_template("importer/import.html", error=None,
                           limit=current_app.config["IMPORT_MAX_BYTES"])


@bp.post("/import")
@csrf.exempt  # checked below, once the larger size limit for exports is in place
@login_required
@limiter.limit("10 per hour")
def upload():
    limit = current_app.config["IMPORT_MAX_BYTES"]
    request.max_content_length = limit  # an export may be far larger than any form
    request.max_form_memory_size = limit
    try:
        csrf.protect()
        upload = request.files.get("file")
    except RequestEntityTooLarge:
        return _refused(f"The file is larger than {limit // (1024 * 1024)} MB.", 413)
    if upload is None or not upload.filename:
        return _refused("Please choose the file your export made.", 422)
    try:
        summary = services.import_file(current_user, upload.filename, upload.read(limit + 1))
    except services.ImportError_ as exc:
        return _refused(str(exc), 422)
    record_event(current_user, "import")
    return render_template("importer/summary.html", summary=summary)


def _refused(message: str, status: int):
    return (
        render_template("importer/import.html", error=message,
                        limit=current_app.config["IMPORT_MAX_BYTES"]),
        status,
    )
