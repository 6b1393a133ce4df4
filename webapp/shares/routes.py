"""Share pages: choosing, making and revoking links (the owner), and opening one (anyone
holding it). Rules live in links.py and snapshots.py."""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Response, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from webapp.calendar import in_zone
from webapp.content import SAFETY_PLAN_FIELDS, SHARE_MESSAGE_BODY, SHARE_MESSAGE_SUBJECT
from webapp.errors import ValidationError
from webapp.extensions import csrf
from webapp.journeys.arc import get_journey_or_404, get_settings, list_journeys
from webapp.shares import bp, handover, links, opening, shared_media, snapshots
from webapp.support.services import get_safety_plan
from webapp.web.templating import local_time

# The recipient's pages load Tend's own stylesheet and one script, and nothing else at all.
RECIPIENT_CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "media-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)
RECIPIENT_HEADERS = {
    "Content-Security-Policy": RECIPIENT_CSP,
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow, noarchive",
    "Cache-Control": "no-store",
}


def _entry_ids(values) -> list[uuid.UUID]:
    return snapshots.parse_ids(values.getlist("entry"))


# --- The owner's pages -------------------------------------------------------------------------


@bp.get("/shares")
@login_required
def index():
    shares = links.list_shares(current_user)
    carried = shared_media.counts(share.id for share in shares.live + shares.ended)
    return render_template("shares/index.html", shares=shares, media_counts=carried)


@bp.get("/shares/new")
@login_required
def start():
    return render_template("shares/start.html", journeys=list_journeys(current_user))


@bp.get("/shares/new/journey/<uuid:journey_id>")
@login_required
def pick(journey_id: uuid.UUID):
    """Tick entries by hand, by phase or by dates; works without JavaScript (the quick
    choices reload the page), and instantly with it."""
    journey = get_journey_or_404(current_user, journey_id)
    what = "brief" if request.args.get("what") == "brief" else "entries"
    groups = snapshots.journey_groups(current_user, journey)
    if what == "brief" and not request.args.get("picked"):
        ticked = [entry.id for _k, _n, items in groups for entry in items]  # all, to start
    else:
        ticked = _entry_ids(request.args)
    selection = snapshots.select_entries(
        current_user,
        groups,
        ticked=ticked,
        phase=request.args.get("phase"),
        start=snapshots.parse_day(request.args.get("from")),
        end=snapshots.parse_day(request.args.get("to")),
    )
    first_day, last_day = snapshots.default_range(groups, current_user)
    return render_template(
        "shares/pick.html",
        journey=journey,
        what=what,
        groups=groups,
        selection=selection,
        phases=snapshots.phase_choices(),
        first_day=first_day,
        last_day=last_day,
    )


@bp.get("/shares/new/journey/<uuid:journey_id>/print")
@login_required
def print_brief(journey_id: uuid.UUID):
    """The integration brief with only the chosen entries, for printing at home."""
    journey = get_journey_or_404(current_user, journey_id)
    brief = snapshots.brief_with_entries(current_user, journey, _entry_ids(request.args))
    return render_template("insights/brief.html", brief=brief)


def _choice_from(values) -> snapshots.Choice:
    """What the request chose; 404 when it names something that is not the person's own."""
    try:
        return snapshots.make_choice(
            current_user, values.get("kind"), values.get("journey"), _entry_ids(values)
        )
    except ValidationError as exc:
        if "missing" in exc.errors:
            abort(404)
        raise


def _back_to_choosing(values, message: str):
    flash(message, "info")
    kind, journey = values.get("kind"), values.get("journey")
    if kind in ("entries", "brief") and journey:
        try:
            return redirect(
                url_for("shares.pick", journey_id=uuid.UUID(journey), what=kind, picked=1)
            )
        except ValueError:
            pass
    if kind == "safety_plan":
        return redirect(url_for("support.safety_plan"))
    return redirect(url_for("shares.start"))


def _options_page(choice: snapshots.Choice, form, errors: dict, status: int = 200):
    return render_template(
        "shares/options.html",
        choice=choice,
        plan=get_safety_plan(current_user) if choice.kind == "safety_plan" else None,
        plan_fields=SAFETY_PLAN_FIELDS,
        form=form,
        errors=errors,
        share_id=uuid.uuid4(),
        expiry_days=links.EXPIRY_DAYS,
        default_days=links.DEFAULT_EXPIRY_DAYS,
        sharer_name=form.get("sharer_name", links.last_sharer_name(current_user)),
        media=shared_media.plan_for(current_user, choice.entries),
        media_limit=shared_media.megabytes(shared_media.most_bytes()),
        megabytes=shared_media.megabytes,
    ), status


@bp.get("/shares/new/link")
@login_required
def options():
    """What will be shared, and how: a name, how long, once, a passphrase."""
    try:
        choice = _choice_from(request.args)
    except ValidationError as exc:
        return _back_to_choosing(request.args, next(iter(exc.errors.values())))
    return _options_page(choice, {}, {})


