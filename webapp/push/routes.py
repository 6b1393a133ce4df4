"""The "Gentle reminders" settings page, device subscriptions, snoozing and prompt pages."""

from __future__ import annotations

import uuid

from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from webapp.auth.security_log import record_event
from webapp.errors import ValidationError
from webapp.extensions import csrf, db, limiter
from webapp.push import bp, planning, subscriptions
from webapp.push.endpoints import EndpointPolicy
from webapp.push.models import Reminder
from webapp.push.schedules import plan_test_reminder
from webapp.push.tokens import reminder_from_snooze_token
from webapp.push.vapid import application_server_key, vapid_for
from webapp.types import utcnow
from webapp.web.views import wants_fragment


def _page_context(errors: dict | None = None, form=None) -> dict:
    settings = planning.settings_for(current_user)
    paused = settings.paused_until is not None and settings.paused_until > utcnow()
    return {
        "settings": settings,
        "paused": paused,
        "devices": subscriptions.devices_of(current_user),
        "upcoming": planning.upcoming(current_user),
        "public_key": application_server_key(vapid_for(current_app)),
        "errors": errors or {},
        "form": form or {},
        "cap_choices": planning.CAP_CHOICES,
        "patience_ms": int(current_app.config["PUSH_SUBSCRIBE_PATIENCE"] * 1000),
    }


@bp.get("/settings/reminders")
@login_required
def settings_page():
    return render_template("push/settings.html", **_page_context())


@bp.get("/settings/reminders/devices")
@login_required
def devices_fragment():
    return render_template("push/_devices.html", devices=subscriptions.devices_of(current_user),
                           upcoming=planning.upcoming(current_user), oob=True)


@bp.post("/settings/reminders/devices")
@login_required
@limiter.limit("30 per hour", methods=["POST"])
def subscribe():
    data = request.get_json(silent=True)
    if data is None:
        return jsonify(errors={"subscription": "Expected the subscription as JSON."}), 400
    try:
        fields = subscriptions.parse_subscription(
            data, EndpointPolicy.from_config(current_app.config)
        )
        device = subscriptions.save_subscription(current_user, fields)
    except ValidationError as exc:
        return jsonify(errors=exc.errors), 422
    record_event(current_user, "push_device_added", device.device_label)
    return jsonify(id=str(device.id), device_label=device.device_label), 201


@bp.post("/settings/reminders/devices/<uuid:device_id>/remove")
@login_required
def remove_device(device_id: uuid.UUID):
    if not subscriptions.remove_subscription(current_user, device_id):
        abort(404)
    if wants_fragment():
        return render_template("push/_devices.html",
                               devices=subscriptions.devices_of(current_user),
                               upcoming=planning.upcoming(current_user), oob=True)
    flash("That device will no longer receive reminders.", "success")
    return redirect(url_for("push.settings_page"))


@bp.post("/settings/reminders/test")
@login_required
def send_test():
    if not subscriptions.devices_of(current_user):
        message = "Turn on reminders on a device first, then send a test."
        category = "error"
    else:
        plan_test_reminder(current_user)
        message = "A test reminder is on its way. It usually arrives within a few seconds."
        category = "success"
    if wants_fragment():
        return render_template("push/_notice.html", category=category, message=message)
    flash(message, category)
    return redirect(url_for("push.settings_page"))


@bp.post("/settings/reminders")
@login_required
def save_settings():
    try:
        changes = planning.parse_settings_form(request.form)
    except ValidationError as exc:
        return render_template("push/settings.html",
                               **_page_context(exc.errors, request.form)), 422
    planning.save_settings(current_user, **changes)
    flash("Saved. Waiting reminders now follow these settings.", "success")
    return redirect(url_for("push.settings_page"))


@bp.post("/settings/reminders/pause")
@login_required
def pause():
    planning.pause_for_a_week(current_user)
    flash("Reminders are paused for a week. Take all the time you need.", "success")
    return redirect(url_for("push.settings_page"))


@bp.post("/settings/reminders/resume")
@login_required
def resume():
    planning.resume(current_user)
    flash("Reminders are back on.", "success")
    return redirect(url_for("push.settings_page"))


@bp.post("/reminders/snooze")
@csrf.exempt  # called by the service worker, which proves itself with the signed token
def snooze():
    data = request.get_json(silent=True)
    token = data.get("token") if isinstance(data, dict) else None
    reminder = reminder_from_snooze_token(token) if isinstance(token, str) else None
    if reminder is None or reminder.status == "cancelled":
        return jsonify(errors={"token": "This reminder can no longer be snoozed."}), 400
    planning.snooze(reminder)
    return jsonify(due_at=reminder.due_at.isoformat())


@bp.route("/reminders/later", methods=["GET", "POST"])
def later():
    """"Later" from a notification shown without the service worker: confirm, then snooze."""
    token = request.values.get("t", "")
    reminder = reminder_from_snooze_token(token) if token else None
    if reminder is None or reminder.status == "cancelled":
        # Opened without a notification's link, or long after: nothing to snooze, kindly.
        # (A token that names nothing is still "not found" to machines.)
        page = render_template("push/later.html", reminder=None, token="", done=False,
                               stale=bool(token))
        return page, 404 if token else 200
    if request.method == "POST":
        planning.snooze(reminder)
        return render_template("push/later.html", reminder=reminder, token=token, done=True)
    return render_template("push/later.html", reminder=reminder, token=token, done=False)


@bp.get("/reminders/<uuid:reminder_id>/write")
@login_required
def write(reminder_id: uuid.UUID):
    """The deep link of a reminder: its prompt above a fresh journal entry."""
    reminder = db.session.get(Reminder, reminder_id)
    if reminder is None or reminder.user_id != current_user.id:
        abort(404)
    return render_template("push/write.html", reminder=reminder,
                           form={"title": reminder.title}, errors={})
