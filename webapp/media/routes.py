"""Media pages and the upload API. Every ``/api/media`` answer is JSON, errors included."""

from __future__ import annotations

import io
import json
import uuid

from flask import (
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.http import parse_range_header

from webapp.extensions import csrf, db, limiter
from webapp.journal.services import get_entry_or_404
from webapp.media import bp, completion, library, storage, uploads
from webapp.media.models import Media
from webapp.web.security import MICROPHONE_PERMISSIONS_POLICY

UPLOAD_LIMITS = "600 per minute;20000 per hour"  # a 30-minute memo is about 30 pieces
PAGE_LIMITS = "60 per minute;600 per hour"


def json_answer(payload: dict, status: int = 200) -> Response:
    response = jsonify(payload)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def json_error(status: int, message: str, /, **extra) -> Response:
    return json_answer({"error": message, **extra}, status)


def _api_guard() -> Response | None:
    """Signed in first (an expired session reads as such), then the CSRF token."""
    if not current_user.is_authenticated:
        return json_error(401, "You are signed out. Sign in to upload; your recordings stay "
                               "on this device.")
    csrf.protect()
    return None


def _read_json() -> object:
    try:
        return json.loads(request.get_data(cache=False) or b"null")
    except (ValueError, RecursionError):
        raise uploads.UploadError(400, "The body is not valid JSON. Nothing was stored.") from None


def _upload_error(exc: uploads.UploadError) -> Response:
    return json_error(exc.status, exc.message, **exc.extra)


# --- Upload API -----------------------------------------------------------------------------


@bp.post("/api/media")
@csrf.exempt
@limiter.limit(UPLOAD_LIMITS)
def api_start():
    if (refused := _api_guard()) is not None:
        return refused
    request.max_content_length = 64 * 1024
    try:
        media, created = uploads.start_upload(current_user, _read_json())
    except uploads.UploadError as exc:
        return _upload_error(exc)
    return json_answer(uploads.status_of(media), 201 if created else 200)


@bp.get("/api/media/<uuid:media_id>")
def api_status(media_id: uuid.UUID):
    if not current_user.is_authenticated:
        return json_error(401, "You are signed out. Sign in to upload.")
    media = uploads.own_media(current_user, media_id)
    if media is None:
        return json_error(404, "No upload of yours has this id.")
    return json_answer(uploads.status_of(media))


@bp.get("/api/media/space")
def api_space():
    """How much room is left, so the recorder can say so before a long memo."""
    if not current_user.is_authenticated:
        return json_error(401, "You are signed out. Sign in to see your space.")
    usage = library.usage(current_user)
    return json_answer({"used": usage.used, "quota": usage.quota, "available": usage.available,
                        "nearly_full": usage.nearly_full})


@bp.post("/api/media/<uuid:media_id>/content")
@csrf.exempt
@limiter.limit(UPLOAD_LIMITS)
def api_piece(media_id: uuid.UUID):
    if (refused := _api_guard()) is not None:
        return refused
    request.max_content_length = uploads.MAX_PIECE
    try:
        data = request.get_data(cache=False)
        media = uploads.receive_piece(
            current_user, media_id, request.headers.get("Upload-Offset"), data
        )
    except uploads.UploadError as exc:
        return _upload_error(exc)
    return json_answer(uploads.status_of(media))


@bp.post("/api/media/<uuid:media_id>/complete")
@csrf.exempt
@limiter.limit(UPLOAD_LIMITS)
def api_complete(media_id: uuid.UUID):
    if (refused := _api_guard()) is not None:
        return refused
    request.max_content_length = 256 * 1024
    try:
        media = completion.complete_upload(
            current_user, media_id, _read_json(), app=current_app._get_current_object()
        )
    except uploads.UploadError as exc:
        return _upload_error(exc)
    # A long memo is transcoded after this answer: the device asks again in a moment.
    return json_answer(uploads.status_of(media), 202 if media.status == "processing" else 200)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error):
    if request.path.startswith("/api/"):
        return json_error(
            413, f"One request can carry at most {request.max_content_length:,} bytes. Nothing "
            "was stored; send smaller pieces.", max_bytes=request.max_content_length,
        )
    flash("That picture is larger than Tend can take. Nothing was stored.", "error")
    return redirect(request.referrer or url_for("journal.timeline")), 303


# --- Serving --------------------------------------------------------------------------------


def _serve(media: Media, *, thumb: bool = False) -> Response:
    """The file, whole or a byte range (Safari plays audio only with ranges)."""
    total = media.thumb_size if thumb else media.size
    content_type = "image/jpeg" if thumb else media.content_type
    headers = {
        "Accept-Ranges": "bytes",
        "Cache-Control": "no-store",
        "Cross-Origin-Resource-Policy": "same-origin",
        "Content-Disposition": "inline",
    }
    start, end, status = 0, total - 1, 200
    header = request.headers.get("Range")
    if header:
        ranges = parse_range_header(header)
        if ranges is not None and ranges.units == "bytes" and len(ranges.ranges) == 1:
            span = ranges.range_for_length(total)
            if span is None:
                headers["Content-Range"] = f"bytes */{total}"
                return Response(status=416, headers=headers, content_type=content_type)
            start, end, status = span[0], span[1] - 1, 206
            headers["Content-Range"] = f"bytes {start}-{end}/{total}"
    headers["Content-Length"] = str(end - start + 1)
    if request.method == "HEAD":
        return Response(status=status, headers=headers, content_type=content_type)
    reader = storage.file_reader(media, thumb=thumb, engine=db.engine)
    body = storage.iter_range(reader, start, end)
    return Response(body, status=status, headers=headers, content_type=content_type,
                    direct_passthrough=True)