@bp.post("/shares/new/link")
@login_required
def create():
    try:
        choice = _choice_from(request.form)
    except ValidationError as exc:
        return _back_to_choosing(request.form, next(iter(exc.errors.values())))
    try:
        link_options = links.parse_link_options(request.form)
    except ValidationError as exc:
        return _options_page(choice, request.form, exc.errors, 422)
    snapshot = snapshots.snapshot_of(
        current_user, choice, with_crisis_lines=request.form.get("crisis_lines") == "1",
        with_media=request.form.get("media") == "1",
    )
    try:
        made = links.create_share(current_user, snapshot, link_options,
                                  share_id=links.parse_share_id(request.form.get("share_id")))
    except ValidationError as exc:  # the media are more than a link carries
        return _options_page(choice, request.form, exc.errors, 413)
    except links.AlreadyMade:
        flash(
            "That link was made already. Tend shows a link only once and keeps no copy of it: "
            "make a new one if you need it again.",
            "info",
        )
        return redirect(url_for("shares.index"))
    link = url_for("shares.open_link", share_id=made.share.id, _external=True) + "#" + made.secret
    until = local_time(made.share.expires_at, "%A %-d %B, {clock}")
    return render_template(
        "shares/made.html",
        share=made.share,
        media_counts=shared_media.counts([made.share.id]),
        link=link,
        qr=handover.qr_data_uri(link),
        therapist=handover.therapist_handover(
            get_settings(current_user).therapist_contact,
            link,
            SHARE_MESSAGE_SUBJECT,
            SHARE_MESSAGE_BODY.format(until=until),
        ),
        until=until,
    )


@bp.post("/shares/<uuid:share_id>/revoke")
@login_required
def revoke(share_id: uuid.UUID):
    if not links.revoke_share(current_user, share_id):
        abort(404)
    flash("Revoked. The link no longer opens, and what it held is deleted.", "success")
    return redirect(url_for("shares.index"))


# --- The recipient's pages ---------------------------------------------------------------------


def _recipient_page(template: str, status: int = 200, **context) -> Response:
    """A page for whoever holds a link: no account, no cookie, kept by no cache, indexed by
    no search engine, and loading nothing but Tend's own stylesheet and script."""
    response = make_response(render_template(template, **context), status)
    response.headers.update(RECIPIENT_HEADERS)
    return response


def _parse_link_id(share_id: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(share_id)
    except ValueError:
        return None


def _not_found() -> Response:
    return _recipient_page("shares/link_not_found.html", 404)


def _gone() -> Response:
    return _recipient_page("shares/link_gone.html", 410)


def _door(share, status: int = 200, **context) -> Response:
    return _recipient_page(
        "shares/link_door.html",
        status,
        share=share,
        secret=context.pop("secret", ""),
        **context,
    )


@bp.get("/s/<share_id>")
def open_link(share_id: str):
    """The door: the link's secret is after ``#``, so this page holds nothing yet. Its
    script posts the secret (straight away, or when asked to for a passphrase or a link
    that opens once) and the answer is what was shared."""
    parsed = _parse_link_id(share_id)
    share = opening.find_share(parsed) if parsed else None
    if share is None:
        return _not_found()
    if share.ended_at is not None:
        return _gone()
    return _door(share)


@bp.post("/s/<share_id>")
@csrf.exempt
def read_link(share_id: str):
    parsed = _parse_link_id(share_id)
    if parsed is None:
        return _not_found()
    secret = request.form.get("secret", "")
    try:
        opened = opening.open_share(parsed, secret, request.form.get("passphrase"))
    except opening.WrongLink:
        return _not_found()
    except opening.ShareGone:
        return _gone()
    except opening.PassphraseNeeded:
        return _door(opening.find_share(parsed), secret=secret)
    except opening.WrongPassphrase:
        return _door(
            opening.find_share(parsed),
            403,
            secret=secret,
            error="That passphrase doesn’t open it. Please check it with whoever shared this.",
        )
    except opening.TooManyTries as exc:
        minutes = max(1, round(exc.retry_after.total_seconds() / 60))
        response = _door(
            opening.find_share(parsed),
            429,
            secret=secret,
            error=f"There were several wrong passphrases. Please wait {minutes} minutes "
            "before trying again.",
        )
        response.headers["Retry-After"] = str(int(exc.retry_after.total_seconds()) + 1)
        return response
    zone = _zone(opened.snapshot.get("timezone"))
    response = _recipient_page(
        "shares/shared.html",
        snapshot=opened.snapshot,
        shared_at=opened.shared_at,
        expires_at=opened.expires_at,
        once=opened.share.once,
        share_id=parsed, has_media=bool(opened.viewing),
        when=lambda value, fmt="%A %-d %B %Y, %H:%M": _when(value, zone, fmt),
        zone_name=str(zone),
    )
    if opened.viewing:  # only this browser may load the pictures and sounds, for a while
        response.set_cookie(shared_media.COOKIE, opened.viewing, path=f"/s/{parsed}/media/",
                            httponly=True, secure=request.is_secure, samesite="Strict",
                            max_age=int(shared_media.VIEWING_FOR.total_seconds()))
    return response


@bp.get("/s/<share_id>/media/<int:item>")
def shared_file(share_id: str, item: int):
    """A picture or a sound of a share, for the browser that opened it (its cookie)."""
    parsed = _parse_link_id(share_id)
    try:
        served = shared_media.serve(
            opening.find_share(parsed) if parsed else None, item,
            request.cookies.get(shared_media.COOKIE, ""), request.headers.get("Range"),
        )
    except shared_media.NotThere:
        return _not_found()
    except shared_media.Gone:
        return _gone()
    response = Response(served.body or b"", status=served.status, headers=served.headers,
                        content_type=served.content_type, direct_passthrough=True)
    response.headers.update(RECIPIENT_HEADERS)
    return response


def _zone(name: object) -> ZoneInfo:
    try:
        return ZoneInfo(str(name))
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def _when(value: str | datetime | None, zone: ZoneInfo, fmt: str) -> str:
    """A time from the snapshot, in the sharer's own timezone."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return in_zone(moment, zone).strftime(fmt)