@bp.get("/media/<uuid:media_id>")
@login_required
def file(media_id: uuid.UUID):
    media = library.get_ready_or_none(current_user, media_id)
    if media is None:
        abort(404)
    return _serve(media)


@bp.get("/media/<uuid:media_id>/thumbnail")
@login_required
def thumbnail(media_id: uuid.UUID):
    media = library.get_ready_or_none(current_user, media_id)
    if media is None or not media.thumb_size:
        abort(404)
    return _serve(media, thumb=True)


# --- Pages ----------------------------------------------------------------------------------


def _shell_page(template: str, *, microphone: bool = False):
    """Pages the service worker keeps: they hold no account and no journal content."""
    response = make_response(render_template(template, shell_page=True))
    response.headers["Cache-Control"] = "no-store"
    if microphone:
        # The recorder asks for the microphone, on this origin only; no other page may.
        response.headers["Permissions-Policy"] = MICROPHONE_PERMISSIONS_POLICY
    return response


@bp.get("/record")
def record():
    """The recorder: works offline, keeps the recording on the device while it records."""
    return _shell_page("media/record.html", microphone=True)


@bp.get("/draw")
def draw():
    """The drawing pad: works offline; the drawing uploads like a photo."""
    return _shell_page("media/draw.html")


@bp.get("/media")
@login_required
def library_page():
    return render_template(
        "media/library.html",
        usage=library.usage(current_user),
        items=library.library(current_user),
        waiting=library.abandoned_uploads(current_user),
    )


@bp.post("/entries/<uuid:entry_id>/photos")
@csrf.exempt  # checked below, once the form is read into memory
@login_required
@limiter.limit(PAGE_LIMITS)
def add_photo(entry_id: uuid.UUID):
    # The picture is read into memory, never into a temporary file on disk.
    request.max_content_length = uploads.IMAGE_MAX_BYTES + 64 * 1024
    request._get_file_stream = lambda *args, **kwargs: io.BytesIO()
    csrf.protect()
    entry = get_entry_or_404(current_user, entry_id)
    upload = request.files.get("photo")
    try:
        library.add_picture(current_user, entry, upload.read() if upload else b"")
    except uploads.UploadError as exc:
        flash(exc.message, "error")
        return redirect(url_for("journal.show", entry_id=entry.id)), 303
    flash("The photo is in your journal.", "success")
    return redirect(url_for("journal.show", entry_id=entry.id)), 303


@bp.post("/media/<uuid:media_id>/delete")
@login_required
@limiter.limit(PAGE_LIMITS)
def delete(media_id: uuid.UUID):
    media = uploads.own_media(current_user, media_id)
    if media is None:
        abort(404)
    entry_id = media.entry_id
    library.remove_media(media)
    flash("Removed.", "success")
    if request.form.get("back") == "library" or entry_id is None:
        return redirect(url_for("media.library_page"))
    return redirect(url_for("journal.show", entry_id=entry_id))


@bp.post("/media/<uuid:media_id>/brief")
@login_required
@limiter.limit(PAGE_LIMITS)
def brief(media_id: uuid.UUID):
    media = library.get_ready_or_none(current_user, media_id)
    if media is None or media.kind == "memo":
        abort(404)
    library.show_in_brief(media, request.form.get("shown") == "1")
    flash("It will be in your integration brief." if media.in_brief
          else "It will stay out of your integration brief.", "success")
    return redirect(url_for("journal.show", entry_id=media.entry_id))


# --- What other pages show ------------------------------------------------------------------


@bp.app_template_global()
def entry_media(entry) -> list[Media]:
    """The memos and pictures of an entry on the page (the signed-in person's own)."""
    if not current_user.is_authenticated or entry.user_id != current_user.id:
        return []
    return library.media_of_entry(current_user, entry.id)


@bp.app_template_global()
def media_by_entry(entries) -> dict:
    """The memos and pictures of a list of entries on the page, by entry id (one query)."""
    person = current_user._get_current_object()
    if not person.is_authenticated:
        return {}
    return library.media_of_entries(
        person, [entry.id for entry in entries if entry.user_id == person.id]
    )


@bp.app_template_global()
def media_usage() -> library.Usage | None:
    return library.usage(current_user) if current_user.is_authenticated else None


@bp.app_template_global()
def brief_media(brief) -> dict:
    """The memos of a brief's arc, and the pictures the person chose to show in it."""
    start = brief.journey.started_at
    end = brief.until.started_at if brief.until else None
    return {
        "memos": library.memos_between(current_user, start, end),
        "pictures": library.chosen_pictures(current_user, start, end),
    }


@bp.app_template_global()
def todays_memos() -> list:
    """Memos recorded today, in the person's own day."""
    if not current_user.is_authenticated:
        return []
    return library.memos_of_today(current_user)
